/**
 * Copies a store's rows from one engine to the other, keys and all, in one transaction of the
 * target: SQLite to PostgreSQL (`migrate-store`), PostgreSQL to SQLite (`backup` and
 * `run --dry-run` of a PostgreSQL store). The target must be an empty store of the same schema
 * version. Its triggers do not fire for the copied rows (they are copies of rows the triggers
 * already saw: the counters of tenant_changes are copied as they are), its keys' sequences are
 * set past the copied keys, and its foreign keys are checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { UsageChargesError } from '../domain/errors.ts';
import { backupStore, closeStore, connection, DB_FILE_NAME, openStore, storeEngine, type Db } from './db.ts';

/** Tables that are not the store's data: its version, and the leases of running processes. */
const NOT_COPIED = new Set(['schema_migrations', 'run_lock']);

/** How many values one INSERT of the PostgreSQL target carries at most (the protocol allows 65,535). */
const VALUES_PER_INSERT = 30_000;

/** One table as copied. */
export interface CopiedTable {
  name: string;
  rows: number;
}

/** The SQLite connection of the pair (one side is always SQLite). */
function sqliteSide(from: Db, to: Db): Database.Database {
  return connection(storeEngine(from) === 'sqlite' ? from : to);
}

/**
 * The store's tables (SQLite's schema), each after the tables its foreign keys reference, and
 * each table's columns in order.
 */
export function storeTables(db: Database.Database): { name: string; columns: string[]; key: string[] }[] {
  const names = (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[]
  ).filter((n) => !NOT_COPIED.has(n));
  const refs = new Map(
    names.map((n) => [
      n,
      new Set(
        (db.pragma(`foreign_key_list("${n}")`) as { table: string }[]).map((f) => f.table).filter((t) => t !== n),
      ),
    ]),
  );
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < names.length) {
    const next = names.find((n) => !placed.has(n) && [...refs.get(n)!].every((r) => placed.has(r)));
    if (next === undefined) throw new Error('the store has a cycle of foreign keys between tables');
    ordered.push(next);
    placed.add(next);
  }
  return ordered.map((name) => {
    const info = db.pragma(`table_info("${name}")`) as { name: string; pk: number }[];
    const key = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    return { name, columns: info.map((c) => c.name), key: key.length > 0 ? key : info.map((c) => c.name) };
  });
}

const quoted = (name: string): string => `"${name}"`;

/** Rows of every copied table of a store. */
export function tableCounts(db: Db, tables: readonly { name: string }[]): Map<string, number> {
  return new Map(
    tables.map((t) => [
      t.name,
      Number(
        connection(db)
          .prepare(`SELECT count(*) FROM ${quoted(t.name)}`)
          .pluck()
          .get(),
      ),
    ]),
  );
}

/**
 * Copies every row of `from` into the empty store `to`, in one transaction of `to`, reading
 * `from` in one consistent snapshot. `onTable` is told of each table once copied. Throws (and
 * leaves `to` as it was) when `to` has rows already or the copy fails.
 */
