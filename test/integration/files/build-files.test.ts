/** Statement files from frozen lines: written once, archived with their SHA-256, rebuilt to the same bytes. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildFiles, pruneFiles, zipOf } from '../../../jobs/build-files.ts';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { seedDemo } from '../../../src/ingest/demo.ts';
import type { ChargeLine } from '../../../src/rating/types.ts';
import { loadStatementView } from '../../../src/store/billing.ts';
import type { StatementView } from '../../../src/statements/view.ts';
import { tempStore } from '../../helpers/store.ts';
import { archivedBytes, archivedNames } from '../../helpers/archive.ts';
import { connection, storeEngine } from '../../../src/store/db.ts';

let store: ReturnType<typeof tempStore>;
let config: Config;
const AS_OF = new Date('2026-11-03T00:00:00Z');
const NOW = () => new Date('2026-11-03T00:05:00Z');

beforeEach(async () => {
  store = tempStore();
  config = loadConfig({ env: { DATA_DIR: store.dir, CSV_ENCODING: 'utf8' }, cwd: store.dir });
  await seedDemo(
    store.db,
    { now: '2026-11-02T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' },
    AS_OF,
    'UTC',
  );
  closeDue(jobContext(store.db, config, { now: NOW }), { asOf: AS_OF });
});
afterEach(() => store.close());

/** The entry names of a zip, in order. */
function entries(bytes: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.readEntry();
    });
  });
}

/**
 * A demo statement just closed as the earlier versions froze it: no file layout (layout 1) and the
 * notes of its free links and allowances in the former words ("free: …" and "per tenant"; the demo
 * has one L-Platform per tenant, so the amounts are the same).
 */
function frozenAsBefore(view: StatementView): StatementView {
  const { layout: _layout, ...files } = view.files!;
  const formerly = (l: ChargeLine): ChargeLine =>
    l.kind === 'free_link' || l.kind === 'allowance'
      ? { ...l, note: l.note.replace(/^free link: /, 'free: ').replace(/ per L-Platform$/, ' per tenant') }
      : l;
  const tree = {
    ...view.tree,
    lplatforms: view.tree.lplatforms.map((lp) => ({
      ...lp,
      lines: lp.lines.map(formerly),
      resources: lp.resources.map((r) => ({ ...r, lines: r.lines.map(formerly) })),
    })),
  };
  return { ...view, files, tree };
}

describe('statement files', () => {
  it('writes one zip per fixed statement, records its SHA-256, and writes nothing twice', async () => {
    const first = await buildFiles(jobContext(store.db, config, { now: NOW }));
    expect(first.failed).toEqual([]);
    expect(first.written.map((w) => w.zip).sort()).toEqual([
      'statements/202610/202610_TNT00001_20261028.zip',
      'statements/202610/202610_TNT00003.zip',
      'statements/202610/202610_TNT00004.zip',
      'statements/202610/202610_TNT00005.zip',
      'statements/202610/202610_manual-tenant.zip',
    ]);
    const rows = connection(store.db)
      .prepare('SELECT zip_path, sha256, bytes FROM statement_files ORDER BY zip_path')
      .all() as {
      zip_path: string;
      sha256: string;
      bytes: number;
    }[];
    for (const r of rows) {
      const bytes = archivedBytes(store.db, store.dir, r.zip_path);
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
      expect(bytes.length).toBe(r.bytes);
      // A file of the folder archive is the owner's only.
      if (storeEngine(store.db) === 'sqlite')
        expect(fs.statSync(path.join(store.dir, r.zip_path)).mode & 0o777).toBe(0o600);
    }
    expect((await buildFiles(jobContext(store.db, config, { now: NOW }))).written).toEqual([]);
  });

  it('the zip holds the list file and one detail file per L-Platform, sorted', async () => {
    await buildFiles(jobContext(store.db, config, { now: NOW }));
    expect(await entries(archivedBytes(store.db, store.dir, 'statements/202610/202610_TNT00001_20261028.zip'))).toEqual(
      ['202610_TNT00001-LPlatform01.csv', '202610_TNT00001-LPlatform02.csv', '202610_TNT00001_20261028.csv'],
    );
  });

  it('a rebuild from the frozen lines is the same bytes', async () => {
    await buildFiles(jobContext(store.db, config, { now: NOW }));
    const rows = connection(store.db).prepare('SELECT statement_pk, sha256 FROM statement_files').all() as {
      statement_pk: number;
      sha256: string;
    }[];
    for (const r of rows) {
      const again = zipOf(loadStatementView(store.db, r.statement_pk), config);
      expect(crypto.createHash('sha256').update(again.bytes).digest('hex')).toBe(r.sha256);
    }
  });

  it('writes the demo statements as the same bytes as the zips archived by earlier versions (test/fixtures/zip)', async () => {
    const pks = connection(store.db)
      .prepare("SELECT statement_pk FROM statements WHERE status = 'fixed'")
      .pluck()
      .all() as number[];
    expect(pks).toHaveLength(5);
    for (const pk of pks) {
      const zip = zipOf(frozenAsBefore(loadStatementView(store.db, pk)), config);
      const expected = fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/zip', zip.name));
      expect(zip.bytes.equals(expected), zip.name).toBe(true);
    }
  });

  it('prunes zips older than the retention, keeping the statements', async () => {
    await buildFiles(jobContext(store.db, config, { now: NOW }));
    expect(pruneFiles(jobContext(store.db, config), new Date('2028-10-15T00:00:00Z'))).toBe(0);
    expect(pruneFiles(jobContext(store.db, config), new Date('2028-11-15T00:00:00Z'))).toBe(5);
    expect(archivedNames(store.db, store.dir, 'statements/202610')).toEqual([]);
    expect(connection(store.db).prepare("SELECT COUNT(*) FROM statements WHERE status = 'fixed'").pluck().get()).toBe(
      5,
    );
    // A pruned zip stays pruned: the next runs neither write it again nor prune it twice.
    expect((await buildFiles(jobContext(store.db, config, { now: NOW }))).written).toEqual([]);
    expect(pruneFiles(jobContext(store.db, config), new Date('2028-11-15T00:00:00Z'))).toBe(0);
  });

  it('never writes over the archived zip of another statement', async () => {
    await buildFiles(jobContext(store.db, config, { now: NOW }));
    // Pretend another statement's file record holds the path TNT00005's zip would take.
    connection(store.db)
      .prepare("UPDATE statement_files SET zip_path = 'statements/202610/x.zip' WHERE zip_path LIKE '%TNT00005%'")
      .run();
    const pk = connection(store.db)
      .prepare("SELECT statement_pk FROM statement_files WHERE zip_path = 'statements/202610/x.zip'")
      .pluck()
      .get() as number;
    connection(store.db).prepare('DELETE FROM statement_files WHERE statement_pk = ?').run(pk);
    connection(store.db)
      .prepare(
        "UPDATE statement_files SET zip_path = 'statements/202610/202610_TNT00005.zip' WHERE zip_path LIKE '%TNT00004%'",
      )
      .run();
    const r = await buildFiles(jobContext(store.db, config, { now: NOW }));
    expect(r.written).toEqual([]);
    expect(r.failed.map((f) => f.reason)).toEqual([
      "statements/202610/202610_TNT00005.zip already holds another statement's files",
    ]);
  });
});
