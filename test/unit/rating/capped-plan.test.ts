/**
 * Capped with plan changes (the two-stage cap, seed 004 2.3): per plan min(summed usage x price, its
 * cap), then min(sum of those, the largest cap of the plans used in the month).
 */
import { describe, expect, it } from 'vitest';
import { ECL, t, usage, version } from '../../helpers/rating.ts';
import { describeLine, octDay, rate, resourceOf } from './support.ts';

// Plan A: 1CPU-4GB, 0.173612/min, cap 7000. Plan B: 2CPU-8GB, 0.347223/min, cap 14000. One plan group.
const plan = { category: 'compute', chargeType: 'capped_plan', planGroup: 'flavor', timeBasis: 'operating' } as const;
const catalog = [
  version({ productId: 'A', unitPrice: '0.173612', monthlyCap: '7000', ...plan }),
  version({ productId: 'B', unitPrice: '0.347223', monthlyCap: '14000', ...plan }),
];

/** Segments of one server's month: [plan, from day, to day] with day 0 = 2026-10-01 and 31 = 11-01. */
type Segment = [string, number, number];
const records = (segments: Segment[]) =>
  segments.map(([productId, from, to]) =>
    usage({ productId, timeKind: 'operating', start: octDay(from), end: octDay(to) }),
  );

describe('two-stage cap', () => {
  it.each<{ label: string; segments: Segment[]; lines: string[]; amount: string }>([
    {
      label: 'one change A->B, no cap binds',
      segments: [
        ['A', 0, 10],
        ['B', 10, 31],
      ],
      lines: [
        'usage A 14400min 2500.0128', // 10 days = 14400 min; 0.173612 x 14400 = 2500.0128
        'usage B 30240min 10500.02352', // 21 days = 30240 min; 0.347223 x 30240 = 10500.02352
      ],
      amount: '13000.03632', // 2500.0128 + 10500.02352 = 13000.03632 < max(7000, 14000)
    },
    {
      label: "A->B->A: A's two intervals are summed before A's cap",
      segments: [
        ['A', 0, 14],
        ['B', 14, 17],
        ['A', 17, 31],
      ],
      lines: [
        'usage A 40320min 7000.03584', // 14 + 14 days = 40320 min; 0.173612 x 40320 = 7000.03584 (each half alone, 3500.01792, is under the cap)
        'cap -0.03584', // A capped at 7000: 7000 - 7000.03584
        'usage B 4320min 1500.00336', // 3 days = 4320 min; 0.347223 x 4320 = 1500.00336
      ],
      amount: '8500.00336', // 7000 + 1500.00336 = 8500.00336 < 14000
    },
    {
      label: 'the second stage binds (sum of capped plans > largest cap), no single plan reaches its own cap',
      segments: [
        ['A', 0, 5],
        ['B', 5, 31],
      ],
      lines: [
        'usage A 7200min 1250.0064', // 5 days = 7200 min; 0.173612 x 7200 = 1250.0064 < 7000
        'usage B 37440min 13000.02912', // 26 days = 37440 min; 0.347223 x 37440 = 13000.02912 < 14000
        'cap -250.03552', // 1250.0064 + 13000.02912 = 14250.03552 > 14000: 14000 - 14250.03552
      ],
      amount: '14000',
    },
    {
      label: "the second stage binds after B->A too (the largest cap is the earlier plan's)",
      segments: [
        ['B', 0, 26],
        ['A', 26, 31],
      ],
      lines: [
        'usage A 7200min 1250.0064', // 0.173612 x 7200 = 1250.0064
        'usage B 37440min 13000.02912', // 0.347223 x 37440 = 13000.02912
        'cap -250.03552', // 14250.03552 - 14000
      ],
      amount: '14000',
    },
    {
      label: "a single plan's cap binds, the second stage does not",
      segments: [
        ['A', 0, 30],
        ['B', 30, 31],
      ],
      lines: [
        'usage A 43200min 7500.0384', // 30 days = 43200 min; 0.173612 x 43200 = 7500.0384
        'cap -500.0384', // A capped at 7000: 7000 - 7500.0384
        'usage B 1440min 500.00112', // 1 day = 1440 min; 0.347223 x 1440 = 500.00112
      ],
      amount: '7500.00112', // 7000 + 500.00112 = 7500.00112 < 14000
    },
    {
      label: "both stages bind: B's own cap, then the largest cap",
      segments: [
        ['A', 0, 2],
        ['B', 2, 31],
      ],
      lines: [
        'usage A 2880min 500.00256', // 2 days = 2880 min; 0.173612 x 2880 = 500.00256
        'usage B 41760min 14500.03248', // 29 days = 41760 min; 0.347223 x 41760 = 14500.03248
        'cap -500.03248', // B capped at 14000: 14000 - 14500.03248
        'cap -500.00256', // 500.00256 + 14000 = 14500.00256 > 14000: 14000 - 14500.00256
      ],
      amount: '14000',
    },
  ])('$label', ({ segments, lines, amount }) => {
    const tree = rate({ catalog, policy: ECL, usage: records(segments) });
    const res = resourceOf(tree, 'res-1');
    // Cap lines are compared without their product (the second stage belongs to no single plan).
    expect(res.lines.map((l) => describeLine(l, l.kind !== 'cap')).sort()).toEqual([...lines].sort());
    expect(t(res.amount)).toBe(amount);
  });

  it('a single plan all month is an ordinary capped item', () => {
    const tree = rate({ catalog, usage: records([['A', 0, 31]]) });
    const res = resourceOf(tree, 'res-1');
    // 44640 min; 0.173612 x 44640 = 7750.03968; cap 7000 - 7750.03968 = -750.03968
    expect(res.lines.map((l) => describeLine(l, l.kind !== 'cap'))).toEqual([
      'usage A 44640min 7750.03968',
      'cap -750.03968',
    ]);
    expect(t(res.amount)).toBe('7000');
  });
});
