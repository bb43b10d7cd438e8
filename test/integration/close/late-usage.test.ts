/**
 * Usage booked late (`import usage --as-adjustment`) against a real SQLite store: records of a
 * finalized month are booked in the next open month, never rated as ordinary usage, and become one
 * adjustment line per original month and L-Platform when that month closes; the finalized month
 * stays as it was.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { estimate } from '../../../jobs/estimate.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { InputError } from '../../../src/domain/errors.ts';
import { IMPORT_KINDS, importFile, type ImportResult } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { connection, type Db } from '../../../src/store/db.ts';
import { csv, importText, snapshot, tempStore } from '../../helpers/store.ts';

const USAGE_HEADER =
  'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at,quantity';

/** Imports usage CSV text, with or without `--as-adjustment`. */
async function importUsage(db: Db, text: string, asAdjustment: boolean): Promise<ImportResult> {
  return importFile(
    IMPORT_KINDS.usage as AnyImportKind,
    { stream: Readable.from([Buffer.from(text)]), name: 'late.csv' },
    { db, now: '2026-11-05T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja', asAdjustment },
    { maxErrors: 100 },
  );
}

/** Imports and expects a refusal; returns the `file:line: field: message` lines. */
async function refusedUsage(db: Db, text: string, asAdjustment: boolean): Promise<string[]> {
  try {
    await importUsage(db, text, asAdjustment);
  } catch (err) {
    if (err instanceof InputError) return err.issues.map((i) => `${i.file}:${i.line}: ${i.field}: ${i.message}`);
    throw err;
  }
  throw new Error('expected the file to be refused');
}

let store: ReturnType<typeof tempStore>;
let db: Db;
let config: Config;
beforeEach(async () => {
  store = tempStore();
  db = store.db;
  config = loadConfig({ env: { DATA_DIR: store.dir, BILLING_TZ: 'UTC' }, cwd: store.dir });
  await importText(
    db,
    'tenants',
    csv('tenant_name,display_name,cutoff_day,locale,currency', 'alpha,Alpha Corp,31,ja,JPY'),
  );
  await importText(
    db,
    'lplatforms',
    csv('lplatform_id,tenant_name,lplatform_name', 'A1,alpha,alpha main', 'A2,alpha,alpha side'),
  );
  await importText(
    db,
    'catalog',
    csv(
      'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,charge_type,time_basis',
      'VM-1,0,2020-01-01T00:00:00Z,vm,image001,hour,1.2,Virtual server,,operating',
      'ALARM,0,2020-01-01T00:00:00Z,monitoring,alarm,unit,500,Alarm,metered,',
    ),
  );
  await importText(
    db,
    'usage',
    csv(
      USAGE_HEADER,
      'a-oct,alpha,A1,vm-a1,web,virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z,',
    ),
  ); // 10 h x 1.2 = 12
  const october = closeDue(jobContext(db, config, { now: () => new Date('2026-11-02T01:00:00Z') }), {
    asOf: new Date('2026-11-02T00:00:00Z'),
  });
  expect(october.closed.map((c) => `${c.billingMonth} ${c.total}`)).toEqual(['2026-10 12']);
});
afterEach(() => store.close());

/** A fixed statement and its lines, for before/after comparisons. */
function statementOf(month: string): { row: Record<string, unknown>; lines: Record<string, unknown>[] } {
  const row = connection(db).prepare('SELECT * FROM statements WHERE billing_month = ?').get(month) as Record<
    string,
    unknown
  >;
  const lines = connection(db)
    .prepare('SELECT * FROM charge_lines WHERE statement_pk = ? ORDER BY seq')
    .all(row.statement_pk) as Record<string, unknown>[];
  return { row, lines };
}

