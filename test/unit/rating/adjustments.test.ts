/** Adjustments: a credit (negative) or debit (positive) line with a reason, on an L-Platform or the tenant. */
import { describe, expect, it } from 'vitest';
import type { Adjustment } from '../../../src/rating/types.ts';
import { dec } from '../../../src/domain/money.ts';
import { ECL, ROR, t, usage, version } from '../../helpers/rating.ts';
import { rate } from './support.ts';

// LP1 uses a 10,000 yen monthly service.
const catalog = [version({ productId: 'SVC', unitCode: 'month', unitPrice: '10000', chargeType: 'monthly_fixed' })];
const service = usage({ productId: 'SVC', start: '2026-10-01T00:00:00Z', end: '2026-10-20T00:00:00Z' });
const adj = (
  id: string,
  lplatformId: string | null,
  amount: string,
  reason: string,
  originalMonth: string | null = null,
): Adjustment => ({ id, lplatformId, amount: dec(amount), reason, originalMonth });

describe('adjustments', () => {
  it.each([
    {
      label: 'a credit on the L-Platform',
      adjustments: [adj('A1', 'LP1', '-500', 'SLA credit')],
      lpLines: ['-500 SLA credit'],
      tenantLines: [],
      lp: '9500',
      before: '9500',
      tax: '950',
      total: '10450', // 10000 - 500 = 9500; tax 950; 10450
    },
    {
      label: 'a debit on the L-Platform',
      adjustments: [adj('A1', 'LP1', '1200', 'support fee')],
      lpLines: ['1200 support fee'],
      tenantLines: [],
      lp: '11200',
      before: '11200',
      tax: '1120',
      total: '12320', // 10000 + 1200 = 11200; tax 1120; 12320
    },
    {
      label: 'a credit for the tenant (no L-Platform)',
      adjustments: [adj('A1', null, '-500', 'goodwill')],
      lpLines: [],
      tenantLines: ['-500 goodwill'],
      lp: '10000',
      before: '9500',
      tax: '950',
      total: '10450', // L-Platform 10000; 10000 - 500 = 9500; tax 950
    },
    {
      label: 'a debit for the tenant (no L-Platform)',
      adjustments: [adj('A1', null, '1200', 'setup work')],
      lpLines: [],
      tenantLines: ['1200 setup work'],
      lp: '10000',
      before: '11200',
      tax: '1120',
      total: '12320', // 10000 + 1200 = 11200; tax 1120
    },
    {
      label: 'a credit on the L-Platform and a debit for the tenant',
      adjustments: [adj('A1', 'LP1', '-500', 'SLA credit'), adj('A2', null, '1200', 'setup work')],
      lpLines: ['-500 SLA credit'],
      tenantLines: ['1200 setup work'],
      lp: '9500',
      before: '10700',
      tax: '1070',
      total: '11770', // 9500 + 1200 = 10700; tax 1070; 11770
    },
    {
      label: 'late usage booked as an adjustment names its month',
      adjustments: [adj('A1', 'LP1', '300', 'late usage', '2026-09')],
      lpLines: ['300 late usage (usage of 2026-09)'],
      tenantLines: [],
      lp: '10300',
      before: '10300',
      tax: '1030',
      total: '11330', // 10000 + 300; tax 1030
    },
  ])('$label', ({ adjustments, lpLines, tenantLines, lp, before, tax, total }) => {
    const tree = rate({ catalog, policy: ECL, usage: [service], adjustments });
    const lp1 = tree.lplatforms.find((l) => l.lplatformId === 'LP1')!;
    expect(lp1.lines.map((l) => [l.kind, `${t(l.charged)} ${l.note}`])).toEqual(lpLines.map((x) => ['adjustment', x]));
    expect(tree.tenantLines.map((l) => [l.kind, `${t(l.charged)} ${l.note}`])).toEqual(
      tenantLines.map((x) => ['adjustment', x]),
    );
    expect(t(lp1.amount)).toBe(lp);
    expect(t(tree.beforeDiscount)).toBe(before);
    expect(t(tree.subtotal)).toBe(before);
    expect(t(tree.tax)).toBe(tax);
    expect(t(tree.total)).toBe(total);
  });

  it('an adjustment on an L-Platform without usage makes that L-Platform appear', () => {
    const tree = rate({
      catalog,
      policy: ROR,
      lplatforms: [
        { id: 'LP1', name: 'one', returnedAt: null },
        { id: 'LP2', name: 'two', returnedAt: null },
      ],
      usage: [service],
      adjustments: [adj('A1', 'LP2', '-700', 'refund')],
    });
    // LP1 10000; LP2 -700 (its own line only); total 10000 - 700 = 9300 (no tax under ROR)
    expect(tree.lplatforms.map((l) => [l.lplatformId, l.lplatformName, t(l.amount)])).toEqual([
      ['LP1', 'one', '10000'],
      ['LP2', 'two', '-700'],
    ]);
    expect(t(tree.total)).toBe('9300');
  });

  it('an untaxed credit is taken off before tax but stays out of the taxed base', () => {
    const tree = rate({
      catalog,
      policy: ECL,
      usage: [service],
      adjustments: [{ ...adj('A1', null, '-1000', 'outage credit'), taxed: false }],
    });
    const line = tree.tenantLines[0]!;
    expect([line.kind, t(line.charged), t(line.taxPercent), line.note]).toEqual([
      'adjustment',
      '-1000',
      '0',
      'outage credit',
    ]);
    // 10000 taxed at 10% = 1000; -1000 at 0% = 0; subtotal 9000; total 9000 + 1000 = 10000
    expect(tree.taxes.map((x) => [t(x.percent), t(x.base), t(x.amount)])).toEqual([
      ['0', '-1000', '0'],
      ['10', '10000', '1000'],
    ]);
    expect(t(tree.subtotal)).toBe('9000');
    expect(t(tree.tax)).toBe('1000');
    expect(t(tree.total)).toBe('10000');
  });

  it('a taxed credit (the default) lowers the taxed base', () => {
    const tree = rate({
      catalog,
      policy: ECL,
      usage: [service],
      adjustments: [{ ...adj('A1', 'LP1', '-1000', 'outage credit'), taxed: true }],
    });
    // 10000 - 1000 = 9000 at 10% = 900; total 9900
    expect(tree.taxes.map((x) => [t(x.percent), t(x.base), t(x.amount)])).toEqual([['10', '9000', '900']]);
    expect(t(tree.total)).toBe('9900');
  });
});
