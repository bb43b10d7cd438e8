/**
 * Rates one tenant's period, in named stages: group the usage, price each group, apply the rules
 * that work across the tenant, arrange the lines (with the adjustments) by L-Platform and resource,
 * sum them up, take the coupons off, tax, total. Every amount is rounded by the one `Rounding` of
 * the policy (rounding.ts).
 */
import { sum, type Decimal } from '../domain/money.ts';
import { Catalog } from './catalog.ts';
import { chargeFunction } from './charge-types/index.ts';
import { applicableCoupons, discounts } from './coupons.ts';
import { RatingError } from './errors.ts';
import { groupUsage } from './group-usage.ts';
import { bareLine, taxChanges, taxLookup, type ChargeGroup, type PricingContext } from './pricing.ts';
import { chargeLines, roundingFor } from './rounding.ts';
import { RULE_RECORDS, ruleRecord } from './rules/registry.ts';
import type { PricedGroup } from './rules/rule.ts';
import { adjustmentLines, arrangeLines, sumUp } from './statement-tree.ts';
import { taxLines } from './taxes.ts';
import type { ChargeLine, ChargeTree, RatingInput } from './types.ts';

/** What every stage prices with: the catalog, the period, tax rates and the policy's rounding; a bad period is an error. */
function pricingContext(input: RatingInput): PricingContext {
  const { period, policy } = input;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period.billingMonth))
    throw new RatingError(`billing month "${period.billingMonth}" is not YYYY-MM`);
  if (!(period.end > period.start)) throw new RatingError('the period ends before it starts');
  return {
    catalog: new Catalog(input.catalog),
    period,
    taxAt: taxLookup(policy.taxRates),
    taxCuts: (s, e) => (policy.taxEnabled ? taxChanges(policy.taxRates, s, e) : []),
    rounding: roundingFor(policy, input.currency),
  };
}

/**
 * Prices each group by its product's rule, or else its charge type; an unknown rule is an error.
 * Every line is charged (rounded) here; corrections (caps) were computed on rounded lines.
 */
function priceGroups(groups: readonly ChargeGroup[], ctx: PricingContext): PricedGroup[] {
  return groups.map((group) => {
    const p = ctx.catalog.describe(group.records[0]!.productId);
    const rule = ruleRecord(p.rule);
    if (p.rule !== '' && rule === undefined)
      throw new RatingError(`product ${p.productId} has an unknown rule "${p.rule}"`);
    const lines = (rule?.priceGroup ?? chargeFunction(p.chargeType))(group, ctx);
    chargeLines(lines, ctx.rounding);
    return { group, lines };
  });
}

/** The rules that work across the tenant (free links, allowances); each touches only its own products' groups. */
function applyTenantRules(priced: readonly PricedGroup[], ctx: PricingContext): ChargeLine[] {
  return RULE_RECORDS.flatMap((rule) => rule.priceAcross?.(priced, ctx) ?? []);
}

/** The coupons that apply, each taking its discount off what is left before it, as negative lines. */
function couponLines(input: RatingInput, beforeDiscount: Decimal, ctx: PricingContext): ChargeLine[] {
  const taxPercent = ctx.taxAt(input.period.end - 1);
  return discounts(applicableCoupons(input.coupons, input.period), beforeDiscount, ctx.rounding.money)
    .filter(({ amount }) => !amount.isZero())
    .map(({ coupon, amount }) => bareLine('coupon', null, amount.negated(), `coupon ${coupon.code}`, taxPercent));
}

/** Rates a tenant's period. Pure: the same input always gives the same tree. */
export function ratePeriod(input: RatingInput): ChargeTree {
  const ctx = pricingContext(input);
  const groups = groupUsage(input, ctx.catalog);
  const priced = priceGroups(groups, ctx);
  const lplatformLines = applyTenantRules(priced, ctx);
  const adjustments = adjustmentLines(input.adjustments, ctx.taxAt(input.period.end - 1), ctx.rounding);
  const arranged = arrangeLines(input.lplatforms, priced, lplatformLines, adjustments);
  const { lplatforms, lines, beforeDiscount } = sumUp(arranged, ctx.rounding);
  const coupons = couponLines(input, beforeDiscount, ctx);
  const discount = sum(coupons.map((l) => l.charged)).negated();
  const subtotal = beforeDiscount.minus(discount);
  const taxes = taxLines(input.policy, lines, subtotal, discount, ctx.rounding);
  const tax = sum(taxes.map((t) => t.amount));
  return {
    tenantName: input.tenantName,
    currency: input.currency,
    period: input.period,
    preset: input.policy.preset,
    lplatforms,
    tenantLines: [...arranged.tenantLines, ...coupons],
    beforeDiscount,
    discount,
    subtotal,
    taxes,
    tax,
    total: subtotal.plus(tax),
  };
}
