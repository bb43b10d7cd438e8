/**
 * Usage booked late (`import usage --as-adjustment`): where a record of a finalized month is
 * booked. The adjustment lines the booked records become when their month is closed are made by
 * jobs/late-usage.ts (rating is not called from the store).
 */
import { monthNumber, monthText } from '../periods/periods.ts';
import { connection, type Db } from './db.ts';

/** Where a late record goes: the billing month it is booked in, or why it cannot be booked. */
export type Booking = { month: string } | { field: 'start_at' | 'end_at'; problem: string };

/**
 * Returns the booking rule of the usage import's `--as-adjustment` (statements prepared once). A
 * record that falls in a finalized month is booked in the tenant's next open month: the billing
 * month after its last finalized one. The record must lie wholly within the finalized months (a
 * part outside them would be billed nowhere), and a deleted tenant whose last month is finalized
 * has no open month left.
 */
export function lateBooking(
  db: Db,
): (tenant: { tenantPk: number; deletedAt: string | null }, startAt: string, endAt: string | null) => Booking {
  const fixed = connection(db)
    .prepare(`SELECT MIN(period_start) AS first_start, MAX(period_end) AS last_end, MAX(billing_month) AS last_month
    FROM current_statements WHERE tenant_pk = ?`);
  return (tenant, startAt, endAt) => {
    const r = fixed.get(tenant.tenantPk) as {
      first_start: string | null;
      last_end: string | null;
      last_month: string | null;
    };
    if (r.first_start === null || r.last_end === null || r.last_month === null)
      throw new Error('lateBooking: the tenant has no finalized month');
    if (startAt < r.first_start) {
      return {
        field: 'start_at',
        problem: `starts before ${r.first_start}, where the tenant's first finalized month begins; split the record there and import the earlier part separately`,
      };
    }
    if (endAt !== null && endAt > r.last_end) {
      return {
        field: 'end_at',
        problem: `reaches past ${r.last_end}, where the last finalized month (${r.last_month}) ends; split the record there: the later part imports as ordinary usage`,
      };
    }
    if (tenant.deletedAt !== null && r.last_end > tenant.deletedAt) {
      return {
        field: 'start_at',
        problem: `the tenant was deleted at ${tenant.deletedAt} and its last month (${r.last_month}) is finalized: there is no open month to book it in`,
      };
    }
    // A period ends at the latest at the start of the 1st of the next month and the next one ends
    // on a cut-off date in it, so the period after the last finalized one is always that month + 1
    // (whatever the cut-off day and time zone; see periodAfter).
    return { month: monthText(monthNumber(r.last_month) + 1) };
  };
}

/**
 * The usage records of a tenant in [periodStart, periodEnd) that were booked late into other
 * months (`import usage --as-adjustment`), counted by the month they are billed in.
 */
export function bookedElsewhere(
  db: Db,
  tenantPk: number,
  periodStart: string,
  periodEnd: string,
): { bookedMonth: string; records: number }[] {
  return connection(db)
    .prepare(
      `SELECT booked_month AS bookedMonth, COUNT(*) AS records FROM usage_records
      WHERE tenant_pk = ? AND booked_month IS NOT NULL AND start_at >= ? AND start_at < ?
      GROUP BY booked_month ORDER BY booked_month`,
    )
    .all(tenantPk, periodStart, periodEnd) as { bookedMonth: string; records: number }[];
}
