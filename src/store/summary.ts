/** Read-only summaries of what the store holds, for `status`. */
import { cachedStatement, connection, type Db } from './db.ts';
import { MAILABLE } from './holds.ts';

/** Counts of every kind of record, and the span of the usage. */
export interface StoreSummary {
  schemaVersion: number;
  tenants: number;
  deletedTenants: number;
  contacts: number;
  activeContacts: number;
  lplatforms: number;
  returnedLplatforms: number;
  catalogRows: number;
  products: number;
  usageRecords: number;
  usageFrom: string | null;
  usageTo: string | null;
  coupons: number;
  /**
   * Statements by status: `fixed` (finalized) and `estimated` (open), and of the fixed ones those
   * `void` (voided) and `replaced` (corrected by a later revision); a count of 0 is left out.
   */
  statements: Record<string, number>;
}

/** One tenant's line in the status listing. */
export interface TenantSummary {
  tenantName: string;
  displayName: string;
  cutoffDay: number;
  pendingCutoffDay: number | null;
  locale: string;
  currency: string;
  deletedAt: string | null;
  contacts: number;
  lplatforms: number;
  usageRecords: number;
}

export function summarizeStore(db: Db): StoreSummary {
  const one = (sql: string): number => connection(db).prepare(sql).pluck().get() as number;
  const span = connection(db)
    .prepare('SELECT MIN(start_at) AS usageFrom, MAX(COALESCE(end_at, start_at)) AS usageTo FROM usage_records')
    .get() as {
    usageFrom: string | null;
    usageTo: string | null;
  };
  const statements: Record<string, number> = {};
  for (const row of connection(db)
    .prepare(
      `SELECT status, COUNT(*) AS n FROM statements GROUP BY status
      UNION ALL SELECT 'void', COUNT(*) FROM statement_voids
      UNION ALL SELECT 'replaced', COUNT(*) FROM live_statements l
        WHERE NOT EXISTS (SELECT 1 FROM current_statements c WHERE c.statement_pk = l.statement_pk)`,
    )
    .all() as {
    status: string;
    n: number;
  }[]) {
    if (row.n > 0) statements[row.status] = row.n;
  }
  return {
    schemaVersion: one('SELECT COALESCE(MAX(version), 0) FROM schema_migrations'),
    tenants: one('SELECT COUNT(*) FROM tenants'),
    deletedTenants: one('SELECT COUNT(*) FROM tenants WHERE deleted_at IS NOT NULL'),
    contacts: one('SELECT COUNT(*) FROM contacts'),
    activeContacts: one('SELECT COUNT(*) FROM contacts WHERE active = 1'),
    lplatforms: one('SELECT COUNT(*) FROM lplatforms'),
    returnedLplatforms: one('SELECT COUNT(*) FROM lplatforms WHERE returned_at IS NOT NULL'),
    catalogRows: one('SELECT COUNT(*) FROM catalog_products'),
    products: one('SELECT COUNT(DISTINCT product_id) FROM catalog_products'),
    usageRecords: one('SELECT COUNT(*) FROM usage_records'),
    ...span,
    coupons: one('SELECT COUNT(*) FROM coupons'),
    statements,
  };
}

/** The first `limit` tenants by name with their counts. */
export function listTenants(db: Db, limit: number): TenantSummary[] {
  return connection(db)
    .prepare(
      `SELECT t.tenant_name AS tenantName, t.display_name AS displayName, t.cutoff_day AS cutoffDay,
        t.pending_cutoff_day AS pendingCutoffDay, t.locale, t.currency, t.deleted_at AS deletedAt,
        (SELECT COUNT(*) FROM contacts c WHERE c.tenant_pk = t.tenant_pk AND c.active = 1) AS contacts,
        (SELECT COUNT(*) FROM lplatforms l WHERE l.tenant_pk = t.tenant_pk) AS lplatforms,
        (SELECT COUNT(*) FROM usage_records u WHERE u.tenant_pk = t.tenant_pk) AS usageRecords
      FROM tenants t ORDER BY t.tenant_name LIMIT ?`,
    )
    .all(limit) as TenantSummary[];
}

/**
 * One tenant's statement of a month (or its absence), for `status --month` and `history`: the
 * statement as it stands (its current revision; when it has none, the open one, else the latest voided one).
 */
