/**
 * The rules that look across a tenant's resources: the free allowance of logical networks and the
 * free first CIC link. Each adds negative lines computed from the charged (rounded) lines, so that
 * what is free comes out exactly free; parameters come from the catalog row.
 */
import { Decimal, ZERO, dec, sum } from '../../domain/money.ts';
import { byText } from '../../domain/text.ts';
import { correctionLine, inPeriod, type ChargeGroup, type PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';

/** A group and the lines its charge type gave it. */
export interface PricedGroup {
  group: ChargeGroup;
  lines: ChargeLine[];
}

/** The products (group keys) whose catalog rule is `rule`. */
function productsWithRule(priced: readonly PricedGroup[], ctx: PricingContext, rule: string): string[] {
  return [...new Set(priced.filter((p) => ctx.catalog.describe(p.group.records[0]!.productId).rule === rule).map((p) => p.group.key))].sort(byText);
}

/**
 * Free allowance per tenant (`free_units` product-equivalents for the whole period): the period's
 * minutes x free_units are spent on the product's usage lines in L-Platform and resource order (a
 * line of quantity 2 uses twice its minutes), crediting each line its charged amount x the share
 * made free. Credits are added up per L-Platform and tax rate into negative `allowance` lines.
 */
export function networkAllowance(priced: readonly PricedGroup[], ctx: PricingContext): ChargeLine[] {
  const periodMinutes = Math.trunc((ctx.period.end - ctx.period.start) / 60_000);
  const out: ChargeLine[] = [];
  for (const productId of productsWithRule(priced, ctx, 'network_allowance')) {
    const groups = priced
      .filter((p) => p.group.key === productId)
      .sort((a, b) => byText(a.group.lplatformId, b.group.lplatformId) || byText(a.group.resourceId, b.group.resourceId) || byText(a.group.component, b.group.component));
    const usage = groups.flatMap((p) => p.lines.filter((l) => l.kind === 'usage'));
    if (usage.length === 0) continue;
    const freeUnits = ctx.catalog.version(productId, usage[0]!.priority ?? 0).ruleParams.free_units!;
    let remaining = freeUnits.times(periodMinutes);
    const credits = new Map<string, { like: ChargeLine; credit: Decimal; used: Decimal }>();
    for (const p of groups) {
      for (const l of p.lines) {
        const equivalents = dec(l.measure.minutes ?? 0).times(l.multiplier);
        if (l.kind !== 'usage' || equivalents.isZero() || remaining.lessThanOrEqualTo(0)) continue;
        const take = Decimal.min(remaining, equivalents);
        remaining = remaining.minus(take);
        const key = `${p.group.lplatformId}|${l.taxPercent.toFixed()}`;
        const entry = credits.get(key) ?? { like: l, credit: ZERO, used: ZERO };
        entry.credit = entry.credit.plus(take.equals(equivalents) ? l.charged : ctx.roundLine(l.charged.times(take).div(equivalents)));
        entry.used = entry.used.plus(take);
        credits.set(key, entry);
      }
    }
    for (const e of credits.values()) {
      if (e.credit.lessThanOrEqualTo(0)) continue;
      out.push({
        ...correctionLine(e.like, 'allowance', e.credit.negated(), `free allowance: ${freeUnits.toFixed()} ${e.like.productName} equivalents per tenant`, { units: e.used }),
        resourceId: '', resourceName: '', resourceKind: '', component: '',
      });
    }
  }
  return out;
}

/**
 * The first `free_links` links (resources) of a product per tenant are free: each gets a negative
 * line of one month's fee of the link (one unit of it, however often it was started). Links are
 * taken in the order they were first used in the period.
 */
export function firstLinkFree(priced: readonly PricedGroup[], ctx: PricingContext): void {
  for (const productId of productsWithRule(priced, ctx, 'first_link_free')) {
    const links = priced
      .filter((p) => p.group.key === productId && p.lines.length > 0)
      .map((p) => ({ p, firstUse: Math.max(ctx.period.start, Math.min(...inPeriod(p.group.records, ctx.period).map((r) => r.start))) }))
      .sort((a, b) => a.firstUse - b.firstUse || byText(a.p.group.lplatformId, b.p.group.lplatformId) || byText(a.p.group.resourceId, b.p.group.resourceId) || byText(a.p.group.component, b.p.group.component));
    if (links.length === 0) continue;
    const first = links[0]!.p.lines[0]!;
    const freeLinks = ctx.catalog.version(productId, first.priority ?? 0).ruleParams.free_links!.toNumber();
    for (const { p } of links.slice(0, freeLinks)) {
      const line = p.lines[0]!;
      const oneMonth = ctx.roundLine(line.amount.div(line.measure.runs ?? 1).div(line.multiplier));
      const credit = Decimal.min(oneMonth, sum(p.lines.map((l) => l.charged)));
      if (credit.greaterThan(0)) p.lines.push(correctionLine(line, 'free_link', credit.negated(), `free: the first ${freeLinks} link(s) of ${line.productName} per tenant`, { runs: 1 }));
    }
  }
}
