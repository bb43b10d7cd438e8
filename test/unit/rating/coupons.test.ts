/** Coupons: registered in month M they apply from billing month M+1, for validMonths months, before tax, never below zero. */
import { describe, expect, it } from 'vitest';
import type { Coupon } from '../../../src/rating/types.ts';
import { ECL, coupon, t, usage, version } from '../../helpers/rating.ts';
import { monthPeriod, rate } from './support.ts';

// A service at 10,000 yen a month, in use from August 2026 to March 2027 (one run: the fee once each month).
const catalog = [version({ productId: 'SVC', unitCode: 'month', unitPrice: '10000', chargeType: 'monthly_fixed' })];
const service = usage({ productId: 'SVC', start: '2026-08-01T00:00:00Z', end: '2027-03-01T00:00:00Z' });

const rateMonth = (month: string, coupons: Coupon[], timeZone = 'UTC') =>
  rate({ catalog, policy: ECL, period: monthPeriod(month, timeZone), usage: [service], coupons });

/** [coupon lines, subtotal, tax, total] of a rated month. */
const outcome = (tree: ReturnType<typeof rateMonth>) => [
  tree.tenantLines.filter((l) => l.kind === 'coupon').map((l) => t(l.charged)),
  t(tree.subtotal),
  t(tree.tax),
  t(tree.total),
];

// Without a coupon: subtotal 10000, tax 10% = 1000, total 11000.
const NONE = [[], '10000', '1000', '11000'];
// With 1000 off: subtotal 10000 - 1000 = 9000, tax 9000 x 10% = 900, total 9900.
const OFF_1000 = [['-1000'], '9000', '900', '9900'];

describe('a coupon registered on the last day of a month', () => {
  // Registered 2026-09-30 12:00 UTC (September = M), valid 3 months: October, November, December.
  const c = coupon({
    code: 'SEPT30COUPON',
    registeredAt: '2026-09-30T12:00:00Z',
    discountType: 'amount',
    discountValue: '1000',
    validMonths: 3,
  });

  it.each([
    { month: '2026-09', label: 'M itself: not applied', expected: NONE },
    { month: '2026-10', label: 'M+1: applied', expected: OFF_1000 },
    { month: '2026-11', label: 'M+2: applied', expected: OFF_1000 },
    { month: '2026-12', label: 'M+validMonths (M+3): applied', expected: OFF_1000 },
    { month: '2027-01', label: 'M+validMonths+1 (M+4): not applied', expected: NONE },
  ])('$month, $label', ({ month, expected }) => {
    expect(outcome(rateMonth(month, [c]))).toEqual(expected);
  });

  it('shows the coupon as its own tenant line naming its code', () => {
    const tree = rateMonth('2026-10', [c]);
    expect(tree.tenantLines.map((l) => [l.kind, l.note.includes('SEPT30COUPON'), t(l.charged)])).toEqual([
      ['coupon', true, '-1000'],
    ]);
    expect(t(tree.beforeDiscount)).toBe('10000');
    expect(t(tree.discount)).toBe('1000');
  });

  it.each([
    { month: '2026-10', expected: OFF_1000 }, // period starts 10-01 <= 11-30
    { month: '2026-11', expected: OFF_1000 }, // period starts 11-01 <= 11-30
    { month: '2026-12', expected: NONE }, // period starts 12-01 > 11-30
  ])('with an end date 2026-11-30 instead of months, $month', ({ month, expected }) => {
    const dated = { ...c, validMonths: null, validUntil: '2026-11-30' };
    expect(outcome(rateMonth(month, [dated]))).toEqual(expected);
  });
});

describe('amount and percent, never below zero', () => {
  const registeredAt = '2026-09-15T00:00:00Z';
  it.each([
    // 1000 off: 10000 - 1000 = 9000; tax 900; total 9900
    { label: '1000 yen off', type: 'amount' as const, value: '1000', expected: OFF_1000 },
    // 15% of 10000 = 1500; 10000 - 1500 = 8500; tax 850; total 9350
    { label: '15% off', type: 'percent' as const, value: '15', expected: [['-1500'], '8500', '850', '9350'] },
    // 10000 exactly: subtotal 0, tax 0, total 0
    {
      label: '10000 yen off (the whole subtotal)',
      type: 'amount' as const,
      value: '10000',
      expected: [['-10000'], '0', '0', '0'],
    },
    // 15000 > 10000: the discount is the subtotal, 10000; subtotal 0, never -5000
    {
      label: '15000 yen off (more than the subtotal)',
      type: 'amount' as const,
      value: '15000',
      expected: [['-10000'], '0', '0', '0'],
    },
    // 100% of 10000 = 10000: subtotal 0
    { label: '100% off', type: 'percent' as const, value: '100', expected: [['-10000'], '0', '0', '0'] },
  ])('$label', ({ type, value, expected }) => {
    const c = coupon({ code: 'AMOUNT000001', registeredAt, discountType: type, discountValue: value, validMonths: 3 });
    expect(outcome(rateMonth('2026-10', [c]))).toEqual(expected);
  });
});

describe('the month of registration is that of the billing time zone', () => {
  // 2026-10-31T23:30:00Z is October 31st in UTC, but November 1st 08:30 in Asia/Tokyo. Valid one month.
  const c = coupon({
    code: 'HALLOWEEN001',
    registeredAt: '2026-10-31T23:30:00Z',
    discountValue: '1000',
    validMonths: 1,
  });
  it.each([
    { zone: 'UTC', month: '2026-11', label: 'registered in October: applies to November', expected: OFF_1000 },
    { zone: 'UTC', month: '2026-12', label: 'November was its one month: not December', expected: NONE },
    { zone: 'Asia/Tokyo', month: '2026-11', label: 'registered in November: not November', expected: NONE },
    { zone: 'Asia/Tokyo', month: '2026-12', label: 'registered in November: applies to December', expected: OFF_1000 },
  ])('$zone $month: $label', ({ zone, month, expected }) => {
    expect(outcome(rateMonth(month, [c], zone))).toEqual(expected);
  });
});
