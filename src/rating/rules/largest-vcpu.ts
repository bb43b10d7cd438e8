/** SQL Server: once a month, the product of the largest vCPU count the resource used in the period. */
import { inPeriod, makeLine, monthlyFee, type ChargeFunction } from '../pricing.ts';
import { defineRule } from './rule.ts';

const priceGroup: ChargeFunction = (group, ctx) => {
  const records = inPeriod(group.records, ctx.period);
  if (records.length === 0) return [];
  // The largest vCPU count wins; on a tie, the later record (the flavor in use last).
  let pick = records[0]!;
  for (const r of records) if ((r.vcpu ?? 0) >= (pick.vcpu ?? 0)) pick = r;
  const at = Math.max(pick.start, ctx.period.start);
  const version = ctx.catalog.at(pick.productId, at);
  return [
    makeLine(group, version, pick, {
      kind: 'fee',
      measure: { runs: 1 },
      multiplier: pick.quantity,
      amount: monthlyFee(version, pick.quantity),
      taxPercent: ctx.taxAt(at),
      note: `largest vCPU used: ${pick.vcpu ?? 0}`,
    }),
  ];
};

/** `largest_vcpu`: the products of a plan group (one per vCPU count), once a month at the largest used. */
export const largestVcpu = defineRule({
  name: 'largest_vcpu',
  params: {},
  scoped: false,
  chargeTypes: ['monthly_fixed'],
  groupBy: 'plan_group',
  usageFields: ['vcpu'],
  priceGroup,
});
