/**
 * The scope of ECL's per-tenant rules: the five free logical networks (network_allowance) count per
 * ECL tenant, an L-Platform here, unless the catalog row says scope=tenant (the whole statement).
 */
import { describe, expect, it } from 'vitest';
import type { RuleScope } from '../../../src/domain/vocabulary.ts';
import { t, usage, version } from '../../helpers/rating.ts';
import { linesOf, octDay, rate } from './support.ts';

const net = (scope?: RuleScope) => [
  version({
    productId: 'NET',
    category: 'network',
    unitPrice: '0.074405',
    rule: 'network_allowance',
    ruleParams: { free_units: '5' },
    ...(scope ? { ruleScope: scope } : {}),
  }),
];
const lplatforms = [
  { id: 'LP-A', name: 'a', returnedAt: null },
  { id: 'LP-B', name: 'b', returnedAt: null },
];
/** docs/charging.md 6.1: LP-A has net-1 to net-3 all month; LP-B net-4 and net-5 all month, net-6 10 to 20 October. */
const records = [
  ...['net-1', 'net-2', 'net-3'].map((id) =>
    usage({
      productId: 'NET',
      lplatformId: 'LP-A',
      resourceId: id,
      resourceKind: 'network',
      start: octDay(0),
      end: octDay(31),
    }),
  ),
  ...['net-4', 'net-5'].map((id) =>
    usage({
      productId: 'NET',
      lplatformId: 'LP-B',
      resourceId: id,
      resourceKind: 'network',
      start: octDay(0),
      end: octDay(31),
    }),
  ),
  usage({
    productId: 'NET',
    lplatformId: 'LP-B',
    resourceId: 'net-6',
    resourceKind: 'network',
    start: octDay(9),
    end: octDay(19),
  }),
];

describe('network_allowance scope', () => {
  it('by default each L-Platform has its own 5 free networks: 3 on LP-A and 3 on LP-B are all free', () => {
    const tree = rate({ catalog: net(), lplatforms, usage: records });
    const allowances = linesOf(tree).filter((l) => l.kind === 'allowance');
    // LP-A: 3 x 3321.4392; LP-B: 2 x 3321.4392 + 0.074405 x 14400 = 1071.432
    expect(allowances.map((l) => [l.lplatformId, t(l.charged), t(l.measure.units!), l.note])).toEqual([
      ['LP-A', '-9964.3176', '133920', 'free allowance: 5 NET equivalents per L-Platform'],
      ['LP-B', '-7714.3104', '103680', 'free allowance: 5 NET equivalents per L-Platform'],
    ]);
    expect(tree.lplatforms.map((l) => t(l.amount))).toEqual(['0', '0']);
    expect(t(tree.total)).toBe('0');
  });

  it('scope=lplatform is the default', () => {
    expect(rate({ catalog: net('lplatform'), lplatforms, usage: records })).toEqual(
      rate({ catalog: net(), lplatforms, usage: records }),
    );
  });

  it('with scope=tenant the 5 free networks are shared: net-6 pays (subtotal 1071, total 1178)', () => {
    const tree = rate({ catalog: net('tenant'), lplatforms, usage: records });
    expect(
      linesOf(tree)
        .filter((l) => l.kind === 'allowance')
        .map((l) => [l.lplatformId, t(l.charged), l.note]),
    ).toEqual([
      ['LP-A', '-9964.3176', 'free allowance: 5 NET equivalents per tenant'],
      ['LP-B', '-6642.8784', 'free allowance: 5 NET equivalents per tenant'],
    ]);
    expect(t(tree.subtotal)).toBe('1071');
    expect(t(tree.total)).toBe('1178');
  });
});
