/**
 * What the rules that count across resources share: the products that have the rule, and the sets
 * they count over, per L-Platform (an ECL tenant) or per tenant (`scope`).
 */
import { byText } from '../../domain/text.ts';
import { DEFAULT_RULE_SCOPE, type RuleScope } from '../../domain/vocabulary.ts';
import type { PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';
import type { PricedGroup } from './rule.ts';

/** The products (group keys) whose catalog rule is `rule`. */
export function productsWithRule(priced: readonly PricedGroup[], ctx: PricingContext, rule: string): string[] {
  return [
    ...new Set(
      priced.filter((p) => ctx.catalog.describe(p.group.records[0]!.productId).rule === rule).map((p) => p.group.key),
    ),
  ].sort(byText);
}

/** The words a rule's note uses for its scope. */
export const SCOPE_WORDS: Record<RuleScope, string> = { lplatform: 'L-Platform', tenant: 'tenant' };

/** The scope a product's rule counts over, from the version that priced its first line. */
export function scopeOf(ctx: PricingContext, productId: string, line: ChargeLine): RuleScope {
  return ctx.catalog.version(productId, line.priority ?? 0).ruleScope ?? DEFAULT_RULE_SCOPE;
}

/** Splits items into the sets a rule counts separately: one per L-Platform, or one for the tenant. */
export function byScope<T>(items: readonly T[], scope: RuleScope, lplatformOf: (item: T) => string): T[][] {
  if (scope === 'tenant') return items.length === 0 ? [] : [[...items]];
  const sets = new Map<string, T[]>();
  for (const item of items) {
    const set = sets.get(lplatformOf(item));
    if (set) set.push(item);
    else sets.set(lplatformOf(item), [item]);
  }
  return [...sets.values()];
}
