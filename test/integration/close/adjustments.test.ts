/**
 * Manual adjustments (`import adjustments`) against a real SQLite store: an estimate and the ECL
 * export of the open month show them, the close freezes them as `adjustment` lines with their
 * reason, the zip's detail file shows the reason, and the month once finalized takes no more.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobContext } from '../../../jobs/context.ts';
import { estimate } from '../../../jobs/estimate.ts';
import { monthStatements } from '../../../jobs/export.ts';
import { closeAndWriteFiles } from '../../../jobs/pass.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { buildEclFile } from '../../../src/statements/ecl-files.ts';
import { connection, type Db } from '../../../src/store/db.ts';
import { archivedBytes } from '../../helpers/archive.ts';
import { csv, importText, refused, snapshot, tempStore } from '../../helpers/store.ts';
import { readZip } from '../../helpers/zip-read.ts';

const ADJUSTMENTS = csv(
  'adjustment_id,tenant_name,lplatform_id,billing_month,amount,reason,tax',
  'OUT-1,alpha,A1,2026-10,-300,Network outage 2026-10-20 (4 h),taxed',
  'SETUP-1,alpha,,,50,Setup work,untaxed',
);

let store: ReturnType<typeof tempStore>;
let db: Db;
let config: Config;
beforeEach(async () => {
  store = tempStore();
  db = store.db;
  config = loadConfig({ env: { DATA_DIR: store.dir, BILLING_TZ: 'UTC', CSV_ENCODING: 'utf8' }, cwd: store.dir });
  await importText(
    db,
    'tenants',
    csv('tenant_name,display_name,cutoff_day,locale,currency', 'alpha,Alpha Corp,31,en,JPY'),
  );
  await importText(db, 'lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'A1,alpha,alpha main'));
  await importText(
    db,
    'catalog',
    csv(
      'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,charge_type,time_basis',
      'VM-1,0,2020-01-01T00:00:00Z,vm,image001,hour,100,Virtual server,,operating',
    ),
  );
  await importText(
    db,
    'usage',
    csv(
      'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at,quantity',
      'a-oct,alpha,A1,vm-a1,web,virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z,',
    ),
  ); // 10 h x 100 = 1000
  await importText(db, 'adjustments', ADJUSTMENTS);
});
afterEach(() => store.close());

/** The adjustment lines of a rated tree: [L-Platform or '', charged, note, tax percent]. */
function adjustmentLines(tree: {
  lplatforms: { lplatformId: string; lines: { kind: string; charged: { toFixed(): string }; note: string }[] }[];
  tenantLines: { kind: string; charged: { toFixed(): string }; note: string }[];
}): string[][] {
  return [
    ...tree.lplatforms.flatMap((lp) => lp.lines.map((l) => ({ ...l, lp: lp.lplatformId }))),
    ...tree.tenantLines.map((l) => ({ ...l, lp: '' })),
  ]
    .filter((l) => l.kind === 'adjustment')
    .map((l) => [l.lp, l.charged.toFixed(), l.note]);
}

const EXPECTED_LINES = [
  ['A1', '-300', 'Network outage 2026-10-20 (4 h)'],
  ['', '50', 'Setup work'],
];

