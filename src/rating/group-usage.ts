/** The first stage of rating: usage records checked and gathered into the groups that are priced together. */
import { byText } from '../domain/text.ts';
import type { Catalog } from './catalog.ts';
import { RatingError } from './errors.ts';
import type { ChargeGroup } from './pricing.ts';
import { ruleRecord } from './rules/registry.ts';
import type { RatingInput, UsageRecord } from './types.ts';

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

/** The group a record is priced in: its product, or its plan group (capped_plan, or a rule that groups by plan). */
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

/**
 * The tenant's usage in groups: one per L-Platform, resource, component and group key, in the
 * records' total order, each group's records in start order. A record of a product priced in
 * another currency than the tenant's, or records that overlap, are errors.
 */
export function groupUsage(input: RatingInput, catalog: Catalog): ChargeGroup[] {
  const records = [...input.usage].sort(compareRecords);
  for (const r of records) {
    const p = catalog.describe(r.productId);
    if (p.currency !== input.currency)
      throw new RatingError(
        `product ${r.productId} is priced in ${p.currency}; tenant ${input.tenantName} is billed in ${input.currency}`,
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
  return [...groups.values()];
}
