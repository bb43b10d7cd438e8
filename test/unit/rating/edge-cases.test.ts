/** Corrections computed on charged amounts, tax splits, DST days, coupon windows and strict inputs. */
import { describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.ts';
import { startOfLocalDay, datesTouched } from '../../../src/domain/calendar.ts';
import { RatingError } from '../../../src/rating/errors.ts';
import { ECL, ROR, at, coupon, t, usage, version } from '../../helpers/rating.ts';
import { linesOf, monthPeriod, oct, octDay, rate } from './support.ts';

const ROR_UP = { ...ROR, roundingMode: 'up' as const };
const ROR_DOWN = { ...ROR, roundingMode: 'down' as const };

describe('a cap holds on the charged amounts, whatever the rounding', () => {
  // 10.01/h until 15 October, 10.03/h after; cap 7000. 14 days = 20160 min: 10.01 x 336 h = 3363.36;
  // 17 days = 24480 min: 10.03 x 408 h = 4092.24; together 7455.6, over the cap.
  const catalog = [
    version({
      productId: 'VM',
      unitCode: 'hour',
      unitPrice: '10.01',
      chargeType: 'capped',
      monthlyCap: '7000',
      to: at('2026-10-14T23:59:59.999Z'),
    }),
    version({
      productId: 'VM',
      priority: 1,
      unitCode: 'hour',
      unitPrice: '10.03',
      chargeType: 'capped',
      monthlyCap: '7000',
      from: at('2026-10-15T00:00:00Z'),
    }),
  ];
  it.each([ROR, ROR_UP, ROR_DOWN, ECL])('charges exactly the cap under %j', (policy) => {
    const tree = rate({ catalog, policy, usage: [usage({ productId: 'VM', start: oct(0), end: octDay(31) })] });
    // ror: 3363 (3364 up) + 4092 (4093 up) and a cap line of 7000 - that sum; ecl: 6 decimals.
    expect(t(tree.lplatforms[0]!.resources[0]!.amount)).toBe('7000');
  });

  it('a cap on a size that changes mid-month, rounded down', () => {
    // 1 GB then 2 GB at 0.5/h, cap 500: 0.5 x 400 h + 0.5 x 2 x 344 h = 200 + 344 = 544 -> 500.
    const disk = [
      version({
        productId: 'DK',
        category: 'disk',
        unitCode: 'hour',
        unitPrice: '0.5',
        chargeType: 'capped',
        monthlyCap: '500',
      }),
    ];
    const tree = rate({
      catalog: disk,
      policy: ROR_DOWN,
      usage: [
        usage({ productId: 'DK', start: oct(0), end: oct(400 * 60), sizeGb: '1' }),
        usage({ productId: 'DK', start: oct(400 * 60), end: octDay(31), sizeGb: '2' }),
      ],
    });
    expect(t(tree.lplatforms[0]!.sum)).toBe('500');
  });
});

describe('the free allowance credits charged amounts, per tax rate', () => {
  const net = version({
    productId: 'NET',
    unitPrice: '0.074405',
    rule: 'network_allowance',
    ruleParams: { free_units: '5' },
  });
  it.each([ROR, ROR_UP, ROR_DOWN])('five networks all month are entirely free under %j', (policy) => {
    const tree = rate({
      catalog: [net],
      policy,
      usage: [1, 2, 3, 4, 5].map((n) =>
        usage({ productId: 'NET', resourceId: `net-${n}`, start: oct(0), end: octDay(31) }),
      ),
    });
    expect(t(tree.lplatforms[0]!.amount)).toBe('0');
  });

  it('splits the credit by the tax rate of the lines it credits', () => {
    // Period 2019-09-21 .. 10-21 (30 days = 43200 min), tax 8% then 10% from 10-01. Six networks all
    // period: 6 x 43200 network-minutes, 5 x 43200 free. net-1..net-5 are free in full (10 days at 8%,
    // 20 days at 10% each); net-6 pays 0.074405 x 14400 = 1071.432 at 8% and x 28800 = 2142.864 at 10%.
    const period = {
      start: at('2019-09-21T00:00:00Z'),
      end: at('2019-10-21T00:00:00Z'),
      billingMonth: '2019-10',
      timeZone: 'UTC',
    };
    const tree = rate({
      catalog: [net],
      period,
      policy: ECL,
      usage: [1, 2, 3, 4, 5, 6].map((n) =>
        usage({ productId: 'NET', resourceId: `net-${n}`, start: '2019-09-21T00:00:00Z', end: '2019-10-21T00:00:00Z' }),
      ),
    });
    const allowances = tree.lplatforms[0]!.lines.map((l) => [t(l.taxPercent), t(l.charged)]);
    // 5 x 1071.432 = 5357.16 at 8%, 5 x 2142.864 = 10714.32 at 10%.
    expect(allowances).toEqual([
      ['8', '-5357.16'],
      ['10', '-10714.32'],
    ]);
    // L-Platform 3214.296 -> 3214; bases 1071 (8%) and 2143 (10%, takes the truncation remainder);
    // tax 85.68 -> 85 and 214.3 -> 214.
    expect(tree.taxes.map((x) => [t(x.percent), t(x.base), t(x.amount)])).toEqual([
      ['8', '1071', '85'],
      ['10', '2143', '214'],
    ]);
  });
});

describe('coupons are spread over the tax rates, never below zero', () => {
  it('a 5000 coupon on 18000 at 8% and 600 at 10%', () => {
    const catalog = [
      version({ productId: 'FEE', unitCode: 'month', unitPrice: '18000', chargeType: 'monthly_fixed' }),
      version({ productId: 'VM', unitCode: 'hour', unitPrice: '1' }),
    ];
    const period = {
      start: at('2019-09-21T00:00:00Z'),
      end: at('2019-10-21T00:00:00Z'),
      billingMonth: '2019-10',
      timeZone: 'UTC',
    };
    const tree = rate({
      catalog,
      period,
      policy: ECL,
      usage: [
        usage({ productId: 'FEE', resourceId: 'f', start: '2019-09-21T00:00:00Z', end: '2019-09-25T00:00:00Z' }),
        usage({ productId: 'VM', resourceId: 'v', start: '2019-10-01T00:00:00Z', end: '2019-10-26T00:00:00Z' }),
      ],
      coupons: [coupon({ code: 'SAVE50000000', registeredAt: '2019-08-10T00:00:00Z', discountValue: '5000' })],
    });
    // usage 2019-10-01..10-21 = 480 h = 480 at 10%; subtotal 18480 - 5000 = 13480.
    expect(t(tree.subtotal)).toBe('13480');
    // discount spread in proportion: 10% base 480 takes trunc(5000 x 480 / 18480) = 129, 8% takes 4871.
    expect(tree.taxes.map((x) => [t(x.percent), t(x.base), t(x.amount)])).toEqual([
      ['8', '13129', '1050'],
      ['10', '351', '35'],
    ]);
  });
});

describe('usage is not cut at tax dates when tax is off', () => {
  it('one line across 2019-10-01 under ror', () => {
    const tree = rate({
      catalog: [version({ productId: 'VM', unitCode: 'hour', unitPrice: '1.25' })],
      policy: ROR,
      period: {
        start: at('2019-09-21T00:00:00Z'),
        end: at('2019-10-21T00:00:00Z'),
        billingMonth: '2019-10',
        timeZone: 'UTC',
      },
      usage: [usage({ productId: 'VM', start: '2019-09-30T23:30:00Z', end: '2019-10-01T00:30:00Z' })],
    });
    // 60 minutes in one line: 1.25 -> 1 (two half-hour lines would each round 0.625 to 1: 2).
    expect(linesOf(tree).map((l) => [l.measure.minutes, t(l.charged)])).toEqual([[60, '1']]);
  });
});

describe('days in a zone whose DST starts at midnight', () => {
  it('Santiago, 6 September 2026: the day starts at 01:00 local', () => {
    expect(new Date(startOfLocalDay(2026, 9, 6, 'America/Santiago')).toISOString()).toBe('2026-09-06T04:00:00.000Z');
    // 5 Sep 08:00 local to 5 Sep 23:30 local touches one day only.
    expect(datesTouched(at('2026-09-05T12:00:00Z'), at('2026-09-06T03:30:00Z'), 'America/Santiago')).toEqual([
      '2026-09-05',
    ]);
  });

  it('Berlin, October 2026: 31 days, the 25th counted once', () => {
    expect(new Date(startOfLocalDay(2026, 10, 1, 'Europe/Berlin')).toISOString()).toBe('2026-09-30T22:00:00.000Z');
    expect(new Date(startOfLocalDay(2026, 11, 1, 'Europe/Berlin')).toISOString()).toBe('2026-10-31T23:00:00.000Z');
    expect(
      datesTouched(
        startOfLocalDay(2026, 10, 1, 'Europe/Berlin'),
        startOfLocalDay(2026, 11, 1, 'Europe/Berlin'),
        'Europe/Berlin',
      ),
    ).toHaveLength(31);
  });
});

describe('a free link is one month of one link', () => {
  it('a 1 Gbps link of quantity 2 gets one link free', () => {
    const cic = version({
      productId: 'CIC',
      unitCode: 'month',
      unitPrice: '54000',
      chargeType: 'monthly_fixed',
      rule: 'first_link_free',
      ruleParams: { free_links: '1' },
    });
    const tree = rate({
      catalog: [cic],
      policy: ROR,
      usage: [usage({ productId: 'CIC', resourceId: 'cic-1', start: oct(0), end: octDay(31), quantity: '2' })],
    });
    // 54000 x 2 = 108000, one link free: -54000.
    expect(linesOf(tree).map((l) => [l.kind, t(l.charged)])).toEqual([
      ['fee', '108000'],
      ['free_link', '-54000'],
    ]);
  });
});

describe('coupons take effect from the month after registration', () => {
  const catalog = [version({ productId: 'VM', unitCode: 'month', unitPrice: '10000', chargeType: 'monthly_fixed' })];
  const cutoff20 = (month: string, start: string, end: string) => ({
    start: at(start),
    end: at(end),
    billingMonth: month,
    timeZone: 'UTC',
  });
  it.each([
    // registered 2026-10-25: effective from 2026-11-01; the period 10-21..11-21 starts before it.
    ['2026-11', '2026-10-21T00:00:00Z', '2026-11-21T00:00:00Z', '10000'],
    ['2026-12', '2026-11-21T00:00:00Z', '2026-12-21T00:00:00Z', '9000'],
    ['2027-01', '2026-12-21T00:00:00Z', '2027-01-21T00:00:00Z', '9000'],
    // valid 2 months: periods starting before 2027-01-01 only.
    ['2027-02', '2027-01-21T00:00:00Z', '2027-02-21T00:00:00Z', '10000'],
  ])('cut-off day 20, billing month %s', (month, start, end, total) => {
    const tree = rate({
      catalog,
      policy: ROR,
      period: cutoff20(month, start, end),
      usage: [usage({ productId: 'VM', start, end })],
      coupons: [
        coupon({
          code: 'TENPERCENT26',
          registeredAt: '2026-10-25T00:00:00Z',
          discountType: 'percent',
          discountValue: '10',
          validMonths: 2,
        }),
      ],
    });
    expect(t(tree.total)).toBe(total);
  });
});

describe('inputs the engine refuses', () => {
  it.each([
    [
      'a quantity record for a per-minute product',
      [version({ productId: 'P', unitPrice: '1' })],
      usage({ productId: 'P', start: oct(10), end: null }),
      /priced per minute, but the record is a quantity/,
    ],
    [
      'an interval for a per-unit product',
      [version({ productId: 'U', unitCode: 'unit', unitPrice: '1' })],
      usage({ productId: 'U', start: oct(0), end: oct(10) }),
      /priced per unit, but the record is an interval/,
    ],
    [
      'a CPU record without its clock',
      [
        version({ productId: 'C', category: 'cpu', resourceIdentifier: '/P', unitCode: 'hour', unitPrice: '1' }),
        version({ productId: 'K', category: 'cpu_clock', resourceIdentifier: '/P', unitCode: 'hour', unitPrice: '1' }),
      ],
      usage({ productId: 'C', start: oct(0), end: oct(60), cpuCount: 1 }),
      /a CPU record needs cpu_count and clock_ghz/,
    ],
    [
      'a CPU product with no clock product for its pool',
      [version({ productId: 'C', category: 'cpu', resourceIdentifier: '/P', unitCode: 'hour', unitPrice: '1' })],
      usage({ productId: 'C', start: oct(0), end: oct(60), cpuCount: 1, clockGhz: '2' }),
      /has no cpu_clock product for its pool/,
    ],
    [
      'an unknown rule',
      [{ ...version({ productId: 'R', unitPrice: '1' }), rule: 'mystery' as never }],
      usage({ productId: 'R', start: oct(0), end: oct(60) }),
      /unknown rule "mystery"/,
    ],
  ])('%s', (_what, catalog, record, message) => {
    expect(() => rate({ catalog, usage: [record] })).toThrow(RatingError);
    expect(() => rate({ catalog, usage: [record] })).toThrow(message);
  });
});

describe('monitoring menus', () => {
  it('the basic plan is free, paid plans and add-ons are monthly fixed per unit', () => {
    const catalog = [
      version({
        productId: 'MON-B',
        category: 'monitoring',
        unitCode: 'month',
        unitPrice: '0',
        chargeType: 'monthly_fixed',
      }),
      version({
        productId: 'MON-A',
        category: 'monitoring',
        unitCode: 'month',
        unitPrice: '3000',
        chargeType: 'monthly_fixed',
      }),
      version({
        productId: 'ALARM',
        category: 'monitoring',
        unitCode: 'month',
        unitPrice: '500',
        chargeType: 'monthly_fixed',
      }),
    ];
    const tree = rate({
      catalog,
      policy: ROR,
      usage: [
        usage({ productId: 'MON-B', resourceId: 'mon', start: oct(0), end: octDay(31) }),
        usage({ productId: 'MON-A', resourceId: 'mon-adv', start: oct(0), end: octDay(31) }),
        usage({ productId: 'ALARM', resourceId: 'alarms', start: oct(0), end: octDay(31), quantity: '3' }),
      ],
    });
    // 0 + 3000 + 500 x 3 = 4500.
    expect(linesOf(tree).map((l) => [l.productId, t(l.charged)])).toEqual([
      ['ALARM', '1500'],
      ['MON-B', '0'],
      ['MON-A', '3000'],
    ]);
    expect(t(tree.total)).toBe('4500');
  });
});

describe('decimal values stay exact', () => {
  it('1/3 of a month is exact to 50 significant digits', () => {
    const d = dec(30000).times(10).div(31);
    expect(d.toFixed(6)).toBe('9677.419355');
    expect(monthPeriod('2026-10').billingMonth).toBe('2026-10');
  });
});
