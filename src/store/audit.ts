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
