/** `usage-charges export`: the demo cloud's 2026-10 in the three ECL formats, estimated before the close and fixed after it; bad input exits 2. */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, hasStackTrace, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

const AS_OF = '2026-11-03T00:00:00Z';
const DETAIL_HEADER =
  'ChargeType,ContractId,ExternalContractId,WorkspaceId,WorkspaceName,TenantId,CalculationUnitId,Category,Subcategory,Menu,DetailedMenu,Plan,Region,Description,ResourceId,Usage,Unit,Amount,Currency,TaxClassification,TargetMonth,Status';
const SUMMARY_HEADER =
  'RowType,ContractId,ExternalContractId,WorkspaceId,WorkspaceName,TenantId,Region,Description,Amount,Currency,TargetMonth,Status';

let work: { dir: string; cleanup: () => void };
let env: Record<string, string>;
beforeAll(async () => {
  work = tempDir('uc-export-');
  // The ecl preset: manual-tenant's month is the seed 000 example (5870, tax 10 % in 2026: 587, total 6457).
  // UTF-8 exports (the default follows each tenant's encoding: test/integration/files/encoding-dates.test.ts).
  env = {
    DATA_DIR: path.join(work.dir, 'data'),
    BILLING_TZ: 'UTC',
    RATING_PRESET: 'ecl',
    LOG_LEVEL: 'error',
    CSV_ENCODING: 'utf8',
  };
  const seed = await runCli(['seed-demo', '--as-of', AS_OF], env);
  expect(seed.code).toBe(0);
});
afterAll(() => work.cleanup());

const rowsOf = (text: string): string[] => {
  expect(text.endsWith('\r\n')).toBe(true);
  return text.slice(0, -2).split('\r\n');
};
/** An export in a child process: the file's bytes on standard output (cp932 stays cp932, lines end in CRLF) are the point. */
const exportOf = (...args: string[]) => cli(['export', ...args], env);
/** An export that writes a file (--out) or is refused, run in this process. */
const exportRun = (...args: string[]) => runCli(['export', ...args], env);

