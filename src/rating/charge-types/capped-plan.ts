/**
 * Capped with plan changes (the two-stage cap): each plan's summed usage is capped by that plan's
 * monthly cap, then the sum of the plans by the largest cap among the plans used in the month.
 */
import type { Decimal } from '../../domain/money.ts';
import type { ChargeFunction } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';
import { applyCap, capOf } from './capped.ts';
import { meteredLines } from './metered.ts';

export const cappedPlan: ChargeFunction = (group, ctx) => {
  const byPlan = new Map<string, typeof group.records>();
  for (const r of group.records) {
    const plan = byPlan.get(r.productId);
    if (plan) plan.push(r);
    else byPlan.set(r.productId, [r]);
  }
  const lines: ChargeLine[] = [];
  let largestCap: Decimal | null = null;
  for (const plan of [...byPlan.keys()].sort()) {
    const planLines = meteredLines(group, ctx, byPlan.get(plan)!);
    const cap = capOf(planLines, ctx.catalog);
    applyCap(planLines, cap, `monthly cap of plan ${plan}: ${cap?.toFixed() ?? ''}`, ctx);
    if (planLines.length > 0 && cap !== null && (largestCap === null || cap.greaterThan(largestCap))) largestCap = cap;
    lines.push(...planLines);
  }
  if (byPlan.size > 1)
    applyCap(
      lines,
      largestCap,
      `two-stage cap: the largest monthly cap of the plans used, ${largestCap?.toFixed() ?? ''}`,
      ctx,
    );
  return lines;
};
