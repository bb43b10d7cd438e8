/**
 * ROR units and rounding: `hour` = price/60 x minutes x amount (GB for memory and disks), `month` =
 * fixed, `year` = price/12; CPU = (CPU price + clock price x GHz/0.1)/60 x CPU count x minutes. Each
 * item is rounded to the currency's minor unit: half-up (the ROR preset), up or down.
 */
import { describe, expect, it } from 'vitest';
import type { RatingPolicy, UsageRecord } from '../../../src/rating/types.ts';
import type { CatalogVersion } from '../../../src/rating/types.ts';
import { ROR, t, usage, version } from '../../helpers/rating.ts';
import { linesOf, oct, rate } from './support.ts';

const UP: RatingPolicy = { ...ROR, roundingMode: 'up' };
const DOWN: RatingPolicy = { ...ROR, roundingMode: 'down' };

const hourly = (
  productId: string,
  category: CatalogVersion['category'],
  resourceIdentifier: string,
  unitPrice: string,
  currency: CatalogVersion['currency'] = 'JPY',
) => version({ productId, category, resourceIdentifier, unitCode: 'hour', unitPrice, currency });
const catalog = [
  hourly('IMG', 'vm', 'image001', '1.2'),
  hourly('CPU', 'cpu', '/VMPool', '1.6667'),
  hourly('CLK', 'cpu_clock', '/VMPool', '0.556'),
  hourly('MEM', 'memory', '/VMPool', '20'),
  hourly('MEM2', 'memory', '/VMPool', '1.2345'),
  hourly('DISK1', 'disk', '/StragePool', '8.75'),
  hourly('DISK2', 'disk', '/StragePool2', '9'),
  hourly('DISK3', 'disk', '/StragePool3', '9.723'),
  hourly('MEM3', 'memory', '/VMPool', '2'),
  hourly('CPU2', 'cpu', '/ServerPool', '1.44'),
  hourly('CLK2', 'cpu_clock', '/ServerPool', '0.056'),
  version({
    productId: 'LIC-Y1208',
    category: 'other',
    unitCode: 'year',
    unitPrice: '1208',
    chargeType: 'monthly_fixed',
  }),
  version({ productId: 'LIC-Y3', category: 'other', unitCode: 'year', unitPrice: '100', chargeType: 'monthly_fixed' }),
  version({
    productId: 'TPL',
    category: 'template',
    resourceIdentifier: 'TE_01',
    unitCode: 'month',
    unitPrice: '200',
    chargeType: 'monthly_fixed',
  }),
  version({ productId: 'LIC-Y', category: 'other', unitCode: 'year', unitPrice: '1000', chargeType: 'monthly_fixed' }),
];