describe('manual adjustments in the statements', () => {
  it('the estimate of the open month shows them and stores nothing', () => {
    const before = snapshot(db);
    const result = estimate(jobContext(db, config), { tenant: 'alpha', asOf: new Date('2026-10-25T00:00:00Z') });
    if (!result.ok) throw new Error(result.reason);
    expect(result.period.billingMonth).toBe('2026-10');
    expect(adjustmentLines(result.view.tree)).toEqual(EXPECTED_LINES);
    expect(result.view.tree.total.toFixed()).toBe('750'); // 1000 - 300 + 50 (ROR: no tax)
    expect(snapshot(db)).toEqual(before);
  });

  it('the ECL export of the open month shows them with their reason in every format', () => {
    const { views } = monthStatements(jobContext(db, config), { month: '2026-10', tenant: null });
    expect(views.map((v) => adjustmentLines(v.tree))).toEqual([EXPECTED_LINES]);
    const detail = buildEclFile('ecl-detail', views, { encoding: 'utf8' }).toString('utf8');
    expect(detail).toContain('adjustment');
    expect(detail).toContain('Network outage 2026-10-20 (4 h)');
    expect(detail).toContain('Setup work');
    const summary = buildEclFile('ecl-summary', views, { encoding: 'utf8' }).toString('utf8');
    expect(summary).toContain('Setup work'); // tenant-level; the L-Platform's credit is in its workspace amount
    expect(summary).toContain('"workspace","alpha","Alpha Corp","A1","alpha main","A1","","",700,"JPY"'); // 1000 - 300
    const tiered = buildEclFile('ecl-tiered', views, { encoding: 'utf8' }).toString('utf8');
    expect(tiered).toContain('Network outage 2026-10-20 (4 h)');
    expect(tiered).toContain('Setup work');
  });

  it('under the ecl preset an untaxed adjustment stays out of the taxed base', () => {
    const ecl = loadConfig({
      env: { DATA_DIR: store.dir, BILLING_TZ: 'UTC', CSV_ENCODING: 'utf8', RATING_PRESET: 'ecl' },
      cwd: store.dir,
    });
    const result = estimate(jobContext(db, ecl), { tenant: 'alpha', asOf: new Date('2026-10-25T00:00:00Z') });
    if (!result.ok) throw new Error(result.reason);
    const { tree } = result.view;
    // Taxed: 1000 - 300 = 700 at 10% = 70; untaxed: 50 at 0%; total 750 + 70 = 820.
    expect(tree.taxes.map((t) => [t.percent.toFixed(), t.base.toFixed(), t.amount.toFixed()])).toEqual([
      ['0', '50', '0'],
      ['10', '700', '70'],
    ]);
    expect(tree.total.toFixed()).toBe('820');
  });

  it('the close freezes them as adjustment lines, the zip shows the reason, and the month takes no more', async () => {
    const ctx = jobContext(db, config, { now: () => new Date('2026-11-02T01:00:00Z') });
    const { close, files } = await closeAndWriteFiles(ctx, { asOf: new Date('2026-11-02T00:00:00Z') });
    expect(close.closed.map((c) => `${c.billingMonth} ${c.total}`)).toEqual(['2026-10 750']);
    const frozen = connection(db)
      .prepare(
        `SELECT c.line_kind, c.lplatform_id, c.amount, c.detail FROM charge_lines c JOIN statements s USING (statement_pk)
        WHERE s.billing_month = '2026-10' AND c.line_kind = 'adjustment' ORDER BY c.seq`,
      )
      .all() as { line_kind: string; lplatform_id: string; amount: string; detail: string }[];
    expect(frozen.map((l) => [l.line_kind, l.lplatform_id, l.amount])).toEqual([
      ['adjustment', 'A1', '-300'],
      ['adjustment', '', '50'],
    ]);
    expect(frozen[0]!.detail).toContain('Network outage 2026-10-20 (4 h)');
    expect(frozen[1]!.detail).toContain('Setup work');

    expect(files.written).toHaveLength(1);
    const zip = archivedBytes(store.db, store.dir, files.written[0]!.zip);
    const texts = readZip(zip).map((e) => e.data.toString('utf8'));
    const detail = texts.filter((t) => t.includes('Adjustment: Network outage 2026-10-20 (4 h)'));
    expect(detail).toHaveLength(1);
    // The ROR files have no place for a tenant-level line: it counts in the list file's total only.
    expect(texts.some((t) => t.includes('Setup work'))).toBe(false);
    expect(texts.some((t) => t.includes('"alpha","Alpha Corp","","2026-10",750,'))).toBe(true);

    // The finalized month is refused; left empty, the month is the next open one.
    const issues = await refused(
      db,
      'adjustments',
      csv('adjustment_id,tenant_name,billing_month,amount,reason', 'LATE-1,alpha,2026-10,-100,Late credit'),
    );
    expect(issues).toEqual([
      'adjustments.csv:2: billing_month: 2026-10 is already finalized for tenant alpha: its statement never changes; bill the adjustment in it with usage-charges reissue --tenant alpha --month 2026-10 --adjustments FILE --reason TEXT, or leave billing_month empty to bill it in the next open month (2026-11)',
    ]);
    await importText(
      db,
      'adjustments',
      csv('adjustment_id,tenant_name,billing_month,amount,reason', 'LATE-1,alpha,,-100,Late credit'),
    );
    const november = estimate(jobContext(db, config), { tenant: 'alpha', asOf: new Date('2026-11-10T00:00:00Z') });
    if (!november.ok) throw new Error(november.reason);
    expect(adjustmentLines(november.view.tree)).toEqual([['', '-100', 'Late credit']]);
  });
});
