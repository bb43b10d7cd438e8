/**
 * The statement-files thread (jobs/files-thread.ts): the zips of the statements a close finalizes
 * are written on a second thread while it goes on, and recorded by the main thread. Whatever the
 * thread does not do is written by the files step after the close, as the same bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildFiles, zipOf } from '../../../jobs/build-files.ts';
import { closeDue } from '../../../jobs/close.ts';
import { FilesThread } from '../../../jobs/files-thread.ts';
import { closeAndWriteFiles } from '../../../jobs/pass.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { seedDemo } from '../../../src/ingest/demo.ts';
import { loadStatementView } from '../../../src/store/billing.ts';
import { archivedBytes } from '../../helpers/archive.ts';
import { tempStore } from '../../helpers/store.ts';
import { jobContext, type JobContext } from '../../../jobs/context.ts';
import { connection } from '../../../src/store/db.ts';

let store: ReturnType<typeof tempStore>;
let config: Config;
const AS_OF = new Date('2026-11-03T00:00:00Z');
const NOW = () => new Date('2026-11-03T00:05:00Z');
const FIXTURES = path.join(import.meta.dirname, '../../fixtures');

beforeEach(async () => {
  store = tempStore();
  config = loadConfig({ env: { DATA_DIR: store.dir, CSV_ENCODING: 'utf8' }, cwd: store.dir });
  await seedDemo(
    store.db,
    { now: '2026-11-02T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' },
    AS_OF,
    'UTC',
  );
});
afterEach(() => store.close());

/** A job context over the test store: `filesThreadFrom` and `filesThreadEntry` are its files-thread knobs. */
function testJobs(parts: {
  now: () => Date;
  shouldStop: () => boolean;
  filesThreadFrom?: number;
  filesThreadEntry?: URL;
}): JobContext {
  const { filesThreadFrom, filesThreadEntry, ...rest } = parts;
  return jobContext(store.db, config, { ...rest, faults: { filesThreadFrom, filesThreadEntry } });
}

/**
 * Every recorded zip has the name of the archived fixture and the bytes the files step builds from
 * its statement's frozen lines in this thread (the fixtures hold layout-1 bytes; these statements
 * are frozen with the current layout, see build-files.test.ts for the fixtures themselves).
 */
function expectFixtureZips(): void {
  const rows = connection(store.db)
    .prepare('SELECT statement_pk, zip_path, bytes FROM statement_files ORDER BY zip_path')
    .all() as { statement_pk: number; zip_path: string; bytes: number }[];
  expect(rows.map((r) => path.basename(r.zip_path))).toEqual(fs.readdirSync(path.join(FIXTURES, 'zip')).sort());
  for (const r of rows) {
    const bytes = archivedBytes(store.db, store.dir, r.zip_path);
    expect(bytes.equals(zipOf(loadStatementView(store.db, r.statement_pk), config).bytes), r.zip_path).toBe(true);
    expect(bytes.length).toBe(r.bytes);
  }
}

