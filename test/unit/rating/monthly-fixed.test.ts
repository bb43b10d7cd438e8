/** Monthly fixed (月額固定): the fee once for each start in the month; a yearly price is a twelfth a month. */
import { describe, expect, it } from 'vitest';
import { ECL, ROR, t, usage, version } from '../../helpers/rating.ts';
import { rate, resourceOf } from './support.ts';

// Bare-metal server OS (RHEL, GP2): 10,800 yen a month (seed 004's sample row).
const catalog = [
  version({ productId: 'BM-RHEL', category: 'pm', unitCode: 'month', unitPrice: '10800', chargeType: 'monthly_fixed' }),
];
const records = (intervals: [string, string][]) =>
  intervals.map(([start, end]) => usage({ productId: 'BM-RHEL', start, end }));

describe('monthly fixed: starts counted', () => {
  it.each<{ label: string; intervals: [string, string][]; runs: number; amount: string }>([
    // 10800 x 1 = 10800
    {
      label: 'one run inside the month',
      intervals: [['2026-10-05T00:00:00Z', '2026-10-20T00:00:00Z']],
      runs: 1,
      amount: '10800',
    },
    // one minute is a whole month's fee: 10800 x 1
    {
      label: 'one run of one minute',
      intervals: [['2026-10-05T00:00:00Z', '2026-10-05T00:01:00Z']],
      runs: 1,
      amount: '10800',
    },
    // 10800 x 2 = 21600
    {
      label: 'two runs with a gap',
      intervals: [
        ['2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z'],
        ['2026-10-10T00:00:00Z', '2026-10-12T00:00:00Z'],
      ],
      runs: 2,
      amount: '21600',
    },
    // the second record starts where the first ends: one run, 10800 x 1
    {
      label: 'two adjacent records are one run',
      intervals: [
        ['2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z'],
        ['2026-10-05T00:00:00Z', '2026-10-12T00:00:00Z'],
      ],
      runs: 1,
      amount: '10800',
    },
    // started in September, still running in October: 10800 x 1
    {
      label: 'a run begun in the previous month counts once',
      intervals: [['2026-09-20T00:00:00Z', '2026-10-10T00:00:00Z']],
      runs: 1,
      amount: '10800',
    },
    // started in September and running past the end of October: 10800 x 1
    {
      label: 'a run covering the whole month and more counts once',
      intervals: [['2026-09-20T00:00:00Z', '2026-11-20T00:00:00Z']],
      runs: 1,
      amount: '10800',
    },
    // the September run (reaching into October) and a restart on 10-15: 10800 x 2 = 21600
    {
      label: 'a run from the previous month plus a restart',
      intervals: [
        ['2026-09-20T00:00:00Z', '2026-10-10T00:00:00Z'],
        ['2026-10-15T00:00:00Z', '2026-11-05T00:00:00Z'],
      ],
      runs: 2,
      amount: '21600',
    },
    // 10800 x 3 = 32400
    {
      label: 'three runs',
      intervals: [
        ['2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z'],
        ['2026-10-03T00:00:00Z', '2026-10-04T00:00:00Z'],
        ['2026-10-30T00:00:00Z', '2026-10-31T00:00:00Z'],
      ],
      runs: 3,
      amount: '32400',
    },
  ])('$label: $runs run(s), $amount', ({ intervals, runs, amount }) => {
    const res = resourceOf(rate({ catalog, usage: records(intervals) }), 'res-1');
    expect(res.lines.map((l) => [l.kind, l.measure.runs, t(l.charged)])).toEqual([['fee', runs, amount]]);
    expect(t(res.amount)).toBe(amount);
  });

  it.each<{ label: string; intervals: [string, string][] }>([
    { label: 'a run wholly in the previous month', intervals: [['2026-09-01T00:00:00Z', '2026-09-30T00:00:00Z']] },
    // periods are half-open: ending at 2026-10-01T00:00Z is not using October
    {
      label: 'a run ending exactly at the start of the period',
      intervals: [['2026-09-20T00:00:00Z', '2026-10-01T00:00:00Z']],
    },
    {
      label: 'a run starting exactly at the end of the period',
      intervals: [['2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z']],
    },
  ])('$label: nothing', ({ intervals }) => {
    const tree = rate({ catalog, usage: records(intervals) });
    expect(tree.lplatforms).toEqual([]);
    expect(t(tree.total)).toBe('0');
  });
});

describe('monthly fixed: a yearly price is a twelfth a month', () => {
  it.each([
    // 129600 / 12 = 10800
    { price: '129600', runs: 1, policy: ECL, charged: '10800', lplatform: '10800' },
    // 100000 / 12 = 8333.3333... -> ECL line to 6 decimals 8333.333333; L-Platform truncated 8333
    { price: '100000', runs: 1, policy: ECL, charged: '8333.333333', lplatform: '8333' },
    // 2 x 100000 / 12 = 16666.6666... -> 16666.666667 (half-up at 6 decimals); truncated 16666
    { price: '100000', runs: 2, policy: ECL, charged: '16666.666667', lplatform: '16666' },
    // ROR: 8333.333... half-up to the yen = 8333
    { price: '100000', runs: 1, policy: ROR, charged: '8333', lplatform: '8333' },
    // ROR up: 8333.333... -> 8334
    { price: '100000', runs: 1, policy: { ...ROR, roundingMode: 'up' as const }, charged: '8334', lplatform: '8334' },
  ])(
    '$price a year, $runs run(s), $policy.preset $policy.roundingMode: $charged',
    ({ price, runs, policy, charged, lplatform }) => {
      const yearly = [
        version({
          productId: 'LIC-Y',
          category: 'license',
          unitCode: 'year',
          unitPrice: price,
          chargeType: 'monthly_fixed',
        }),
      ];
      const intervals: [string, string][] = [
        ['2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z'],
        ['2026-10-10T00:00:00Z', '2026-10-12T00:00:00Z'],
      ];
      const tree = rate({
        catalog: yearly,
        policy,
        usage: intervals.slice(0, runs).map(([start, end]) => usage({ productId: 'LIC-Y', start, end })),
      });
      const res = resourceOf(tree, 'res-1');
      expect(res.lines.map((l) => [l.kind, l.measure.runs, t(l.charged)])).toEqual([['fee', runs, charged]]);
      expect(t(tree.lplatforms[0]!.amount)).toBe(lplatform);
    },
  );
});
