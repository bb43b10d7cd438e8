/**
 * `usage-charges estimate`: the demo cloud's open month rated up to the end of the previous day,
 * written as the ROR zip with the estimate's total, the store unchanged; bad input exits 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { hasStackTrace, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let env: Record<string, string>;
beforeAll(async () => {
  work = tempDir('uc-estimate-');
  env = { DATA_DIR: path.join(work.dir, 'data'), BILLING_TZ: 'UTC' };
  const seed = await runCli(['seed-demo', '--as-of', '2026-11-03T00:00:00Z'], env);
  expect(seed.code).toBe(0);
});
afterAll(() => work.cleanup());

/** The text of one entry of a zip. */
function entryText(file: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== name) return zip.readEntry();
        zip.openReadStream(e, (error, stream) => {
          if (error || !stream) return reject(error);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
        });
      });
      zip.on('end', () => reject(new Error(`${name} is not in ${file}`)));
      zip.readEntry();
    });
  });
}

/** The amount an estimate printed. */
const amountOf = (stdout: string): string => /^ {2}amount so far: (\S+) SGD$/m.exec(stdout)?.[1] ?? 'none';

describe('usage-charges estimate', () => {
  it('writes the zip of the open month so far, with the printed total, and leaves the store unchanged', async () => {
    const before = [
      await runCli(['status', '--json'], env),
      await runCli(['status', '--month', '2026-10', '--json'], env),
    ];
    for (const r of before) expect(r.code).toBe(0);

    // TNT00004 (cut-off 20, SGD): period 2026-09-21 .. 2026-10-20; its server runs 3 to 25 October.
    const r = await runCli(['estimate', '--tenant', 'TNT00004', '--as-of', '2026-10-15T12:00:00Z'], env, work.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const zip = path.join(work.dir, '202610_TNT00004_estimate.zip');
    expect(r.stdout).toBe(
      [
        'estimate of TNT00004 for 2026-10 as of 2026-10-15T12:00:00.000Z (status estimated; nothing stored or sent)',
        '  period: 2026-09-21 .. 2026-10-20 (UTC)',
        '  usage counted: 2026-09-21 .. 2026-10-14',
        `  amount so far: ${amountOf(r.stdout)} SGD`,
        `  file: ${zip} (${fs.statSync(zip).size} bytes)`,
        '',
      ].join('\n'),
    );
    const list = (await entryText(zip, '202610_TNT00004.csv')).split('\r\n');
    const tenantRow = list[1]!.split(',');
    expect(tenantRow.slice(0, 5)).toEqual(['"TNT00004"', '"Globex Singapore"', '""', '"2026-10"', amountOf(r.stdout)]);
    expect(Number(amountOf(r.stdout))).toBeGreaterThan(0);

    // Five more days of usage make a larger estimate; --out names the file.
    const out = path.join(work.dir, 'later.zip');
    const later = await runCli(
      ['estimate', '--tenant', 'TNT00004', '--as-of', '2026-10-20T12:00:00Z', '--out', out],
      env,
      work.dir,
    );
    expect(later.code).toBe(0);
    expect(later.stdout).toContain('  usage counted: 2026-09-21 .. 2026-10-19\n');
    expect(later.stdout).toContain(`  file: ${out} (`);
    expect(Number(amountOf(later.stdout))).toBeGreaterThan(Number(amountOf(r.stdout)));
    expect((await entryText(out, '202610_TNT00004.csv')).split('\r\n')[1]!.split(',')[4]).toBe(amountOf(later.stdout));

    const after = [
      await runCli(['status', '--json'], env),
      await runCli(['status', '--month', '2026-10', '--json'], env),
    ];
    expect(after.map((x) => x.stdout)).toEqual(before.map((x) => x.stdout));
    expect(fs.existsSync(path.join(env.DATA_DIR!, 'statements'))).toBe(false);
  });

  it.each(['ecl-detail', 'ecl-summary', 'ecl-tiered'])('writes the %s export with status estimated', async (format) => {
    const out = path.join(work.dir, `estimate-${format}.csv`);
    const r = await runCli(
      ['estimate', '--tenant', 'manual-tenant', '--as-of', '2026-10-20T00:00:00Z', '--format', format, '--out', out],
      env,
      work.dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain('estimated');
    expect(text).not.toContain('fixed');
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('an unknown tenant, a bad --as-of or an unknown --format exits 2 with a message and no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['estimate', '--tenant', 'nobody'], /^error: --tenant: tenant "nobody" does not exist$/m],
      [
        ['estimate', '--tenant', 'TNT00004', '--as-of', '2026-10-15'],
        /^error: --as-of: "2026-10-15" is not an ISO 8601 instant/m,
      ],
      [
        ['estimate', '--tenant', 'TNT00004', '--format', 'pdf'],
        /^error: --format: "pdf" is not a format estimate writes \(ror, ecl-detail, ecl-summary, ecl-tiered\)$/m,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env, work.dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
  });
});
