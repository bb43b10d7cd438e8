/**
 * ECL CIC 1 Gbps: the first links per L-Platform or per tenant (`scope`) are free. Each free link
 * gets a negative line computed from its charged (rounded) lines, so that it comes out exactly free.
 */
import { Decimal, sum } from '../../domain/money.ts';
import { byText } from '../../domain/text.ts';
import type { RuleScope } from '../../domain/vocabulary.ts';
import { correctionLine, inPeriod, type PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';
import { defineRule, type PricedGroup } from './rule.ts';
import { SCOPE_WORDS, byScope, productsWithRule, scopeOf } from './scope.ts';

/**
 * The first `free_links` links (resources) of a product per L-Platform or per tenant (`scope`) are
 * free: each gets a negative line of one month's fee of the link (one unit of it, however often it
 * was started). Links are taken in the order they were first used in the period. The credits go
 * into the links' groups; no line is added at L-Platform level.
 */
function creditFreeLinks(priced: readonly PricedGroup[], ctx: PricingContext): ChargeLine[] {
  for (const productId of productsWithRule(priced, ctx, 'first_link_free')) {
    const used = priced.filter((p) => p.group.key === productId && p.lines.length > 0);
    if (used.length === 0) continue;
    const scope = scopeOf(ctx, productId, used[0]!.lines[0]!);
    for (const set of byScope(used, scope, (p) => p.group.lplatformId)) freeLinksOf(set, ctx, productId, scope);
  }
  return [];
}

/** Credits the first free links among one scope's links of a product. */
function freeLinksOf(used: readonly PricedGroup[], ctx: PricingContext, productId: string, scope: RuleScope): void {
  const links = used
    .map((p) => ({
      p,
      firstUse: Math.max(ctx.period.start, Math.min(...inPeriod(p.group.records, ctx.period).map((r) => r.start))),
    }))
    .sort(
      (a, b) =>
        a.firstUse - b.firstUse ||
        byText(a.p.group.lplatformId, b.p.group.lplatformId) ||
        byText(a.p.group.resourceId, b.p.group.resourceId) ||
        byText(a.p.group.component, b.p.group.component),
    );
  if (links.length === 0) return;
  const first = links[0]!.p.lines[0]!;
  const freeLinks = ctx.catalog.version(productId, first.priority ?? 0).ruleParams.free_links!.toNumber();
  for (const { p } of links.slice(0, freeLinks)) {
    const line = p.lines[0]!;
    const oneMonth = ctx.rounding.line(line.amount.div(line.measure.runs ?? 1).div(line.multiplier));
    const credit = Decimal.min(oneMonth, sum(p.lines.map((l) => l.charged)));
    if (credit.greaterThan(0))
      p.lines.push(
        correctionLine(
          line,
          'free_link',
          credit.negated(),
          `free link: the first ${freeLinks} link(s) of ${line.productName} per ${SCOPE_WORDS[scope]}`,
          { runs: 1 },
        ),
      );
  }
}

/** `first_link_free`: the first `free_links` links per scope are free (lines added to their groups). */
export const firstLinkFree = defineRule({
  name: 'first_link_free',
  params: { free_links: 'int' },
  scoped: true,
  chargeTypes: ['monthly_fixed'],
  groupBy: 'product',
  usageFields: [],
  priceAcross: creditFreeLinks,
});
