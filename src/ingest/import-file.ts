/** Imports one CSV file of a given kind: every row validated, all written in one transaction or none. */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, type InputIssue } from '../domain/errors.ts';
import { CONTROL_CHARACTERS } from './fields.ts';
import { CsvStructureError, readCsv, type ImportEncoding } from './csv-source.ts';
import type { ImportContext, ImportKind, Report, RowToApply } from './import-kind.ts';
import { recordAudit } from '../store/audit.ts';
import { inTransactionAsync, storeEngine } from '../store/db.ts';
import { crashPoint } from '../testing/faults.ts';

/** Counts of what an import did. */
export interface ImportResult {
  kind: string;
  file: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  bytes: number;
  sha256: string;
}

/** Where an import reads from: a path on disk, or a stream with the name messages should show. */
export type ImportInput = { path: string } | { stream: Readable; name: string };

/**
 * Rows applied at once by a kind's batch applier on PostgreSQL: a few round trips per batch
 * instead of a few per row, and a batch's JSON well under the server's limits.
 */
export const BATCH_ROWS = 500;

/** Options of one import. */
export interface ImportOptions {
  /** Stop collecting after this many problems (the file is refused either way). */
  maxErrors: number;
  /** The file's encoding: UTF-8 (the default; a BOM is accepted) or cp932 (Shift_JIS, as Excel saves it). */
  encoding?: ImportEncoding;
  /** Told of each row read (its count so far): progress on a terminal. */
  onRow?: (rows: number) => void;
}

/**
 * Reads and validates the whole file, applying rows inside one IMMEDIATE transaction; any problem
 * rolls everything back and throws an InputError listing each `file:line: field: message`.
 */
