/**
 * The outbox (DESIGN invariant 4): one `deliveries` row per e-mail of a statement to one address.
 * A row is claimed through a status check (`pending` -> `sending`), and ends `sent` or `failed`
 * with its reason. Every function takes "now" as a parameter: the store has no clock.
 */
import { cachedStatement, releaseClaim, storeEngine, takeClaim, type Db } from './db.ts';
import { CLAIM_SPACE } from './postgres.ts';
import { MAILABLE } from './holds.ts';

/** A delivery as the sender reads it, with what it attaches. */
export interface DueDelivery {
  deliveryPk: number;
  statementPk: number;
  tenantName: string;
  billingMonth: string;
  recipient: string;
  /** The name the contacts file gives the recipient now ('' for none, or an address given to `resend --to`). */
  contactName: string;
  kind: 'statement' | 'resend';
  messageId: string;
  attempts: number;
  zipName: string;
  zipPath: string;
  sha256: string;
}

/** A delivery that waits for a later attempt. */
export interface WaitingDelivery {
  deliveryPk: number;
  tenantName: string;
  billingMonth: string;
  recipient: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
}

/**
 * Creates, in the caller's transaction, one `statement` delivery per active contact of the tenant,
 * with the recipient address frozen as it is now. A contact that already has one is skipped.
 * Returns how many were created (0: the tenant has no recipient).
 */
