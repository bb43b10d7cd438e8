/**
 * The benchmark (`npm run bench`): a small run exits 0, reports every stage with its counts and
 * ends with the ratio line; the synthetic cloud is a deterministic function of the seed and its
 * usage lies in each tenant's first billing period. No timing is asserted.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AS_OF,
  FILE_KINDS,
  REFERENCE_MONTH,
  generateCloud,
  writeCloud,
  type CloudOptions,
} from '../../bench/generate.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

/** The `tsx` of `"bench": "tsx bench/run.ts"`, run with this node. */
const TSX_CLI = createRequire(import.meta.url).resolve('tsx/cli');
const SMALL: CloudOptions = { tenants: 50, lplatforms: 5, servers: 2, seed: 1, bigTenant: false };

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-bench-');
});
afterAll(() => work.cleanup());

/** A file's bytes as their SHA-256 (byte-identical files, compared quickly and shown briefly). */
function digest(bytes: string | Buffer): string {
  return createHash('sha256')
    .update(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes)
    .digest('hex');
}

/** The rows of a generated CSV file as objects keyed by its header. */
function rowsOf(text: string): Record<string, string>[] {
  return parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

describe('npm run bench', () => {
  it('runs a small cloud: exit 0, every stage in the table with its counts, the ratio line last', () => {
    const json = path.join(work.dir, 'bench.json');
    const r = spawnSync(
      process.execPath,
      [
        TSX_CLI,
        'bench/run.ts',
        '--tenants',
        '50',
        '--lplatforms',
        '5',
        '--servers',
        '2',
        '--no-big-tenant',
        '--json',
        json,
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: work.dir },
        encoding: 'utf8',
        timeout: 10 * 60_000,
      },
    );
    expect(r.stderr).not.toMatch(/Error|problem/);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^ratio=\d+\.\d{2} peak_rss_mb=\d+$/);

    const { counts } = generateCloud(SMALL);
    const row = (stage: string): string => {
      const found = lines.find((l) => l.startsWith(`| ${stage} `));
      expect(found, `the table has a row for ${stage}`).toBeDefined();
      return found!;
    };
    const imported =
      counts.tenants + counts.contacts + counts.lplatforms + counts.catalogRows + counts.usageRecords + counts.coupons;
    expect(row('import')).toContain(
      `| ${imported.toLocaleString('en-US')} rows (${counts.usageRecords.toLocaleString('en-US')} usage)`,
    );
    expect(row('close')).toContain('| 50 tenants closed, 0 failed;');
    // 50 statements: from the 32nd on, the pass writes the zips on its files thread (all of them, handed over then).
    expect(row('files')).toContain('| 50 zips written (50 on the files thread during the close), 0 failed;');
    expect(counts.activeContacts).toBeGreaterThan(50);
    expect(row('delivery')).toContain(
      `| ${counts.activeContacts} messages delivered of ${counts.activeContacts}, 0 failed`,
    );
    expect(row('limit a: read usage')).toContain(`| ${counts.usageRecords.toLocaleString('en-US')} usage rows`);
    expect(row('limit b: deflate')).toMatch(/\| [\d,]+ CSV files of 50 zips,/);
    expect(r.stdout).not.toMatch(/^problem:/m);
    expect(r.stdout).not.toMatch(/big tenant/);

    const figures = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      ratio: number;
      peakRssMb: number;
      close: { tenants: number };
      files: { zips: number; threaded: number };
      delivery: { messages: number };
      problems: string[];
    };
    expect(figures.close.tenants).toBe(50);
    expect(figures.files).toMatchObject({ zips: 50, threaded: 50 });
    expect(figures.delivery.messages).toBe(counts.activeContacts);
    expect(figures.problems).toEqual([]);
    expect(lines.at(-1)).toBe(`ratio=${figures.ratio.toFixed(2)} peak_rss_mb=${figures.peakRssMb}`);
    // The temporary folder is removed at the end (no --keep).
    expect(fs.readdirSync(work.dir).filter((n) => n.startsWith('usage-charges-bench-'))).toEqual([]);
  });

  it('with --engine postgres --workers 2: the same cloud on PostgreSQL too, the engines side by side, the ratio line still last', () => {
    const json = path.join(work.dir, 'bench-postgres.json');
    const tiny: CloudOptions = { tenants: 12, lplatforms: 1, servers: 1, seed: 1, bigTenant: false };
    const r = spawnSync(
      process.execPath,
      [
        TSX_CLI,
        'bench/run.ts',
        '--tenants',
        String(tiny.tenants),
        '--lplatforms',
        '1',
        '--servers',
        '1',
        '--no-big-tenant',
        '--engine',
        'postgres',
        '--workers',
        '2',
        '--json',
        json,
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          TMPDIR: work.dir,
          // The test run's cluster: a database is made in it for the run, and dropped after.
          BENCH_DATABASE_URL: `postgresql:///postgres?host=${encodeURIComponent(process.env.TEST_PG_HOST ?? '')}&user=${process.env.TEST_PG_USER ?? 'uc'}`,
        },
        encoding: 'utf8',
        timeout: 10 * 60_000,
      },
    );
    expect(r.stderr).not.toMatch(/Error|problem/);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^ratio=\d+\.\d{2} peak_rss_mb=\d+$/);
    expect(lines.find((l) => l.startsWith('| close '))).toContain(`| ${tiny.tenants} tenants closed, 0 failed;`);
    const engines = lines.filter((l) => /^\| (sqlite|postgres) /.test(l));
    expect(engines).toHaveLength(2);
    expect(engines[0]).toMatch(/^\| sqlite +\| +1 \|.*\| +- \| +\d+ MB \|$/);
    expect(engines[1]).toMatch(/^\| postgres +\| +2 \|.*\| [\d.]+ s, \d+ held \| +\d+ MB \|$/);
    expect(lines.filter((l) => /^ {2}worker \d: /.test(l))).toHaveLength(2);

    const { counts } = generateCloud(tiny);
    const figures = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      problems: string[];
      engines: { engine: string; workers: number }[];
      postgres: {
        workers: number;
        import: { rows: number };
        close: { count: number };
        files: { count: number };
        delivery: { count: number };
        perWorker: { closed: number; messages: number; peakRssMb: number }[];
      }[];
    };
    expect(figures.problems).toEqual([]);
    expect(figures.engines.map((e) => `${e.engine} ${e.workers}`)).toEqual(['sqlite 1', 'postgres 2']);
    const [run] = figures.postgres;
    expect(run).toMatchObject({
      workers: 2,
      close: { count: counts.tenants },
      files: { count: counts.tenants },
      delivery: { count: counts.activeContacts },
    });
    expect(run!.perWorker).toHaveLength(2);
    expect(run!.perWorker.reduce((s, w) => s + w.closed, 0)).toBe(counts.tenants);
    expect(run!.perWorker.reduce((s, w) => s + w.messages, 0)).toBe(counts.activeContacts);
    expect(fs.readdirSync(work.dir).filter((n) => n.startsWith('usage-charges-bench-'))).toEqual([]);
  });

  it('refuses a missing size with exit 1 and a message', () => {
    const r = spawnSync(process.execPath, [TSX_CLI, 'bench/run.ts', '--tenants', '5'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/required option '--lplatforms <m>' not specified/);
  });

  it('refuses --workers without --engine postgres, and a list that is not whole numbers', () => {
    const bench = (...args: string[]): SpawnSyncReturns<string> =>
      spawnSync(
        process.execPath,
        [TSX_CLI, 'bench/run.ts', '--tenants', '5', '--lplatforms', '1', '--servers', '1', ...args],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 10 * 60_000,
        },
      );
    const alone = bench('--workers', '2');
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toMatch(/'--workers' is for --engine postgres/);
    const bad = bench('--engine', 'postgres', '--workers', '1,x');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--workers <n,...>.*must be a whole number of at least 1/);
  });
});

