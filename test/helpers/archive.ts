/**
 * The statement archive as a test reads it, whatever the store's engine: a zip's file under the
 * data dir on SQLite, its bytes in the store (archived_zips) on PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { connection, storeEngine, type Db } from '../../src/store/db.ts';

/** The archived bytes of the zip recorded at `zipPath` (relative to the data dir `dataDir`). */
export function archivedBytes(db: Db, dataDir: string, zipPath: string): Buffer {
  if (storeEngine(db) === 'sqlite') return fs.readFileSync(path.join(dataDir, zipPath));
  const bytes = connection(db)
    .prepare('SELECT a.bytes FROM archived_zips a JOIN statement_files f USING (file_pk) WHERE f.zip_path = ?')
    .pluck()
    .get(zipPath) as Buffer | undefined;
  if (bytes === undefined) throw new Error(`no zip is archived at ${zipPath}`);
  return bytes;
}

/** Whether a zip is archived at `zipPath`. */
export function isArchived(db: Db, dataDir: string, zipPath: string): boolean {
  if (storeEngine(db) === 'sqlite') return fs.existsSync(path.join(dataDir, zipPath));
  return (
    connection(db)
      .prepare('SELECT 1 FROM archived_zips a JOIN statement_files f USING (file_pk) WHERE f.zip_path = ?')
      .get(zipPath) !== undefined
  );
}

/** The names of the zips archived in the folder `folder` (relative to the data dir), sorted. */
export function archivedNames(db: Db, dataDir: string, folder: string): string[] {
  if (storeEngine(db) === 'sqlite') return fs.readdirSync(path.join(dataDir, folder)).sort();
  return (
    connection(db)
      .prepare('SELECT f.zip_path FROM archived_zips a JOIN statement_files f USING (file_pk)')
      .pluck()
      .all() as string[]
  )
    .filter((p) => path.dirname(p) === folder)
    .map((p) => path.basename(p))
    .sort();
}

/** Replaces the archived bytes of the zip recorded at `zipPath` (a damaged archive), on the store's engine. */
export function overwriteArchived(db: Db, dataDir: string, zipPath: string, bytes: Buffer): void {
  if (storeEngine(db) === 'sqlite') {
    fs.writeFileSync(path.join(dataDir, zipPath), bytes);
    return;
  }
  connection(db)
    .prepare(
      'UPDATE archived_zips SET bytes = ? WHERE file_pk = (SELECT file_pk FROM statement_files WHERE zip_path = ?)',
    )
    .run(bytes, zipPath);
}

/** Removes the archived bytes of the zip recorded at `zipPath` (a lost archive), on the store's engine. */
export function removeArchived(db: Db, dataDir: string, zipPath: string): void {
  if (storeEngine(db) === 'sqlite') {
    fs.rmSync(path.join(dataDir, zipPath));
    return;
  }
  connection(db)
    .prepare('DELETE FROM archived_zips WHERE file_pk = (SELECT file_pk FROM statement_files WHERE zip_path = ?)')
    .run(zipPath);
}
