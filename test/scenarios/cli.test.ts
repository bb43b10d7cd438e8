import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, hasStackTrace, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';
import { latestVersion } from '../../src/store/migrations/index.ts';
import { connection } from '../../src/store/db.ts';
import { withStoreEngine } from '../helpers/store-engine.ts';

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-cli-');
});
afterAll(() => work.cleanup());

/** A fresh data dir for one test. */
function dataDir(name: string): string {
  return path.join(work.dir, name);
}
function write(name: string, text: string): string {
  const file = path.join(work.dir, name);
  fs.writeFileSync(file, text);
  return file;
}
async function counts(env: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await runCli(['status', '--json'], env);
  expect(r.code).toBe(0);
  const { tenantList: _t, dataDir: _d, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
  return rest;
}

describe('usage-charges command line', () => {
  it('--help lists the verbs that work and exits 0', () => {
    // The real program (a child process): its exit code 0 as the shell sees it.
    const r = cli(['--help'], { DATA_DIR: dataDir('help') });
    expect(r.code).toBe(0);
    for (const verb of ['import', 'seed-demo', 'status']) expect(r.stdout).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
    expect(r.stdout).toContain(
      'Exit codes: 0 ok, 1 failure, 2 bad input or usage, 3 a pass delivered nothing (every mail due was deferred).',
    );
    expect(fs.existsSync(dataDir('help'))).toBe(false);
  });

  it.each(['import', 'seed-demo', 'status'])('%s --help describes the verb and exits 0', async (verb) => {
    const r = await runCli([verb, '--help'], { DATA_DIR: dataDir('help') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: usage-charges ${verb}`);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['import', 'tenants'], /missing required argument 'file'/],
    [
      ['import', 'invoices', 'x.csv'],
      /unknown kind "invoices" \(one of tenants, contacts, lplatforms, catalog, usage, coupons, coupon-offers, adjustments\)/,
    ],
    [['status', '--tenants', 'many'], /--tenants: "many" must be a whole number/],
    [['seed-demo', '--as-of', '2026-11-01'], /--as-of: "2026-11-01" is not an ISO 8601 instant with a time zone/],
  ])('usage error %j exits 2 with a message and no stack trace', async (args, message) => {
    const r = await runCli(args, { DATA_DIR: dataDir('usage-errors') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('a bad setting exits 2 naming it, before touching the store', async () => {
    const r = await runCli(['status'], { DATA_DIR: dataDir('bad-setting'), BILLING_TZ: 'Atlantis/Capital' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'configuration: BILLING_TZ="Atlantis/Capital" (from environment): is not an IANA time zone',
    );
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(fs.existsSync(dataDir('bad-setting'))).toBe(false);
  });

  it('a file that does not exist exits 2', async () => {
    const r = await runCli(['import', 'tenants', path.join(work.dir, 'missing.csv')], { DATA_DIR: dataDir('missing') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.csv: cannot be read \(ENOENT\)/);
  });

  it('--as-adjustment with a kind other than usage exits 2', async () => {
    const file = write('adjust-tenants.csv', 'tenant_name,display_name,cutoff_day\nT1,One,31\n');
    const r = await runCli(['import', 'tenants', file, '--as-adjustment'], { DATA_DIR: dataDir('adjust') });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --as-adjustment: only for kind usage, not tenants\n');
  });

  it('imports a valid file, then reports the same file as unchanged', async () => {
    const env = { DATA_DIR: dataDir('valid') };
    const file = write('tenants-ok.csv', 'tenant_name,display_name,cutoff_day\nT1,Tenant One,31\nT2,Tenant Two,15\n');
    const first = await runCli(['import', 'tenants', file], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('tenants: tenants-ok.csv: 2 rows: 2 added, 0 updated, 0 unchanged\n');
    const again = await runCli(['import', 'tenants', file], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('tenants: tenants-ok.csv: 2 rows: 0 added, 0 updated, 2 unchanged\n');
  });

  it('refuses a malformed usage file with its line number, exit 2, and no change to the store', async () => {
    const env = { DATA_DIR: dataDir('malformed') };
    expect((await runCli(['seed-demo', '--as-of', '2026-11-05T00:00:00Z'], env)).code).toBe(0);
    const before = await counts(env);
    const header = 'record_id,tenant_name,lplatform_id,resource_id,resource_kind,product_id,time_kind,start_at,end_at';
    const good = (n: number): string =>
      `m-${n},manual-tenant,manual-tenant-jp1,extra-srv-${n},virtual_server,EC-CMP-1C4G,operating,2026-10-10T00:00:00Z,2026-10-10T01:00:00Z`;
    const file = write(
      'usage-bad.csv',
      [
        header,
        good(1),
        good(2),
        good(3),
        'm-4,manual-tenant,manual-tenant-jp1,x,virtual_server,EC-CMP-1C4G,operating,2026-10-10T05:00:00Z,2026-10-10T04:00:00Z',
        '',
      ].join('\n'),
    );
    const r = await runCli(['import', 'usage', file], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage-bad.csv: refused, 1 problem; nothing was imported');
    expect(r.stderr).toMatch(/usage-bad\.csv:5: end_at: must be after start_at/);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(await counts(env)).toEqual(before);
  });

  it('seed-demo fills an empty data dir; again it changes nothing; --if-empty skips', async () => {
    const env = { DATA_DIR: dataDir('demo') };
    const first = await runCli(['seed-demo', '--as-of', '2026-11-02T00:00:00Z'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('seed-demo: demo usage in 2026-10 (billing time zone UTC)');
    const after = await counts(env);
    expect(after.tenants).toBeGreaterThanOrEqual(5);
    expect(after.usageRecords).toBeGreaterThan(0);
    const again = await runCli(['seed-demo', '--as-of', '2026-11-02T00:00:00Z'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/[1-9]\d* added/);
    expect(await counts(env)).toEqual(after);
    const skip = await runCli(['seed-demo', '--if-empty'], env);
    expect(skip.code).toBe(0);
    expect(skip.stdout).toContain('already holds tenants; nothing loaded');
    const other = await runCli(['seed-demo', '--as-of', '2027-03-02T00:00:00Z'], env);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('already holds the demo for 2026-10');
  });

  it('status shows the store', async () => {
    const env = { DATA_DIR: dataDir('demo') };
    const r = await runCli(['status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(schema version ${latestVersion})`);
    expect(r.stdout).toMatch(/^TNT00001 +tenant01 +31 +ja +JPY/m);
  });
});

describe('a store locked by another process', () => {
  it('an import waits for the lock, then fails with a clear message, exit 1, and changes nothing', async () => {
    const { openStoreOf } = await import('../helpers/store-engine.ts');
    const env = { DATA_DIR: dataDir('locked') };
    expect(
      (
        await runCli(
          ['import', 'tenants', write('t-locked.csv', 'tenant_name,display_name,cutoff_day\nT1,One,31\n')],
          env,
        )
      ).code,
    ).toBe(0);
    // SQLite's write lock, or the store's write lock on PostgreSQL (BEGIN IMMEDIATE takes it there too).
    const holder = openStoreOf(env.DATA_DIR);
    connection(holder).exec('BEGIN IMMEDIATE');
    try {
      const r = await runCli(
        ['import', 'tenants', write('t-locked2.csv', 'tenant_name,display_name,cutoff_day\nT2,Two,31\n')],
        env,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'the store is busy: another usage-charges process is writing to it; nothing was changed',
      );
      expect(hasStackTrace(r.stderr)).toBe(false);
    } finally {
      connection(holder).exec('ROLLBACK');
      connection(holder).close();
    }
    const names = JSON.parse((await runCli(['status', '--json'], env)).stdout).tenantList.map(
      (t: { tenant_name: string }) => t.tenant_name,
    );
    expect(names).toEqual(['T1']);
  });
});

describe('start-up edge cases', () => {
  it('no verb at all prints the help and exits 2', () => {
    // The real program (a child process): its exit code 2 as the shell sees it.
    const r = cli([], { DATA_DIR: dataDir('no-verb') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: usage-charges');
  });

  it('a DATA_DIR that is a file exits 2 naming it', async () => {
    const file = write('not-a-folder', 'x');
    const r = await runCli(['status'], { DATA_DIR: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATA_DIR:');
    expect(r.stderr).toContain('exists and is not a folder');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('processes creating a new store at once all succeed and migrate it once', async () => {
    const { spawn } = await import('node:child_process');
    const { ROOT } = await import('../helpers/cli.ts');
    for (let round = 0; round < 3; round++) {
      const env = withStoreEngine({ PATH: process.env.PATH ?? '', DATA_DIR: dataDir(`race-${round}`) });
      const run = (): Promise<{ code: number | null; stderr: string }> =>
        new Promise((resolve) => {
          // (import creates the store; status only reads one that exists)
          const child = spawn(
            process.execPath,
            [path.join(ROOT, 'bin/usage-charges.js'), 'import', 'tenants', 'data/demo/tenants.csv'],
            { cwd: ROOT, env },
          );
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (code) => resolve({ code, stderr }));
        });
      const results = await Promise.all([run(), run(), run()]);
      for (const r of results) expect(r).toEqual({ code: 0, stderr: '' });
      const versions = JSON.parse((await runCli(['status', '--json'], env)).stdout).schemaVersion;
      expect(versions).toBe(latestVersion);
    }
  });

  it('a reader that goes away early is not an error', async () => {
    const { spawn } = await import('node:child_process');
    const { ROOT } = await import('../helpers/cli.ts');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/usage-charges.js'), '--help'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir('epipe') },
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