export interface MonthState {
  tenantName: string;
  billingMonth: string | null;
  /** `fixed` (the current revision), `estimated` (open: not closed yet, or its close failed), `void`, or null. */
  status: string | null;
  total: string | null;
  currency: string;
  finalizedAt: string | null;
  lastError: string | null;
  zipName: string | null;
  /** 1 for a month's first statement; 2, 3, ... after a void or for a re-issue; null when there is none. */
  revision: number | null;
  /** When it was voided (status `void`), or null. */
  voidedAt: string | null;
  /** The revision a re-issue corrects, or null. */
  correctsRevision: number | null;
}

/** A month's statement with its deliveries counted by status (the statement's own, then resends). */
export interface MonthMailState extends MonthState {
  mailsSent: number;
  mailsPending: number;
  mailsSending: number;
  mailsFailed: number;
  /** Mails of a voided or replaced revision that never go. */
  mailsWithdrawn: number;
  resends: number;
  /** Since when the statement is held for review (its mails wait for `release`), or null. */
  heldAt: string | null;
  /** `review` (REVIEW_HOLD) or `operator` (`hold`), or null. */
  holdKind: string | null;
}

/**
 * The key of a tenant's statement of `month` as it stands: its current revision, else its open
 * row, else its latest voided revision (as findStatement).
 */
const standingStatementPk = (
  month: string,
): string => `(SELECT o.statement_pk FROM statements o LEFT JOIN current_statements c ON c.statement_pk = o.statement_pk
    WHERE o.tenant_pk = t.tenant_pk AND o.billing_month = ${month}
    ORDER BY c.statement_pk IS NOT NULL DESC, o.status = 'estimated' DESC, o.revision DESC LIMIT 1)`;

/**
 * The columns of MonthState of the standing statement `s` (tenant `t`, file `f`, void `v`): one
 * finalized that is not current is voided (a replaced one has a later current revision).
 */
const MONTH_STATE_COLUMNS = `t.tenant_name AS tenantName, s.billing_month AS billingMonth,
      CASE WHEN s.statement_pk IS NULL THEN NULL WHEN s.status = 'estimated' THEN 'estimated'
        WHEN v.statement_pk IS NOT NULL THEN 'void' ELSE 'fixed' END AS status,
      s.total, COALESCE(s.currency, t.currency) AS currency, s.finalized_at AS finalizedAt, s.last_error AS lastError,
      f.zip_name AS zipName, s.revision, v.voided_at AS voidedAt,
      (SELECT p.revision FROM statements p WHERE p.statement_pk = s.corrects_pk) AS correctsRevision`;

/** Every tenant with its statement of `month` as it stands, if any, and that statement's deliveries. */
export function monthStates(db: Db, month: string): MonthMailState[] {
  // The month's deliveries counted in one pass over its statements (each one's deliveries found
  // through their statement index), not six lookups per statement.
  return cachedStatement(
    db,
    `WITH counts AS (
      SELECT d.statement_pk, SUM(CASE WHEN d.status = 'sent' THEN 1 ELSE 0 END) AS sent,
        SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END) AS pending,
        SUM(CASE WHEN d.status = 'sending' THEN 1 ELSE 0 END) AS sending,
        SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END) AS failed,
        SUM(CASE WHEN d.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
        SUM(CASE WHEN d.kind = 'resend' THEN 1 ELSE 0 END) AS resends
      FROM statements m CROSS JOIN deliveries d ON d.statement_pk = m.statement_pk
      WHERE m.billing_month = @month GROUP BY d.statement_pk)
    SELECT ${MONTH_STATE_COLUMNS},
      COALESCE(n.sent, 0) AS mailsSent, COALESCE(n.pending, 0) AS mailsPending, COALESCE(n.sending, 0) AS mailsSending,
      COALESCE(n.failed, 0) AS mailsFailed, COALESCE(n.withdrawn, 0) AS mailsWithdrawn, COALESCE(n.resends, 0) AS resends,
      h.held_at AS heldAt, h.kind AS holdKind
    FROM tenants t LEFT JOIN statements s ON s.statement_pk = ${standingStatementPk('@month')}
    LEFT JOIN counts n ON n.statement_pk = s.statement_pk
    LEFT JOIN statement_files f ON f.statement_pk = s.statement_pk
    LEFT JOIN statement_voids v ON v.statement_pk = s.statement_pk
    LEFT JOIN statement_holds h ON h.statement_pk = s.statement_pk AND h.released_at IS NULL ORDER BY t.tenant_name`,
  ).all({ month }) as MonthMailState[];
}

