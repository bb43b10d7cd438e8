/**
 * The stages of rating that shape the statement: lines arranged by L-Platform and resource, the
 * adjustments added, and the L-Platform amounts summed from the charged lines.
 */
import { ZERO, sum, type Decimal } from '../domain/money.ts';
import { byText } from '../domain/text.ts';
import { bareLine } from './pricing.ts';
import { chargeLines, type Rounding } from './rounding.ts';
import type { PricedGroup } from './rules/rule.ts';
import type { Adjustment, ChargeLine, LplatformCharges, RatingInput, ResourceCharges } from './types.ts';

/** An L-Platform being filled, with its resources by ID. */
type OpenLplatform = LplatformCharges & { byResource: Map<string, ResourceCharges> };

/** The lines arranged as the statement shows them, before any sum. */
export interface ArrangedLines {
  /** The L-Platforms that have lines, in the order they were met. */
  lplatforms: Map<string, OpenLplatform>;
  /** The adjustments of the tenant as a whole. */
  tenantLines: ChargeLine[];
}

/**
 * The adjustments as lines taxed at `taxPercent` (an untaxed one at 0, so that it stays out of
 * every taxed base), in ID order, each charged by the policy.
 */
export function adjustmentLines(
  adjustments: readonly Adjustment[],
  taxPercent: Decimal,
  rounding: Rounding,
): ChargeLine[] {
  const lines = [...adjustments]
    .sort((x, y) => byText(x.id, y.id))
    .map((a) => {
      const note = a.originalMonth ? `${a.reason} (usage of ${a.originalMonth})` : a.reason;
      return bareLine('adjustment', a.lplatformId, a.amount, note, a.taxed === false ? ZERO : taxPercent);
    });
  chargeLines(lines, rounding);
  return lines;
}

/**
 * The lines by L-Platform and resource: the priced groups' lines under their resources (in the
 * order the rules made them), then the L-Platforms' own lines (allowances, then adjustments);
 * adjustments of no L-Platform go to the tenant.
 */
export function arrangeLines(
  known: RatingInput['lplatforms'],
  priced: readonly PricedGroup[],
  lplatformLines: readonly ChargeLine[],
  adjustments: readonly ChargeLine[],
): ArrangedLines {
  const names = new Map(known.map((l) => [l.id, l]));
  const lplatforms = new Map<string, OpenLplatform>();
  const lplatformOf = (id: string): OpenLplatform => {
    let lp = lplatforms.get(id);
    if (!lp) {
      const found = names.get(id);
      lp = {
        lplatformId: id,
        lplatformName: found?.name ?? id,
        returnedAt: found?.returnedAt ?? null,
        region: found?.region ?? '',
        resources: [],
        lines: [],
        sum: ZERO,
        amount: ZERO,
        byResource: new Map(),
      };
      lplatforms.set(id, lp);
    }
    return lp;
  };
  for (const { group, lines } of priced) {
    if (lines.length === 0) continue;
    const lp = lplatformOf(group.lplatformId);
    let res = lp.byResource.get(group.resourceId);
    if (!res) {
      res = {
        resourceId: group.resourceId,
        resourceName: group.resourceName,
        resourceKind: group.resourceKind,
        lines: [],
        amount: ZERO,
      };
      lp.byResource.set(group.resourceId, res);
    }
    res.lines.push(...lines);
  }
  for (const line of lplatformLines) lplatformOf(line.lplatformId!).lines.push(line);
  const tenantLines: ChargeLine[] = [];
  for (const line of adjustments) {
    if (line.lplatformId) lplatformOf(line.lplatformId).lines.push(line);
    else tenantLines.push(line);
  }
  return { lplatforms, tenantLines };
}

/** The summed statement: L-Platforms with their amounts, and what comes before the coupons. */
export interface Sums {
  /** L-Platforms by ID, resources by ID, each with its amount. */
  lplatforms: LplatformCharges[];
  /** Every charged line, in statement order (resources' lines, L-Platforms' own, the tenant's). */
  lines: ChargeLine[];
  /** Sum of the L-Platform amounts and tenant-level adjustments, before coupons. */
  beforeDiscount: Decimal;
}

/** Sums, per the policy, from the charged lines up: resources, L-Platforms, then the tenant before coupons. */
export function sumUp(arranged: ArrangedLines, rounding: Rounding): Sums {
  const ordered = [...arranged.lplatforms.values()].sort((a, b) => byText(a.lplatformId, b.lplatformId));
  const lines: ChargeLine[] = [];
  const lplatforms: LplatformCharges[] = ordered.map(({ byResource, ...lp }) => {
    const resources = [...byResource.values()].sort((a, b) => byText(a.resourceId, b.resourceId));
    for (const r of resources) {
      r.amount = sum(r.lines.map((l) => l.charged));
      lines.push(...r.lines);
    }
    const own = sum(lp.lines.map((l) => l.charged));
    lines.push(...lp.lines);
    const lpSum = sum(resources.map((r) => r.amount)).plus(own);
    return { ...lp, resources, sum: lpSum, amount: rounding.lplatform(lpSum) };
  });
  const tenantAdjustments = rounding.money(sum(arranged.tenantLines.map((l) => l.charged)));
  lines.push(...arranged.tenantLines);
  return { lplatforms, lines, beforeDiscount: sum(lplatforms.map((l) => l.amount)).plus(tenantAdjustments) };
}
