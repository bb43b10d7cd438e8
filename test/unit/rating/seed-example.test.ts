/** The tiered example of the public billing page (seed 000), reproduced to the last decimal. */
import { describe, expect, it } from 'vitest';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import { ECL, at, input, t, usage, version } from '../../helpers/rating.ts';

const catalog = [
  version({
    productId: 'CMP-1C4G',
    category: 'compute',
    unitPrice: '0.173612',
    chargeType: 'capped_plan',
    monthlyCap: '7000',
    planGroup: 'flavor',
    timeBasis: 'operating',
  }),
  version({ productId: 'VOL-15G', category: 'volume', unitPrice: '0.014881', chargeType: 'capped', monthlyCap: '600' }),
  version({
    productId: 'NET',
    category: 'network',
    unitPrice: '0.074405',
    rule: 'network_allowance',
    ruleParams: { free_units: '5' },
  }),
  version({
    productId: 'FW',
    category: 'firewall',
    unitPrice: '0.694445',
    chargeType: 'capped_plan',
    monthlyCap: '28000',
    planGroup: 'fw',
    timeBasis: 'operating',
  }),
  version({
    productId: 'LB',
    category: 'load_balancer',
    unitPrice: '0.694445',
    chargeType: 'capped_plan',
    monthlyCap: '28000',
    planGroup: 'lb',
    timeBasis: 'operating',
  }),
];
const minutes = (n: number): string => new Date(at('2019-08-01T00:00:00Z') + n * 60_000).toISOString();

describe('the seed 000 tiered example', () => {
  const tree = ratePeriod(
    input({
      catalog,
      period: {
        start: at('2019-08-01T00:00:00Z'),
        end: at('2019-09-01T00:00:00Z'),
        billingMonth: '2019-08',
        timeZone: 'UTC',
      },
      policy: ECL,
      lplatforms: [{ id: 'manual-tenant', name: 'manual-tenant', returnedAt: null }],
      usage: [
        usage({
          lplatformId: 'manual-tenant',
          resourceId: 'srv',
          productId: 'CMP-1C4G',
          timeKind: 'operating',
          start: minutes(0),
          end: minutes(3739),
        }),
        usage({
          lplatformId: 'manual-tenant',
          resourceId: 'vol',
          productId: 'VOL-15G',
          start: minutes(0),
          end: minutes(3739),
        }),
        usage({
          lplatformId: 'manual-tenant',
          resourceId: 'net',
          productId: 'NET',
          start: minutes(0),
          end: minutes(3741),
        }),
        usage({
          lplatformId: 'manual-tenant',
          resourceId: 'fw',
          productId: 'FW',
          timeKind: 'operating',
          start: minutes(0),
          end: minutes(3714),
        }),
        usage({
          lplatformId: 'manual-tenant',
          resourceId: 'lb',
          productId: 'LB',
          timeKind: 'operating',
          start: minutes(0),
          end: minutes(3725),
        }),
      ],
    }),
  );
  const lp = tree.lplatforms[0]!;
  const line = (resourceId: string) => lp.resources.find((r) => r.resourceId === resourceId)!.lines;

  it('prices each menu exactly', () => {
    expect(line('srv').map((l) => t(l.charged))).toEqual(['649.135268']);
    expect(line('vol').map((l) => t(l.charged))).toEqual(['55.640059']);
    expect(line('net').map((l) => t(l.charged))).toEqual(['278.349105']);
    expect(line('fw').map((l) => t(l.charged))).toEqual(['2579.16873']);
    expect(line('lb').map((l) => t(l.charged))).toEqual(['2586.807625']);
  });

  it('shows the free allowance as a negative line', () => {
    expect(lp.lines.map((l) => [l.kind, t(l.charged)])).toEqual([['allowance', '-278.349105']]);
  });

  it('truncates the subtotal and the 8% tax, and adds them', () => {
    expect(t(lp.sum)).toBe('5870.751682');
    expect(t(lp.amount)).toBe('5870');
    expect(t(tree.subtotal)).toBe('5870');
    expect(tree.taxes.map((x) => [t(x.percent), t(x.base), t(x.amount)])).toEqual([['8', '5870', '469']]);
    expect(t(tree.total)).toBe('6339');
  });
});
