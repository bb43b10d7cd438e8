/** The whole content of a store (schema, every table, the AUTOINCREMENT counters), to show that a refused command changed nothing. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE_NAME, storeHandle, connection, type Db } from '../../src/store/db.ts';
import { inStore } from './demo-store.ts';
import { snapshot } from './store.ts';
import { databaseOf } from './store-engine.ts';

/** The schema and every row of every table, sqlite_sequence included, each table in rowid order. */
export function fullSnapshot(db: Db): Record<string, unknown[]> {
  const schema = connection(db)
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY type, name",
    )
    .all();
  const tables = connection(db)
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  const out: Record<string, unknown[]> = { '(schema)': schema };
  for (const t of tables)
    out[t] = connection(db)
      .prepare(`SELECT * FROM "${t.replaceAll('"', '""')}" ORDER BY rowid`)
      .all();
  return out;
}

/** `fullSnapshot` of the SQLite file at `file`, read on a read-only connection. */
export function snapshotFile(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return fullSnapshot(storeHandle(db));
  } finally {
    db.close();
  }
}

/**
 * The content of the store of the data dir `dataDir`, on its engine: fullSnapshot of its SQLite
 * file, or on PostgreSQL every row of every table of its database (store.ts `snapshot`).
 */
export function snapshotStoreOf(dataDir: string): Record<string, unknown[]> {
  if (databaseOf(dataDir) !== undefined) return inStore({ DATA_DIR: dataDir }, (c) => snapshot(storeHandle(c)));
  return snapshotFile(path.join(dataDir, DB_FILE_NAME));
}
