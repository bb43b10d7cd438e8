/** Import kind `coupons`: codes, discounts, validity, re-use of a code, idempotency. */
import { beforeEach, describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, rows, useStore } from './support.ts';

const COLUMNS = [
  'coupon_code',
  'tenant_name',
  'registered_at',
  'discount_type',
  'discount_value',
  'valid_months',
  'valid_until',
  'description',
] as const;
type Column = (typeof COLUMNS)[number];
type Row = Partial<Record<Column, string>>;
const BASE: Record<Column, string> = {
  coupon_code: 'WELCOME2026A',
  tenant_name: 'T1',
  registered_at: '2026-10-15T03:00:00Z',
  discount_type: 'amount',
  discount_value: '1000',
  valid_months: '3',
  valid_until: '',
  description: 'Welcome coupon',
};
const file = (...overrides: Row[]): string => rows(COLUMNS, BASE, ...overrides);

const CODE_RULE = 'must be exactly 12 capital letters A-Z or digits 0-9';
const PERCENT_RULE = 'a percentage must be at most 100 with at most 4 decimals';
const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';

let db: Db;
useStore(true, (s) => (db = s.db));

function coupon(code: string): Record<string, unknown> | undefined {
  return connection(db)
    .prepare('SELECT c.*, t.tenant_name FROM coupons c JOIN tenants t USING (tenant_pk) WHERE coupon_code = ?')
    .get(code) as Record<string, unknown> | undefined;
}

/** Expects the one-row file `row` to be refused with `field: message` on line 2. */
async function refusesRow(row: Row, field: string, message: string): Promise<void> {
  await expectRefused(db, 'coupons', file(row), `coupons.csv:2: ${field}: ${message}`);
}

describe('coupons: valid rows', () => {
  it('inserts a coupon with canonical instant and value', async () => {
    const result = await importText(
      db,
      'coupons',
      file({ registered_at: '2026-10-15T12:00:00+09:00', discount_value: '1000.50' }),
    );
    expect(result).toMatchObject({ kind: 'coupons', rows: 1, inserted: 1, updated: 0, unchanged: 0 });
    expect(coupon('WELCOME2026A')).toMatchObject({
      tenant_name: 'T1',
      registered_at: '2026-10-15T03:00:00.000Z',
      discount_type: 'amount',
      discount_value: '1000.5',
      valid_months: 3,
      valid_until: null,
      description: 'Welcome coupon',
    });
  });

  it.each(['100', '100.00', '0.0001', '99.9999', '050', '12.5'])('accepts the percentage %s', async (value) => {
    expect(await importText(db, 'coupons', file({ discount_type: 'percent', discount_value: value }))).toMatchObject({
      inserted: 1,
    });
  });

  it.each([
    ['valid_months alone', { valid_months: '120', valid_until: '' }],
    ['valid_until alone', { valid_months: '', valid_until: '2027-03-31' }],
    ['both', { valid_months: '1', valid_until: '2027-03-31' }],
    ['valid_until on the day of registration', { valid_months: '', valid_until: '2026-10-15' }],
    [
      'valid_until on the UTC date of a registration written in +09:00',
      { registered_at: '2026-10-15T08:00:00+09:00', valid_months: '', valid_until: '2026-10-14' },
    ],
    ['valid_until on 29 February of a leap year', { valid_months: '', valid_until: '2028-02-29' }],
  ] as [string, Row][])('accepts an end given by %s', async (_what, row) => {
    expect(await importText(db, 'coupons', file(row))).toMatchObject({ inserted: 1 });
  });

  it('accepts codes of digits only and of letters only', async () => {
    expect(
      await importText(db, 'coupons', file({ coupon_code: '000000000000' }, { coupon_code: 'ABCDEFGHIJKL' })),
    ).toMatchObject({ inserted: 2 });
  });
});

