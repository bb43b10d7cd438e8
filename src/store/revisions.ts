/**
 * Revisions of a tenant's month (migration 9): a finalized statement voided before any of its
 * mails went (`statement_voids`), and a sent one corrected by a re-issue (a later revision whose
 * `corrects_pk` names it). A month's current revision is its finalized, not voided revision of the
 * highest number (the `current_statements` view); the database refuses a second current one.
 * Times and who are given: the store has no clock and knows no operator.
 */
import { cachedStatement, type Db } from './db.ts';

/** Where a revision stands. */
export type RevisionState = 'current' | 'replaced' | 'void' | 'open';

/** One revision of a tenant's month, as `history --revisions`, `status` and the jobs see it. */
export interface RevisionRow {
  statementPk: number;
  tenantPk: number;
  tenantName: string;
  billingMonth: string;
  revision: number;
  state: RevisionState;
  periodStart: string;
  periodEnd: string;
  /** Decimal text; null for an open (not finalized) row. */
  total: string | null;
  currency: string;
  finalizedAt: string | null;
  /** The revision this one corrects (a re-issue), or null. */
  correctsRevision: number | null;
  /** Why it was re-issued, and who asked ('' for a first statement or a close after a void). */
  reason: string;
  by: string;
  voidedAt: string | null;
  voidedBy: string | null;
  voidReason: string | null;
  zipName: string | null;
  zipPath: string | null;
  mailsSent: number;
  /** Why its close failed (an open row), or null. */
  lastError: string | null;
}

const REVISION_SELECT = `SELECT s.statement_pk AS statementPk, s.tenant_pk AS tenantPk, t.tenant_name AS tenantName, s.billing_month AS billingMonth,
    s.revision, CASE WHEN c.statement_pk IS NOT NULL THEN 'current' WHEN v.statement_pk IS NOT NULL THEN 'void'
      WHEN s.status = 'estimated' THEN 'open' ELSE 'replaced' END AS state,
    s.period_start AS periodStart, s.period_end AS periodEnd, s.total, s.currency, s.finalized_at AS finalizedAt,
    (SELECT p.revision FROM statements p WHERE p.statement_pk = s.corrects_pk) AS correctsRevision,
    s.revision_reason AS reason, s.revision_by AS by, v.voided_at AS voidedAt, v.voided_by AS voidedBy,
    v.reason AS voidReason, f.zip_name AS zipName, f.zip_path AS zipPath, s.last_error AS lastError,
    (SELECT COUNT(*) FROM deliveries d WHERE d.statement_pk = s.statement_pk AND d.status = 'sent') AS mailsSent
  FROM statements s JOIN tenants t USING (tenant_pk)
  LEFT JOIN current_statements c ON c.statement_pk = s.statement_pk
  LEFT JOIN statement_voids v ON v.statement_pk = s.statement_pk
  LEFT JOIN statement_files f ON f.statement_pk = s.statement_pk`;

/** The revisions of a tenant's month (or of all its months), newest month first, then by revision. */
export function statementRevisions(db: Db, tenantName: string, billingMonth: string | null = null): RevisionRow[] {
  return cachedStatement(
    db,
    `${REVISION_SELECT} WHERE t.tenant_name = ? AND (? IS NULL OR s.billing_month = ?)
    ORDER BY s.billing_month DESC, s.revision`,
  ).all(tenantName, billingMonth, billingMonth) as RevisionRow[];
}

/**
 * Every revision of a tenant's newest `months` months (months, not revisions, are counted), newest
 * month first, then by revision.
 */
export function tenantRevisions(db: Db, tenantName: string, months: number): RevisionRow[] {
  return cachedStatement(
    db,
    // From the `months`-th newest month on (every month when it has fewer): read through the
    // (tenant, month, revision) key, four times faster than `billing_month IN (the newest months)`.
    `${REVISION_SELECT} WHERE t.tenant_name = ? AND s.billing_month >= coalesce(
      (SELECT m.billing_month FROM (SELECT DISTINCT billing_month FROM statements WHERE tenant_pk = t.tenant_pk) m
        ORDER BY m.billing_month DESC LIMIT 1 OFFSET ? - 1), '')
    ORDER BY s.billing_month DESC, s.revision`,
  ).all(tenantName, months) as RevisionRow[];
}

/**
 * The revision of a month that stands, among that month's revisions: the current one, else the
 * open one, else the latest voided one (as findStatement); undefined for none.
 */
function standingRevision(revisions: readonly RevisionRow[]): RevisionRow | undefined {
  return (
    revisions.find((r) => r.state === 'current') ??
    revisions.find((r) => r.state === 'open') ??
    revisions.filter((r) => r.state === 'void').at(-1)
  );
}