export async function importFile<Row, Cells>(
  kind: ImportKind<Row, Cells>,
  input: ImportInput,
  ctx: ImportContext,
  options: ImportOptions,
): Promise<ImportResult> {
  const fileName = 'path' in input ? input.path : input.name;
  let stream: Readable;
  if ('path' in input) {
    try {
      const stat = fs.statSync(input.path);
      if (!stat.isFile()) throw new InputError(`${fileName}: is not a file`);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`${fileName}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    stream = fs.createReadStream(input.path);
  } else {
    stream = input.stream;
  }

  const issues: InputIssue[] = [];
  let truncated = false;
  const add = (line: number, field: string, message: string): void => {
    if (issues.length >= options.maxErrors) {
      truncated = true;
      return;
    }
    issues.push({ file: fileName, line, field, message });
  };

  const { db } = ctx;
  const source = readCsv(stream, kind.columns, options.encoding ?? 'utf8');
  const schema = kind.schema(ctx);
  const allColumns = [...kind.columns.required, ...kind.columns.optional];
  const seenKeys = kind.key ? new Map<string, number>() : null;
  const counts = { rows: 0, inserted: 0, updated: 0, unchanged: 0 };

  // On PostgreSQL a kind with a batch applier (usage) applies its valid rows in batches of
  // BATCH_ROWS, still inside the one transaction. Each row read until its batch is applied keeps
  // its problems (`note` instead of `add`); they are listed then, in the rows' order, with the
  // problems the batch applier reports of its rows: the same list, cut at maxErrors at the same
  // place, as one row at a time. The other kinds stay row by row on both engines: their files are
  // small, and their rows are upserts that read what the file's earlier rows wrote (inserted,
  // updated or unchanged) and fire a trigger each (tenant_changes).
  const batchApply = storeEngine(db) === 'postgres' ? kind.batchApplier?.(ctx) : undefined;
  let held: { line: number; problems: [string, string][]; apply?: RowToApply<Row> }[] = [];
  let heldProblems = 0;
  const note = (line: number, field: string, message: string): void => {
    const last = held.at(-1);
    if (last !== undefined && last.line === line && last.apply === undefined) last.problems.push([field, message]);
    else held.push({ line, problems: [[field, message]] });
    heldProblems++;
  };
  const problem = batchApply === undefined ? add : note;
  /** Applies the rows held and lists every problem held, in the rows' order. */
  const applyHeld = (): void => {
    if (batchApply === undefined || held.length === 0) return;
    const entries = held;
    held = [];
    heldProblems = 0;
    const toApply = entries.flatMap((e) => (e.apply === undefined ? [] : [e.apply]));
    for (const outcome of batchApply(toApply)) if (outcome !== 'rejected') counts[outcome]++;
    for (const e of entries) for (const [field, message] of e.problems) add(e.line, field, message);
  };

  // Inside a caller's transaction (the demo seeds several files at once) a savepoint keeps the
  // all-or-nothing promise for this file; otherwise an IMMEDIATE transaction takes the write lock now.
  // A refused file throws its InputError inside, so that nothing of it is written.
  let committed = false;
  try {
    const result = await inTransactionAsync(db, async () => {
      try {
        const apply = batchApply === undefined ? kind.applier(ctx) : undefined;
        for await (const { line, cells } of source.rows) {
          // A batch is applied when full, or as soon as its problems reach maxErrors (as one row
          // at a time stops there).
          if (
            batchApply !== undefined &&
            (held.length >= BATCH_ROWS || heldProblems > options.maxErrors - issues.length)
          ) {
            applyHeld();
            if (truncated) break;
          }
          counts.rows++;
          options.onRow?.(counts.rows);
          const full: Record<string, string> = {};
          const badFields = new Set<string>();
          for (const column of allColumns) {
            const value = cells[column] ?? '';
            if (CONTROL_CHARACTERS.test(value)) {
              badFields.add(column);
              problem(line, column, 'contains a control character (CR, LF, tab or similar), which no field may hold');
            }
            full[column] = value;
          }
          const parsed = schema.safeParse(full);
          if (!parsed.success) {
            for (const issue of parsed.error.issues) {
              const field = issue.path.length > 0 ? String(issue.path[0]) : '';
              if (!badFields.has(field)) problem(line, field, issue.message);
            }
            if (truncated) break;
            continue;
          }
          if (badFields.size > 0) continue;
          let combined = true;
          const row: Row = kind.combine
            ? kind.combine(parsed.data, (field, message) => {
                combined = false;
                problem(line, field, message);
              })
            : (parsed.data as unknown as Row);
          if (!combined) {
            if (truncated) break;
            continue;
          }
          if (seenKeys && kind.key) {
            const key = kind.key(row);
            const first = seenKeys.get(key);
            if (first !== undefined) {
              problem(
                line,
                kind.keyField ?? kind.columns.required[0] ?? '',
                `${key} appears again (first at line ${first})`,
              );
              continue;
            }
            seenKeys.set(key, line);
          }
          if (apply === undefined) {
            const entry: (typeof held)[number] = { line, problems: [] };
            entry.apply = { row, report: (field, message) => entry.problems.push([field, message]) };
            held.push(entry);
            continue;
          }
          const report: Report = (field, message) => add(line, field, message);
          const outcome = apply(row, report);
          if (outcome !== 'rejected') counts[outcome]++;
          if (truncated) break;
        }
        applyHeld();
        if (issues.length === 0) {
          const { bytes, sha256 } = source.summary();
          const result: ImportResult = { kind: kind.name, file: path.basename(fileName), ...counts, bytes, sha256 };
          recordAudit(db, ctx.now, 'import', kind.name, ctx.by === undefined ? result : { ...result, by: ctx.by });
          crashPoint('import-before-commit');
          return result;
        }
      } catch (err) {
        if (!(err instanceof CsvStructureError)) throw err;
        applyHeld();
        add(err.line, err.field, err.message);
      }
      throw refusal();
    });
    committed = true;
    return result;
  } finally {
    if (!committed) stream.destroy();
  }

  /** The InputError refusing the file, listing its problems. */
  function refusal(): InputError {
    const shown = issues.length + (truncated ? '+' : '');
    return new InputError(
      `${fileName}: refused, ${shown} problem${issues.length === 1 && !truncated ? '' : 's'}; nothing was imported`,
      issues,
      truncated,
    );
  }
}
