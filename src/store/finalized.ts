/**
 * The tenants' finalized (fixed) statements as the imports see them: the months whose data can no
 * longer change. Periods are half-open [period_start, period_end).
 */
import { cachedStatement, type Db } from './db.ts';

/** Whether the tenant has a finalized month. */
export function hasFinalizedMonth(db: Db, tenantPk: number): boolean {
  return (
    cachedStatement(db, 'SELECT 1 FROM current_statements WHERE tenant_pk = ? LIMIT 1').pluck().get(tenantPk) !==
    undefined
  );
}

/** Where the tenant's last finalized month ends, or '' when it has none. */
export function lastFinalizedEnd(db: Db, tenantPk: number): string {
  return cachedStatement(db, "SELECT COALESCE(MAX(period_end), '') FROM current_statements WHERE tenant_pk = ?")
    .pluck()
    .get(tenantPk) as string;
}

/** The first of the tenant's finalized months (by billing month) that the interval [startAt, endAt) overlaps. */
export function finalizedMonthOverlapping(
  db: Db,
  tenantPk: number,
  startAt: string,
  endAt: string,
): string | undefined {
  // An interval overlaps when it starts before the period's end and ends after its start.
  return cachedStatement(
    db,
    `SELECT billing_month FROM current_statements WHERE tenant_pk = ?
      AND period_start < ? AND period_end > ? ORDER BY billing_month LIMIT 1`,
  )
    .pluck()
    .get(tenantPk, endAt, startAt) as string | undefined;
}

/** The tenant's finalized month the instant `at` lies in, when there is one. */
export function finalizedMonthAt(db: Db, tenantPk: number, at: string): string | undefined {
  return cachedStatement(
    db,
    `SELECT billing_month FROM current_statements WHERE tenant_pk = ?
      AND period_start <= ? AND period_end > ? LIMIT 1`,
  )
    .pluck()
    .get(tenantPk, at, at) as string | undefined;
}

/**
 * Where the tenant's first finalized month begins, when that is after `at` (else undefined). A
 * voided month counts: its month is open again, but billing still starts with it.
 */
export function firstFinalizedStartAfter(db: Db, tenantPk: number, at: string): string | undefined {
  return cachedStatement(
    db,
    `SELECT MIN(period_start) FROM statements WHERE tenant_pk = ? AND status = 'fixed'
      HAVING MIN(period_start) > ?`,
  )
    .pluck()
    .get(tenantPk, at) as string | undefined;
}