/** Each month's standing revision among a tenant's revisions (newest month first, as tenantRevisions lists them). */
export function standingByMonth(revisions: readonly RevisionRow[]): RevisionRow[] {
  const byMonth = new Map<string, RevisionRow[]>();
  for (const r of revisions) byMonth.set(r.billingMonth, [...(byMonth.get(r.billingMonth) ?? []), r]);
  return [...byMonth.values()].map((month) => standingRevision(month)!);
}

/** A tenant's current revision of the month whose period holds `instant` (ISO text), if that month is finalized. */
export function currentRevisionAt(db: Db, tenantName: string, instant: string): RevisionRow | undefined {
  return cachedStatement(
    db,
    `${REVISION_SELECT} WHERE c.statement_pk IS NOT NULL AND t.tenant_name = ? AND s.period_start <= ? AND s.period_end > ?`,
  ).get(tenantName, instant, instant) as RevisionRow | undefined;
}

/** One revision by its key. */
export function revisionOf(db: Db, statementPk: number): RevisionRow | undefined {
  return cachedStatement(db, `${REVISION_SELECT} WHERE s.statement_pk = ?`).get(statementPk) as RevisionRow | undefined;
}

/** The first month after `billingMonth` with a current statement of the tenant, if any. */
export function laterFinalizedMonth(db: Db, tenantPk: number, billingMonth: string): string | undefined {
  const later = cachedStatement(
    db,
    'SELECT MIN(billing_month) FROM current_statements WHERE tenant_pk = ? AND billing_month > ?',
  )
    .pluck()
    .get(tenantPk, billingMonth) as string | null;
  return later ?? undefined;
}

/**
 * The mails of a statement that were not sent (pending or failed) are withdrawn, in the caller's
 * transaction: they never go. Returns how many.
 */
export function withdrawDeliveries(
  db: Db,
  statementPk: number,
  why: string,
  at: string,
  replacedBy: number | null = null,
): number {
  return cachedStatement(
    db,
    `UPDATE deliveries SET withdrawn_from = status, withdrawn_for = ?, status = 'withdrawn', next_attempt_at = NULL,
      last_error = ?, updated_at = ?
    WHERE statement_pk = ? AND status IN ('pending', 'failed')`,
  ).run(replacedBy, why, at, statementPk).changes;
}

/**
 * The mails a re-issue (`replacedBy`) withdrew from the revision it corrected, given back when that
 * re-issue is voided (in the caller's transaction): pending again (one that had failed stays
 * failed, for `retry`), so that every contact still gets the revision that is current again.
 * Returns how many.
 */
export function restoreWithdrawn(db: Db, replacedBy: number, why: string, at: string): number {
  return cachedStatement(
    db,
    `UPDATE deliveries SET status = CASE withdrawn_from WHEN 'failed' THEN 'failed' ELSE 'pending' END,
      withdrawn_from = NULL, withdrawn_for = NULL, next_attempt_at = NULL,
      last_error = ? || COALESCE(' (was: ' || last_error || ')', ''), updated_at = ?
    WHERE status = 'withdrawn' AND withdrawn_for = ?`,
  ).run(why, at, replacedBy).changes;
}

/**
 * Voids a finalized statement none of whose mails was sent, in the caller's transaction: recorded
 * with who, when and why; its unsent mails withdrawn and its open hold closed. The statement, its
 * lines and its files stay as they are. The database refuses a statement a mail of which was sent
 * or is being sent. Returns how many mails were withdrawn.
 */
export function recordVoid(db: Db, statementPk: number, v: { at: string; by: string; reason: string }): number {
  cachedStatement(
    db,
    'INSERT INTO statement_voids (statement_pk, voided_at, voided_by, reason) VALUES (?, ?, ?, ?)',
  ).run(statementPk, v.at, v.by, v.reason);
  const withdrawn = withdrawDeliveries(db, statementPk, `withdrawn: the statement was voided (${v.reason})`, v.at);
  cachedStatement(
    db,
    `UPDATE statement_holds SET released_at = ?, released_by = ?, release_reason = ?
    WHERE statement_pk = ? AND released_at IS NULL`,
  ).run(v.at, v.by, `voided: ${v.reason}`, statementPk);
  return withdrawn;
}

/** What a re-issue's mail says of the revision it corrects, or null when the statement corrects none. */
export function correctionOf(
  db: Db,
  statementPk: number,
): { revision: number; previousRevision: number; previousTotal: string; reason: string } | null {
  return (
    (cachedStatement(
      db,
      `SELECT s.revision, p.revision AS previousRevision, p.total AS previousTotal, s.revision_reason AS reason
      FROM statements s JOIN statements p ON p.statement_pk = s.corrects_pk WHERE s.statement_pk = ?`,
    ).get(statementPk) as
      { revision: number; previousRevision: number; previousTotal: string; reason: string } | undefined) ?? null
  );
}
