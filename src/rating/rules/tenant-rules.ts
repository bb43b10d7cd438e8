/**
 * The rules that look across a tenant's resources: the free allowance of logical networks and the
 * free first CIC link. Each adds negative lines; parameters come from the catalog row.
 */
import { Decimal, ZERO, dec, sum } from '../../domain/money.ts';
import { correctionLine, inPeriod, type ChargeGroup, type PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';

/** A group and the lines its charge type gave it. */
export interface PricedGroup {
  group: ChargeGroup;
  lines: ChargeLine[];
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The products (group keys) whose catalog rule is `rule`. */
function productsWithRule(priced: readonly PricedGroup[], ctx: PricingContext, rule: string): Set<string> {
  return new Set(priced.filter((p) => ctx.catalog.describe(p.group.records[0]!.productId).rule === rule).map((p) => p.group.key));
}

/**
 * Free allowance per tenant (`free_units` product-equivalents for the whole period): the period's
 * minutes x free_units are credited to the product's usage in L-Platform and resource order, one
 * negative line per L-Platform, never more than that L-Platform's lines of the product.
 */
export function networkAllowance(priced: readonly PricedGroup[], ctx: PricingContext): ChargeLine[] {
  const periodMinutes = Math.trunc((ctx.period.end - ctx.period.start) / 60_000);
  const out: ChargeLine[] = [];
  const products = productsWithRule(priced, ctx, 'network_allowance');
  for (const productId of [...products].sort(byText)) {
    const groups = priced
      .filter((p) => p.group.key === productId)
      .sort((a, b) => byText(a.group.lplatformId, b.group.lplatformId) || byText(a.group.resourceId, b.group.resourceId) || byText(a.group.component, b.group.component));
    const usage = groups.flatMap((p) => p.lines.filter((l) => l.kind === 'usage'));
    if (usage.length === 0) continue;
    const freeUnits = ctx.catalog.versions(productId).find((v) => v.priority === usage[0]!.priority)!.ruleParams.free_units!;
    let remaining = freeUnits.times(periodMinutes);
    const credits = new Map<string, { like: ChargeLine; credit: Decimal; minutes: Decimal; ceiling: Decimal }>();
    for (const p of groups) {
      const entry = credits.get(p.group.lplatformId) ?? { like: p.lines[0]!, credit: ZERO, minutes: ZERO, ceiling: ZERO };
      entry.ceiling = entry.ceiling.plus(sum(p.lines.map((l) => l.amount)));
      for (const l of p.lines) {
        // A line of 2 networks for 60 minutes uses 120 network-minutes of the allowance.
        const equivalents = dec(l.measure.minutes ?? 0).times(l.multiplier);
        if (l.kind !== 'usage' || equivalents.isZero() || remaining.lessThanOrEqualTo(0)) continue;
        const take = Decimal.min(remaining, equivalents);
        entry.credit = entry.credit.plus(l.amount.times(take).div(equivalents));
        entry.minutes = entry.minutes.plus(take);
        remaining = remaining.minus(take);
      }
      credits.set(p.group.lplatformId, entry);
    }
    for (const [lplatformId, e] of credits) {
      const credit = Decimal.min(e.credit, e.ceiling);
      if (credit.lessThanOrEqualTo(0)) continue;
      out.push({
        ...correctionLine(e.like, 'allowance', credit.negated(), `free allowance: ${freeUnits.toFixed()} ${e.like.productName} equivalents per tenant`, { units: e.minutes }),
        lplatformId, resourceId: '', resourceName: '', resourceKind: '', component: '',
      });
    }
  }
  return out;
}

/**
 * The first `free_links` links (resources) of a product per tenant are free: each gets a negative
 * line equal to its charge. Links are taken in the order they were first used in the period.
 */
export function firstLinkFree(priced: readonly PricedGroup[], ctx: PricingContext): void {
  const products = productsWithRule(priced, ctx, 'first_link_free');
  for (const productId of [...products].sort(byText)) {
    const firstUse = (p: PricedGroup): number => Math.max(ctx.period.start, Math.min(...inPeriod(p.group.records, ctx.period).map((r) => r.start)));
    const links = priced
      .filter((p) => p.group.key === productId && p.lines.length > 0)
      .sort((a, b) => firstUse(a) - firstUse(b) || byText(a.group.lplatformId, b.group.lplatformId) || byText(a.group.resourceId, b.group.resourceId) || byText(a.group.component, b.group.component));
    if (links.length === 0) continue;
    const freeLinks = ctx.catalog.versions(productId).find((v) => v.priority === links[0]!.lines[0]!.priority)!.ruleParams.free_links!.toNumber();
    for (const p of links.slice(0, freeLinks)) {
      // A free link is one month's fee of the link, however often it was started in the period.
      const first = p.lines[0]!;
      const oneMonth = first.amount.div(first.measure.runs ?? 1);
      const credit = Decimal.min(oneMonth, sum(p.lines.map((l) => l.amount)));
      if (credit.greaterThan(0)) p.lines.push(correctionLine(first, 'free_link', credit.negated(), `free: the first ${freeLinks} link(s) of ${first.productName} per tenant`, { runs: 1 }));
    }
  }
}
