/**
 * The statement archive on both engines: the demo closed on SQLite (zips in DATA_DIR/statements)
 * and on PostgreSQL (zips in the database, archived_zips) gives the same records and the same zip
 * bytes; on PostgreSQL a damaged or lost zip is rebuilt and put back, and the retention deletes
 * the bytes and keeps the record.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivedZip, pruneFiles } from '../../../jobs/build-files.ts';
import { jobContext } from '../../../jobs/context.ts';
import { closeAndWriteFiles } from '../../../jobs/pass.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { seedDemo } from '../../../src/ingest/demo.ts';
import { recordStatementFiles } from '../../../src/store/statements.ts';
import { closeStore, connection, openPostgresStore, openStore, storeEngine, type Db } from '../../../src/store/db.ts';
import { pgDatabase } from '../../helpers/pg-cluster.ts';
import { tempDir } from '../../helpers/store.ts';

const AS_OF = new Date('2026-11-03T00:00:00Z');
const NOW = (): Date => new Date('2026-11-03T00:05:00Z');

/** A store on one engine, its data dir and its configuration. */
interface Side {
  db: Db;
  dir: string;
  config: Config;
  cleanup: () => void;
}

function side(open: (dir: string) => Db): Side {
  const { dir, cleanup } = tempDir('uc-archive-');
  const db = open(dir);
  const config = loadConfig({ env: { DATA_DIR: dir }, cwd: dir });
  return { db, dir, config, cleanup };
}

/**
 * The demo seeded, its month closed and every zip written, as a pass does, with the files thread
 * asked for from the first statement: on SQLite it writes the zips; on PostgreSQL the files step
 * does (returns how many the thread wrote).
 */
async function closed(s: Side): Promise<number> {
  await seedDemo(s.db, { now: '2026-11-02T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' }, AS_OF, 'UTC');
  const { close, files, threaded } = await closeAndWriteFiles(
    jobContext(s.db, s.config, { now: NOW, faults: { filesThreadFrom: 1 } }),
    { asOf: AS_OF },
  );
  expect(close.failed).toEqual([]);
  expect(files.failed).toEqual([]);
  expect(files.written).toHaveLength(5);
  return threaded;
}

interface FileRow {
  filePk: number;
  statementPk: number;
  zipName: string;
  zipPath: string;
  sha256: string;
  bytes: number;
  createdAt: string;
  prunedAt: string | null;
}

/**
 * The file records, by statement. (The files step records zips as their writes finish, a few at a
 * time: their file_pk follow the order the writes ended in, which the disk decides.)
 */
function fileRows(db: Db): FileRow[] {
  return connection(db)
    .prepare(
      `SELECT file_pk AS filePk, statement_pk AS statementPk, zip_name AS zipName, zip_path AS zipPath, sha256, bytes,
        created_at AS createdAt, pruned_at AS prunedAt
      FROM statement_files ORDER BY statement_pk`,
    )
    .all() as FileRow[];
}

function withoutKey({ filePk: _filePk, ...row }: FileRow): Omit<FileRow, 'filePk'> {
  return row;
}

