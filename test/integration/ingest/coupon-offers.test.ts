/**
 * Import kind `coupon-offers` (the codes the billing team issues): each field's refusal with file,
 * line and field, a code issued once (the same row again changes nothing, other content is
 * refused), a reserved tenant that must exist, a code registered already; and couponMonths, the
 * billing months a coupon applies to from its registration, by the rule the close rates by.
 */
import { describe, expect, it } from 'vitest';
import { couponMonths, couponApplies } from '../../../src/rating/coupons.ts';
import { ZERO } from '../../../src/domain/money.ts';
import type { TenantSchedule } from '../../../src/periods/periods.ts';
import { periodContaining, periodAfter } from '../../../src/periods/periods.ts';
import { connection, type Db } from '../../../src/store/db.ts';
import { importText, refused, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, rows, useStore } from './support.ts';

const COLUMNS = [
  'coupon_code',
  'discount_type',
  'discount_value',
  'currency',
  'valid_months',
  'valid_until',
  'description',
  'tenant_name',
  'redeem_by',
] as const;
type Column = (typeof COLUMNS)[number];
const BASE: Record<Column, string> = {
  coupon_code: 'SPRING27SAVE',
  discount_type: 'amount',
  discount_value: '500',
  currency: 'JPY',
  valid_months: '6',
  valid_until: '',
  description: 'Spring campaign',
  tenant_name: '',
  redeem_by: '2027-03-31',
};
const file = (...overrides: Partial<Record<Column, string>>[]): string => rows(COLUMNS, BASE, ...overrides);

let db: Db;
useStore(true, (s) => (db = s.db));

const offer = (code: string) =>
  connection(db)
    .prepare(
      `SELECT o.*, t.tenant_name FROM coupon_offers o LEFT JOIN tenants t ON t.tenant_pk = o.reserved_tenant_pk
      WHERE coupon_code = ?`,
    )
    .get(code) as Record<string, unknown> | undefined;

const refusesRow = (row: Partial<Record<Column, string>>, field: string, message: string) =>
  expectRefused(db, 'coupon-offers', file(row), `coupon-offers.csv:2: ${field}: ${message}`);

describe('coupon-offers: valid rows', () => {
  it('issues codes, open to any tenant or reserved for one, with the import time as issued_at', async () => {
    const r = await importText(
      db,
      'coupon-offers',
      file(
        {},
        {
          coupon_code: 'T1ONLY10PCT0',
          discount_type: 'percent',
          discount_value: '10.5',
          currency: '',
          valid_months: '',
          valid_until: '2027-06-30',
          tenant_name: 'T1',
          redeem_by: '',
        },
      ),
    );
    expect(r).toMatchObject({ kind: 'coupon-offers', rows: 2, inserted: 2, updated: 0, unchanged: 0 });
    expect(offer('SPRING27SAVE')).toMatchObject({
      discount_type: 'amount',
      discount_value: '500',
      valid_months: 6,
      valid_until: null,
      description: 'Spring campaign',
      reserved_tenant_pk: null,
      redeem_by: '2027-03-31',
      issued_at: '2026-11-01T00:00:00.000Z',
    });
    expect(offer('T1ONLY10PCT0')).toMatchObject({
      discount_type: 'percent',
      discount_value: '10.5',
      valid_months: null,
      valid_until: '2027-06-30',
      tenant_name: 'T1',
      redeem_by: null,
    });
  });

  it('the same file again changes nothing; a code issued before with other content is refused', async () => {
    await importText(db, 'coupon-offers', file({}));
    const before = snapshot(db);
    expect(await importText(db, 'coupon-offers', file({}))).toMatchObject({ inserted: 0, unchanged: 1 });
    expect(dataOnly(snapshot(db))).toEqual(dataOnly(before));
    await refusesRow(
      { discount_value: '600' },
      'coupon_code',
      'coupon SPRING27SAVE was issued before with other content (discount_value: "500" -> "600"); an issued code never changes',
    );
    await refusesRow(
      { tenant_name: 'T2' },
      'coupon_code',
      'coupon SPRING27SAVE was issued before with other content (tenant_name: null -> "T2"); an issued code never changes',
    );
  });

  it('a code registered already (coupons import) is refused', async () => {
    await importText(
      db,
      'coupons',
      'coupon_code,tenant_name,registered_at,discount_type,discount_value,valid_months\nSPRING27SAVE,T2,2026-10-15T00:00:00Z,amount,5,1\n',
    );
    await refusesRow({}, 'coupon_code', 'coupon SPRING27SAVE is registered already (tenant T2); issue another code');
  });
});

