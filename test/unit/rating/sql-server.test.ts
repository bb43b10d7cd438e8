/** SQL Server (月額固定): once a month, the product of the largest vCPU flavor used in the month (rule largest_vcpu). */
import { describe, expect, it } from 'vitest';
import { t, usage, version } from '../../helpers/rating.ts';
import { octDay, rate, resourceOf } from './support.ts';

const sql = {
  category: 'license',
  unitCode: 'month',
  chargeType: 'monthly_fixed',
  planGroup: 'sqlserver',
  rule: 'largest_vcpu',
} as const;
const catalog = [
  version({ productId: 'SQL-4', unitPrice: '21600', ...sql }), // up to 4 vCPU: 21,600 yen a month
  version({ productId: 'SQL-8', unitPrice: '43200', ...sql }), // up to 8 vCPU: 43,200 yen a month
];

/** Flavors of one server in order: [product, vCPU, from day, to day], day 0 = 2026-10-01. */
type Flavor = [string, number, number, number];
const records = (flavors: Flavor[]) =>
  flavors.map(([productId, vcpu, from, to]) =>
    usage({ productId, vcpu, resourceKind: 'license', start: octDay(from), end: octDay(to) }),
  );

describe('SQL Server by the largest vCPU flavor', () => {
  it.each<{ label: string; flavors: Flavor[]; product: string; amount: string }>([
    { label: '4 vCPU all month', flavors: [['SQL-4', 4, 0, 31]], product: 'SQL-4', amount: '21600' }, // 21600 once
    {
      label: '4 -> 8 vCPU on 10-15',
      flavors: [
        ['SQL-4', 4, 0, 14],
        ['SQL-8', 8, 14, 31],
      ],
      product: 'SQL-8',
      amount: '43200',
    }, // the larger, 43200, once
    {
      label: '8 -> 4 vCPU on 10-15',
      flavors: [
        ['SQL-8', 8, 0, 14],
        ['SQL-4', 4, 14, 31],
      ],
      product: 'SQL-8',
      amount: '43200',
    }, // 43200 once
    {
      label: '4 -> 8 -> 4 vCPU',
      flavors: [
        ['SQL-4', 4, 0, 10],
        ['SQL-8', 8, 10, 12],
        ['SQL-4', 4, 12, 31],
      ],
      product: 'SQL-8',
      amount: '43200', // 43200 once, not 21600 + 43200 + 21600
    },
    {
      label: '8 vCPU in September only, 4 vCPU in October',
      flavors: [
        ['SQL-8', 8, -20, 0],
        ['SQL-4', 4, 0, 31],
      ],
      product: 'SQL-4',
      amount: '21600', // September's flavor is not October's: 21600
    },
  ])('$label: $product, $amount', ({ flavors, product, amount }) => {
    const res = resourceOf(rate({ catalog, usage: records(flavors) }), 'res-1');
    expect(res.lines.map((l) => [l.kind, l.productId, t(l.charged)])).toEqual([['fee', product, amount]]);
    expect(t(res.amount)).toBe(amount);
  });
});