describe('statement files on a second thread', () => {
  it('writes and records every zip from the thread, the same bytes as the files step', async () => {
    const r = await closeAndWriteFiles(
      testJobs({
        now: NOW,
        shouldStop: () => false,
        filesThreadFrom: 1,
      }),
      { asOf: AS_OF },
    );
    expect(r.close.closed).toHaveLength(5);
    expect(r.threaded).toBe(5);
    expect(r.files.failed).toEqual([]);
    expect(r.files.written.map((w) => w.tenant)).toEqual([
      'TNT00001',
      'TNT00003',
      'TNT00004',
      'TNT00005',
      'manual-tenant',
    ]);
    expectFixtureZips();
    // No temporary file is left beside the zips.
    expect(fs.readdirSync(path.join(store.dir, 'statements/202610')).filter((f) => !f.endsWith('.zip'))).toEqual([]);
  });

  it('a thread that dies at start: the files step writes every zip', async () => {
    const r = await closeAndWriteFiles(
      testJobs({
        now: NOW,
        shouldStop: () => false,
        filesThreadFrom: 1,
        filesThreadEntry: new URL('file://' + path.join(FIXTURES, 'workers/dies.js')),
      }),
      { asOf: AS_OF },
    );
    expect(r.threaded).toBe(0);
    expect(r.files.failed).toEqual([]);
    expect(r.files.written).toHaveLength(5);
    expectFixtureZips();
  });

  it('a thread that dies while it holds statements: what it recorded stays, the files step writes the others', async () => {
    const r = await closeAndWriteFiles(
      testJobs({
        now: NOW,
        shouldStop: () => false,
        filesThreadFrom: 1,
        filesThreadEntry: new URL('file://' + path.join(FIXTURES, 'workers/dies-after-one.js')),
      }),
      { asOf: AS_OF },
    );
    expect(r.threaded).toBeLessThan(5);
    expect(r.files.failed).toEqual([]);
    expect(r.files.written).toHaveLength(5);
    expectFixtureZips();
  });

  it('a zip the thread cannot write is reported failed once, and written by the next pass', async () => {
    // The month's folder is a file: nothing can be written under it.
    fs.mkdirSync(path.join(store.dir, 'statements'), { recursive: true });
    fs.writeFileSync(path.join(store.dir, 'statements/202610'), 'not a folder');
    const r = await closeAndWriteFiles(
      testJobs({
        now: NOW,
        shouldStop: () => false,
        filesThreadFrom: 1,
      }),
      { asOf: AS_OF },
    );
    expect(r.files.written).toEqual([]);
    expect(r.files.failed.map((f) => f.tenant)).toEqual([
      'TNT00001',
      'TNT00003',
      'TNT00004',
      'TNT00005',
      'manual-tenant',
    ]);
    expect(
      connection(store.db).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'files-failed'").pluck().get(),
    ).toBe(5);
    expect(connection(store.db).prepare('SELECT COUNT(*) FROM statement_files').pluck().get()).toBe(0);
    fs.rmSync(path.join(store.dir, 'statements/202610'));
    const again = await closeAndWriteFiles(
      testJobs({
        now: NOW,
        shouldStop: () => false,
        filesThreadFrom: 1,
      }),
      { asOf: AS_OF },
    );
    expect(again.close.closed).toEqual([]);
    expect(again.files.written).toHaveLength(5);
    expectFixtureZips();
  });

  it('below the threshold no thread starts, and the files step writes the same zips', async () => {
    const r = await closeAndWriteFiles(testJobs({ now: NOW, shouldStop: () => false }), { asOf: AS_OF });
    expect(r.threaded).toBe(0);
    expect(r.files.written).toHaveLength(5);
    expectFixtureZips();
  });

  it('a close that throws (a lost lease) ends the thread before the error goes on; the next pass writes every zip', async () => {
    const beats = path.join(store.dir, 'beats');
    process.env.USAGE_CHARGES_TEST_BEATS = beats;
    let asked = 0;
    const lost = new Error('the month-end lease was lost');
    try {
      const attempt = closeAndWriteFiles(
        testJobs({
          now: NOW,
          // Asked before each tenant: the third time, the lease is found lost.
          shouldStop: () => {
            if (++asked < 3) return false;
            // Once the thread is running (it has beaten; the close's thread may wait for it). The limit
            // only ends a hang: a busy machine may take long to start the thread.
            const until = Date.now() + 5 * 60_000;
            while (!fs.existsSync(beats) && Date.now() < until)
              Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
            throw lost;
          },
          filesThreadFrom: 1,
          filesThreadEntry: new URL('file://' + path.join(FIXTURES, 'workers/beats.js')),
        }),
        { asOf: AS_OF },
      );
      await expect(attempt).rejects.toBe(lost);
    } finally {
      delete process.env.USAGE_CHARGES_TEST_BEATS;
    }
    // The thread had started (it beat), and is gone: no beat comes any more.
    expect(fs.existsSync(beats)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const after = fs.statSync(beats).size;
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.statSync(beats).size).toBe(after);
    // Two statements were committed; nothing the thread wrote was recorded.
    expect(connection(store.db).prepare("SELECT COUNT(*) FROM statements WHERE status = 'fixed'").pluck().get()).toBe(
      2,
    );
    expect(connection(store.db).prepare('SELECT COUNT(*) FROM statement_files').pluck().get()).toBe(0);
    const again = await closeAndWriteFiles(
      testJobs({
        now: NOW,
        shouldStop: () => false,
        filesThreadFrom: 1,
      }),
      { asOf: AS_OF },
    );
    expect(again.close.closed).toHaveLength(3);
    expect(again.files.written).toHaveLength(5);
    expectFixtureZips();
  });

  it("recording the thread's zips fails during the close: every statement is still reported closed, none failed; the files step writes the zips", async () => {
    // The store refuses every file record while the close runs (as a store kept busy would).
    connection(store.db).exec(
      "CREATE TEMP TRIGGER refuse_files BEFORE INSERT ON statement_files BEGIN SELECT RAISE(ABORT, 'database is locked'); END",
    );
    const jobs = jobContext(store.db, config, { now: NOW });
    const thread = new FilesThread(jobs, { startFrom: 1, recordBatch: 1 });
    const close = closeDue(jobs, { asOf: AS_OF, onFinalized: (s) => thread.add(s) });
    const threaded = await thread.finish();
    expect(close.closed.map((c) => c.tenant).sort()).toEqual([
      'TNT00001',
      'TNT00003',
      'TNT00004',
      'TNT00005',
      'manual-tenant',
    ]);
    expect(close.failed).toEqual([]);
    expect(
      connection(store.db).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'close-failed'").pluck().get(),
    ).toBe(0);
    expect(threaded.written).toEqual([]);
    connection(store.db).exec('DROP TRIGGER refuse_files');
    const files = await buildFiles(jobs);
    expect(files.failed).toEqual([]);
    expect(files.written).toHaveLength(5);
    expectFixtureZips();
  });
});
