/** Imports one CSV file of a given kind: every row validated, all written in one transaction or none. */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, type InputIssue } from '../domain/errors.ts';
import { CONTROL_CHARACTERS } from './fields.ts';
import { CsvStructureError, readCsv, type ImportEncoding } from './csv-source.ts';
import type { ApplyOutcome, BatchApplier, ImportContext, ImportKind, Report, RowToApply } from './import-kind.ts';
import { recordAudit } from '../store/audit.ts';
import { inTransactionAsync, refreshStatistics, storeEngine } from '../store/db.ts';
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

  // On PostgreSQL a kind with a batch applier (usage, L-Platforms, contacts: the files that grow
  // with the cloud) applies its valid rows in batches of BATCH_ROWS, still inside the one
  // transaction; each row's problems are held with it until its batch is applied (HeldRows). The
  // other kinds stay row by row on both engines: their files are small (a tenant per customer, a
  // catalog, a month's adjustments and coupons), and their rows' checks read much of what the
  // file's earlier rows wrote (a tenant's open months, a catalog's periods, a coupon's offers).
  const batched = storeEngine(db) === 'postgres' && kind.batchApplier !== undefined;
  const held = new HeldRows<Row>();
  const problem = batched ? held.note : add;
  let batchApply: BatchApplier<Row> | undefined;
  const applyHeld = (): void => {
    if (batchApply !== undefined)
      for (const outcome of held.apply(batchApply, add)) if (outcome !== 'rejected') counts[outcome]++;
  };
  /** A full batch, or problems reaching maxErrors (where one row at a time stops): apply it now. */
  const batchDue = (): boolean =>
    batched && (held.size >= BATCH_ROWS || held.problems > options.maxErrors - issues.length);

  // Inside a caller's transaction (the demo seeds several files at once) a savepoint keeps the
  // all-or-nothing promise for this file; otherwise an IMMEDIATE transaction takes the write lock now.
  // A refused file throws its InputError inside, so that nothing of it is written.
  let committed = false;
  try {
    const result = await inTransactionAsync(db, async () => {
      try {
        batchApply = batched ? kind.batchApplier?.(ctx) : undefined;
        const apply = batchApply === undefined ? kind.applier(ctx) : undefined;
        for await (const { line, cells } of source.rows) {
          if (batchDue()) {
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
            held.hold(line, row);
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
    if (kind.tables !== undefined) refreshStatistics(db, kind.tables, result.inserted);
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

/**
 * The rows read since the last batch was applied, each with its problems: those found reading it
 * (`note`, in place of listing them at once) or, for a valid row (`hold`), those its batch's
 * applier reports. Listed when the batch is applied, in the rows' order: the same list, cut at
 * maxErrors at the same place, as one row at a time (a row with a problem of its own is never
 * applied, so a row's problems are either its own or its applier's).
 */
class HeldRows<Row> {
  private rows: { line: number; problems: [string, string][]; apply?: RowToApply<Row> }[] = [];
  /** The problems held. */
  problems = 0;

  /** The rows held. */
  get size(): number {
    return this.rows.length;
  }

  readonly note = (line: number, field: string, message: string): void => {
    const last = this.rows.at(-1);
    if (last !== undefined && last.line === line && last.apply === undefined) last.problems.push([field, message]);
    else this.rows.push({ line, problems: [[field, message]] });
    this.problems++;
  };

  hold(line: number, row: Row): void {
    const held: (typeof this.rows)[number] = { line, problems: [] };
    held.apply = { row, report: (field, message) => held.problems.push([field, message]) };
    this.rows.push(held);
  }

  /** Applies the valid rows held with `batch`, then passes every problem held to `add`; the rows' outcomes. */
  apply(batch: BatchApplier<Row>, add: (line: number, field: string, message: string) => void): ApplyOutcome[] {
    const rows = this.rows;
    this.rows = [];
    this.problems = 0;
    const valid = rows.flatMap((r) => (r.apply === undefined ? [] : [r.apply]));
    const outcomes = valid.length === 0 ? [] : batch(valid);
    for (const r of rows) for (const [field, message] of r.problems) add(r.line, field, message);
    return outcomes;
  }
}
