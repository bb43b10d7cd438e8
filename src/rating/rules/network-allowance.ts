/**
 * ECL logical networks: a free allowance per L-Platform or per tenant (`scope`). It adds negative
 * lines computed from the charged (rounded) lines, so that what is free comes out exactly free.
 */
import { Decimal, ZERO, dec } from '../../domain/money.ts';
import { byText } from '../../domain/text.ts';
import type { RuleScope } from '../../domain/vocabulary.ts';
import { correctionLine, type PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';
import { defineRule, type PricedGroup } from './rule.ts';
import { SCOPE_WORDS, byScope, productsWithRule, scopeOf } from './scope.ts';

/** The length of a line's time in minutes (a per-second line's seconds / 60). */
function lineMinutes(l: ChargeLine): Decimal {
  if (l.measure.seconds !== undefined) return dec(l.measure.seconds).div(60);
  return dec(l.measure.minutes ?? 0);
}

/**
 * Free allowance per L-Platform or per tenant (`scope`; `free_units` product-equivalents for the
 * whole period): the period's minutes x free_units are spent on the product's usage lines of the
 * scope in L-Platform and resource order (a line of quantity 2 uses twice its minutes), crediting
 * each line its charged amount x the share made free. Credits are added up per L-Platform and tax
 * rate into negative `allowance` lines.
 */
function networkAllowanceLines(priced: readonly PricedGroup[], ctx: PricingContext): ChargeLine[] {
  const periodMinutes = Math.trunc((ctx.period.end - ctx.period.start) / 60_000);
  const out: ChargeLine[] = [];
  for (const productId of productsWithRule(priced, ctx, 'network_allowance')) {
    const all = priced
      .filter((p) => p.group.key === productId)
      .sort(
        (a, b) =>
          byText(a.group.lplatformId, b.group.lplatformId) ||
          byText(a.group.resourceId, b.group.resourceId) ||
          byText(a.group.component, b.group.component),
      );
    const first = all.flatMap((p) => p.lines.filter((l) => l.kind === 'usage'))[0];
    if (first === undefined) continue;
    const scope = scopeOf(ctx, productId, first);
    for (const groups of byScope(all, scope, (p) => p.group.lplatformId))
      out.push(...allowanceOf(groups, ctx, productId, periodMinutes, scope));
  }
  return out;
}

/** The allowance lines of one scope's groups of a product. */
function allowanceOf(
  groups: readonly PricedGroup[],
  ctx: PricingContext,
  productId: string,
  periodMinutes: number,
  scope: RuleScope,
): ChargeLine[] {
  const out: ChargeLine[] = [];
  const usage = groups.flatMap((p) => p.lines.filter((l) => l.kind === 'usage'));
  if (usage.length === 0) return out;
  const freeUnits = ctx.catalog.version(productId, usage[0]!.priority ?? 0).ruleParams.free_units!;
  let remaining = freeUnits.times(periodMinutes);
  const credits = new Map<string, { like: ChargeLine; credit: Decimal; used: Decimal }>();
  for (const p of groups) {
    for (const l of p.lines) {
      const equivalents = lineMinutes(l).times(l.multiplier);
      if (l.kind !== 'usage' || equivalents.isZero() || remaining.lessThanOrEqualTo(0)) continue;
      const take = Decimal.min(remaining, equivalents);
      remaining = remaining.minus(take);
      const key = `${p.group.lplatformId}|${l.taxPercent.toFixed()}`;
      const entry = credits.get(key) ?? { like: l, credit: ZERO, used: ZERO };
      entry.credit = entry.credit.plus(
        take.equals(equivalents) ? l.charged : ctx.rounding.line(l.charged.times(take).div(equivalents)),
      );
      entry.used = entry.used.plus(take);
      credits.set(key, entry);
    }
  }
  for (const e of credits.values()) {
    if (e.credit.lessThanOrEqualTo(0)) continue;
    out.push({
      ...correctionLine(
        e.like,
        'allowance',
        e.credit.negated(),
        `free allowance: ${freeUnits.toFixed()} ${e.like.productName} equivalents per ${SCOPE_WORDS[scope]}`,
        { units: e.used },
      ),
      resourceId: '',
      resourceName: '',
      resourceKind: '',
      component: '',
    });
  }
  return out;
}

/** `network_allowance`: `free_units` product-equivalents free for the whole month, per scope. */
export const networkAllowance = defineRule({
  name: 'network_allowance',
  params: { free_units: 'int' },
  scoped: true,
  chargeTypes: ['metered'],
  groupBy: 'product',
  usageFields: [],
  priceAcross: networkAllowanceLines,
});
