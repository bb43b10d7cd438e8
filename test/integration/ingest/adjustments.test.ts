/** Import kind `adjustments`: signed amounts, the month (given or the next open one), idempotency, refusals. */
import { describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { importText } from '../../helpers/store.ts';
import { expectRefused, insertFixedStatement, rows, useStore } from './support.ts';

const COLUMNS = ['adjustment_id', 'tenant_name', 'lplatform_id', 'billing_month', 'amount', 'reason', 'tax'] as const;
type Column = (typeof COLUMNS)[number];
type Row = Partial<Record<Column, string>>;
const BASE: Record<Column, string> = {
  adjustment_id: 'OUTAGE-2026-11-LP1',
  tenant_name: 'T1',
  lplatform_id: 'LP1',
  billing_month: '',
  amount: '-1500',
  reason: 'Network outage 2026-11-03, 4 hours',
  tax: '',
};
const file = (...overrides: Row[]): string => rows(COLUMNS, BASE, ...overrides);

let db: Db;
useStore(true, (s) => (db = s.db));

function stored(): Record<string, unknown>[] {
  return connection(db)
    .prepare(
      `SELECT a.adjustment_id, t.tenant_name, l.lplatform_id, a.billing_month, a.month_given, a.amount, a.reason, a.taxed
      FROM adjustments a JOIN tenants t USING (tenant_pk) LEFT JOIN lplatforms l ON l.lplatform_pk = a.lplatform_pk
      ORDER BY a.adjustment_id`,
    )
    .all() as Record<string, unknown>[];
}

/** Expects the one-row file `row` to be refused with `field: message` on line 2. */
async function refusesRow(row: Row, field: string, message: string | RegExp): Promise<void> {
  await expectRefused(
    db,
    'adjustments',
    file(row),
    typeof message === 'string'
      ? `adjustments.csv:2: ${field}: ${message}`
      : new RegExp(`^adjustments\\.csv:2: ${field}: ${message.source}`),
  );
}

describe('adjustments: valid rows', () => {
  it('stores credits and debits, of an L-Platform or the tenant, taxed or not, the empty month resolved', async () => {
    insertFixedStatement(db, 'T1', '2026-10');
    const result = await importText(
      db,
      'adjustments',
      file(
        {},
        { adjustment_id: 'SETUP-1', lplatform_id: '', billing_month: '2026-12', amount: '2000.0', tax: 'untaxed' },
        { adjustment_id: 'T2-CREDIT', tenant_name: 'T2', lplatform_id: 'LP2', amount: '-12.50', reason: 'Goodwill' },
      ),
    );
    expect(result).toMatchObject({ kind: 'adjustments', rows: 3, inserted: 3, updated: 0, unchanged: 0 });
    expect(stored()).toEqual([
      // T1's last finalized month is 2026-10: the empty month is its next open one, 2026-11.
      {
        adjustment_id: 'OUTAGE-2026-11-LP1',
        tenant_name: 'T1',
        lplatform_id: 'LP1',
        billing_month: '2026-11',
        month_given: 0,
        amount: '-1500',
        reason: 'Network outage 2026-11-03, 4 hours',
        taxed: 1,
      },
      {
        adjustment_id: 'SETUP-1',
        tenant_name: 'T1',
        lplatform_id: null,
        billing_month: '2026-12',
        month_given: 1,
        amount: '2000',
        reason: 'Network outage 2026-11-03, 4 hours',
        taxed: 0,
      },
      // T2 has no finalized month: the empty month is the one its billing starts in (registered
      // 2026-11-01, cut-off on the 20th: the period 2026-10-21..2026-11-20 is billing month 2026-11).
      {
        adjustment_id: 'T2-CREDIT',
        tenant_name: 'T2',
        lplatform_id: 'LP2',
        billing_month: '2026-11',
        month_given: 0,
        amount: '-12.5',
        reason: 'Goodwill',
        taxed: 1,
      },
    ]);
  });

  it('the columns lplatform_id, billing_month and tax may be left out', async () => {
    const text = 'adjustment_id,tenant_name,amount,reason\nA1,T1,-300,Credit note\n';
    expect(await importText(db, 'adjustments', text)).toMatchObject({ inserted: 1 });
    expect(stored()).toMatchObject([{ adjustment_id: 'A1', lplatform_id: null, billing_month: '2026-11', taxed: 1 }]);
  });

  it('the same file again changes nothing, even once the resolved month is finalized', async () => {
    await importText(db, 'adjustments', file({}, { adjustment_id: 'A2', billing_month: '2026-12', amount: '100' }));
    const before = stored();
    insertFixedStatement(db, 'T1', '2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
    const again = await importText(
      db,
      'adjustments',
      file({}, { adjustment_id: 'A2', billing_month: '2026-12', amount: '100.00' }),
    );
    expect(again).toMatchObject({ rows: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(stored()).toEqual(before);
  });
});

describe('adjustments: refusals, each on its line and field', () => {
  it.each<[string, Row, string, string | RegExp]>([
    ['no ID', { adjustment_id: '' }, 'adjustment_id', 'is required'],
    ['a bad ID', { adjustment_id: 'a b' }, 'adjustment_id', /must be 1-128 letters/],
    ['no tenant', { tenant_name: '' }, 'tenant_name', 'is required'],
    ['an unknown tenant', { tenant_name: 'T9' }, 'tenant_name', 'tenant "T9" does not exist (import tenants first)'],
    ['an unknown L-Platform', { lplatform_id: 'LP9' }, 'lplatform_id', /L-Platform "LP9" does not exist/],
    [
      'an L-Platform of another tenant',
      { lplatform_id: 'LP2' },
      'lplatform_id',
      'L-Platform "LP2" does not belong to tenant T1',
    ],
    ['a month not YYYY-MM', { billing_month: '2026-13' }, 'billing_month', 'must be a billing month YYYY-MM'],
    ['no amount', { amount: '' }, 'amount', 'is required'],
    ['an amount of zero', { amount: '-0.00' }, 'amount', 'must not be 0 (a credit is negative, a debit positive)'],
    [
      'an amount with an exponent',
      { amount: '-1e3' },
      'amount',
      '"-1e3" is not a decimal number (digits, an optional point and fraction; no exponent or separators)',
    ],
    [
      'an amount in fractions of a yen',
      { amount: '-10.5' },
      'amount',
      /has more decimals than JPY, the currency of tenant T1, has \(0\)/,
    ],
    ['no reason', { reason: '' }, 'reason', 'is required'],
    ['a blank reason', { reason: '   ' }, 'reason', 'must say why (it is shown on the statement)'],
    [
      'a reason of two lines',
      { reason: 'line one\nline two' },
      'reason',
      'contains a control character (CR, LF, tab or similar), which no field may hold',
    ],
    ['a tax that is neither', { tax: 'exempt' }, 'tax', 'must be one of taxed, untaxed'],
  ])('%s', async (_label, row, field, message) => {
    await refusesRow(row, field, message);
  });

  it('a month already finalized is refused, naming re-issue and the next open month', async () => {
    insertFixedStatement(db, 'T1', '2026-10');
    await refusesRow(
      { billing_month: '2026-10' },
      'billing_month',
      '2026-10 is already finalized for tenant T1: its statement never changes; bill the adjustment in it with usage-charges reissue --tenant T1 --month 2026-10 --adjustments FILE --reason TEXT, or leave billing_month empty to bill it in the next open month (2026-11)',
    );
  });

  it('a month before the first one the tenant is billed in is refused', async () => {
    await refusesRow(
      { billing_month: '2026-09' },
      'billing_month',
      '2026-09 is before 2026-11, the first month tenant T1 is billed in: it would be billed in no month',
    );
  });

  it("a reason the tenant's cp932 statement files cannot hold is refused", async () => {
    await refusesRow(
      { reason: 'outage \u{1F600}' },
      'reason',
      '"\u{1F600}" (U+1F600) cannot be written in cp932, the encoding of tenant T1\'s statement files; use another character',
    );
  });

  it('a deleted tenant takes adjustments up to its last month, and none once that month is finalized', async () => {
    await importText(
      db,
      'tenants',
      'tenant_name,display_name,cutoff_day,deleted_at\nT1,Tenant One,31,2026-11-15T00:00:00Z\n',
    );
    await refusesRow(
      { billing_month: '2026-12' },
      'billing_month',
      'tenant T1 was deleted at 2026-11-15T00:00:00.000Z: its last month is 2026-11',
    );
    insertFixedStatement(db, 'T1', '2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
    await refusesRow(
      {},
      'billing_month',
      'tenant T1 was deleted at 2026-11-15T00:00:00.000Z and its last month is finalized: no month is open to bill it in',
    );
  });

  it('the same ID with other content is refused, naming the field that differs', async () => {
    await importText(db, 'adjustments', file({}));
    await expectRefused(
      db,
      'adjustments',
      file({ amount: '-1000' }),
      'adjustments.csv:2: amount: adjustment OUTAGE-2026-11-LP1 was imported before with other content (amount: "-1500" -> "-1000"); an adjustment ID is used once',
    );
    await expectRefused(
      db,
      'adjustments',
      file({ billing_month: '2026-12' }),
      /^adjustments\.csv:2: billing_month: .*\(billing_month: "2026-11" -> "2026-12"\)/,
    );
  });

  it('an ID twice in one file is refused; nothing of the file is imported', async () => {
    await expectRefused(
      db,
      'adjustments',
      file({ adjustment_id: 'OK-1' }, {}, { amount: '-200' }, { tax: 'never' }),
      'adjustments.csv:4: adjustment_id: adjustment OUTAGE-2026-11-LP1 appears again (first at line 3)',
      'adjustments.csv:5: tax: must be one of taxed, untaxed',
    );
    expect(stored()).toEqual([]);
  });
});
