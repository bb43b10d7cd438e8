/**
 * The month-end review (REVIEW_HOLD): statements held before their mails go, an operator's hold of
 * one statement, and their release, by an operator or after REVIEW_HOLD_HOURS. Each hold and
 * release is one transaction, audited with who, when, why and which statements.
 */
import { InputError } from '../src/domain/errors.ts';
import { recordAudit } from '../src/store/audit.ts';
import { inTransaction } from '../src/store/db.ts';
import {
  expiredReviewHolds,
  holdStatement,
  oldestReviewHold,
  openHold,
  openHolds,
  releaseHold,
  type OpenHold,
} from '../src/store/holds.ts';
import { hasSentMail } from '../src/store/outbox.ts';
import { findStatement } from '../src/store/statements.ts';
import { crashPoint } from '../src/testing/faults.ts';
import type { JobContext } from './context.ts';
import { requireTenant } from './request.ts';

/** Who asked and why, as the audit log records it. */
export interface OperatorRequest {
  by: string;
  reason: string;
}

/**
 * Holds a tenant's finalized statement of a month until it is released: none of its mails is sent
 * meanwhile, and REVIEW_HOLD_HOURS does not release it. Refused (InputError) when the statement
 * does not exist or a mail of it was already sent or is being sent: a hold cannot call that back.
 */
export function holdForReview(
  ctx: JobContext,
  request: OperatorRequest & { tenantName: string; billingMonth: string },
): OpenHold {
  const { store: db } = ctx;
  const { tenantName, billingMonth } = request;
  return inTransaction(db, () => {
    requireTenant(db, tenantName);
    const statement = findStatement(db, tenantName, billingMonth);
    if (statement?.status !== 'fixed')
      throw new InputError(
        `--month: ${tenantName} has no finalized statement for ${billingMonth} (only a finalized statement is held)`,
      );
    if (hasSentMail(db, statement.statementPk))
      throw new InputError(
        `--month: a mail of ${tenantName} ${billingMonth} was already sent (or is being sent): a hold cannot call it back`,
      );
    const at = ctx.now().toISOString();
    holdStatement(db, statement.statementPk, { kind: 'operator', at, by: request.by, reason: request.reason });
    recordAudit(db, at, 'hold', tenantName, { billingMonth, reason: request.reason, by: request.by });
    crashPoint('review-before-commit');
    return openHold(db, statement.statementPk)!;
  });
}

/**
 * Releases the held statements of a month (or of one tenant in it): their mails go with the next
 * pass. Returns what it released (nothing when none was held).
 */
export function releaseHeld(
  ctx: JobContext,
  request: OperatorRequest & { billingMonth: string; tenantName: string | null },
): OpenHold[] {
  const { store: db } = ctx;
  const { billingMonth, tenantName } = request;
  return inTransaction(db, () => {
    if (tenantName !== null) requireTenant(db, tenantName);
    const held = openHolds(db, { billingMonth, ...(tenantName === null ? {} : { tenantName }) });
    const at = ctx.now().toISOString();
    for (const h of held) releaseHold(db, h.statementPk, { at, by: request.by, reason: request.reason });
    if (held.length > 0)
      recordAudit(db, at, 'release', tenantName ?? '*', {
        billingMonth,
        tenants: held.map((h) => h.tenantName),
        reason: request.reason,
        by: request.by,
      });
    crashPoint('review-before-commit');
    return held;
  });
}

/**
 * REVIEW_HOLD_HOURS: releases the statements held for review that long (never those an operator
 * held). Run by the pass before it sends. Returns what it released.
 */
export function releaseExpiredHolds(ctx: JobContext): OpenHold[] {
  const hours = ctx.config.reviewHoldHours;
  if (hours === null) return [];
  const { store: db } = ctx;
  const now = ctx.now();
  return inTransaction(db, () => {
    const expired = expiredReviewHolds(db, new Date(now.getTime() - hours * 3_600_000).toISOString());
    const at = now.toISOString();
    const reason = `REVIEW_HOLD_HOURS=${hours}: held since the close`;
    for (const h of expired) releaseHold(db, h.statementPk, { at, by: 'REVIEW_HOLD_HOURS', reason });
    for (const month of new Set(expired.map((h) => h.billingMonth)))
      recordAudit(db, at, 'release', '*', {
        billingMonth: month,
        tenants: expired.filter((h) => h.billingMonth === month).map((h) => h.tenantName),
        reason,
        by: 'REVIEW_HOLD_HOURS',
      });
    return expired;
  });
}

/** When the next review hold expires under REVIEW_HOLD_HOURS, or null (for the service's next wake-up). */
export function nextHoldRelease(ctx: Pick<JobContext, 'store' | 'config'>): Date | null {
  const hours = ctx.config.reviewHoldHours;
  if (hours === null) return null;
  const oldest = oldestReviewHold(ctx.store);
  return oldest === null ? null : new Date(Date.parse(oldest) + hours * 3_600_000);
}