describe('coupons: coupon_code', () => {
  it.each([
    ['empty', '', 'is required'],
    ['lower case', 'welcome2026a', CODE_RULE],
    ['mixed case', 'Welcome2026A', CODE_RULE],
    ['11 characters', 'WELCOME2026', CODE_RULE],
    ['13 characters', 'WELCOME2026AB', CODE_RULE],
    ['a hyphen', 'WELCOME-2026', CODE_RULE],
    ['an underscore', 'WELCOME_2026', CODE_RULE],
    ['a space', 'WELCOME 2026', CODE_RULE],
    ['a full-width letter', 'ＷELCOME2026A', CODE_RULE],
  ])('refuses %s', async (_what, code, message) => {
    await refusesRow({ coupon_code: code }, 'coupon_code', message);
  });

  it('refuses one code twice in a file', async () => {
    await expectRefused(
      db,
      'coupons',
      file({}, { tenant_name: 'T2' }),
      'coupons.csv:3: coupon_code: coupon WELCOME2026A appears again (first at line 2)',
    );
  });

  describe('re-used', () => {
    beforeEach(async () => {
      await importText(db, 'coupons', file({}));
    });

    it.each([
      ['another value', { discount_value: '2000' }, 'discount_value: "1000" -> "2000"'],
      ['another tenant', { tenant_name: 'T2' }, 'tenant_name: "T1" -> "T2"'],
      [
        'another registration',
        { registered_at: '2026-10-16T03:00:00Z' },
        'registered_at: "2026-10-15T03:00:00.000Z" -> "2026-10-16T03:00:00.000Z"',
      ],
      ['another description', { description: 'changed' }, 'description: "Welcome coupon" -> "changed"'],
      ['an added end date', { valid_until: '2027-01-31' }, 'valid_until: null -> "2027-01-31"'],
    ] as [string, Row, string][])('refuses the code with %s', async (_what, row, change) => {
      await refusesRow(
        row,
        'coupon_code',
        `coupon WELCOME2026A was registered before with other content (${change}); a coupon code is used once`,
      );
    });

    it('is unchanged with the same content written differently', async () => {
      const result = await importText(
        db,
        'coupons',
        file({ registered_at: '2026-10-15T12:00:00+09:00', discount_value: '1000.000' }),
      );
      expect(result).toMatchObject({ inserted: 0, unchanged: 1 });
    });
  });
});