const LATE = csv(
  USAGE_HEADER,
  'late-vm,alpha,A1,vm-late,late,virtual_server,VM-1,operating,2026-10-25T00:00:00Z,2026-10-25T05:00:00Z,', // 5 h x 1.2 = 6
  'late-alarm,alpha,A1,alarm-1,alarm,monitoring,ALARM,quantity,2026-10-26T00:00:00Z,,1', // 500
  'nov-vm,alpha,A2,vm-a2,side,virtual_server,VM-1,operating,2026-11-03T00:00:00Z,2026-11-03T05:00:00Z,',
); // November: 6, ordinary usage

describe('import usage --as-adjustment', () => {
  it('without the flag, a record of a finalized month is refused naming --as-adjustment, and nothing is written', async () => {
    const before = snapshot(db);
    const problems = await refusedUsage(db, LATE, false);
    expect(problems).toEqual([
      'late.csv:2: start_at: falls in 2026-10, which is already finalized for tenant alpha; import it with --as-adjustment to book it in the next open month',
      'late.csv:3: start_at: falls in 2026-10, which is already finalized for tenant alpha; import it with --as-adjustment to book it in the next open month',
    ]);
    expect(snapshot(db)).toEqual(before);
  });

  it('with the flag, records of the finalized month are booked in 2026-11 and the others import normally', async () => {
    const result = await importUsage(db, LATE, true);
    expect(result.inserted).toBe(3);
    const booked = connection(db).prepare('SELECT record_id, booked_month FROM usage_records ORDER BY record_id').all();
    expect(booked).toEqual([
      { record_id: 'a-oct', booked_month: null },
      { record_id: 'late-alarm', booked_month: '2026-11' },
      { record_id: 'late-vm', booked_month: '2026-11' },
      { record_id: 'nov-vm', booked_month: null },
    ]);
    // Importing the same file again changes nothing.
    expect((await importUsage(db, LATE, true)).unchanged).toBe(3);
  });

  it('closing 2026-11 adds one adjustment line with the October amount; October is unchanged', async () => {
    const october = statementOf('2026-10');
    await importUsage(db, LATE, true);
    const november = closeDue(jobContext(db, config, { now: () => new Date('2026-12-02T01:00:00Z') }), {
      asOf: new Date('2026-12-02T00:00:00Z'),
    });
    expect(november).toEqual({
      closed: [{ tenant: 'alpha', billingMonth: '2026-11', total: '512', currency: 'JPY', recipients: 0 }],
      failed: [],
    });

    const s = statementOf('2026-11');
    const lines = s.lines.map((l) => ({
      kind: l.line_kind,
      lp: l.lplatform_id,
      resource: l.resource_id,
      amount: l.amount,
      note: (JSON.parse(String(l.detail)) as { note: string }).note,
    }));
    // The booked records are not rated as usage of November: the only usage line is nov-vm's.
    expect(lines).toEqual([
      { kind: 'adjustment', lp: 'A1', resource: '', amount: '506', note: 'usage booked late (usage of 2026-10)' },
      { kind: 'usage', lp: 'A2', resource: 'vm-a2', amount: '6', note: '' },
    ]);
    expect(s.row.total).toBe('512');
    expect(statementOf('2026-10')).toEqual(october);
    // A third close finalizes nothing, and the booked records are never charged again.
    const december = closeDue(jobContext(db, config, { now: () => new Date('2027-01-02T01:00:00Z') }), {
      asOf: new Date('2027-01-02T00:00:00Z'),
    });
    expect(december.closed.map((c) => `${c.billingMonth} ${c.total}`)).toEqual(['2026-12 0']);
  });

  it('an estimate of the open month shows the booked usage and stores nothing', async () => {
    await importUsage(db, LATE, true);
    const before = snapshot(db);
    const result = estimate(jobContext(db, config), { tenant: 'alpha', asOf: new Date('2026-11-20T12:00:00Z') });
    if (!result.ok) throw new Error(result.reason);
    expect(result.view.status).toBe('estimated');
    expect(result.period.billingMonth).toBe('2026-11');
    expect(result.view.tree.total.toFixed()).toBe('512');
    expect(result.view.tree.lplatforms.find((lp) => lp.lplatformId === 'A1')!.lines.map((l) => l.note)).toEqual([
      'usage booked late (usage of 2026-10)',
    ]);
    expect(snapshot(db)).toEqual(before);
  });

  it('a record reaching past the finalized month is refused with the flag: it must be split', async () => {
    const problems = await refusedUsage(
      db,
      csv(
        USAGE_HEADER,
        'cross,alpha,A1,vm-x,x,virtual_server,VM-1,operating,2026-10-31T22:00:00Z,2026-11-01T02:00:00Z,',
      ),
      true,
    );
    expect(problems).toEqual([
      'late.csv:2: end_at: falls in 2026-10, which is already finalized for tenant alpha, and cannot be booked late: reaches past 2026-11-01T00:00:00.000Z, where the last finalized month (2026-10) ends; split the record there: the later part imports as ordinary usage',
    ]);
  });

  it('the flag is refused for a deleted tenant whose last month is finalized', async () => {
    await importText(
      db,
      'tenants',
      csv(
        'tenant_name,display_name,cutoff_day,locale,currency,deleted_at',
        'alpha,Alpha Corp,31,ja,JPY,2026-10-28T00:00:00Z',
      ),
    );
    const problems = await refusedUsage(
      db,
      csv(
        USAGE_HEADER,
        'late-vm,alpha,A1,vm-late,late,virtual_server,VM-1,operating,2026-10-25T00:00:00Z,2026-10-25T05:00:00Z,',
      ),
      true,
    );
    expect(problems).toEqual([
      'late.csv:2: start_at: falls in 2026-10, which is already finalized for tenant alpha, and cannot be booked late: the tenant was deleted at 2026-10-28T00:00:00.000Z and its last month (2026-10) is finalized: there is no open month to book it in',
    ]);
  });
});

