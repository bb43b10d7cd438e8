/**
 * Resend and retry, the operator's jobs on the outbox: a new delivery of a finalized statement's
 * archived zip (the same bytes, checked against the stored SHA-256), sent at once under the
 * month-end lease and audited; and failed deliveries put back in the queue for the next pass.
 */
import { InputError, UsageChargesError } from '../src/domain/errors.ts';
import { shown } from '../src/domain/text.ts';
import { newMessageId } from '../src/mail/compose.ts';
import type { Mailer } from '../src/mail/transport.ts';
import { recordAudit } from '../src/store/audit.ts';
import { inTransaction } from '../src/store/db.ts';
import { activeRecipients, createResendDeliveries, failedDeliveries, requeueFailed } from '../src/store/outbox.ts';
import { findStatement, hasFiles } from '../src/store/statements.ts';
import { openHold } from '../src/store/holds.ts';
import { lastFilesFailure } from '../src/store/summary.ts';
import { archivedZip } from './build-files.ts';
import type { JobContext } from './context.ts';
import { sendDue, type DeliverySummary } from './deliver.ts';
import { withLease } from './with-lease.ts';
import { requireTenant } from './request.ts';

/** A finalized statement with written files, and the recipients of its resend. */
export interface ResendTarget {
  tenant: string;
  billingMonth: string;
  statementPk: number;
  recipients: { contactPk: number | null; email: string }[];
}

/**
 * What a resend of a tenant's statement would send, to `to` or to the tenant's active contacts:
 * an InputError when there is no such finalized statement or no recipient, an E_ARCHIVE error
 * when its files are not written (saying why, when writing them failed).
 */
export function resendTarget(
  ctx: JobContext,
  request: { tenant: string; billingMonth: string; to?: string },
): ResendTarget {
  const { store: db } = ctx;
  const { tenant, billingMonth: month } = request;
  requireTenant(db, tenant);
  const statement = findStatement(db, tenant, month);
  if (statement?.status !== 'fixed')
    throw new InputError(
      `--month: ${tenant} has no finalized statement for ${month} (only a finalized statement is sent)`,
    );
  const held = openHold(db, statement.statementPk);
  if (held !== undefined)
    throw new InputError(
      `--month: ${tenant} ${month} is held for review since ${held.heldAt}; release it first (usage-charges release --month ${month} --tenant ${tenant})`,
    );
  if (!hasFiles(db, statement.statementPk)) {
    // Not written yet: either no pass has come to them, or writing them failed (and says why).
    const failure = lastFilesFailure(db, tenant, month);
    if (failure === null)
      throw new UsageChargesError(
        'E_ARCHIVE',
        `the files of ${tenant} ${month} are not written yet; \`usage-charges run\` writes them, then resend sends them`,
      );
    throw new UsageChargesError(
      'E_ARCHIVE',
      `the files of ${tenant} ${month} could not be written (last tried ${failure.at}): ${shown(failure.reason)}; ` +
        'nothing can be sent before they are: fix that cause (docs/operations.md "When a statement\'s files fail"), run `usage-charges run`, which writes them, then resend',
    );
  }
  const recipients = request.to !== undefined ? [{ contactPk: null, email: request.to }] : activeRecipients(db, tenant);
  if (recipients.length === 0)
    throw new InputError(`--to: ${tenant} has no active contact; give the address with --to`);
  return { tenant, billingMonth: month, statementPk: statement.statementPk, recipients };
}

/** How a resend is sent, why and by whom. */
export interface ResendRequest {
  mailer: Mailer;
  reason: string;
  /** Who asked (recorded in the audit log). */
  by: string;
  /** Told once when the resend has to wait for a pass that holds the lease. */
  onWait?: (holder: string) => void;
  /**
   * Wait for a pass that holds the month-end lease (the default, as the command line does); false
   * fails at once with E_LOCKED instead (the web server does not keep a request waiting).
   */
  wait?: boolean;
}

/**
 * Queues a new delivery of the target statement to each recipient and sends them at once, under
 * the month-end lease (recorded in `runs` as a resend). An archived zip that is not the statement
 * queues nothing and says why.
 */
export async function resendStatement(
  ctx: JobContext,
  target: ResendTarget,
  request: ResendRequest,
): Promise<DeliverySummary> {
  const { store: db, config, log } = ctx;
  const { tenant, billingMonth: month, statementPk, recipients } = target;
  const { reason, by } = request;
  return withLease(
    ctx,
    {
      ttlMs: config.lockTtlSeconds * 1000,
      asOf: new Date(),
      wait: request.wait ?? true,
      kind: 'resend',
      onWait: (holder) => request.onWait?.(holder),
    },
    async (held) => {
      // The archived zip must be the statement (or be rebuilt to it) before anything is queued:
      // a resend that cannot send the recorded bytes says so now and leaves no delivery behind.
      await archivedZip(db, config, statementPk);
      const at = new Date().toISOString();
      const pks = inTransaction(db, () => {
        const created = createResendDeliveries(
          db,
          statementPk,
          recipients,
          reason,
          by,
          () => newMessageId(config.mailFrom),
          at,
        );
        recordAudit(db, at, 'resend', tenant, {
          billingMonth: month,
          to: recipients.map((r) => r.email),
          reason,
          by,
          deliveries: created,
        });
        return created;
      });
      log.info({ tenant, billingMonth: month, deliveries: pks.length, by }, 'resend requested');
      // A lease lost meanwhile (a resend that ran longer than LOCK_TTL_SECONDS without a renewal)
      // stops it before its next message; what it did not send is sent by the next pass.
      const s = await sendDue({ ...ctx, shouldStop: () => held.lost }, request.mailer, { only: pks });
      return {
        result: s,
        status: s.failed.length > 0 || s.stopped !== null ? 'failed' : 'ok',
        summary: { resend: pks.length, sent: s.sent.length, failed: s.failed.length },
      };
    },
  );
}

/** A failed delivery put back in the queue. */
export interface RequeuedDelivery {
  deliveryPk: number;
  tenantName: string;
  billingMonth: string;
  recipient: string;
  lastError: string;
}

/**
 * Puts the failed deliveries (of `billingMonth`, or all; of one tenant when `tenantName` is given)
 * back in the queue, audited: attempts counted afresh, the same Message-ID. Returns the failed
 * deliveries found and how many were requeued.
 */
export function retryFailed(
  ctx: JobContext,
  request: { billingMonth: string | null; tenantName?: string; by: string },
): { failed: RequeuedDelivery[]; requeued: number } {
  const { store: db } = ctx;
  const { billingMonth: month, by } = request;
  const tenant = request.tenantName ?? null;
  const at = new Date().toISOString();
  const failed = failedDeliveries(db, month, tenant);
  const requeued = inTransaction(db, () => {
    const count = requeueFailed(
      db,
      failed.map((f) => f.deliveryPk),
      at,
    );
    if (count > 0)
      recordAudit(db, at, 'retry', tenant ?? month ?? '*', {
        billingMonth: month,
        deliveries: failed.map((f) => f.deliveryPk),
        by,
      });
    return count;
  });
  return { failed, requeued };
}