export function createStatementDeliveries(
  db: Db,
  statementPk: number,
  tenantPk: number,
  newMessageId: () => string,
  now: string,
): number {
  const contacts = cachedStatement(
    db,
    'SELECT contact_pk, email FROM contacts WHERE tenant_pk = ? AND active = 1 ORDER BY email',
  ).all(tenantPk) as { contact_pk: number; email: string }[];
  const insert = cachedStatement(
    db,
    `INSERT INTO deliveries (statement_pk, contact_pk, recipient, kind, status, message_id, created_at, updated_at)
    VALUES (?, ?, ?, 'statement', 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  let created = 0;
  for (const c of contacts) created += insert.run(statementPk, c.contact_pk, c.email, newMessageId(), now, now).changes;
  return created;
}

/** Creates `resend` deliveries of a statement (in the caller's transaction); returns their keys. */
export function createResendDeliveries(
  db: Db,
  statementPk: number,
  recipients: readonly { contactPk: number | null; email: string }[],
  reason: string,
  requestedBy: string,
  newMessageId: () => string,
  now: string,
): number[] {
  const insert = cachedStatement(
    db,
    `INSERT INTO deliveries (statement_pk, contact_pk, recipient, kind, status, message_id, reason, requested_by, created_at, updated_at)
    VALUES (?, ?, ?, 'resend', 'pending', ?, ?, ?, ?, ?) RETURNING delivery_pk`,
  ).pluck();
  return recipients.map((r) =>
    Number(insert.get(statementPk, r.contactPk, r.email, newMessageId(), reason, requestedBy, now, now) as number),
  );
}

/**
 * Deliveries left in `sending` by a pass that stopped (a crash, a kill) go back to `pending`, to be
 * sent again with the same Message-ID. One that has been claimed `maxAttempts` times is `failed`
 * instead: a message that stops the process each time it is sent is not sent for ever. On SQLite
 * only a pass holding the month-end lease may call this (every `sending` delivery is then one a
 * stopped pass left); on PostgreSQL any worker may, and only the deliveries whose claim no live
 * worker holds are taken (claimDelivery). Returns how many went back to `pending`.
 */
export function recoverInterrupted(
  db: Db,
  now: string,
  maxAttempts: number,
): { recovered: number; failed: { tenantName: string; billingMonth: string; recipient: string; reason: string }[] } {
  // PostgreSQL: only the deliveries no live worker holds (each taken for this transaction).
  const left = leftSending(db);
  const only = left === null ? '' : ' AND d.delivery_pk = ANY(CAST(? AS bigint[]))';
  const onlyArgs = left === null ? [] : [`{${left.join(',')}}`];
  // One whose statement was replaced by a re-issue since is not sent again: the new revision's mail goes instead.
  cachedStatement(
    db,
    `UPDATE deliveries AS d SET status = 'withdrawn', withdrawn_from = 'sending', next_attempt_at = NULL, updated_at = ?,
      withdrawn_for = (SELECT c.statement_pk FROM statements s JOIN current_statements c
        ON c.tenant_pk = s.tenant_pk AND c.billing_month = s.billing_month WHERE s.statement_pk = d.statement_pk),
      last_error = 'the pass sending it stopped before its result was recorded, and its statement was replaced since: not sent again'
    WHERE d.status = 'sending' AND NOT EXISTS (SELECT 1 FROM current_statements c WHERE c.statement_pk = d.statement_pk)${only}`,
  ).run(now, ...onlyArgs);
  const stuck = cachedStatement(
    db,
    `SELECT d.delivery_pk AS deliveryPk, t.tenant_name AS tenantName, s.billing_month AS billingMonth, d.recipient, d.attempts
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE d.status = 'sending' AND d.attempts >= ?${only} ORDER BY d.delivery_pk`,
  ).all(maxAttempts, ...onlyArgs) as {
    deliveryPk: number;
    tenantName: string;
    billingMonth: string;
    recipient: string;
    attempts: number;
  }[];
  const fail = cachedStatement(
    db,
    `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ?, last_error = ? WHERE delivery_pk = ? AND status = 'sending'`,
  );
  const failed = stuck.map((d) => {
    const reason = `the pass sending it stopped before its result was recorded, ${d.attempts} times; not sent again automatically (resend sends it)`;
    fail.run(now, reason, d.deliveryPk);
    return { tenantName: d.tenantName, billingMonth: d.billingMonth, recipient: d.recipient, reason };
  });
  const recovered = cachedStatement(
    db,
    `UPDATE deliveries AS d SET status = 'pending', next_attempt_at = NULL, updated_at = ?,
      last_error = 'the pass sending it stopped before its result was recorded; sent again with the same Message-ID'
    WHERE d.status = 'sending'${only}`,
  ).run(now, ...onlyArgs).changes;
  return { recovered, failed };
}

/**
 * PostgreSQL: the `sending` deliveries whose claim no worker holds (each claim taken for the
 * caller's transaction, so that no worker takes it meanwhile), this connection's own claims left
 * out; null on SQLite (every `sending` delivery is one a stopped pass left).
 */
function leftSending(db: Db): number[] | null {
  if (storeEngine(db) === 'sqlite') return null;
  const mine = claimedHere.get(db) ?? new Set<number>();
  // OFFSET 0 keeps the claim's try to the `sending` rows (the planner may not move it).
  const free = cachedStatement(
    db,
    `SELECT delivery_pk FROM (SELECT delivery_pk FROM deliveries WHERE status = 'sending' OFFSET 0) s
    WHERE pg_try_advisory_xact_lock(?, CAST(delivery_pk AS integer)) ORDER BY delivery_pk`,
  )
    .pluck()
    .all(CLAIM_SPACE.delivery) as number[];
  return free.filter((pk) => !mine.has(pk));
}

const DUE_SELECT = `SELECT d.delivery_pk AS deliveryPk, d.statement_pk AS statementPk, t.tenant_name AS tenantName, s.billing_month AS billingMonth,
    d.recipient, COALESCE(c.contact_name, '') AS contactName, d.kind, d.message_id AS messageId, d.attempts, f.zip_name AS zipName, f.zip_path AS zipPath, f.sha256
  FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) JOIN statement_files f ON f.statement_pk = d.statement_pk
  LEFT JOIN contacts c ON c.contact_pk = d.contact_pk`;

/** Where a page of due deliveries ends: the next page starts after it. */
export interface DueCursor {
  billingMonth: string;
  tenantName: string;
  deliveryPk: number;
}

// A delivery of a statement held for review waits for its release; one of a voided or replaced
// revision is never sent (src/store/holds.ts).
const DUE_WHERE = `d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) AND ${MAILABLE}`;

/**
 * Pending deliveries whose next attempt is due, by month, tenant and delivery, at most `limit`
 * after `after` (keyset paging, so that a pass never holds the whole month's outbox in memory).
 * A delivery whose statement has no files yet waits (see `waitingForFiles`).
 */
export function dueDeliveries(db: Db, now: string, after: DueCursor | null, limit: number): DueDelivery[] {
  if (after === null) {
    return cachedStatement(
      db,
      `${DUE_SELECT} WHERE ${DUE_WHERE} ORDER BY s.billing_month, t.tenant_name, d.delivery_pk LIMIT ?`,
    ).all(now, limit) as DueDelivery[];
  }
  return cachedStatement(
    db,
    `${DUE_SELECT} WHERE ${DUE_WHERE} AND (s.billing_month, t.tenant_name, d.delivery_pk) > (?, ?, ?)
    ORDER BY s.billing_month, t.tenant_name, d.delivery_pk LIMIT ?`,
  ).all(now, after.billingMonth, after.tenantName, after.deliveryPk, limit) as DueDelivery[];
}

/** These deliveries, where pending and due (a resend's own). */
export function dueDeliveriesOf(db: Db, now: string, only: readonly number[]): DueDelivery[] {
  const pick = cachedStatement(db, `${DUE_SELECT} WHERE ${DUE_WHERE} AND d.delivery_pk = ?`);
  return only
    .map((pk) => pick.get(now, pk) as DueDelivery | undefined)
    .filter((d): d is DueDelivery => d !== undefined);
}

/** How many pending deliveries are due (for progress). */
export function countDue(db: Db, now: string): number {
  return cachedStatement(
    db,
    `SELECT COUNT(*) FROM deliveries d JOIN statement_files f ON f.statement_pk = d.statement_pk WHERE ${DUE_WHERE}`,
  )
    .pluck()
    .get(now) as number;
}

/** How many pending deliveries wait for their statement's files (which a failed build left unwritten). */
export function waitingForFiles(db: Db): number {
  return cachedStatement(
    db,
    `SELECT COUNT(*) FROM deliveries d WHERE d.status = 'pending'
    AND NOT EXISTS (SELECT 1 FROM statement_files f WHERE f.statement_pk = d.statement_pk)
    AND EXISTS (SELECT 1 FROM current_statements c WHERE c.statement_pk = d.statement_pk)`,
  )
    .pluck()
    .get() as number;
}

/** Pending deliveries whose next attempt is later than now, soonest first. */
export function waitingDeliveries(db: Db, now: string): WaitingDelivery[] {
  return cachedStatement(
    db,
    `SELECT d.delivery_pk AS deliveryPk, t.tenant_name AS tenantName, s.billing_month AS billingMonth, d.recipient, d.attempts,
      d.next_attempt_at AS nextAttemptAt, COALESCE(d.last_error, '') AS lastError
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE d.status = 'pending' AND d.next_attempt_at > ? ORDER BY d.next_attempt_at, d.delivery_pk`,
  ).all(now) as WaitingDelivery[];
}

/** The earliest instant after `now` at which a pending delivery is due again, or null when none waits. */
export function nextAttemptAt(db: Db, now: string): string | null {
  return (
    (cachedStatement(db, `SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > ?`)
      .pluck()
      .get(now) as string | null) ?? null
  );
}

/** The deliveries this connection has claimed and not yet given back, per store (PostgreSQL). */
const claimedHere = new WeakMap<Db, Set<number>>();

/**
 * Claims a pending delivery for one attempt (`pending` -> `sending`, attempts + 1); false when it was
 * not pending, or its statement was held since it was read. On PostgreSQL, where several workers
 * send, the claim is also held by this connection until `releaseDelivery` (or until the
 * connection ends): a `sending` delivery whose claim nobody holds is one a worker that died left.
 */
export function claimDelivery(db: Db, deliveryPk: number, now: string): boolean {
  if (!takeClaim(db, 'delivery', deliveryPk)) return false;
  let claimed: boolean;
  try {
    claimed =
      cachedStatement(
        db,
        `UPDATE deliveries AS d SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?, updated_at = ?
    WHERE delivery_pk = ? AND status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND ${MAILABLE}`,
      ).run(now, now, deliveryPk, now).changes === 1;
  } catch (err) {
    releaseClaim(db, 'delivery', deliveryPk);
    throw err;
  }
  if (!claimed) releaseClaim(db, 'delivery', deliveryPk);
  else if (storeEngine(db) === 'postgres') {
    let mine = claimedHere.get(db);
    if (mine === undefined) claimedHere.set(db, (mine = new Set()));
    mine.add(deliveryPk);
  }
  return claimed;
}

/** Gives back the claim of a delivery once its attempt is recorded (or could not be). */
export function releaseDelivery(db: Db, deliveryPk: number): void {
  if (claimedHere.get(db)?.delete(deliveryPk) === true) releaseClaim(db, 'delivery', deliveryPk);
}

/** Records a delivery the server accepted. */
export function markSent(db: Db, deliveryPk: number, response: string, now: string): void {
  cachedStatement(
    db,
    `UPDATE deliveries SET status = 'sent', smtp_response = ?, sent_at = ?, next_attempt_at = NULL, last_error = NULL, updated_at = ?
    WHERE delivery_pk = ? AND status = 'sending'`,
  ).run(response, now, now, deliveryPk);
}

/** Records a transient failure: the delivery is pending again, due at `nextAt`. */
export function markRetry(
  db: Db,
  deliveryPk: number,
  reason: string,
  response: string | null,
  nextAt: string,
  now: string,
): void {
  cachedStatement(
    db,
    `UPDATE deliveries SET status = 'pending', last_error = ?, smtp_response = ?, next_attempt_at = ?, updated_at = ?
    WHERE delivery_pk = ? AND status = 'sending'`,
  ).run(reason, response, nextAt, now, deliveryPk);
}

/**
 * Records a failure of the session or the settings before the message was handed over (no
 * connection, the login, TLS): pending again, due with the others, and the attempt not counted.
 */
export function markUntried(db: Db, deliveryPk: number, reason: string, response: string | null, now: string): void {
  cachedStatement(
    db,
    `UPDATE deliveries SET status = 'pending', attempts = attempts - 1, last_error = ?, smtp_response = ?, next_attempt_at = NULL, updated_at = ?
    WHERE delivery_pk = ? AND status = 'sending'`,
  ).run(reason, response, now, deliveryPk);
}

/** Records a delivery that will not be tried again (a permanent error, or the last attempt). */
export function markFailed(db: Db, deliveryPk: number, reason: string, response: string | null, now: string): void {
  cachedStatement(
    db,
    `UPDATE deliveries SET status = 'failed', last_error = ?, smtp_response = ?, next_attempt_at = NULL, updated_at = ?
    WHERE delivery_pk = ? AND status = 'sending'`,
  ).run(reason, response, now, deliveryPk);
}

/** Failed deliveries of current statements (not voided or replaced), optionally of one billing month and one tenant. */
export function failedDeliveries(
  db: Db,
  month: string | null,
  tenantName: string | null = null,
): { deliveryPk: number; tenantName: string; billingMonth: string; recipient: string; lastError: string }[] {
  return cachedStatement(
    db,
    `SELECT d.delivery_pk AS deliveryPk, t.tenant_name AS tenantName, s.billing_month AS billingMonth, d.recipient, COALESCE(d.last_error, '') AS lastError
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE d.status = 'failed' AND (? IS NULL OR s.billing_month = ?) AND (? IS NULL OR t.tenant_name = ?)
      AND EXISTS (SELECT 1 FROM current_statements c WHERE c.statement_pk = d.statement_pk)
    ORDER BY s.billing_month, t.tenant_name, d.delivery_pk`,
  ).all(month, month, tenantName, tenantName) as {
    deliveryPk: number;
    tenantName: string;
    billingMonth: string;
    recipient: string;
    lastError: string;
  }[];
}

/**
 * Puts failed deliveries back in the queue (in the caller's transaction): pending, due now, their
 * attempts counted afresh; the Message-ID stays. Returns how many.
 */
export function requeueFailed(db: Db, deliveryPks: readonly number[], now: string): number {
  const requeue = cachedStatement(
    db,
    `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL,
      last_error = 'requeued by an operator after: ' || COALESCE(last_error, ''), updated_at = ?
    WHERE delivery_pk = ? AND status = 'failed'`,
  );
  let n = 0;
  for (const pk of deliveryPks) n += requeue.run(now, pk).changes;
  return n;
}

/** Whether a mail of a statement was sent, or is being sent. */
export function hasSentMail(db: Db, statementPk: number): boolean {
  return (
    cachedStatement(db, "SELECT 1 FROM deliveries WHERE statement_pk = ? AND status IN ('sending', 'sent')").get(
      statementPk,
    ) !== undefined
  );
}

/** The active contacts of a tenant (by name), in address order: the recipients of a resend. */
export function activeRecipients(db: Db, tenantName: string): { contactPk: number; email: string }[] {
  return cachedStatement(
    db,
    `SELECT c.contact_pk AS contactPk, c.email FROM contacts c JOIN tenants t USING (tenant_pk)
    WHERE t.tenant_name = ? AND c.active = 1 ORDER BY c.email`,
  ).all(tenantName) as { contactPk: number; email: string }[];
}

/** The deliveries of a statement (its `statement` mails, made with it), in order. */
export function statementDeliveryPks(db: Db, statementPk: number): number[] {
  return cachedStatement(
    db,
    "SELECT delivery_pk FROM deliveries WHERE statement_pk = ? AND kind = 'statement' ORDER BY delivery_pk",
  )
    .pluck()
    .all(statementPk) as number[];
}

/** One delivery of a tenant's month, with what its last attempt said (the statement page of the console). */
export interface MonthDelivery {
  deliveryPk: number;
  /** The revision of the statement it carries. */
  revision: number;
  /** The revision that revision corrects (a re-issue's mail is a correction), or null. */
  correctsRevision: number | null;
  recipient: string;
  kind: 'statement' | 'resend';
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'withdrawn';
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  /** Why the last attempt did not deliver it (or why it was requeued or withdrawn), or null. */
  lastError: string | null;
  /** The mail server's reply to the last attempt, or null. */
  smtpResponse: string | null;
  sentAt: string | null;
  messageId: string;
  /** A resend's reason and who asked ('' for a statement's own mail). */
  reason: string;
  requestedBy: string;
  createdAt: string;
}

/** Every delivery of every revision of a tenant's month, oldest first. */
export function tenantMonthDeliveries(db: Db, tenantName: string, billingMonth: string): MonthDelivery[] {
  return cachedStatement(
    db,
    `SELECT d.delivery_pk AS deliveryPk, s.revision, (SELECT p.revision FROM statements p WHERE p.statement_pk = s.corrects_pk) AS correctsRevision,
      d.recipient, d.kind, d.status, d.attempts, d.last_attempt_at AS lastAttemptAt, d.next_attempt_at AS nextAttemptAt,
      d.last_error AS lastError, d.smtp_response AS smtpResponse, d.sent_at AS sentAt, d.message_id AS messageId,
      d.reason, d.requested_by AS requestedBy, d.created_at AS createdAt
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE t.tenant_name = ? AND s.billing_month = ?
    ORDER BY d.delivery_pk`,
  ).all(tenantName, billingMonth) as MonthDelivery[];
}
