/**
 * Statements held for review (statement_holds): a held statement is finalized and has its files,
 * but none of its mails is claimed until it is released. Times and who are given: the store has
 * no clock and knows no operator.
 */
import { cachedStatement, type Db } from './db.ts';

/** Why a statement is held: the review every statement waits for (REVIEW_HOLD), or an operator's `hold`. */
export type HoldKind = 'review' | 'operator';

/** A statement held now. */
export interface OpenHold {
  statementPk: number;
  tenantName: string;
  billingMonth: string;
  kind: HoldKind;
  heldAt: string;
  heldBy: string;
  reason: string;
}

/** The SQL condition "the statement of delivery `d` is not held". */
const NOT_HELD = `NOT EXISTS (SELECT 1 FROM statement_holds h WHERE h.statement_pk = d.statement_pk AND h.released_at IS NULL)`;

/**
 * The SQL condition "the statement of delivery `d` may be mailed": it is its month's current
 * revision (not voided, not replaced by a re-issue) and it is not held.
 */
export const MAILABLE = `EXISTS (SELECT 1 FROM current_statements c WHERE c.statement_pk = d.statement_pk) AND ${NOT_HELD}`;

/** Holds a finalized statement (or holds it again after a release); an operator's hold replaces a review hold. */
export function holdStatement(
  db: Db,
  statementPk: number,
  hold: { kind: HoldKind; at: string; by: string; reason: string },
): void {
  cachedStatement(
    db,
    `INSERT INTO statement_holds (statement_pk, kind, held_at, held_by, reason) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (statement_pk) DO UPDATE SET kind = excluded.kind, held_at = excluded.held_at, held_by = excluded.held_by,
      reason = excluded.reason, released_at = NULL, released_by = NULL, release_reason = NULL`,
  ).run(statementPk, hold.kind, hold.at, hold.by, hold.reason);
}

/** The statement's open hold, or undefined when it is not held. */
export function openHold(db: Db, statementPk: number): OpenHold | undefined {
  return cachedStatement(db, `${OPEN_SELECT} AND h.statement_pk = ?`).get(statementPk) as OpenHold | undefined;
}

const OPEN_SELECT = `SELECT h.statement_pk AS statementPk, t.tenant_name AS tenantName, s.billing_month AS billingMonth,
    h.kind, h.held_at AS heldAt, h.held_by AS heldBy, h.reason
  FROM statement_holds h JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
  WHERE h.released_at IS NULL`;

/** The statements held now: of `billingMonth` (and `tenantName`), or every one; by month and tenant. */
export function openHolds(db: Db, filter: { billingMonth?: string; tenantName?: string } = {}): OpenHold[] {
  // A tenant's holds through its statements (a page of the tenant at every view), not among every
  // open hold: right after a close under REVIEW_HOLD, every statement of the month is held.
  if (filter.tenantName !== undefined)
    return cachedStatement(
      db,
      `${OPEN_SELECT} AND t.tenant_name = ? AND (? IS NULL OR s.billing_month = ?) ORDER BY s.billing_month`,
    ).all(filter.tenantName, filter.billingMonth ?? null, filter.billingMonth ?? null) as OpenHold[];
  return cachedStatement(
    db,
    `${OPEN_SELECT} AND (? IS NULL OR s.billing_month = ?) AND (? IS NULL OR t.tenant_name = ?)
    ORDER BY s.billing_month, t.tenant_name`,
  ).all(
    filter.billingMonth ?? null,
    filter.billingMonth ?? null,
    filter.tenantName ?? null,
    filter.tenantName ?? null,
  ) as OpenHold[];
}

/** The review holds made at or before `heldBefore`: those REVIEW_HOLD_HOURS releases. */
export function expiredReviewHolds(db: Db, heldBefore: string): OpenHold[] {
  return cachedStatement(
    db,
    `${OPEN_SELECT} AND h.kind = 'review' AND h.held_at <= ? ORDER BY s.billing_month, t.tenant_name`,
  ).all(heldBefore) as OpenHold[];
}

/** The earliest time a review hold was made, or null when none is open (for the service's next wake-up). */
export function oldestReviewHold(db: Db): string | null {
  return (
    (cachedStatement(db, `SELECT MIN(held_at) FROM statement_holds WHERE released_at IS NULL AND kind = 'review'`)
      .pluck()
      .get() as string | null) ?? null
  );
}

/** Releases a held statement; false when it was not held. */
export function releaseHold(db: Db, statementPk: number, release: { at: string; by: string; reason: string }): boolean {
  return (
    cachedStatement(
      db,
      `UPDATE statement_holds SET released_at = ?, released_by = ?, release_reason = ?
      WHERE statement_pk = ? AND released_at IS NULL`,
    ).run(release.at, release.by, release.reason, statementPk).changes === 1
  );
}
