/**
 * Usage booked late (`import usage --as-adjustment`): the adjustment lines the booked records
 * become when their month is closed (or estimated). Where a record is booked is the store's
 * lateBooking (src/store/late-usage.ts).
 */
import { ZERO, type Decimal } from '../src/domain/money.ts';
import type { BillingPeriod } from '../src/periods/periods.ts';
import { RatingError } from '../src/rating/errors.ts';
import { ratePeriod } from '../src/rating/rate-period.ts';
import type { Adjustment, RatingPolicy, UsageRecord } from '../src/rating/types.ts';
import { fixedPeriodsBefore, lateBookedUsage, type BillingTenant, type billingReader } from '../src/store/billing.ts';
import type { Db } from '../src/store/db.ts';

/** The reason of every adjustment line made from usage booked late. */
export const LATE_USAGE_REASON = 'usage booked late';

/** Whether a record has time (or, for a quantity, its instant) in [start, end). */
function touches(r: UsageRecord, start: number, end: number): boolean {
  return r.end === null ? r.start >= start && r.start < end : r.start < end && r.end > start;
}

/**
 * The adjustment lines of the usage booked in `billingMonth`. For each finalized month the booked
 * records lie in, the month is rated twice (same policy, no coupons): with what it was billed for
 * (its own usage and anything booked into it earlier) and with the newly booked records added; the
 * difference per L-Platform is what the tenant would have paid had the records come on time, so
 * caps, allowances and free links count the whole month. It becomes a line `usage booked late`
 * naming that month. Differences of zero make no line. Reads only.
 */
export function lateUsageAdjustments(
  db: Db,
  reader: ReturnType<typeof billingReader>,
  tenant: BillingTenant,
  billingMonth: string,
  timeZone: string,
  policy: RatingPolicy,
): Adjustment[] {
  const booked = lateBookedUsage(db, tenant.tenantPk, billingMonth, 'in');
  if (booked.length === 0) return [];
  const earlier = lateBookedUsage(db, tenant.tenantPk, billingMonth, 'before');
  const months = fixedPeriodsBefore(db, tenant.tenantPk, billingMonth);
  const adjustments: Adjustment[] = [];
  const rated = new Set<string>();
  for (const m of months) {
    const period: BillingPeriod = {
      billingMonth: m.billingMonth,
      start: Date.parse(m.periodStart),
      end: Date.parse(m.periodEnd),
      cutoffDay: tenant.cutoffDay,
    };
    const usage = booked.filter((r) => touches(r, period.start, period.end));
    if (usage.length === 0) continue;
    for (const r of usage) rated.add(r.recordId);
    const base = reader.ratingInput(tenant, period, timeZone, policy);
    const billed = [...base.usage, ...earlier.filter((r) => touches(r, period.start, period.end))];
    const amounts = (records: UsageRecord[]): Map<string, Decimal> =>
      new Map(
        ratePeriod({ ...base, usage: records, coupons: [], adjustments: [] }).lplatforms.map((lp) => [
          lp.lplatformId,
          lp.amount,
        ]),
      );
    const before = amounts(billed);
    const after = amounts([...billed, ...usage]);
    for (const [lplatformId, amount] of after) {
      const delta = amount.minus(before.get(lplatformId) ?? ZERO);
      if (delta.isZero()) continue;
      adjustments.push({
        id: `late:${m.billingMonth}:${lplatformId}`,
        lplatformId,
        amount: delta,
        reason: LATE_USAGE_REASON,
        originalMonth: m.billingMonth,
      });
    }
  }
  const lost = booked.find((r) => !rated.has(r.recordId));
  if (lost)
    throw new RatingError(
      `usage record ${lost.recordId} is booked in ${billingMonth} but lies in no finalized month of tenant ${tenant.tenantName}`,
    );
  return adjustments;
}