describe('coupons: tenant_name', () => {
  it.each([
    ['empty', '', 'is required'],
    ['with a space', 'T 1', 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit'],
    ['a reserved device name', 'LPT1', '"LPT1" is a reserved device name'],
    ['an unknown tenant', 'T9', 'tenant "T9" does not exist (import tenants first)'],
  ])('refuses %s', async (_what, name, message) => {
    await refusesRow({ tenant_name: name }, 'tenant_name', message);
  });
});

describe('coupons: registered_at', () => {
  it.each([
    ['empty', '', 'is required'],
    [
      'without a zone',
      '2026-10-15T03:00:00',
      '"2026-10-15T03:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
    ],
    ['on 30 February', '2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z": day 30 does not exist in 2026-02'],
    ['at 25:00', '2026-10-15T25:00:00Z', '"2026-10-15T25:00:00Z": the time of day does not exist'],
  ])('refuses %s', async (_what, value, message) => {
    await refusesRow({ registered_at: value }, 'registered_at', message);
  });
});

describe('coupons: discount_type and discount_value', () => {
  it.each(['', 'fixed', 'Percent', 'AMOUNT'])('refuses discount_type %j', async (type) => {
    await refusesRow(
      { discount_type: type },
      'discount_type',
      type === '' ? 'is required' : 'must be one of amount, percent',
    );
  });

  it.each([
    ['empty', 'amount', '', 'is required'],
    ['zero', 'amount', '0', 'must be more than 0'],
    ['zero with decimals', 'amount', '0.000', 'must be more than 0'],
    ['a zero percentage', 'percent', '0', 'must be more than 0'],
    ['negative', 'amount', '-500', '"-500" must not be negative'],
    [
      'an exponent',
      'amount',
      '1e3',
      '"1e3" is not a decimal number (digits, an optional point and fraction; no exponent or separators)',
    ],
    [
      'a separator',
      'amount',
      '1,000',
      '"1,000" is not a decimal number (digits, an optional point and fraction; no exponent or separators)',
    ],
    ['12 digits before the point', 'amount', '123456789012', '"123456789012" has more than 11 digits before the point'],
    ['7 digits after the point', 'amount', '1.0000001', '"1.0000001" has more than 6 digits after the point'],
    ['a percentage over 100', 'percent', '101', PERCENT_RULE],
    ['a percentage just over 100', 'percent', '100.0001', PERCENT_RULE],
    ['a percentage of 1000', 'percent', '1000', PERCENT_RULE],
    ['a percentage with 5 decimals', 'percent', '12.34567', PERCENT_RULE],
  ])('refuses a value that is %s', async (_what, type, value, message) => {
    await refusesRow({ discount_type: type, discount_value: value }, 'discount_value', message);
  });
});

describe('coupons: valid_months, valid_until, description', () => {
  it('refuses a coupon without an end', async () => {
    await refusesRow(
      { valid_months: '', valid_until: '' },
      'valid_months',
      'a coupon needs an end: valid_months, valid_until or both',
    );
  });

  it.each(['0', '121', '1.5', 'x', '-1'])('refuses valid_months %j', async (months) => {
    await refusesRow({ valid_months: months }, 'valid_months', 'must be a whole number from 1 to 120');
  });

  it.each([
    ['2026-02-30', '"2026-02-30": day 30 does not exist in 2026-02'],
    ['2027-02-29', '"2027-02-29": day 29 does not exist in 2027-02'],
    ['2026/12/31', '"2026/12/31" is not a date in the form YYYY-MM-DD'],
    ['2026-12-31T00:00:00Z', '"2026-12-31T00:00:00Z" is not a date in the form YYYY-MM-DD'],
  ])('refuses valid_until %j', async (date, message) => {
    await refusesRow({ valid_until: date }, 'valid_until', message);
  });

  it.each([
    ['the day before registration', '2026-10-15T03:00:00Z', '2026-10-14'],
    ['the day before the UTC date of registration', '2026-10-15T10:00:00+09:00', '2026-10-14'],
  ])('refuses valid_until on %s', async (_what, registered, until) => {
    await refusesRow({ registered_at: registered, valid_until: until }, 'valid_until', 'is before registered_at');
  });

  it.each([
    ['longer than 256 characters', 'd'.repeat(257), 'is longer than 256 characters'],
    ['holding a line feed', 'one\ntwo', CONTROL],
  ])('refuses a description %s', async (_what, text, message) => {
    await refusesRow({ description: text }, 'description', message);
  });
});

describe('coupons: idempotency and all or nothing', () => {
  const codes = Array.from({ length: 30 }, (_, i) => ({ coupon_code: `CODE${String(i).padStart(8, '0')}` }));

  it('imports the same file twice: inserted N, then unchanged N with the same data', async () => {
    const text = file(...codes, {
      coupon_code: 'PERCENT00001',
      discount_type: 'percent',
      discount_value: '10',
      valid_months: '',
      valid_until: '2027-03-31',
      description: 'late, "quoted"',
    });
    expect(await importText(db, 'coupons', text)).toMatchObject({ rows: 31, inserted: 31, unchanged: 0 });
    const before = snapshot(db);
    expect(await importText(db, 'coupons', text)).toMatchObject({ rows: 31, inserted: 0, updated: 0, unchanged: 31 });
    const after = snapshot(db);
    expect(dataOnly(after)).toEqual(dataOnly(before));
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });

  it('writes nothing when the last line is bad', async () => {
    await expectRefused(
      db,
      'coupons',
      file(...codes, { coupon_code: 'BADCODE' }),
      `coupons.csv:32: coupon_code: ${CODE_RULE}`,
    );
    expect(coupon('CODE00000000')).toBeUndefined();
  });
});