describe('late usage is priced with the rest of its month', () => {
  it('a late second CIC link pays its fee, because the free link was already used in that month', async () => {
    await importText(
      db,
      'catalog',
      csv(
        'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,charge_type,rule,rule_params',
        'CIC-1G,0,2020-01-01T00:00:00Z,cic,1Gbps,month,54000,CIC 1Gbps,monthly_fixed,first_link_free,free_links=1',
      ),
    );
    const link = (id: string): string =>
      csv(USAGE_HEADER, `${id},alpha,A1,${id},${id},cic,CIC-1G,deployed,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,`);
    // The first link arrives late: booked in November; alone in October it is the free link.
    expect(await importUsage(db, link('cic-1'), true)).toMatchObject({ inserted: 1 });
    const november = closeDue(jobContext(db, config, { now: () => new Date('2026-12-02T01:00:00Z') }), {
      asOf: new Date('2026-12-02T00:00:00Z'),
    });
    expect(november.closed.map((c) => `${c.billingMonth} ${c.total}`)).toEqual(['2026-11 0']);
    // The second link arrives later still: booked in December, it is October's second link: 54000.
    expect(await importUsage(db, link('cic-2'), true)).toMatchObject({ inserted: 1 });
    const december = closeDue(jobContext(db, config, { now: () => new Date('2027-01-02T01:00:00Z') }), {
      asOf: new Date('2027-01-02T00:00:00Z'),
    });
    expect(december.closed.map((c) => `${c.billingMonth} ${c.total}`)).toEqual(['2026-12 54000']);
    const notes = connection(db)
      .prepare(
        `SELECT l.amount, json_extract(l.detail, '$.note') AS note FROM charge_lines l JOIN statements s USING (statement_pk)
      WHERE s.billing_month = '2026-12'`,
      )
      .all();
    expect(notes).toEqual([{ amount: '54000', note: 'usage booked late (usage of 2026-10)' }]);
  });
});
