/**
 * Billing periods from cut-off days. A tenant's billing month is the month of its cut-off date; the
 * period runs from the day after the previous cut-off date to the cut-off date, whole days in the
 * billing time zone, as the half-open interval [start, end). Pure: "now" is a parameter.
 */
import { localParts, startOfLocalDay } from '../domain/calendar.ts';

/** A month as `YYYY-MM` and its number (year x 12 + month - 1), for arithmetic. */
export function monthNumber(month: string): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return y * 12 + m - 1;
}
export function monthText(n: number): string {
  return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
}

/** The cut-off date of a month: the cut-off day, or the month's last day when it has fewer days (31 = end of month). */
export function cutoffDate(month: number, cutoffDay: number): { year: number; month: number; day: number } {
  const year = Math.floor(month / 12);
  const mo = (month % 12) + 1;
  const last = new Date(Date.UTC(year, mo, 0)).getUTCDate();
  return { year, month: mo, day: Math.min(cutoffDay, last) };
}

/** The instant a month's billing period ends: the start of the day after its cut-off date. */
export function periodEndOf(month: number, cutoffDay: number, timeZone: string): number {
  const d = cutoffDate(month, cutoffDay);
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
}

/** One billing period of a tenant. */
export interface BillingPeriod {
  billingMonth: string;
  start: number;
  end: number;
  /** The cut-off day that ends it. */
  cutoffDay: number;
}

/** The period of the given cut-off day that contains instant `t`. */
export function periodContaining(t: number, cutoffDay: number, timeZone: string): BillingPeriod {
  const p = localParts(t, timeZone);
  let m = p.year * 12 + p.month - 1 - 1;
  while (periodEndOf(m, cutoffDay, timeZone) <= t) m++;
  return {
    billingMonth: monthText(m),
    start: periodEndOf(m - 1, cutoffDay, timeZone),
    end: periodEndOf(m, cutoffDay, timeZone),
    cutoffDay,
  };
}

/**
 * The period after one that ended at `start` (billing month `previousMonth`): it ends on the first
 * cut-off date of `cutoffDay` after `start` in a later billing month. With an unchanged cut-off
 * day this is simply the next month; after a change it may be shorter or longer than a month, so
 * that no billing month is skipped or repeated.
 */
export function periodAfter(start: number, previousMonth: string, cutoffDay: number, timeZone: string): BillingPeriod {
  let m = monthNumber(previousMonth) + 1;
  while (periodEndOf(m, cutoffDay, timeZone) <= start) m++;
  return { billingMonth: monthText(m), start, end: periodEndOf(m, cutoffDay, timeZone), cutoffDay };
}

/** What the schedule of one tenant depends on. */
export interface TenantSchedule {
  tenantName: string;
  cutoffDay: number;
  /** A new cut-off day that takes effect after the next closing. */
  pendingCutoffDay: number | null;
  deletedAt: number | null;
  /** The first instant to bill: the tenant's first usage, or its registration when it has none. */
  billingFrom: number;
  /** The latest finalized period, if any. */
  lastClosed: { billingMonth: string; end: number } | null;
  /**
   * Periods after it whose finalized statement was voided (`void`), oldest first: each is due again
   * as it was, and the schedule goes on after the last of them.
   */
  reopened?: readonly BillingPeriod[];
}

/** The first period of the schedule after its finalized and reopened ones (a pending cut-off day applies after a reopened one). */
export function afterReopened(t: TenantSchedule, timeZone: string): BillingPeriod {
  const last = t.reopened?.at(-1);
  if (last !== undefined) return periodAfter(last.end, last.billingMonth, t.pendingCutoffDay ?? t.cutoffDay, timeZone);
  return t.lastClosed
    ? periodAfter(t.lastClosed.end, t.lastClosed.billingMonth, t.cutoffDay, timeZone)
    : periodContaining(t.billingFrom, t.cutoffDay, timeZone);
}

/** A period that is due: its cut-off day has ended and it is not finalized. */
export interface DuePeriod extends BillingPeriod {
  tenantName: string;
}

/**
 * Every period of every tenant whose cut-off day has ended by `asOf` and that is not finalized,
 * oldest first: a server that was down for months catches up on all of them. A pending cut-off
 * day applies from the period after the next one closed. A deleted tenant's last period is the one
 * its deletion falls in.
 */
export function duePeriods(tenants: readonly TenantSchedule[], asOf: number, timeZone: string): DuePeriod[] {
  const due: DuePeriod[] = [];
  for (const t of tenants) {
    // A voided month is due again as it was finalized, before anything after it.
    for (const r of t.reopened ?? []) if (r.end <= asOf) due.push({ tenantName: t.tenantName, ...r });
    // The next closing still uses the current cut-off day; every period after it the pending one.
    let period = afterReopened(t, timeZone);
    const later = t.pendingCutoffDay ?? t.cutoffDay;
    while (period.end <= asOf) {
      if (t.deletedAt !== null && period.start > t.deletedAt) break;
      due.push({ tenantName: t.tenantName, ...period });
      period = periodAfter(period.end, period.billingMonth, later, timeZone);
    }
  }
  return due.sort((a, b) => a.end - b.end || (a.tenantName < b.tenantName ? -1 : a.tenantName > b.tenantName ? 1 : 0));
}

/**
 * The period of a tenant's schedule that contains `at`, found along the chain `duePeriods` walks
 * (so a change of cut-off day is followed as the close will follow it), or null when `at` lies in a
 * finalized period or after a deleted tenant's last period. Without a finalized period it is the
 * period of the cut-off day containing `at`.
 */
export function periodAt(t: TenantSchedule, at: number, timeZone: string): BillingPeriod | null {
  if (t.lastClosed && at < t.lastClosed.end) return null;
  const reopened = t.reopened?.find((r) => r.start <= at && at < r.end);
  if (reopened !== undefined) return reopened;
  // Before a voided first month: billing starts with it (its usage was checked against it).
  const first = t.reopened?.[0];
  if (first !== undefined && t.lastClosed === null && at < first.start) return null;
  let period =
    t.lastClosed || t.reopened?.length
      ? afterReopened(t, timeZone)
      : periodContaining(Math.min(t.billingFrom, at), t.cutoffDay, timeZone);
  const later = t.pendingCutoffDay ?? t.cutoffDay;
  while (period.end <= at) period = periodAfter(period.end, period.billingMonth, later, timeZone);
  if (t.deletedAt !== null && period.start > t.deletedAt) return null;
  return period;
}

/**
 * The tenant's next open period: the first one not finalized, as the close will reach it (the
 * period after the last finalized one, else the period its billing starts in), or null for a
 * deleted tenant whose last period is finalized.
 */
export function nextOpenPeriod(t: TenantSchedule, timeZone: string): BillingPeriod | null {
  const reopened = t.reopened?.[0];
  if (reopened !== undefined) return reopened;
  const period = afterReopened(t, timeZone);
  if (t.deletedAt !== null && period.start > t.deletedAt) return null;
  return period;
}
