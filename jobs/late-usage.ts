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
import { toRecord, type billingReader, type TenantRow } from '../src/store/billing.ts';
import { cachedStatement, type Db } from '../src/store/db.ts';

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
  tenant: TenantRow,
  billingMonth: string,
  timeZone: string,
  policy: RatingPolicy,
): Adjustment[] {
  const rows = (month: string, op: '=' | '<'): UsageRecord[] =>
    (
      cachedStatement(
        db,
        `SELECT u.*, l.lplatform_id FROM usage_records u JOIN lplatforms l USING (lplatform_pk)
      WHERE u.tenant_pk = ? AND u.booked_month IS NOT NULL AND u.booked_month ${op} ?`,
      ).all(tenant.tenant_pk, month) as Record<string, string | number | null>[]
    ).map(toRecord);
  const booked = rows(billingMonth, '=');
  if (booked.length === 0) return [];
  const earlier = rows(billingMonth, '<');
  const months = db
    .prepare(
      `SELECT billing_month, period_start, period_end FROM statements
    WHERE tenant_pk = ? AND status = 'fixed' AND billing_month < ? ORDER BY billing_month`,
    )
    .all(tenant.tenant_pk, billingMonth) as { billing_month: string; period_start: string; period_end: string }[];
  const adjustments: Adjustment[] = [];
  const rated = new Set<string>();
  for (const m of months) {
    const period: BillingPeriod = {
      billingMonth: m.billing_month,
      start: Date.parse(m.period_start),
      end: Date.parse(m.period_end),
      cutoffDay: tenant.cutoff_day,
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
        id: `late:${m.billing_month}:${lplatformId}`,
        lplatformId,
        amount: delta,
        reason: LATE_USAGE_REASON,
        originalMonth: m.billing_month,
      });
    }
  }
  const lost = booked.find((r) => !rated.has(r.recordId));
  if (lost)
    throw new RatingError(
      `usage record ${lost.recordId} is booked in ${billingMonth} but lies in no finalized month of tenant ${tenant.tenant_name}`,
    );
  return adjustments;
}