describe('generateCloud', () => {
  it('gives byte-identical files for the same seed, and writeCloud writes the same bytes', () => {
    const a = generateCloud(SMALL);
    const b = generateCloud(SMALL);
    for (const kind of FILE_KINDS) expect(digest(b.files[kind]), kind).toBe(digest(a.files[kind]));
    expect(a.counts).toEqual(b.counts);
    const written = writeCloud(SMALL, path.join(work.dir, 'written'));
    for (const kind of FILE_KINDS)
      expect(digest(fs.readFileSync(written.paths[kind])), kind).toBe(digest(a.files[kind]));
    expect(written.counts).toEqual(a.counts);
  });

  it('gives other usage for another seed, and the same tenant whatever the number of tenants', () => {
    const a = generateCloud(SMALL);
    expect(generateCloud({ ...SMALL, seed: 2 }).files.usage).not.toBe(a.files.usage);
    const fewer = generateCloud({ ...SMALL, tenants: 10 });
    const tenant = (text: string, name: string): string =>
      text
        .split('\n')
        .filter((l) => l.includes(`${name}-`) || l.startsWith(`${name},`))
        .join('\n');
    expect(tenant(fewer.files.usage, 'BT000007')).toBe(tenant(a.files.usage, 'BT000007'));
    expect(tenant(fewer.files.tenants, 'BT000007')).toBe(tenant(a.files.tenants, 'BT000007'));
  });

  it("counts what it writes, and puts every usage record inside its tenant's first period", () => {
    const { files, counts } = generateCloud({ ...SMALL, tenants: 300, bigTenant: true });
    const tenants = rowsOf(files.tenants);
    const contacts = rowsOf(files.contacts);
    const lplatforms = rowsOf(files.lplatforms);
    const usage = rowsOf(files.usage);
    expect(tenants).toHaveLength(counts.tenants);
    expect(tenants).toHaveLength(301);
    expect(contacts.filter((c) => c.active === 'true')).toHaveLength(counts.activeContacts);
    expect(lplatforms).toHaveLength(counts.lplatforms);
    expect(usage).toHaveLength(counts.usageRecords);
    expect(new Set(usage.map((u) => u.record_id)).size).toBe(usage.length);
    expect(counts.deletedTenants).toBeGreaterThan(0);
    expect(counts.returnedLplatforms).toBeGreaterThan(0);
    expect(new Set(tenants.map((t) => t.cutoff_day)).size).toBeGreaterThan(20);
    expect(lplatforms.filter((l) => l.tenant_name === 'BIGTENANT')).toHaveLength(200);

    const [y, m] = REFERENCE_MONTH.split('-').map(Number) as [number, number];
    const monthStart = Date.UTC(y, m - 1, 1);
    const byName = new Map(tenants.map((t) => [t.tenant_name!, t]));
    const returned = new Map(lplatforms.map((l) => [l.lplatform_id!, l.returned_at!]));
    for (const u of usage) {
      const t = byName.get(u.tenant_name!)!;
      const start = Date.parse(u.start_at!);
      const end = Date.parse(u.end_at!);
      // From the 1st to the end of the cut-off day (UTC billing days), before the as-of.
      const periodEnd = Date.UTC(y, m - 1, Number(t.cutoff_day) + 1);
      expect(start).toBeGreaterThanOrEqual(monthStart);
      expect(end).toBeGreaterThan(start);
      expect(end).toBeLessThanOrEqual(Math.min(periodEnd, Date.parse(AS_OF)));
      if (t.deleted_at !== '') expect(start).toBeLessThan(Date.parse(t.deleted_at!));
      const r = returned.get(u.lplatform_id!)!;
      if (r !== '') expect(start).toBeLessThan(Date.parse(r));
    }
  });
});