describe('coupon-offers: each field refused with file, line and field', () => {
  it.each([
    [{ coupon_code: 'spring27save' }, 'coupon_code', 'must be exactly 12 capital letters A-Z or digits 0-9'],
    [{ coupon_code: 'SPRING27SAV' }, 'coupon_code', 'must be exactly 12 capital letters A-Z or digits 0-9'],
    [{ coupon_code: '' }, 'coupon_code', 'is required'],
    [{ discount_type: 'free' }, 'discount_type', /must be one of amount, percent|amount or percent/],
    [{ discount_value: '0' }, 'discount_value', 'must be more than 0'],
    [
      { discount_type: 'percent', discount_value: '120', currency: '' },
      'discount_value',
      'a percentage must be at most 100 with at most 4 decimals',
    ],
    [{ valid_months: '0' }, 'valid_months', /1.*120/],
    [
      { currency: '' },
      'currency',
      'an amount off needs its currency: only a tenant billed in it can register the code',
    ],
    [{ discount_type: 'percent', discount_value: '10' }, 'currency', 'a percentage has no currency: leave it empty'],
    [{ currency: 'YEN' }, 'currency', /must be one of/],
    [{ valid_months: '', valid_until: '' }, 'valid_months', 'a coupon needs an end: valid_months, valid_until or both'],
    [{ valid_until: '2027-02-30' }, 'valid_until', /./],
    [{ redeem_by: '31/03/2027' }, 'redeem_by', /./],
    [
      { valid_until: '2027-01-31', redeem_by: '2027-02-01' },
      'redeem_by',
      'is after valid_until: a code registered then would never apply',
    ],
    [{ tenant_name: 'NOPE' }, 'tenant_name', 'tenant "NOPE" does not exist (import tenants first)'],
  ] as const)('%j: %s', async (row, field, message) => {
    const before = snapshot(db);
    const issues = await refused(db, 'coupon-offers', file(row));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.startsWith(`coupon-offers.csv:2: ${field}: `)).toBe(true);
    if (typeof message === 'string') expect(issues[0]).toBe(`coupon-offers.csv:2: ${field}: ${message}`);
    else expect(issues[0]!.slice(`coupon-offers.csv:2: ${field}: `.length)).toMatch(message);
    expect(snapshot(db)).toEqual(before);
  });

  it('a code twice in one file', async () => {
    await expectRefused(
      db,
      'coupon-offers',
      file({}, {}),
      'coupon-offers.csv:3: coupon_code: coupon SPRING27SAVE appears again (first at line 2)',
    );
  });
});

describe('couponMonths: the billing months a coupon applies to', () => {
  const at = (iso: string) => Date.parse(iso);
  const schedule = (cutoffDay: number, over: Partial<TenantSchedule> = {}): TenantSchedule => ({
    tenantName: 'T',
    cutoffDay,
    pendingCutoffDay: null,
    deletedAt: null,
    billingFrom: at('2026-01-01T00:00:00Z'),
    lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') },
    ...over,
  });

  it('from the month after registration, for valid_months months (cut-off day 31)', () => {
    const c = { registeredAt: at('2026-11-10T03:00:00Z'), validMonths: 6, validUntil: null };
    expect(couponMonths(c, schedule(31), 'UTC')).toEqual([
      '2026-12',
      '2027-01',
      '2027-02',
      '2027-03',
      '2027-04',
      '2027-05',
    ]);
    // The last instant of a month is still that month; Tokyo's month starts 9 hours earlier.
    expect(couponMonths({ ...c, registeredAt: at('2026-11-30T23:59:59Z') }, schedule(31), 'UTC')[0]).toBe('2026-12');
    expect(couponMonths({ ...c, registeredAt: at('2026-11-30T15:00:00Z') }, schedule(31), 'Asia/Tokyo')[0]).toBe(
      '2027-01',
    );
  });

  it('until valid_until (a period starting on or before it), with or without valid_months', () => {
    const c = { registeredAt: at('2026-11-10T03:00:00Z'), validMonths: null, validUntil: '2027-03-01' };
    expect(couponMonths(c, schedule(31), 'UTC')).toEqual(['2026-12', '2027-01', '2027-02', '2027-03']);
    expect(couponMonths({ ...c, validMonths: 2 }, schedule(31), 'UTC')).toEqual(['2026-12', '2027-01']);
    expect(couponMonths({ ...c, validUntil: '2026-11-30' }, schedule(31), 'UTC')).toEqual([]);
  });

  it('with a cut-off day of 20: the periods that start from the next month on', () => {
    // Billing month 2026-12 runs 21 Nov to 20 Dec: it starts before December, so it is not
    // discounted; 2027-01 (from 21 Dec), 2027-02 and 2027-03 (from 21 Feb) start before March.
    const c = { registeredAt: at('2026-11-10T03:00:00Z'), validMonths: 3, validUntil: null };
    const s = schedule(20, { lastClosed: { billingMonth: '2026-10', end: at('2026-10-21T00:00:00Z') } });
    expect(couponMonths(c, s, 'UTC')).toEqual(['2027-01', '2027-02', '2027-03']);
  });

  it('none after a deleted tenant’s last month', () => {
    const c = { registeredAt: at('2026-11-10T03:00:00Z'), validMonths: 6, validUntil: null };
    expect(couponMonths(c, schedule(31, { deletedAt: at('2026-10-28T00:30:40Z') }), 'UTC')).toEqual([]);
  });

  it('agrees with couponApplies, month by month', () => {
    for (const cutoff of [31, 15, 20, 28]) {
      for (const registered of ['2026-11-01T00:00:00Z', '2026-11-17T12:00:00Z', '2027-01-31T23:00:00Z']) {
        const terms = { registeredAt: at(registered), validMonths: 4, validUntil: '2027-04-15' };
        const s = schedule(cutoff, { lastClosed: null, billingFrom: at('2026-09-01T00:00:00Z') });
        const expected: string[] = [];
        let p = periodContaining(at('2026-09-01T00:00:00Z'), cutoff, 'UTC');
        for (let i = 0; i < 18; i++) {
          const coupon = { ...terms, code: 'X', discountType: 'amount' as const, discountValue: ZERO };
          if (couponApplies(coupon, { ...p, timeZone: 'UTC' })) expected.push(p.billingMonth);
          p = periodAfter(p.end, p.billingMonth, cutoff, 'UTC');
        }
        expect(couponMonths(terms, s, 'UTC'), `${cutoff} ${registered}`).toEqual(expected);
      }
    }
  });
});