/** A page of the tenants list: how many match in all, and the page's tenants with their latest month. */
export interface TenantPage {
  total: number;
  rows: (MonthState & { displayName: string; deletedAt: string | null; heldAt: string | null })[];
}

/**
 * Tenants by name, `limit` from `offset`, those whose name or display name holds `query` (any
 * letter case; empty: all), each with its statement of its latest month as it stands (as
 * `monthStates` gives a month's). One pass over the tenants for the page and one for the count;
 * each tenant's statement is found through the statements' (tenant, month, revision) index.
 */
export function tenantPage(db: Db, query: string, offset: number, limit: number): TenantPage {
  const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const match = `(@query = '' OR t.tenant_name LIKE @pattern ESCAPE '\\' OR t.display_name LIKE @pattern ESCAPE '\\')`;
  const total = connection(db)
    .prepare(`SELECT COUNT(*) FROM tenants t WHERE ${match}`)
    .pluck()
    .get({ query, pattern }) as number;
  const rows = connection(db)
    .prepare(
      `SELECT ${MONTH_STATE_COLUMNS}, t.display_name AS displayName, t.deleted_at AS deletedAt, h.held_at AS heldAt
    FROM (SELECT t.* FROM tenants t WHERE ${match} ORDER BY t.tenant_name LIMIT @limit OFFSET @offset) t
    LEFT JOIN statements s ON s.statement_pk = ${standingStatementPk(
      '(SELECT MAX(m.billing_month) FROM statements m WHERE m.tenant_pk = t.tenant_pk)',
    )}
    LEFT JOIN statement_files f ON f.statement_pk = s.statement_pk
    LEFT JOIN statement_voids v ON v.statement_pk = s.statement_pk
    LEFT JOIN statement_holds h ON h.statement_pk = s.statement_pk AND h.released_at IS NULL ORDER BY t.tenant_name`,
    )
    .all({ query, pattern, limit, offset }) as TenantPage['rows'];
  return { total, rows };
}

/** The billing months that have a statement, newest first. */
export function statementMonths(db: Db): string[] {
  return connection(db)
    .prepare('SELECT DISTINCT billing_month FROM statements ORDER BY billing_month DESC')
    .pluck()
    .all() as string[];
}

/** One delivery as `status` lists it. */
export interface DeliveryRow {
  tenantName: string;
  billingMonth: string;
  recipient: string;
  kind: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  sentAt: string | null;
  messageId: string;
  reason: string;
  requestedBy: string;
  createdAt: string;
}

/** The deliveries of a month (or of every month), failed and pending first. */
export function monthDeliveries(db: Db, month: string | null): DeliveryRow[] {
  return connection(db)
    .prepare(
      `SELECT t.tenant_name AS tenantName, s.billing_month AS billingMonth, d.recipient, d.kind, d.status, d.attempts,
      d.next_attempt_at AS nextAttemptAt, d.last_error AS lastError, d.sent_at AS sentAt, d.message_id AS messageId,
      d.reason, d.requested_by AS requestedBy, d.created_at AS createdAt
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE (? IS NULL OR s.billing_month = ?)
    ORDER BY CASE d.status WHEN 'failed' THEN 0 WHEN 'sending' THEN 1 WHEN 'pending' THEN 2 ELSE 3 END, s.billing_month, t.tenant_name, d.delivery_pk`,
    )
    .all(month, month) as DeliveryRow[];
}

/** The failed deliveries of a month (through the deliveries' status index: a month has thousands of others). */
export function failedMonthDeliveries(db: Db, month: string): DeliveryRow[] {
  return cachedStatement(
    db,
    `SELECT t.tenant_name AS tenantName, s.billing_month AS billingMonth, d.recipient, d.kind, d.status, d.attempts,
      d.next_attempt_at AS nextAttemptAt, d.last_error AS lastError, d.sent_at AS sentAt, d.message_id AS messageId,
      d.reason, d.requested_by AS requestedBy, d.created_at AS createdAt
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE d.status = 'failed' AND s.billing_month = ?
    ORDER BY t.tenant_name, d.delivery_pk`,
  ).all(month) as DeliveryRow[];
}

/** Deliveries counted by status. */
export function deliveryCounts(db: Db): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of connection(db)
    .prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status ORDER BY status')
    .all() as {
    status: string;
    n: number;
  }[])
    out[r.status] = r.n;
  return out;
}

