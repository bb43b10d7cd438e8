/** Rates one tenant's period: usage -> groups -> lines -> L-Platforms -> subtotal, coupons, tax, total. */
import { ZERO, sum } from '../domain/money.ts';
import { byText } from '../domain/text.ts';
import { Catalog } from './catalog.ts';
import { chargeFunction } from './charge-types/index.ts';
import { applicableCoupons, discounts } from './coupons.ts';
import { RatingError } from './errors.ts';
import { roundingFor, taxBases } from './policy.ts';
import { bareLine, taxChanges, taxLookup, type ChargeGroup, type PricingContext } from './pricing.ts';
import { RULE_RECORDS, ruleRecord } from './rules/registry.ts';
import type { PricedGroup } from './rules/rule.ts';
import type { ChargeLine, ChargeTree, LplatformCharges, RatingInput, ResourceCharges, UsageRecord } from './types.ts';

/** A total order of records, so that the result never depends on the order they came in. */
function compareRecords(a: UsageRecord, b: UsageRecord): number {
  return (
    byText(a.lplatformId, b.lplatformId) ||
    byText(a.resourceId, b.resourceId) ||
    byText(a.component, b.component) ||
    byText(a.productId, b.productId) ||
    a.start - b.start ||
    byText(a.recordId, b.recordId)
  );
}

/** The group a record is priced in: its product, or its plan group for rules that span plans. */
function groupKey(catalog: Catalog, r: UsageRecord): string {
  const p = catalog.describe(r.productId);
  const byPlan = p.chargeType === 'capped_plan' || ruleRecord(p.rule)?.groupBy === 'plan_group';
  return byPlan ? `plan:${p.planGroup}` : r.productId;
}

/** Refuses records of one resource, component and product (or plan group) whose times overlap. */
function checkOverlaps(records: readonly UsageRecord[], catalog: Catalog): void {
  const last = new Map<string, UsageRecord>();
  const sorted = records
    .filter((r) => r.end !== null)
    .sort((a, b) => a.start - b.start || byText(a.recordId, b.recordId));
  for (const r of sorted) {
    const slot = `${r.lplatformId}|${r.resourceId}|${r.component}|${groupKey(catalog, r)}|${r.timeKind}`;
    const prev = last.get(slot);
    if (prev && r.start < prev.end!) {
      throw new RatingError(
        `usage records ${prev.recordId} and ${r.recordId} of resource ${r.resourceId} overlap; usage is never counted twice`,
      );
    }
    if (!prev || r.end! > prev.end!) last.set(slot, r);
  }
}

