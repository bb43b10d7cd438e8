/** `usage-charges run`: the demo cloud closes once, each tenant's month reported; a second run closes nothing. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

const AS_OF = '2026-11-03T00:00:00Z';
const DEMO_TENANTS = ['TNT00001', 'manual-tenant', 'TNT00003', 'TNT00004', 'TNT00005'];

let work: { dir: string; cleanup: () => void };
let env: Record<string, string>;
beforeAll(() => {
  work = tempDir('uc-run-');
  env = { DATA_DIR: path.join(work.dir, 'data'), BILLING_TZ: 'UTC', LOG_LEVEL: 'error' };
});
afterAll(() => work.cleanup());

describe('usage-charges run', () => {
  it('closes the five demo tenants for 2026-10, then closes nothing on a second run', async () => {
    const seed = await runCli(['seed-demo', '--as-of', AS_OF], env);
    expect(seed.stderr).toBe('');
    expect(seed.code).toBe(0);
    expect(seed.stdout).toContain('seed-demo: demo usage in 2026-10');

    const first = await runCli(['run', '--verbose', '--as-of', AS_OF], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trimEnd().split('\n');
    // The summary line may go on (files written, ...); the close half is its first part.
    expect(lines[0]).toMatch(/^run as of 2026-11-03T00:00:00\.000Z: 5 statements closed, 0 failed to close;/);
    const closed = lines.filter((l) => l.startsWith('  closed '));
    expect(closed).toHaveLength(5);
    for (const line of closed) expect(line).toMatch(/^ {2}closed \S+ 2026-10: total -?\d+(\.\d+)? (JPY|USD|EUR|SGD)$/);
    expect(closed.map((l) => l.split(' ')[3]).sort()).toEqual([...DEMO_TENANTS].sort());
    // The SGD tenant is reported in its currency, the others in yen without decimals.
    expect(closed.find((l) => l.includes(' TNT00004 '))).toMatch(/ SGD$/);
    for (const t of DEMO_TENANTS.filter((x) => x !== 'TNT00004'))
      expect(closed.find((l) => l.includes(` ${t} `))).toMatch(/: total \d+ JPY$/);

    const second = await runCli(['run', '--verbose', '--as-of', AS_OF], env);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(/^run as of 2026-11-03T00:00:00\.000Z: 0 statements closed, 0 failed to close;/);
    expect(second.stdout).not.toMatch(/^ {2}closed /m);
    expect(hasStackTrace(first.stdout + second.stdout)).toBe(false);
  });

  it('a bad --as-of exits 2 with a message and no stack trace', async () => {
    const r = await runCli(['run', '--as-of', '2026-11-03'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--as-of: "2026-11-03" is not an ISO 8601 instant with a time zone/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});

describe('usage-charges run with a tenant that cannot be closed', () => {
  it('closes the others, reports the failure and exits 1; closes it once the catalog is fixed', async () => {
    const fs = await import('node:fs');
    const envF = { DATA_DIR: path.join(work.dir, 'failing'), BILLING_TZ: 'UTC', LOG_LEVEL: 'error' };
    expect((await runCli(['seed-demo', '--as-of', AS_OF], envF)).code).toBe(0);
    const write = (name: string, text: string): string => {
      const f = path.join(work.dir, name);
      fs.writeFileSync(f, text);
      return f;
    };
    const head = 'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name';
    expect(
      (
        await runCli(
          [
            'import',
            'catalog',
            write('late.csv', `${head}\nLATE,0,2027-01-01T00:00:00Z,other,late,minute,1,Late product\n`),
          ],
          envF,
        )
      ).code,
    ).toBe(0);
    const usage =
      'record_id,tenant_name,lplatform_id,resource_id,resource_kind,product_id,time_kind,start_at,end_at\n' +
      'late-1,TNT00005,TNT00005-LPlatform01,x1,other,LATE,deployed,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z\n';
    expect((await runCli(['import', 'usage', write('late-usage.csv', usage)], envF)).code).toBe(0);
    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], envF);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/4 statements closed, 1 failed/);
    expect(r.stderr).toContain(
      'failed to close TNT00005 2026-10: product LATE has no price in force at 2026-10-01T00:00:00.000Z',
    );
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(
      (
        await runCli(
          [
            'import',
            'catalog',
            write('late2.csv', `${head}\nLATE,1,2020-01-01T00:00:00Z,other,late,minute,1,Late product\n`),
          ],
          envF,
        )
      ).code,
    ).toBe(0);
    const again = await runCli(['run', '--verbose', '--as-of', AS_OF], envF);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/1 statement closed, 0 failed/);
  });
});