/** The latest resends (from the audit log), newest first. */
export function recentResends(
  db: Db,
  limit: number,
): { at: string; tenant: string; billingMonth: string; to: string[]; reason: string; by: string }[] {
  return (
    connection(db)
      .prepare(
        `SELECT at, subject, detail FROM audit_log WHERE action = 'resend' ORDER BY at DESC, audit_pk DESC LIMIT ?`,
      )
      .all(limit) as { at: string; subject: string; detail: string }[]
  ).map((r) => {
    const d = JSON.parse(r.detail) as { billingMonth: string; to: string[]; reason: string; by: string };
    return { at: r.at, tenant: r.subject, billingMonth: d.billingMonth, to: d.to, reason: d.reason, by: d.by };
  });
}

/**
 * The mails not delivered yet (but for those of statements held for review: they wait for an
 * operator, not for the server), and when one was last delivered: what an unattended operator watches.
 */
export interface DeliveryBacklog {
  /** Deliveries pending or being sent. */
  waiting: number;
  /** When the oldest of them was made (its statement finalized, or the resend asked for). */
  oldestSince: string | null;
  /** When a message was last delivered (or written as `.eml`), or null. */
  lastDeliveredAt: string | null;
  /** The latest attempt among the waiting deliveries: when, and what the server said. */
  lastAttemptAt: string | null;
  lastError: string | null;
  /** The soonest retry time among them, or null. */
  nextAttemptAt: string | null;
}

export function deliveryBacklog(db: Db): DeliveryBacklog {
  const w = connection(db)
    .prepare(
      `SELECT COUNT(*) AS waiting, MIN(created_at) AS oldestSince, MIN(next_attempt_at) AS nextAttemptAt
    FROM deliveries d WHERE status IN ('pending', 'sending') AND ${MAILABLE}`,
    )
    .get() as { waiting: number; oldestSince: string | null; nextAttemptAt: string | null };
  const last = connection(db)
    .prepare(
      `SELECT last_attempt_at AS lastAttemptAt, last_error AS lastError FROM deliveries d
    WHERE status IN ('pending', 'sending') AND ${MAILABLE} AND last_attempt_at IS NOT NULL
    ORDER BY last_attempt_at DESC, delivery_pk DESC LIMIT 1`,
    )
    .get() as { lastAttemptAt: string; lastError: string | null } | undefined;
  const lastDeliveredAt = connection(db)
    .prepare(`SELECT MAX(sent_at) FROM deliveries WHERE status = 'sent'`)
    .pluck()
    .get() as string | null;
  return { ...w, lastDeliveredAt, lastAttemptAt: last?.lastAttemptAt ?? null, lastError: last?.lastError ?? null };
}

/**
 * The `status` and pass-report line about mails that wait, or null when none does:
 * `mails waiting: 5, none delivered since T; last reply at T2: 451 ...; next attempt at T3`.
 * "Since" is the last delivery when it came after the oldest waiting mail was made, else that mail's making.
 */
export function backlogLine(b: DeliveryBacklog): string | null {
  if (b.waiting === 0) return null;
  const since =
    b.lastDeliveredAt !== null && b.oldestSince !== null && b.lastDeliveredAt > b.oldestSince
      ? b.lastDeliveredAt
      : b.oldestSince;
  return [
    `mails waiting: ${b.waiting}, none delivered since ${since}`,
    b.lastAttemptAt !== null
      ? `last reply at ${b.lastAttemptAt}: ${b.lastError ?? '(none recorded)'}`
      : 'not tried yet',
    b.nextAttemptAt !== null ? `next attempt at ${b.nextAttemptAt}` : '',
  ]
    .filter((p) => p !== '')
    .join('; ');
}

/** Why the files of a month's statements failed, by tenant: the latest `files-failed` record of each. */
export function filesFailures(db: Db, month: string): Map<string, { at: string; reason: string }> {
  const rows = connection(db)
    .prepare(
      `SELECT subject, at, json_extract(detail, '$.reason') AS reason FROM audit_log
    WHERE action = 'files-failed' AND json_extract(detail, '$.billingMonth') = ? ORDER BY at, audit_pk`,
    )
    .all(month) as { subject: string; at: string; reason: string }[];
  return new Map(rows.map((r) => [r.subject, { at: r.at, reason: r.reason }]));
}

/** The latest recorded reason why a statement's files could not be written, or null. */
export function lastFilesFailure(db: Db, tenant: string, month: string): { at: string; reason: string } | null {
  return filesFailures(db, month).get(tenant) ?? null;
}