/** Rates a tenant's period. Pure: the same input always gives the same tree. */
export function ratePeriod(input: RatingInput): ChargeTree {
  const { period, policy, currency } = input;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period.billingMonth))
    throw new RatingError(`billing month "${period.billingMonth}" is not YYYY-MM`);
  if (!(period.end > period.start)) throw new RatingError('the period ends before it starts');
  const catalog = new Catalog(input.catalog);
  const rounding = roundingFor(policy, currency);
  const ctx: PricingContext = {
    catalog,
    period,
    taxAt: taxLookup(policy.taxRates),
    taxCuts: (s, e) => (policy.taxEnabled ? taxChanges(policy.taxRates, s, e) : []),
    roundLine: rounding.line,
    floorLine: rounding.floorLine,
  };

  const records = [...input.usage].sort(compareRecords);
  for (const r of records) {
    const p = catalog.describe(r.productId);
    if (p.currency !== currency)
      throw new RatingError(
        `product ${r.productId} is priced in ${p.currency}; tenant ${input.tenantName} is billed in ${currency}`,
      );
  }
  checkOverlaps(records, catalog);

  const groups = new Map<string, ChargeGroup>();
  for (const r of records) {
    const key = groupKey(catalog, r);
    const id = `${r.lplatformId}|${r.resourceId}|${r.component}|${key}`;
    let g = groups.get(id);
    if (!g) {
      g = {
        lplatformId: r.lplatformId,
        resourceId: r.resourceId,
        resourceName: r.resourceName,
        resourceKind: r.resourceKind,
        component: r.component,
        key,
        records: [],
      };
      groups.set(id, g);
    }
    g.records.push(r);
  }
  for (const g of groups.values()) g.records.sort((a, b) => a.start - b.start || byText(a.recordId, b.recordId));

  const priced: PricedGroup[] = [...groups.values()].map((group) => {
    const p = catalog.describe(group.records[0]!.productId);
    const rule = ruleRecord(p.rule);
    if (p.rule !== '' && rule === undefined)
      throw new RatingError(`product ${p.productId} has an unknown rule "${p.rule}"`);
    const fn = rule?.priceGroup ?? chargeFunction(p.chargeType);
    const lines = fn(group, ctx);
    // Every line is rounded where it is made; corrections (caps) were computed on rounded lines.
    for (const l of lines) if (l.kind !== 'cap') l.charged = rounding.line(l.amount);
    return { group, lines };
  });
  // The rules that work across the tenant; each touches only the groups of its own products.
  const allowances = RULE_RECORDS.flatMap((rule) => rule.priceAcross?.(priced, ctx) ?? []);

  // The tree: L-Platforms by ID, resources by ID, lines in the order their rules made them.
  const names = new Map(input.lplatforms.map((l) => [l.id, l]));
  const lplatforms = new Map<string, LplatformCharges & { byResource: Map<string, ResourceCharges> }>();
  const lplatformOf = (id: string): LplatformCharges & { byResource: Map<string, ResourceCharges> } => {
    let lp = lplatforms.get(id);
    if (!lp) {
      const known = names.get(id);
      lp = {
        lplatformId: id,
        lplatformName: known?.name ?? id,
        returnedAt: known?.returnedAt ?? null,
        region: known?.region ?? '',
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
  for (const line of allowances) lplatformOf(line.lplatformId!).lines.push(line);

  const closingTax = ctx.taxAt(period.end - 1);
  const tenantLines: ChargeLine[] = [];
  for (const a of [...input.adjustments].sort((x, y) => byText(x.id, y.id))) {
    const note = a.originalMonth ? `${a.reason} (usage of ${a.originalMonth})` : a.reason;
    const line = bareLine('adjustment', a.lplatformId, a.amount, note, closingTax);
    line.charged = rounding.line(a.amount);
    if (a.lplatformId) lplatformOf(a.lplatformId).lines.push(line);
    else tenantLines.push(line);
  }

  // Sums, per the policy, from the charged lines up.
  const ordered = [...lplatforms.values()].sort((a, b) => byText(a.lplatformId, b.lplatformId));
  const allLines: ChargeLine[] = [];
  const out: LplatformCharges[] = ordered.map(({ byResource, ...lp }) => {
    const resources = [...byResource.values()].sort((a, b) => byText(a.resourceId, b.resourceId));
    for (const r of resources) {
      r.amount = sum(r.lines.map((l) => l.charged));
      allLines.push(...r.lines);
    }
    const own = sum(lp.lines.map((l) => l.charged));
    allLines.push(...lp.lines);
    const lpSum = sum(resources.map((r) => r.amount)).plus(own);
    return { ...lp, resources, sum: lpSum, amount: rounding.lplatform(lpSum) };
  });
  const tenantAdjustments = rounding.money(sum(tenantLines.map((l) => l.charged)));
  allLines.push(...tenantLines);

  const beforeDiscount = sum(out.map((l) => l.amount)).plus(tenantAdjustments);
  for (const { coupon, amount } of discounts(
    applicableCoupons(input.coupons, period),
    beforeDiscount,
    rounding.money,
  )) {
    if (amount.isZero()) continue;
    tenantLines.push(bareLine('coupon', null, amount.negated(), `coupon ${coupon.code}`, closingTax));
  }
  const discount = sum(tenantLines.filter((l) => l.kind === 'coupon').map((l) => l.charged)).negated();
  const subtotal = beforeDiscount.minus(discount);
  const taxes = policy.taxEnabled
    ? taxBases(allLines, subtotal, discount, rounding).map((b) => ({ ...b, amount: rounding.tax(b.base, b.percent) }))
    : [];
  const tax = sum(taxes.map((t) => t.amount));
  return {
    tenantName: input.tenantName,
    currency,
    period,
    preset: policy.preset,
    lplatforms: out,
    tenantLines,
    beforeDiscount,
    discount,
    subtotal,
    taxes,
    tax,
    total: subtotal.plus(tax),
  };
}
