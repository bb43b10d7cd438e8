/** Edges of a tenant's month: no usage at all, and a resource deleted (or an L-Platform returned) mid-month. */
import { describe, expect, it } from 'vitest';
import { ECL, ROR, at, coupon, t, usage, version } from '../../helpers/rating.ts';
import { maybeResource, rate, resourceOf } from './support.ts';

const catalog = [
  version({ productId: 'CMP', category: 'compute', unitPrice: '0.173612', chargeType: 'capped', monthlyCap: '7000' }),
  version({ productId: 'BM', category: 'pm', unitCode: 'month', unitPrice: '10800', chargeType: 'monthly_fixed' }),
  version({ productId: 'VPN', category: 'vpn', unitCode: 'month', unitPrice: '30000', chargeType: 'daily_prorated' }),
];

describe('a tenant with no usage', () => {
  it.each([
    { label: 'no records, ECL', policy: ECL, records: [] },
    { label: 'no records, ROR', policy: ROR, records: [] },
    {
      label: 'records only outside the period',
      policy: ECL,
      records: [usage({ productId: 'CMP', start: '2026-09-01T00:00:00Z', end: '2026-10-01T00:00:00Z' })],
    },
  ])('$label: an empty tree, every total 0', ({ policy, records }) => {
    const tree = rate({ catalog, policy, usage: records });
    expect(tree.lplatforms).toEqual([]);
    expect(tree.tenantLines).toEqual([]);
    expect([t(tree.beforeDiscount), t(tree.discount), t(tree.subtotal), t(tree.tax), t(tree.total)]).toEqual([
      '0',
      '0',
      '0',
      '0',
      '0',
    ]);
    expect(tree.taxes.every((x) => x.amount.isZero())).toBe(true);
  });

  it('a coupon has nothing to discount: totals stay 0, never negative', () => {
    const c = coupon({ registeredAt: '2026-09-10T00:00:00Z', discountValue: '1000' });
    const tree = rate({ catalog, usage: [], coupons: [c] });
    expect(tree.tenantLines.filter((l) => !l.charged.isZero())).toEqual([]);
    expect([t(tree.discount), t(tree.subtotal), t(tree.total)]).toEqual(['0', '0', '0']);
  });
});

describe('a deleted resource is charged only to its end', () => {
  it.each([
    // 10-01 00:00 -> 10-10 12:00 = 9.5 days = 13680 min; 0.173612 x 13680 = 2375.01216
    {
      label: 'capped, created this month',
      productId: 'CMP',
      start: '2026-10-01T00:00:00Z',
      end: '2026-10-10T12:00:00Z',
      amount: '2375.01216',
    },
    // created in September: October's part 10-01 00:00 -> 10-10 12:00 = 13680 min; 2375.01216
    {
      label: 'capped, created last month',
      productId: 'CMP',
      start: '2026-09-15T00:00:00Z',
      end: '2026-10-10T12:00:00Z',
      amount: '2375.01216',
    },
    // 10-03 00:00 -> 10-10 12:00 = 7.5 days = 10800 min; 0.173612 x 10800 = 1875.0096
    {
      label: 'capped, created on the 3rd',
      productId: 'CMP',
      start: '2026-10-03T00:00:00Z',
      end: '2026-10-10T12:00:00Z',
      amount: '1875.0096',
    },
    // a monthly fixed fee is the month's fee however short the use: 10800
    {
      label: 'monthly fixed, one day',
      productId: 'BM',
      start: '2026-10-03T00:00:00Z',
      end: '2026-10-04T00:00:00Z',
      amount: '10800',
    },
    // days 10-01..10-10 = 10 days; 30000 x 10 / 31 = 9677.419354838... -> 9677.419355
    {
      label: 'daily prorated',
      productId: 'VPN',
      start: '2026-09-20T00:00:00Z',
      end: '2026-10-10T12:00:00Z',
      amount: '9677.419355',
    },
  ])('$label: $amount', ({ productId, start, end, amount }) => {
    const tree = rate({ catalog, usage: [usage({ productId, start, end })] });
    expect(t(resourceOf(tree, 'res-1').amount)).toBe(amount);
  });

  it('a resource deleted exactly at the start of the period is not charged', () => {
    const tree = rate({
      catalog,
      usage: [usage({ productId: 'CMP', start: '2026-09-15T00:00:00Z', end: '2026-10-01T00:00:00Z' })],
    });
    expect(maybeResource(tree, 'res-1')).toBeUndefined();
    expect(t(tree.total)).toBe('0');
  });

  it('an L-Platform returned mid-month keeps its return date and its charges to that date', () => {
    const returnedAt = at('2026-10-10T12:00:00Z');
    const tree = rate({
      catalog,
      lplatforms: [{ id: 'LP1', name: 'one', returnedAt }],
      usage: [usage({ productId: 'CMP', start: '2026-09-15T00:00:00Z', end: '2026-10-10T12:00:00Z' })],
    });
    // 13680 min x 0.173612 = 2375.01216; ECL truncates the L-Platform to 2375
    expect([tree.lplatforms[0]!.returnedAt, t(tree.lplatforms[0]!.sum), t(tree.lplatforms[0]!.amount)]).toEqual([
      returnedAt,
      '2375.01216',
      '2375',
    ]);
  });
});
