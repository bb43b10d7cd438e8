/** Daily prorated (日割り): the monthly fee x days used / days in the month, in 28- to 31-day months. */
import { describe, expect, it } from 'vitest';
import { ECL, ROR, t, usage, version } from '../../helpers/rating.ts';
import { monthPeriod, rate, resourceOf } from './support.ts';

// VPN connection: 30,000 yen a month, prorated by the day.
const catalog = [
  version({ productId: 'VPN', category: 'vpn', unitCode: 'month', unitPrice: '30000', chargeType: 'daily_prorated' }),
];

describe('daily prorated', () => {
  it.each([
    // 28 days: 30000 x 10 / 28 = 10714.285714285... -> 10714.285714 (6 decimals, half-up); ROR 10714
    {
      month: '2026-02',
      start: '2026-02-05T00:00:00Z',
      end: '2026-02-15T00:00:00Z',
      days: 10,
      inMonth: 28,
      ecl: '10714.285714',
      ror: '10714',
    },
    // 29 days: 30000 x 10 / 29 = 10344.827586206... -> 10344.827586; ROR 10344.83 -> 10345
    {
      month: '2028-02',
      start: '2028-02-05T00:00:00Z',
      end: '2028-02-15T00:00:00Z',
      days: 10,
      inMonth: 29,
      ecl: '10344.827586',
      ror: '10345',
    },
    // 30 days: 30000 x 10 / 30 = 10000
    {
      month: '2026-04',
      start: '2026-04-05T00:00:00Z',
      end: '2026-04-15T00:00:00Z',
      days: 10,
      inMonth: 30,
      ecl: '10000',
      ror: '10000',
    },
    // 31 days: 30000 x 10 / 31 = 9677.419354838... -> 9677.419355; ROR 9677
    {
      month: '2026-10',
      start: '2026-10-05T00:00:00Z',
      end: '2026-10-15T00:00:00Z',
      days: 10,
      inMonth: 31,
      ecl: '9677.419355',
      ror: '9677',
    },
    // the whole month is the whole fee: 30000 x 28 / 28, x 29 / 29, x 30 / 30, x 31 / 31
    {
      month: '2026-02',
      start: '2026-02-01T00:00:00Z',
      end: '2026-03-01T00:00:00Z',
      days: 28,
      inMonth: 28,
      ecl: '30000',
      ror: '30000',
    },
    {
      month: '2028-02',
      start: '2028-02-01T00:00:00Z',
      end: '2028-03-01T00:00:00Z',
      days: 29,
      inMonth: 29,
      ecl: '30000',
      ror: '30000',
    },
    {
      month: '2026-04',
      start: '2026-03-20T00:00:00Z',
      end: '2026-05-10T00:00:00Z',
      days: 30,
      inMonth: 30,
      ecl: '30000',
      ror: '30000',
    },
    {
      month: '2026-10',
      start: '2026-10-01T00:00:00Z',
      end: '2026-11-01T00:00:00Z',
      days: 31,
      inMonth: 31,
      ecl: '30000',
      ror: '30000',
    },
    // 2028-02-29 alone: 30000 x 1 / 29 = 1034.482758620... -> 1034.482759; ROR 1034
    {
      month: '2028-02',
      start: '2028-02-29T00:00:00Z',
      end: '2028-03-01T00:00:00Z',
      days: 1,
      inMonth: 29,
      ecl: '1034.482759',
      ror: '1034',
    },
    // two hours across midnight touch two days: 30000 x 2 / 31 = 1935.483870967... -> 1935.483871; ROR 1935
    {
      month: '2026-10',
      start: '2026-10-05T23:00:00Z',
      end: '2026-10-06T01:00:00Z',
      days: 2,
      inMonth: 31,
      ecl: '1935.483871',
      ror: '1935',
    },
    // begun in September, ended 10-03 12:00: October 1, 2, 3 = 3 days; 30000 x 3 / 31 = 2903.225806451... -> 2903.225806; ROR 2903
    {
      month: '2026-10',
      start: '2026-09-25T00:00:00Z',
      end: '2026-10-03T12:00:00Z',
      days: 3,
      inMonth: 31,
      ecl: '2903.225806',
      ror: '2903',
    },
  ])('$month: $days of $inMonth days -> $ecl (ECL), $ror (ROR)', ({ month, start, end, days, inMonth, ecl, ror }) => {
    for (const [policy, expected] of [
      [ECL, ecl],
      [ROR, ror],
    ] as const) {
      const tree = rate({
        catalog,
        policy,
        period: monthPeriod(month),
        usage: [usage({ productId: 'VPN', start, end })],
      });
      const res = resourceOf(tree, 'res-1');
      expect(res.lines.map((l) => [l.kind, l.measure.days, l.measure.daysInPeriod, t(l.charged)])).toEqual([
        ['fee', days, inMonth, expected],
      ]);
      expect(t(res.amount)).toBe(expected);
    }
  });

  it.each([
    // Tokyo's October 5th is 2026-10-04T15:00Z..2026-10-05T15:00Z: 1 day; 30000 x 1 / 31 = 967.741935483... -> 967.741935
    { zone: 'Asia/Tokyo', days: 1, charged: '967.741935' },
    // the same instants in UTC touch October 4th and 5th: 2 days; 30000 x 2 / 31 = 1935.483870967... -> 1935.483871
    { zone: 'UTC', days: 2, charged: '1935.483871' },
  ])('counts days in the billing time zone ($zone: $days day(s))', ({ zone, days, charged }) => {
    const tree = rate({
      catalog,
      period: monthPeriod('2026-10', zone),
      usage: [usage({ productId: 'VPN', start: '2026-10-04T15:00:00Z', end: '2026-10-05T15:00:00Z' })],
    });
    expect(resourceOf(tree, 'res-1').lines.map((l) => [l.measure.days, l.measure.daysInPeriod, t(l.charged)])).toEqual([
      [days, 31, charged],
    ]);
  });

  it('counts a day used by two records once', () => {
    const tree = rate({
      catalog,
      usage: [
        usage({ productId: 'VPN', start: '2026-10-05T01:00:00Z', end: '2026-10-05T02:00:00Z' }),
        usage({ productId: 'VPN', start: '2026-10-05T10:00:00Z', end: '2026-10-06T10:00:00Z' }),
      ],
    });
    // days used: 10-05 and 10-06 = 2; 30000 x 2 / 31 = 1935.483870967... -> 1935.483871
    expect(resourceOf(tree, 'res-1').lines.map((l) => [l.measure.days, t(l.charged)])).toEqual([[2, '1935.483871']]);
  });
});