export function copyStore(from: Db, to: Db, onTable?: (table: CopiedTable) => void): CopiedTable[] {
  if (storeEngine(from) === storeEngine(to))
    throw new Error('copyStore copies between SQLite and PostgreSQL, not within one engine');
  const tables = storeTables(sqliteSide(from, to));
  const filled = [...tableCounts(to, tables)].filter(([, n]) => n > 0).map(([name]) => name);
  if (filled.length > 0)
    throw new UsageChargesError(
      'E_TARGET_NOT_EMPTY',
      `the target store is not empty (${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''} have rows): a store is copied into an empty one only`,
    );
  const source = connection(from);
  const target = connection(to);
  const copied: CopiedTable[] = [];
  // One snapshot of the source: a PostgreSQL store read while workers write, a SQLite file in WAL.
  source.exec(storeEngine(from) === 'postgres' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
  try {
    if (storeEngine(to) === 'postgres') copyIntoPostgres(source, target, tables, copied, onTable);
    else copyIntoSqlite(source, target, tables, copied, onTable);
  } finally {
    if (source.inTransaction) source.exec('ROLLBACK');
  }
  return copied;
}

type Table = ReturnType<typeof storeTables>[number];

function rowsOf(source: Database.Database, t: Table): IterableIterator<unknown[]> {
  return source
    .prepare(
      `SELECT ${t.columns.map(quoted).join(', ')} FROM ${quoted(t.name)} ORDER BY ${t.key.map(quoted).join(', ')}`,
    )
    .raw()
    .iterate() as IterableIterator<unknown[]>;
}

function copyIntoPostgres(
  source: Database.Database,
  target: Database.Database,
  tables: readonly Table[],
  copied: CopiedTable[],
  onTable?: (table: CopiedTable) => void,
): void {
  target
    .transaction(() => {
      const identities = target
        .prepare(
          'SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = \'YES\'',
        )
        .all() as { table: string; column: string }[];
      // The copied rows were checked by the source's triggers; the counters they keep are copied.
      for (const t of tables) target.exec(`ALTER TABLE ${quoted(t.name)} DISABLE TRIGGER USER`);
      for (const t of tables) {
        const perInsert = Math.max(1, Math.floor(VALUES_PER_INSERT / t.columns.length));
        const head = `INSERT INTO ${quoted(t.name)} (${t.columns.map(quoted).join(', ')}) VALUES `;
        const one = `(${t.columns.map(() => '?').join(', ')})`;
        const full = target.prepare(head + Array.from({ length: perInsert }, () => one).join(', '));
        let batch: unknown[] = [];
        let inBatch = 0;
        let rows = 0;
        const flush = (): void => {
          if (inBatch === 0) return;
          const statement =
            inBatch === perInsert ? full : target.prepare(head + Array.from({ length: inBatch }, () => one).join(', '));
          statement.run(...batch);
          batch = [];
          inBatch = 0;
        };
        for (const row of rowsOf(source, t)) {
          batch.push(...row);
          rows += 1;
          if (++inBatch === perInsert) flush();
        }
        flush();
        // The next key of a table is past the copied ones.
        for (const c of identities.filter((i) => i.table === t.name))
          target
            .prepare(
              `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT max(${quoted(c.column)}) FROM ${quoted(t.name)}), 1), ?)`,
            )
            .get(t.name, c.column, rows > 0 ? 'true' : 'false');
        const done = { name: t.name, rows };
        copied.push(done);
        onTable?.(done);
      }
      for (const t of tables) target.exec(`ALTER TABLE ${quoted(t.name)} ENABLE TRIGGER USER`);
    })
    .immediate();
}

function copyIntoSqlite(
  source: Database.Database,
  target: Database.Database,
  tables: readonly Table[],
  copied: CopiedTable[],
  onTable?: (table: CopiedTable) => void,
): void {
  // SQLite has no switch for triggers: they are dropped for the copy and made again, in its transaction.
  const triggers = target.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as {
    name: string;
    sql: string;
  }[];
  target.pragma('foreign_keys = OFF');
  try {
    target
      .transaction(() => {
        for (const tr of triggers) target.exec(`DROP TRIGGER ${quoted(tr.name)}`);
        for (const t of tables) {
          const insert = target.prepare(
            `INSERT INTO ${quoted(t.name)} (${t.columns.map(quoted).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`,
          );
          let rows = 0;
          for (const row of rowsOf(source, t)) {
            insert.run(...row);
            rows += 1;
          }
          const done = { name: t.name, rows };
          copied.push(done);
          onTable?.(done);
        }
        for (const tr of triggers) target.exec(tr.sql);
        const broken = target.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new Error(`the copy has ${broken.length} broken reference(s): ${JSON.stringify(broken[0])}`);
      })
      .immediate();
  } finally {
    target.pragma('foreign_keys = ON');
  }
}

/**
 * Copies the store, while it is in use, to `file`, a SQLite store file (which must not exist): a
 * SQLite store by SQLite's online backup; a PostgreSQL store by copying its rows, read in one
 * snapshot, into a new SQLite store (what `migrate-store` copies back into PostgreSQL).
 */
export async function backupToFile(db: Db, file: string): Promise<void> {
  if (storeEngine(db) === 'sqlite') {
    await backupStore(db, file);
    return;
  }
  const folder = fs.mkdtempSync(path.join(path.dirname(file), '.backup-'));
  try {
    const copy = openStore(folder);
    try {
      copyStore(db, copy);
    } finally {
      closeStore(copy);
    }
    fs.renameSync(path.join(folder, DB_FILE_NAME), file);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