type Rec = Parameters<typeof usage>[0];
const rows: { label: string; rec: Rec; exact: string | null; halfUp: string; up: string; down: string }[] = [
  // 1.2/60 x 300 min (5 h) = 6
  {
    label: 'image 1.2/h, 5 h',
    rec: { productId: 'IMG', start: oct(0), end: oct(300) },
    exact: '6',
    halfUp: '6',
    up: '6',
    down: '6',
  },
  // 9.723/60 x 360 min (6 h) x 1 = 58.338 -> 58 half-up, 59 up, 58 down
  {
    label: 'disk 9.723/h, 6 h, 1 GB',
    rec: { productId: 'DISK3', sizeGb: '1', start: oct(0), end: oct(360) },
    exact: '58.338',
    halfUp: '58',
    up: '59',
    down: '58',
  },
  // 8.75/60 x 1080 min (18 h) x 1 = 157.5 -> 158 half-up, 158 up, 157 down
  {
    label: 'disk 8.75/h, 18 h, 1 GB',
    rec: { productId: 'DISK1', sizeGb: '1', start: oct(0), end: oct(1080) },
    exact: '157.5',
    halfUp: '158',
    up: '158',
    down: '157',
  },
  // 9/60 x 120 min (2 h) x 1 = 18
  {
    label: 'disk 9/h, 2 h, 1 GB',
    rec: { productId: 'DISK2', sizeGb: '1', start: oct(0), end: oct(120) },
    exact: '18',
    halfUp: '18',
    up: '18',
    down: '18',
  },
  // 8.75/60 x 1080 x 10 GB = 1575
  {
    label: 'disk 8.75/h, 18 h, 10 GB',
    rec: { productId: 'DISK1', sizeGb: '10', start: oct(0), end: oct(1080) },
    exact: '1575',
    halfUp: '1575',
    up: '1575',
    down: '1575',
  },
  // 9.723/60 x 360 x 10 GB = 583.38 -> 583 half-up, 584 up, 583 down
  {
    label: 'disk 9.723/h, 6 h, 10 GB',
    rec: { productId: 'DISK3', sizeGb: '10', start: oct(0), end: oct(360) },
    exact: '583.38',
    halfUp: '583',
    up: '584',
    down: '583',
  },
  // 20/60 x 1080 x 10 GB = 3600
  {
    label: 'memory 20/h, 18 h, 10 GB',
    rec: { productId: 'MEM', sizeGb: '10', start: oct(0), end: oct(1080) },
    exact: '3600',
    halfUp: '3600',
    up: '3600',
    down: '3600',
  },
  // 1.2345/60 x 90 x 3.5 GB = 0.020575 x 90 x 3.5 = 1.85175 x 3.5 = 6.481125 -> 6, 7, 6
  {
    label: 'memory 1.2345/h, 90 min, 3.5 GB',
    rec: { productId: 'MEM2', sizeGb: '3.5', start: oct(0), end: oct(90) },
    exact: '6.481125',
    halfUp: '6',
    up: '7',
    down: '6',
  },
  // (1.6667 + 0.556 x 1.0/0.1)/60 x 1 CPU x 1080 min = (1.6667 + 5.56) x 18 = 7.2267 x 18 = 130.0806 -> 130, 131, 130
  {
    label: 'CPU 1 x 1.0 GHz, 18 h',
    rec: { productId: 'CPU', cpuCount: 1, clockGhz: '1.0', start: oct(0), end: oct(1080) },
    exact: '130.0806',
    halfUp: '130',
    up: '131',
    down: '130',
  },
  // (1.6667 + 0.556 x 2.6/0.1)/60 x 3 CPUs x 100 min = (1.6667 + 14.456) x 3 x 100/60 = 16.1227 x 5 = 80.6135 -> 81, 81, 80
  {
    label: 'CPU 3 x 2.6 GHz, 100 min',
    rec: { productId: 'CPU', cpuCount: 3, clockGhz: '2.6', start: oct(0), end: oct(100) },
    exact: '80.6135',
    halfUp: '81',
    up: '81',
    down: '80',
  },
  // a month-priced template: 200 fixed
  {
    label: 'template 200/month',
    rec: { productId: 'TPL', resourceKind: 'template', start: oct(0), end: oct(300) },
    exact: '200',
    halfUp: '200',
    up: '200',
    down: '200',
  },
  // 1000/12 = 83.333... -> 83, 84, 83
  {
    label: 'yearly 1000/year',
    rec: { productId: 'LIC-Y', start: oct(0), end: oct(300) },
    exact: null,
    halfUp: '83',
    up: '84',
    down: '83',
  },
  // Exact amounts whose division by 60 (or 12) does not end: multiplied out first, they are whole yen.
  // 2/60 x 20 min x 3 GB = 120/60 = 2 -> 2 in every mode
  {
    label: 'memory 2/h, 20 min, 3 GB',
    rec: { productId: 'MEM3', sizeGb: '3', start: oct(0), end: oct(20) },
    exact: '2',
    halfUp: '2',
    up: '2',
    down: '2',
  },
  // (1.44 + 0.056 x 1.0/0.1)/60 x 3 CPUs x 10 min = 2.0 x 30 / 60 = 1 -> 1 in every mode
  {
    label: 'CPU 3 x 1.0 GHz at 2.0/h, 10 min',
    rec: { productId: 'CPU2', cpuCount: 3, clockGhz: '1.0', start: oct(0), end: oct(10) },
    exact: '1',
    halfUp: '1',
    up: '1',
    down: '1',
  },
  // (1.44 + 0.056 x 10) x 3020 min x 3 CPUs / 60 = 2.0 x 9060 / 60 = 18120 / 60 = 302 -> 302 in every mode
  {
    label: 'CPU 3 x 1.0 GHz at 2.0/h, 3020 min',
    rec: { productId: 'CPU2', cpuCount: 3, clockGhz: '1.0', start: oct(0), end: oct(3020) },
    exact: '302',
    halfUp: '302',
    up: '302',
    down: '302',
  },
  // 2/60 x 3020 min x 3 GB = 18120 / 60 = 302 -> 302 in every mode
  {
    label: 'memory 2/h, 3020 min, 3 GB',
    rec: { productId: 'MEM3', sizeGb: '3', start: oct(0), end: oct(3020) },
    exact: '302',
    halfUp: '302',
    up: '302',
    down: '302',
  },
  // 1208/12 a month x quantity 3 = 3624 / 12 = 302 -> 302 in every mode
  {
    label: 'yearly 1208/year, quantity 3',
    rec: { productId: 'LIC-Y1208', quantity: '3', start: oct(0), end: oct(300) },
    exact: '302',
    halfUp: '302',
    up: '302',
    down: '302',
  },
  // 100/12 a month x quantity 3 = 300/12 = 25 -> 25 in every mode
  {
    label: 'yearly 100/year, quantity 3',
    rec: { productId: 'LIC-Y3', quantity: '3', start: oct(0), end: oct(300) },
    exact: '25',
    halfUp: '25',
    up: '25',
    down: '25',
  },
];

