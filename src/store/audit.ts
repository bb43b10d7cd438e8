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

/** An audit entry with its key, for paging through a long trail. */
export interface KeyedAuditEntry extends AuditEntry {
  auditPk: number;
}

/** What auditEntries and auditPage read. */
interface AuditFilter {
  action: string | null;
  subject: string | null;
  billingMonth: string | null;
  limit: number;
}

/**
 * The latest audit entries, newest first, at most `limit`: of one action, one subject (a tenant, or
 * an import's kind; a release of several tenants is one of each) and one billing month when given.
 * An entry of several tenants has the subject `*` (or the one tenant it was asked for) and lists
 * them in `tenants`: a subject's entries are read through the (subject, at) index.
 */
export function auditEntries(db: Db, filter: AuditFilter): AuditEntry[] {
  return auditPage(db, { ...filter, before: null }).map(({ auditPk: _, ...e }) => e);
}

/**
 * A page of audit entries as auditEntries lists them, with their keys: the entries older than the
 * entry `before` (newest first, as auditEntries orders them), or the newest for null.
 */
export function auditPage(db: Db, filter: AuditFilter & { before: number | null }): KeyedAuditEntry[] {
  const { action, subject, billingMonth, limit, before } = filter;
  const beforeAt =
    before === null
      ? null
      : (cachedStatement(db, 'SELECT at FROM audit_log WHERE audit_pk = ?').pluck().get(before) as string | undefined);
  if (beforeAt === undefined) return [];
  // Each condition as one SQL text per shape, so that SQLite reads the (subject, at) index from the
  // newest entry (or from the entry `before`) down and stops at `limit`: a disjunction like
  // `@before IS NULL OR ...` would make it read every entry of the subject.
  const where = [
    '(@action IS NULL OR action = @action)',
    "(@billingMonth IS NULL OR json_extract(detail, '$.billingMonth') = @billingMonth)",
    ...(before === null ? [] : ['at <= @beforeAt AND (at < @beforeAt OR audit_pk < @before)']),
  ].join(' AND ');
  const columns = 'SELECT audit_pk AS auditPk, at, action, subject, detail FROM audit_log';
  const order = 'ORDER BY at DESC, auditPk DESC LIMIT @limit';
  // A subject's own entries, and those of several tenants (subject `*`) that list it: two ordered
  // reads merged (`subject IN (...)` would sort them all).
  const sql =
    subject === null
      ? `${columns} WHERE ${where} ${order}`
      : `${columns} WHERE subject = @subject AND ${where}
      UNION ALL ${columns} WHERE subject = '*' AND ${where}
        AND EXISTS (SELECT 1 FROM json_each(detail, '$.tenants') WHERE value = @subject)
      ${order}`;
  const rows = cachedStatement(db, sql).all({
    action,
    billingMonth,
    limit,
    ...(subject === null ? {} : { subject }),
    ...(before === null ? {} : { before, beforeAt }),
  }) as { auditPk: number; at: string; action: string; subject: string; detail: string }[];
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}
