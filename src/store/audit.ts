/** The audit log: who did what to which subject, when; written in the caller's transaction. */
import { cachedStatement, type Db } from './db.ts';

/** Appends one audit entry; `detail` is stored as JSON. */
export function recordAudit(db: Db, at: string, action: string, subject: string, detail: unknown): void {
  cachedStatement(db, 'INSERT INTO audit_log (at, action, subject, detail) VALUES (?, ?, ?, ?)').run(
    at,
    action,
    subject,
    JSON.stringify(detail),
  );
}

/** One audit entry as `usage-charges audit` lists it. */
export interface AuditEntry {
  at: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

/**
 * The latest audit entries, newest first, at most `limit`: of one action, one subject (a tenant, or
 * an import's kind; a release of several tenants is one of each) and one billing month when given.
 * An entry of several tenants has the subject `*` (or the one tenant it was asked for) and lists
 * them in `tenants`: a subject's entries are read through the (subject, at) index.
 */
export function auditEntries(
  db: Db,
  filter: { action: string | null; subject: string | null; billingMonth: string | null; limit: number },
): AuditEntry[] {
  const { action, subject, billingMonth, limit } = filter;
  const rest = `(@action IS NULL OR action = @action)
      AND (@billingMonth IS NULL OR json_extract(detail, '$.billingMonth') = @billingMonth)
      ORDER BY at DESC, audit_pk DESC LIMIT @limit`;
  const rows = (
    subject === null
      ? cachedStatement(db, `SELECT at, action, subject, detail FROM audit_log WHERE ${rest}`).all({
          action,
          billingMonth,
          limit,
        })
      : cachedStatement(
          db,
          `SELECT at, action, subject, detail FROM audit_log
      WHERE subject IN (@subject, '*')
        AND (subject = @subject OR EXISTS (SELECT 1 FROM json_each(detail, '$.tenants') WHERE value = @subject))
        AND ${rest}`,
        ).all({ action, subject, billingMonth, limit })
  ) as { at: string; action: string; subject: string; detail: string }[];
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}