describe('usage-charges export', () => {
  it('estimates a month that is not finalized yet, storing nothing', async () => {
    const r = exportOf('--format', 'ecl-summary', '--month', '2026-10', '--tenant', 'manual-tenant');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(rowsOf(r.stdout)).toEqual([
      SUMMARY_HEADER,
      '"workspace","manual-tenant","manual-tenant","manual-tenant-jp1","manual-tenant jp1","manual-tenant-jp1","jp1","",5870,"JPY","2026-10","estimated"',
      '"tax","manual-tenant","manual-tenant","","","","","税区分:合算 消費税率:10%",587,"JPY","2026-10","estimated"',
      '"total","manual-tenant","manual-tenant","","","","","",6457,"JPY","2026-10","estimated"',
    ]);
    const status = await runCli(['status', '--month', '2026-10', '--json'], env);
    expect(
      (JSON.parse(status.stdout) as { statements: { status: string | null }[] }).statements.every(
        (s) => s.status === null,
      ),
    ).toBe(true);
  });

  it('after the close, writes each format for 2026-10 from the frozen statements, status fixed', async () => {
    const run = await runCli(['run', '--as-of', AS_OF], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const detail = exportOf('--format', 'ecl-detail', '--month', '2026-10');
    expect(detail.stderr).toBe('');
    expect(detail.code).toBe(0);
    const rows = rowsOf(detail.stdout);
    expect(rows[0]).toBe(DETAIL_HEADER);
    expect(rows.filter((r) => r === DETAIL_HEADER)).toHaveLength(1);
    expect(rows.slice(1).every((r) => r.endsWith(',"2026-10","fixed"'))).toBe(true);
    const manual = rows.filter((r) => r.includes('"manual-tenant-jp1"') || r.startsWith('"tax","manual-tenant"'));
    expect(manual.map((r) => r.split(',')[0])).toEqual([
      '"usage"',
      '"usage"',
      '"fee"',
      '"usage"',
      '"usage"',
      '"usage"',
      '"allowance"',
      '"tax"',
    ]);
    expect(manual).toContain(
      '"usage","manual-tenant","manual-tenant","manual-tenant-jp1","manual-tenant jp1","manual-tenant-jp1","EC-CMP-1C4G","Enterprise Cloud 2.0","Virtual Server","Compute","Running","Flavor (1CPU-4GB)","jp1","Virtual Server / Compute","srv-0001",3739,"min",649.135268,"JPY","total","2026-10","fixed"',
    );
    expect(manual.at(-1)).toBe(
      '"tax","manual-tenant","manual-tenant","","","","","","","","","","","消費税相当額 税区分:合算 消費税率:10%","",5870,"JPY",587,"JPY","total","2026-10","fixed"',
    );

    const summary = exportOf('--format', 'ecl-summary', '--month', '2026-10');
    expect(summary.code).toBe(0);
    const srows = rowsOf(summary.stdout);
    expect(srows[0]).toBe(SUMMARY_HEADER);
    expect(srows.filter((r) => r.startsWith('"total",')).map((r) => r.split(',')[1])).toEqual([
      '"TNT00001"',
      '"TNT00003"',
      '"TNT00004"',
      '"TNT00005"',
      '"manual-tenant"',
    ]);
    expect(srows).toContain('"total","manual-tenant","manual-tenant","","","","","",6457,"JPY","2026-10","fixed"');

    const out = path.join(work.dir, 'tiered.csv');
    const tiered = await exportRun('--format', 'ecl-tiered', '--month', '2026-10', '--out', out);
    expect(tiered.stderr).toBe('');
    expect(tiered.code).toBe(0);
    expect(tiered.stdout).toMatch(
      /^export ecl-tiered 2026-10: 5 statement\(s\), 5 fixed, 0 estimated; wrote .*tiered\.csv \(\d+ bytes\)$/m,
    );
    const lines = rowsOf(fs.readFileSync(out, 'utf8'));
    expect(lines.filter((l) => l.startsWith('1,1,"Billing Month","2026-10"'))).toHaveLength(5);
    expect(lines.filter((l) => /^\d+,4,"Billing Status","fixed"/.test(l))).toHaveLength(5);
    const start = lines.indexOf('2,5,"Contract Identifier","manual-tenant","manual-tenant","",""') - 1;
    const block = lines.slice(start, start + 29);
    expect(block.slice(3, 25)).toEqual([
      '4,3,1,"合計","CustomerNumber:manual-tenant [manual-tenant]","","6457"',
      '5,3,2,"  テナント","Id:manual-tenant-jp1, Name:manual-tenant jp1, RegionId:jp1","","5870"',
      '6,3,3,"    Enterprise Cloud 2.0","","","5870"',
      '7,3,4,"      Virtual Server","","","704.775327"',
      '8,3,5,"        Compute","Id:srv-0001","1","649.135268"',
      '9,3,6,"          Flavor (1CPU-4GB)","","","649.135268"',
      '10,3,7,"            Running","","3739 Min","649.135268"',
      '11,3,5,"        Volume","Id:vol-0001","1","55.640059"',
      '12,3,6,"          15GB","","3739 Min","55.640059"',
      '13,3,4,"      Logical Network","","","0.000000"',
      '14,3,5,"        Network","Id:net-0001","3741 Min","278.349105"',
      '15,3,5,"        無料利用分","ロジカルネットワーク5本相当","","-278.349105"',
      '16,3,4,"      Firewall","","","2579.168730"',
      '17,3,5,"        Firewall Instance","Id:fw-0001","1","2579.168730"',
      '18,3,6,"          vSRX 15.1X49-D105.1 Standard (2CPU-4GB-8IF)","","3714 Min","2579.168730"',
      '19,3,4,"      Load Balancer","","","2586.807625"',
      '20,3,5,"        Load Balancer Instance","Id:lb-0001","1","2586.807625"',
      '21,3,6,"          NetScaler VPX 12.1-52.15 Standard_Edition (50Mbps 2CPU-8GB-4IF)","","3725 Min","2586.807625"',
      '22,3,4,"      Monitoring","","","0.000000"',
      '23,3,5,"        Monitoring","Id:mon-basic","1","0.000000"',
      '24,3,6,"          Basic plan","","1 Month","0.000000"',
      '25,3,2,"  消費税相当額","税区分:合算 消費税率:10%","","587"',
    ]);
    expect(block[25]).toBe('26,4,"Billing Status","fixed","","",""');
    expect(block[27]).toMatch(/^28,2,"File Create Date","\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC","","",""$/);
    expect(block[28]).toBe('29,6,29,"","","",""');

    // A finalized month is the same bytes every time (madeAt is the finalization time), and cp932 is the same text.
    expect(exportOf('--format', 'ecl-tiered', '--month', '2026-10').stdout).toBe(fs.readFileSync(out, 'utf8'));
    const cp = path.join(work.dir, 'tiered-cp932.csv');
    expect(
      (await exportRun('--format', 'ecl-tiered', '--month', '2026-10', '--out', cp, '--encoding', 'cp932')).code,
    ).toBe(0);
    expect(iconv.decode(fs.readFileSync(cp), 'cp932')).toBe(fs.readFileSync(out, 'utf8'));
  });

  it('an open month is estimated; a tenant deleted before it is left out', () => {
    const r = exportOf('--format', 'ecl-summary', '--month', '2026-11');
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows.slice(1).length).toBeGreaterThan(0);
    expect(rows.slice(1).every((row) => row.endsWith(',"2026-11","estimated"'))).toBe(true);
    expect(rows.some((row) => row.includes('"TNT00001"'))).toBe(false);
    expect(r.stderr).toContain('skipped TNT00001: deleted before 2026-11');
    const tiered = exportOf('--format', 'ecl-tiered', '--month', '2026-11', '--tenant', 'TNT00004');
    expect(tiered.code).toBe(0);
    expect(rowsOf(tiered.stdout).filter((l) => /^\d+,4,"Billing Status","estimated","","",""$/.test(l))).toHaveLength(
      1,
    );
  });

  it.each([
    [
      ['--format', 'ecl-pdf', '--month', '2026-10'],
      /--format: "ecl-pdf" is not one of ecl-detail, ecl-summary, ecl-tiered/,
    ],
    [['--month', '2026-10'], /required option '--format <format>' not specified/],
    [['--format', 'ecl-detail', '--month', '2026-13'], /--month: "2026-13" is not a month YYYY-MM/],
    [
      ['--format', 'ecl-detail', '--month', '2026-10', '--tenant', 'nobody'],
      /--tenant: tenant "nobody" does not exist/,
    ],
    [
      ['--format', 'ecl-detail', '--month', '2026-09', '--tenant', 'manual-tenant'],
      /--tenant: tenant "manual-tenant" has no statement for 2026-09 \(not billed yet in 2026-09\)/,
    ],
    [
      ['--format', 'ecl-detail', '--month', '2026-10', '--encoding', 'latin1'],
      /--encoding: "latin1" must be utf8, utf8-bom, cp932/,
    ],
  ])('export %j exits 2 with a message', async (args, message) => {
    const r = await exportRun(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