/** The bytes PostgreSQL keeps for a file record, or undefined. */
function pgBytes(db: Db, filePk: number): Buffer | undefined {
  return connection(db).prepare('SELECT bytes FROM archived_zips WHERE file_pk = ?').pluck().get(filePk) as
    Buffer | undefined;
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function auditOf(db: Db, action: string): { subject: string; detail: Record<string, unknown> }[] {
  return (
    connection(db).prepare('SELECT subject, detail FROM audit_log WHERE action = ? ORDER BY audit_pk').all(action) as {
      subject: string;
      detail: string;
    }[]
  ).map((r) => ({ subject: r.subject, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

let lite: Side;
let pg: Side;
/** The zips the files thread wrote on SQLite and on PostgreSQL. */
let threaded: number[];
beforeAll(async () => {
  lite = side((dir) => openStore(dir));
  pg = side(() => openPostgresStore(pgDatabase('archive')));
  expect(storeEngine(pg.db)).toBe('postgres');
  threaded = [await closed(lite), await closed(pg)];
});
afterAll(() => {
  for (const s of [lite, pg]) {
    closeStore(s.db);
    s.cleanup();
  }
});

describe('the statement archive on SQLite and PostgreSQL', () => {
  it('records the same files and keeps the same zip bytes (the folder on SQLite, the database on PostgreSQL)', () => {
    const pgRows = fileRows(pg.db);
    expect(pgRows.map(withoutKey)).toEqual(fileRows(lite.db).map(withoutKey));
    expect(pgRows).toHaveLength(5);
    for (const f of pgRows) {
      const onDisk = fs.readFileSync(path.join(lite.dir, f.zipPath));
      const inDb = pgBytes(pg.db, f.filePk)!;
      expect(Buffer.isBuffer(inDb), f.zipPath).toBe(true);
      expect(inDb.equals(onDisk), f.zipPath).toBe(true);
      expect(sha256(inDb), f.zipPath).toBe(f.sha256);
      expect(inDb.length, f.zipPath).toBe(f.bytes);
    }
    // On SQLite the files thread wrote them; on PostgreSQL the files step, on the main thread.
    expect(threaded).toEqual([5, 0]);
    // PostgreSQL's archive is the database: nothing is written under its DATA_DIR.
    expect(fs.existsSync(path.join(pg.dir, 'statements'))).toBe(false);
    // Every record has its bytes, and no bytes are without a record.
    expect(connection(pg.db).prepare('SELECT COUNT(*) FROM archived_zips').pluck().get()).toBe(5);
  });

  it('gives the web download and the resend the same archived bytes on both engines', async () => {
    for (const f of fileRows(pg.db)) {
      const onPg = await archivedZip(pg.db, pg.config, f.statementPk);
      const onLite = await archivedZip(lite.db, lite.config, f.statementPk);
      expect(onPg.name).toBe(onLite.name);
      expect(onPg.bytes.equals(onLite.bytes), f.zipPath).toBe(true);
      expect(onPg.repaired).toBe(false);
    }
    expect(auditOf(pg.db, 'archive-repaired')).toEqual([]);
  });

  it('on PostgreSQL, rebuilds a damaged or lost zip from the frozen lines, puts it back and audits it', async () => {
    const [damaged, lost] = fileRows(pg.db);
    const expected = [pgBytes(pg.db, damaged!.filePk)!, pgBytes(pg.db, lost!.filePk)!];
    connection(pg.db)
      .prepare('UPDATE archived_zips SET bytes = ? WHERE file_pk = ?')
      .run(Buffer.from('PK garbage'), damaged!.filePk);
    connection(pg.db).prepare('DELETE FROM archived_zips WHERE file_pk = ?').run(lost!.filePk);

    const a = await archivedZip(pg.db, pg.config, damaged!.statementPk);
    const b = await archivedZip(pg.db, pg.config, lost!.statementPk);
    expect(a.repaired).toBe(true);
    expect(b.repaired).toBe(true);
    expect(a.bytes.equals(expected[0]!)).toBe(true);
    expect(b.bytes.equals(expected[1]!)).toBe(true);
    // Put back: read again as they are, without a repair.
    expect(pgBytes(pg.db, damaged!.filePk)!.equals(expected[0]!)).toBe(true);
    expect(pgBytes(pg.db, lost!.filePk)!.equals(expected[1]!)).toBe(true);
    expect((await archivedZip(pg.db, pg.config, damaged!.statementPk)).repaired).toBe(false);
    expect(auditOf(pg.db, 'archive-repaired').map((e) => e.detail)).toEqual([
      { billingMonth: '2026-10', zip: damaged!.zipPath, was: 'damaged' },
      { billingMonth: '2026-10', zip: lost!.zipPath, was: 'missing' },
    ]);
  });

  it('on PostgreSQL, refuses a zip whose recorded SHA-256 the rebuild cannot give, and changes nothing', async () => {
    const f = fileRows(pg.db)[2]!;
    const before = pgBytes(pg.db, f.filePk)!;
    connection(pg.db).prepare('UPDATE archived_zips SET bytes = ? WHERE file_pk = ?').run(Buffer.from('x'), f.filePk);
    connection(pg.db).prepare("UPDATE statement_files SET sha256 = 'ff' WHERE file_pk = ?").run(f.filePk);
    try {
      await expect(archivedZip(pg.db, pg.config, f.statementPk)).rejects.toThrow(
        /does not match its recorded SHA-256, and the rebuild/,
      );
      expect(pgBytes(pg.db, f.filePk)).toEqual(Buffer.from('x'));
    } finally {
      connection(pg.db).prepare('UPDATE statement_files SET sha256 = ? WHERE file_pk = ?').run(f.sha256, f.filePk);
      connection(pg.db).prepare('UPDATE archived_zips SET bytes = ? WHERE file_pk = ?').run(before, f.filePk);
    }
  });

  it('on PostgreSQL, keeps a zip with its record only, all or nothing: a statement recorded keeps its bytes', () => {
    const f = fileRows(pg.db)[3]!;
    const before = pgBytes(pg.db, f.filePk)!;
    const count = (): unknown => connection(pg.db).prepare('SELECT COUNT(*) FROM archived_zips').pluck().get();
    const other = Buffer.from('other bytes');
    const again = { statementPk: f.statementPk, name: f.zipName, relative: f.zipPath, sha256: f.sha256, bytes: 11 };
    recordStatementFiles(pg.db, [{ ...again, content: other }], NOW().toISOString());
    expect(pgBytes(pg.db, f.filePk)!.equals(before)).toBe(true);
    // A record deleted takes its bytes with it; recorded again in a batch that cannot be recorded
    // whole, neither the record nor the bytes are kept; recorded alone, both are.
    connection(pg.db).prepare('DELETE FROM statement_files WHERE file_pk = ?').run(f.filePk);
    expect(count()).toBe(4);
    const unknown = { ...again, statementPk: 999_999, relative: 'statements/202610/x.zip', content: other };
    const batch = [{ ...again, bytes: f.bytes, content: before }, unknown];
    expect(() => recordStatementFiles(pg.db, batch, NOW().toISOString())).toThrow();
    expect(count()).toBe(4);
    expect(fileRows(pg.db)).toHaveLength(4);
    recordStatementFiles(pg.db, batch.slice(0, 1), NOW().toISOString());
    expect(count()).toBe(5);
    const back = fileRows(pg.db).find((r) => r.statementPk === f.statementPk)!;
    expect(withoutKey(back)).toEqual(withoutKey(f));
    expect(pgBytes(pg.db, back.filePk)!.equals(before)).toBe(true);
  });

  it('prunes on both engines alike: the bytes deleted, the records kept and marked, a pruned zip rebuilt on demand', async () => {
    const prune = (s: Side, at: string): number => pruneFiles(jobContext(s.db, s.config, { now: NOW }), new Date(at));
    for (const s of [lite, pg]) {
      expect(prune(s, '2028-10-15T00:00:00Z')).toBe(0);
      expect(prune(s, '2028-11-15T00:00:00Z')).toBe(5);
      expect(prune(s, '2028-11-15T00:00:00Z')).toBe(0);
    }
    expect(fileRows(pg.db).map(withoutKey)).toEqual(fileRows(lite.db).map(withoutKey));
    expect(fileRows(pg.db).every((f) => f.prunedAt === NOW().toISOString())).toBe(true);
    expect(connection(pg.db).prepare('SELECT COUNT(*) FROM archived_zips').pluck().get()).toBe(0);
    expect(fs.readdirSync(path.join(lite.dir, 'statements/202610'))).toEqual([]);
    // A pruned zip is rebuilt from the frozen lines when asked for, and not kept again.
    for (const f of fileRows(pg.db)) {
      const z = await archivedZip(pg.db, pg.config, f.statementPk);
      expect(z.repaired).toBe(false);
      expect(sha256(z.bytes)).toBe(f.sha256);
    }
    expect(connection(pg.db).prepare('SELECT COUNT(*) FROM archived_zips').pluck().get()).toBe(0);
  });
});