describe('ROR units, rounded per item to the yen', () => {
  it.each(rows)('$label: $exact -> $halfUp half-up, $up up, $down down', ({ rec, exact, halfUp, up, down }) => {
    const record = usage(rec);
    for (const [policy, expected] of [
      [ROR, halfUp],
      [UP, up],
      [DOWN, down],
    ] as const) {
      const tree = rate({ catalog, policy, usage: [record] });
      const lines = linesOf(tree);
      expect(lines).toHaveLength(1);
      // soft: a wrong exact amount and a wrong rounded amount are both reported
      if (exact !== null) expect.soft(t(lines[0]!.amount), 'exact amount').toBe(exact);
      expect.soft(t(lines[0]!.charged), `charged (${policy.roundingMode})`).toBe(expected);
      // ChargeAmount = sum of items; TotalChargeAmount = sum of L-Platforms; no tax under ROR
      expect.soft(t(tree.lplatforms[0]!.amount)).toBe(expected);
      expect.soft(t(tree.total)).toBe(expected);
      expect(tree.taxes).toEqual([]);
    }
  });

  it('shows the CPU line with its CPU price, clock price, count and clock', () => {
    const [line] = linesOf(
      rate({
        catalog,
        policy: ROR,
        usage: [usage({ productId: 'CPU', cpuCount: 3, clockGhz: '2.6', start: oct(0), end: oct(100) })],
      }),
    );
    expect([
      t(line!.unitPrice!),
      t(line!.clockPrice!),
      line!.cpuCount,
      t(line!.clockGhz!),
      line!.measure.minutes,
    ]).toEqual(['1.6667', '0.556', 3, '2.6', 100]);
  });

  it('sums an L-Platform of rounded items (the seed 003 detail rows, each at 1 GB)', () => {
    const records: UsageRecord[] = [
      usage({ productId: 'TPL', resourceId: 'tpl', start: oct(0), end: oct(1080) }), // 200
      usage({ productId: 'IMG', resourceId: 'srv1', component: 'image', start: oct(0), end: oct(300) }), // 1.2 x 5 = 6
      usage({
        productId: 'CPU',
        resourceId: 'srv1',
        component: 'cpu',
        cpuCount: 1,
        clockGhz: '1.0',
        start: oct(0),
        end: oct(1080),
      }), // 130.0806 -> 130
      usage({ productId: 'MEM', resourceId: 'srv1', component: 'memory', sizeGb: '1', start: oct(0), end: oct(1080) }), // 20 x 18 = 360
      usage({ productId: 'DISK1', resourceId: 'srv1', component: 'disk1', sizeGb: '1', start: oct(0), end: oct(1080) }), // 157.5 -> 158
      usage({ productId: 'DISK2', resourceId: 'srv1', component: 'disk2', sizeGb: '1', start: oct(0), end: oct(120) }), // 18
      usage({ productId: 'DISK3', resourceId: 'srv1', component: 'disk3', sizeGb: '1', start: oct(0), end: oct(360) }), // 58.338 -> 58
    ];
    const tree = rate({ catalog, policy: ROR, usage: records });
    // srv1: 6 + 130 + 360 + 158 + 18 + 58 = 730; tpl: 200; L-Platform 930
    expect(tree.lplatforms[0]!.resources.map((r) => [r.resourceId, t(r.amount)])).toEqual([
      ['srv1', '730'],
      ['tpl', '200'],
    ]);
    expect(t(tree.lplatforms[0]!.amount)).toBe('930');
    expect(t(tree.total)).toBe('930');
    // with rounding up: 6 + 131 + 360 + 158 + 18 + 59 = 732; + 200 = 932
    expect(t(rate({ catalog, policy: UP, usage: records }).total)).toBe('932');
  });

  it('a configuration change inside the month (10 GB -> 20 GB) splits the item', () => {
    const tree = rate({
      catalog,
      policy: ROR,
      usage: [
        usage({ productId: 'DISK3', sizeGb: '10', start: oct(0), end: oct(360) }),
        usage({ productId: 'DISK3', sizeGb: '20', start: oct(360), end: oct(480) }),
      ],
    });
    // 9.723/60 x 360 x 10 = 583.38 -> 583; 9.723/60 x 120 x 20 = 388.92 -> 389
    expect(linesOf(tree).map((l) => [t(l.sizeGb!), l.measure.minutes, t(l.charged)])).toEqual([
      ['10', 360, '583'],
      ['20', 120, '389'],
    ]);
    expect(t(tree.total)).toBe('972');
  });
});

describe('ROR rounding in a currency with cents', () => {
  const usd = [hourly('DISK-USD', 'disk', '/StragePool', '0.0153', 'USD')];
  it.each([
    // 0.0153/60 x 100 min x 1 = 0.0255 -> 0.03 half-up, 0.03 up, 0.02 down
    { policy: ROR, expected: '0.03' },
    { policy: UP, expected: '0.03' },
    { policy: DOWN, expected: '0.02' },
  ])('0.0255 USD -> $expected ($policy.roundingMode)', ({ policy, expected }) => {
    const tree = rate({
      catalog: usd,
      currency: 'USD',
      policy,
      usage: [usage({ productId: 'DISK-USD', sizeGb: '1', start: oct(0), end: oct(100) })],
    });
    expect(t(linesOf(tree)[0]!.amount)).toBe('0.0255');
    expect(t(tree.total)).toBe(expected);
  });
});
