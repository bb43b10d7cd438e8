/** Capped (従量上限): min(usage x price, monthly cap); the cap is reached after 28 days. */
import { describe, expect, it } from 'vitest';
import { ECL, ROR, t, usage, version } from '../../helpers/rating.ts';
import { oct, rate, resourceOf } from './support.ts';

// 1CPU-4GB, 0.173612 yen/minute, capped at 7000 yen a month (seed 004's sample row).
const catalog = [
  version({
    productId: 'CMP-1C4G',
    category: 'compute',
    unitPrice: '0.173612',
    chargeType: 'capped',
    monthlyCap: '7000',
  }),
];

describe('capped: 0.173612/min with a 7000 cap', () => {
  it.each([
    // 0.173612 x 1 = 0.173612
    { minutes: 1, usageLine: '0.173612', capLine: null, amount: '0.173612', lplatform: '0' },
    // 0.173612 x 40319 = 6999.862228 (one minute short of 28 days: below the cap)
    { minutes: 40319, usageLine: '6999.862228', capLine: null, amount: '6999.862228', lplatform: '6999' },
    // 0.173612 x 40320 = 7000.03584 (28 days); cap line 7000 - 7000.03584 = -0.03584
    { minutes: 40320, usageLine: '7000.03584', capLine: '-0.03584', amount: '7000', lplatform: '7000' },
    // 0.173612 x 40321 = 7000.209452; cap line 7000 - 7000.209452 = -0.209452
    { minutes: 40321, usageLine: '7000.209452', capLine: '-0.209452', amount: '7000', lplatform: '7000' },
    // the whole of October, 31 x 1440 = 44640 min: 0.173612 x 44640 = 7750.03968; cap line -750.03968
    { minutes: 44640, usageLine: '7750.03968', capLine: '-750.03968', amount: '7000', lplatform: '7000' },
  ])(
    '$minutes minutes: usage $usageLine, cap $capLine, resource $amount',
    ({ minutes, usageLine, capLine, amount, lplatform }) => {
      const tree = rate({
        catalog,
        policy: ECL,
        usage: [usage({ productId: 'CMP-1C4G', start: oct(0), end: oct(minutes) })],
      });
      const res = resourceOf(tree, 'res-1');
      const usageLines = res.lines.filter((l) => l.kind === 'usage');
      expect(usageLines.map((l) => [l.measure.minutes, t(l.charged)])).toEqual([[minutes, usageLine]]);
      expect(res.lines.filter((l) => l.kind === 'cap').map((l) => t(l.charged))).toEqual(
        capLine === null ? [] : [capLine],
      );
      expect(t(res.amount)).toBe(amount);
      // ECL truncates the L-Platform to the yen.
      expect(t(tree.lplatforms[0]!.amount)).toBe(lplatform);
    },
  );

  it('sums the records of the month before capping (two halves of 28 days reach the cap together)', () => {
    const tree = rate({
      catalog,
      usage: [
        usage({ productId: 'CMP-1C4G', start: oct(0), end: oct(20160) }),
        usage({ productId: 'CMP-1C4G', start: oct(24000), end: oct(44160) }),
      ],
    });
    const res = resourceOf(tree, 'res-1');
    // 20160 + 20160 = 40320 min; 0.173612 x 40320 = 7000.03584 -> cap -0.03584 -> 7000
    expect(res.lines.filter((l) => l.kind === 'usage').map((l) => [l.measure.minutes, t(l.charged)])).toEqual([
      [40320, '7000.03584'],
    ]);
    expect(res.lines.filter((l) => l.kind === 'cap').map((l) => t(l.charged))).toEqual(['-0.03584']);
    expect(t(res.amount)).toBe('7000');
  });

  it.each([
    // 6999.862228 -> ROR half-up to the yen: 7000; ROR keeps the exact amount below the cap
    { minutes: 40319, amount: '7000' },
    // 7750.03968 -> 7750 and the cap line -750.03968 -> -750 (half-up to the yen): 7750 - 750 = 7000
    { minutes: 44640, amount: '7000' },
  ])('under ROR rounding, $minutes minutes give $amount', ({ minutes, amount }) => {
    const tree = rate({
      catalog,
      policy: ROR,
      usage: [usage({ productId: 'CMP-1C4G', start: oct(0), end: oct(minutes) })],
    });
    expect(t(resourceOf(tree, 'res-1').amount)).toBe(amount);
    expect(t(tree.total)).toBe(amount);
  });
});
