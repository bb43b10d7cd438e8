/** Consumption tax (ECL): truncate(base x rate) once per rate; the 8% -> 10% change on 2019-10-01. */
import { describe, expect, it } from 'vitest';
import type { Period } from '../../../src/rating/types.ts';
import { ECL, at, t, usage, version } from '../../helpers/rating.ts';
import { linesOf, monthPeriod, rate } from './support.ts';

// 0.074405 yen/minute, metered, used without a break from the first to the last instant of the period.
const catalog = [version({ productId: 'NET', category: 'network', unitPrice: '0.074405' })];
const rateWhole = (period: Period) =>
  rate({
    catalog,
    policy: ECL,
    period,
    usage: [usage({ productId: 'NET', start: '2019-07-01T00:00:00Z', end: '2019-12-31T00:00:00Z' })],
  });

describe('tax rates by date', () => {
  it.each([
    {
      label: 'August 2019: 8% only',
      period: monthPeriod('2019-08'),
      lines: [['8', 44640, '3321.4392']], // 44640 min x 0.074405 = 3321.4392
      subtotal: '3321', // truncated
      taxes: [['8', '3321', '265']], // 3321 x 8% = 265.68 -> 265
      tax: '265',
      total: '3586', // 3321 + 265
    },
    {
      label: 'November 2019: 10% only',
      period: monthPeriod('2019-11'),
      lines: [['10', 43200, '3214.296']], // 43200 min x 0.074405 = 3214.296
      subtotal: '3214',
      taxes: [['10', '3214', '321']], // 3214 x 10% = 321.4 -> 321
      tax: '321',
      total: '3535', // 3214 + 321
    },
    {
      label: '2019-09-30..2019-10-29 (cut-off on the 29th): one day at 8%, 29 days at 10%',
      period: {
        start: at('2019-09-30T00:00:00Z'),
        end: at('2019-10-30T00:00:00Z'),
        billingMonth: '2019-10',
        timeZone: 'UTC',
      },
      lines: [
        ['8', 1440, '107.1432'], // 09-30 = 1440 min x 0.074405 = 107.1432
        ['10', 41760, '3107.1528'], // 10-01..10-29 = 29 days = 41760 min x 0.074405 = 3107.1528
      ],
      subtotal: '3214', // 107.1432 + 3107.1528 = 3214.296 -> 3214
      taxes: [
        ['8', '107', '8'], // base 107 (107.1432 truncated); 107 x 8% = 8.56 -> 8
        ['10', '3107', '310'], // base 3214 - 107 = 3107 (= 3107.1528 truncated); 3107 x 10% = 310.7 -> 310
      ],
      tax: '318', // 8 + 310
      total: '3532', // 3214 + 8 + 310
    },
  ])('$label', ({ period, lines, subtotal, taxes, tax, total }) => {
    const tree = rateWhole(period);
    expect(linesOf(tree).map((l) => [t(l.taxPercent), l.measure.minutes, t(l.charged)])).toEqual(lines);
    expect(t(tree.subtotal)).toBe(subtotal);
    expect(tree.taxes.map((x) => [t(x.percent), t(x.base), t(x.amount)])).toEqual(taxes);
    expect(t(tree.tax)).toBe(tax);
    expect(t(tree.total)).toBe(total);
  });
});

describe('the tax change splits usage time without adding to it', () => {
  it('a record of exactly 24 h across 2019-10-01 00:00 UTC, at a half-minute offset, is 1440 min', () => {
    const period = {
      start: at('2019-09-30T00:00:00Z'),
      end: at('2019-10-30T00:00:00Z'),
      billingMonth: '2019-10',
      timeZone: 'UTC',
    };
    const tree = rate({
      catalog,
      policy: ECL,
      period,
      usage: [usage({ productId: 'NET', start: '2019-09-30T10:00:30Z', end: '2019-10-01T10:00:30Z' })],
    });
    // 13 h 59 min 30 s at 8% and 10 h 0 min 30 s at 10%: 24 h = 1440 min in all
    expect(linesOf(tree).reduce((n, l) => n + (l.measure.minutes ?? 0), 0)).toBe(1440);
  });
});
