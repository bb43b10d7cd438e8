/** The open period of a tenant that a given billing month names, along the chain the close walks. Pure. */
import {
  afterReopened,
  monthNumber,
  periodAfter,
  periodContaining,
  type BillingPeriod,
  type TenantSchedule,
} from './periods.ts';

/** A tenant's period of a billing month, or why it has none that is still open. */
export type MonthPeriod =
  { ok: true; period: BillingPeriod } | { ok: false; reason: 'finalized' | 'before-first' | 'after-deletion' };

/**
 * The period with billing month `month` that the close will finalize for the tenant: after its
 * last finalized period (following a pending change of cut-off day as the close will), or from the
 * period of its first usage (or registration) when none is finalized. A month up to the last
 * finalized one is `finalized` (its statement, if any, is in the store); a month before the first
 * billed one is `before-first`; a month that starts after a deleted tenant's deletion is
 * `after-deletion`. A month whose statement was voided is open again, with the period it had.
 */
export function openPeriodOfMonth(t: TenantSchedule, month: string, timeZone: string): MonthPeriod {
  const target = monthNumber(month);
  if (t.lastClosed && target <= monthNumber(t.lastClosed.billingMonth)) return { ok: false, reason: 'finalized' };
  // A voided month is open again, as it was finalized.
  const reopened = t.reopened?.find((r) => r.billingMonth === month);
  if (reopened !== undefined) return { ok: true, period: reopened };
  let period =
    t.lastClosed || t.reopened?.length
      ? afterReopened(t, timeZone)
      : periodContaining(t.billingFrom, t.cutoffDay, timeZone);
  if (monthNumber(period.billingMonth) > target) return { ok: false, reason: 'before-first' };
  const later = t.pendingCutoffDay ?? t.cutoffDay;
  while (monthNumber(period.billingMonth) < target)
    period = periodAfter(period.end, period.billingMonth, later, timeZone);
  // periodAfter never skips a billing month, so the walk stops on `month` itself.
  if (period.billingMonth !== month) return { ok: false, reason: 'before-first' };
  if (t.deletedAt !== null && period.start > t.deletedAt) return { ok: false, reason: 'after-deletion' };
  return { ok: true, period };
}
