/**
 * Usage booked late (`import usage --as-adjustment`): where a record of a finalized month is
 * booked, and the adjustment lines the booked records become when their month is closed.
 */
import { monthNumber, monthText, type BillingPeriod } from '../periods/periods.ts';
import { ZERO, type Decimal } from '../domain/money.ts';
import { RatingError } from '../rating/errors.ts';
import { ratePeriod } from '../rating/rate-period.ts';
import type { Adjustment, RatingPolicy, UsageRecord } from '../rating/types.ts';
import { toRecord, type billingReader, type TenantRow } from './billing.ts';
import type { Db } from './db.ts';

/** The reason of every adjustment line made from usage booked late. */
export const LATE_USAGE_REASON = 'usage booked late';

/** Where a late record goes: the billing month it is booked in, or why it cannot be booked. */
export type Booking = { month: string } | { field: 'start_at' | 'end_at'; problem: string };

/**
 * Returns the booking rule of the usage import's `--as-adjustment` (statements prepared once). A
 * record that falls in a finalized month is booked in the tenant's next open month: the billing
 * month after its last finalized one. The record must lie wholly within the finalized months (a
 * part outside them would be billed nowhere), and a deleted tenant whose last month is finalized
 * has no open month left.
 */
export function lateBooking(db: Db): (tenant: { tenant_pk: number; deleted_at: string | null }, startAt: string, endAt: string | null) => Booking {
  const fixed = db.prepare(`SELECT MIN(period_start) AS first_start, MAX(period_end) AS last_end, MAX(billing_month) AS last_month
    FROM statements WHERE tenant_pk = ? AND status = 'fixed'`);
  return (tenant, startAt, endAt) => {
    const r = fixed.get(tenant.tenant_pk) as { first_start: string | null; last_end: string | null; last_month: string | null };
    if (r.first_start === null || r.last_end === null || r.last_month === null) throw new Error('lateBooking: the tenant has no finalized month');
    if (startAt < r.first_start) {
      return { field: 'start_at', problem: `starts before ${r.first_start}, where the tenant's first finalized month begins; split the record there and import the earlier part separately` };
    }
    if (endAt !== null && endAt > r.last_end) {
      return { field: 'end_at', problem: `reaches past ${r.last_end}, where the last finalized month (${r.last_month}) ends; split the record there: the later part imports as ordinary usage` };
    }
    if (tenant.deleted_at !== null && r.last_end > tenant.deleted_at) {
      return { field: 'start_at', problem: `the tenant was deleted at ${tenant.deleted_at} and its last month (${r.last_month}) is finalized: there is no open month to book it in` };
    }
    // A period ends at the latest at the start of the 1st of the next month and the next one ends
    // on a cut-off date in it, so the period after the last finalized one is always that month + 1
    // (whatever the cut-off day and time zone; see periodAfter).
    return { month: monthText(monthNumber(r.last_month) + 1) };
  };
}

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
    (db.prepare(`SELECT u.*, l.lplatform_id FROM usage_records u JOIN lplatforms l USING (lplatform_pk)
      WHERE u.tenant_pk = ? AND u.booked_month IS NOT NULL AND u.booked_month ${op} ?`).all(tenant.tenant_pk, month) as Record<string, string | number | null>[]).map(toRecord);
  const booked = rows(billingMonth, '=');
  if (booked.length === 0) return [];
  const earlier = rows(billingMonth, '<');
  const months = db.prepare(`SELECT billing_month, period_start, period_end FROM statements
    WHERE tenant_pk = ? AND status = 'fixed' AND billing_month < ? ORDER BY billing_month`).all(tenant.tenant_pk, billingMonth) as
    { billing_month: string; period_start: string; period_end: string }[];
  const adjustments: Adjustment[] = [];
  const rated = new Set<string>();
  for (const m of months) {
    const period: BillingPeriod = { billingMonth: m.billing_month, start: Date.parse(m.period_start), end: Date.parse(m.period_end), cutoffDay: tenant.cutoff_day };
    const usage = booked.filter((r) => touches(r, period.start, period.end));
    if (usage.length === 0) continue;
    for (const r of usage) rated.add(r.recordId);
    const base = reader.ratingInput(tenant, period, timeZone, policy);
    const billed = [...base.usage, ...earlier.filter((r) => touches(r, period.start, period.end))];
    const amounts = (records: UsageRecord[]): Map<string, Decimal> =>
      new Map(ratePeriod({ ...base, usage: records, coupons: [], adjustments: [] }).lplatforms.map((lp) => [lp.lplatformId, lp.amount]));
    const before = amounts(billed);
    const after = amounts([...billed, ...usage]);
    for (const [lplatformId, amount] of after) {
      const delta = amount.minus(before.get(lplatformId) ?? ZERO);
      if (delta.isZero()) continue;
      adjustments.push({ id: `late:${m.billing_month}:${lplatformId}`, lplatformId, amount: delta, reason: LATE_USAGE_REASON, originalMonth: m.billing_month });
    }
  }
  const lost = booked.find((r) => !rated.has(r.recordId));
  if (lost) throw new RatingError(`usage record ${lost.recordId} is booked in ${billingMonth} but lies in no finalized month of tenant ${tenant.tenant_name}`);
  return adjustments;
}
