/**
 * The rules that look across resources: the free allowance of logical networks and the free first
 * CIC link, per L-Platform (an ECL tenant) or per tenant (`scope`). Each adds negative lines computed
 * from the charged (rounded) lines, so that what is free comes out exactly free; parameters come
 * from the catalog row.
 */
import { Decimal, ZERO, dec, sum } from '../../domain/money.ts';
import { byText } from '../../domain/text.ts';
import { DEFAULT_RULE_SCOPE, type RuleScope } from '../../domain/vocabulary.ts';
import { correctionLine, inPeriod, type ChargeGroup, type PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';

/** A group and the lines its charge type gave it. */
export interface PricedGroup {
  group: ChargeGroup;
  lines: ChargeLine[];
}

/** The products (group keys) whose catalog rule is `rule`. */
function productsWithRule(priced: readonly PricedGroup[], ctx: PricingContext, rule: string): string[] {
  return [
    ...new Set(
      priced.filter((p) => ctx.catalog.describe(p.group.records[0]!.productId).rule === rule).map((p) => p.group.key),
    ),
  ].sort(byText);
}

/** The words a rule's note uses for its scope. */
const SCOPE_WORDS: Record<RuleScope, string> = { lplatform: 'L-Platform', tenant: 'tenant' };

/** The scope a product's rule counts over, from the version that priced its first line. */
function scopeOf(ctx: PricingContext, productId: string, line: ChargeLine): RuleScope {
  return ctx.catalog.version(productId, line.priority ?? 0).ruleScope ?? DEFAULT_RULE_SCOPE;
}

/** Splits items into the sets a rule counts separately: one per L-Platform, or one for the tenant. */
function byScope<T>(items: readonly T[], scope: RuleScope, lplatformOf: (item: T) => string): T[][] {
  if (scope === 'tenant') return items.length === 0 ? [] : [[...items]];
  const sets = new Map<string, T[]>();
  for (const item of items) {
    const set = sets.get(lplatformOf(item));
    if (set) set.push(item);
    else sets.set(lplatformOf(item), [item]);
  }
  return [...sets.values()];
}

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
export function networkAllowance(priced: readonly PricedGroup[], ctx: PricingContext): ChargeLine[] {
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
        take.equals(equivalents) ? l.charged : ctx.roundLine(l.charged.times(take).div(equivalents)),
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

/**
 * The first `free_links` links (resources) of a product per L-Platform or per tenant (`scope`) are
 * free: each gets a negative line of one month's fee of the link (one unit of it, however often it
 * was started). Links are taken in the order they were first used in the period.
 */
export function firstLinkFree(priced: readonly PricedGroup[], ctx: PricingContext): void {
  for (const productId of productsWithRule(priced, ctx, 'first_link_free')) {
    const used = priced.filter((p) => p.group.key === productId && p.lines.length > 0);
    if (used.length === 0) continue;
    const scope = scopeOf(ctx, productId, used[0]!.lines[0]!);
    for (const set of byScope(used, scope, (p) => p.group.lplatformId)) freeLinksOf(set, ctx, productId, scope);
  }
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
    const oneMonth = ctx.roundLine(line.amount.div(line.measure.runs ?? 1).div(line.multiplier));
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
