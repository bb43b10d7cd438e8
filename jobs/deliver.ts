/**
 * Sending the outbox: every pending delivery that is due is claimed (`pending` -> `sending`), sent
 * with its stored Message-ID and the archived zip, and recorded `sent`, pending again for a later
 * attempt (transient failure, exponential backoff) or `failed` (permanent failure, or the last
 * attempt). Deliveries a stopped pass left in `sending` are sent again with the same Message-ID.
 */
import type { Config } from '../src/config.ts';
import { localDate } from '../src/domain/calendar.ts';
import { Decimal, minorDigits } from '../src/domain/money.ts';
import { UsageChargesError } from '../src/domain/errors.ts';
import { forEachConcurrently } from '../src/domain/concurrency.ts';
import { classifySendError } from '../src/mail/classify.ts';
import { composeMessage, type MailAttachment } from '../src/mail/compose.ts';
import { decideDelivery, failedSend, type DeliveryDecision, type SendOutcome } from '../src/mail/delivery-decision.ts';
import type { StatementMail } from '../src/mail/render.ts';
import type { Mailer } from '../src/mail/transport.ts';
import { loadStatementSummary } from '../src/store/billing.ts';
import { correctionOf } from '../src/store/revisions.ts';
import { inTransaction, writeWhenFree, type Db } from '../src/store/db.ts';
import {
  claimDelivery,
  countDue,
  dueDeliveries,
  dueDeliveriesOf,
  markFailed,
  markRetry,
  markSent,
  markUntried,
  releaseDelivery,
  recoverInterrupted,
  waitingDeliveries,
  waitingForFiles,
  type DueCursor,
  type DueDelivery,
  type WaitingDelivery,
} from '../src/store/outbox.ts';
import { archivedZip } from './build-files.ts';
import { crashPoint } from '../src/testing/faults.ts';
import type { JobContext } from './context.ts';

/** How many due deliveries are read at a time. */
const DUE_PAGE_SIZE = 500;

/** What a send step did. */
export interface DeliverySummary {
  /** Deliveries found in `sending` (a pass stopped mid-send) and sent again with their Message-ID. */
  recovered: number;
  sent: {
    tenant: string;
    billingMonth: string;
    recipient: string;
    kind: string;
    messageId: string;
    response: string;
  }[];
  /** Pending deliveries whose next attempt is later (this step's transient failures and older ones). */
  retrying: WaitingDelivery[];
  /** Messages the server deferred in this step (a 4xx reply or a failure during the message): retried later. */
  deferred: number;
  failed: { tenant: string; billingMonth: string; recipient: string; reason: string }[];
  /** Pending deliveries whose statement has no files yet. */
  waitingForFiles: number;
  /** Why sending stopped before the end (the server as a whole was unusable), or null. */
  stopped: string | null;
  /** Due deliveries left for a later pass because sending stopped (or a shutdown was asked for). */
  notAttempted: number;
}

/** What a send step is asked besides its context and mailer. */
export interface DeliverOptions {
  /** How many due deliveries are read at a time (default 500). */
  pageSize?: number;
  /** Send only these deliveries (a resend). */
  only?: readonly number[];
  /** Told of each delivery's outcome (for the logs; never the body). */
  onOutcome?: (outcome: {
    deliveryPk: number;
    tenant: string;
    billingMonth: string;
    status: 'sent' | 'retrying' | 'failed';
    detail: string;
  }) => void;
}

/** The wait before a delivery's next attempt (the scheduler waits as long after an outage). */
export { retryDelayMs } from '../src/mail/delivery-decision.ts';

/** A statement's message, ready to go to each of its recipients, or why it could not be prepared. */
type PreparedMessage =
  { kind: 'prepared'; zip: MailAttachment; mail: StatementMail } | Extract<SendOutcome, { kind: 'not-prepared' }>;

/** One send step: what it works with and what it has done so far, shared by its workers. */
interface SendStep {
  ctx: JobContext;
  db: Db;
  config: Config;
  mailer: Mailer;
  options: DeliverOptions;
  now: () => Date;
  summary: DeliverySummary;
  /** The due deliveries of the step (for the progress). */
  total: number;
  /** The deliveries attempted so far (for the progress). */
  done: number;
  /**
   * Why a result could not be recorded (the store failed), or null. It stops every worker: nothing
   * more is claimed, and the row whose result was lost stays `sending`, to be sent again with its
   * Message-ID by the next pass.
   */
  fatal: unknown;
}

/**
 * What a statement's e-mail shows, from its frozen summary (the lines are not needed) and the
 * issuer settings; the recipient's name is each delivery's own (see `send`).
 */
function mailOf(db: Db, config: Config, d: DueDelivery): StatementMail {
  const summary = loadStatementSummary(db, d.statementPk);
  const { period, tenant } = summary;
  // A re-issue tells the total of the revision it corrects, shown like its own.
  const correction = correctionOf(db, d.statementPk);
  const shownTotal = (total: string): string => new Decimal(total).toFixed(minorDigits(tenant.currency));
  return {
    locale: tenant.locale,
    kind: d.kind,
    tenantName: tenant.name,
    displayName: tenant.displayName,
    contactName: d.contactName,
    billingMonth: period.billingMonth,
    periodFirstDay: localDate(period.start, period.timeZone),
    periodLastDay: localDate(period.end - 1, period.timeZone),
    // Shown with the currency's minor digits (1,234.50 USD), as the statement's totals are rounded to them.
    total: shownTotal(summary.total),
    currency: tenant.currency,
    // The statement's own tax lines say whether its total holds tax (a preset or TAX setting changed later does not).
    taxes: summary.taxes.map((t) => ({
      percent: t.percent,
      amount: new Decimal(t.amount).toFixed(minorDigits(tenant.currency)),
    })),
    finalStatement: tenant.deletedAt !== null,
    attachmentName: d.zipName,
    issuer: config.issuer,
    correction: correction === null ? null : { ...correction, previousTotal: shownTotal(correction.previousTotal) },
  };
}

/** Sends every due delivery; one that fails does not stop the others, unless the server as a whole is down. */
export async function sendDue(ctx: JobContext, mailer: Mailer, options: DeliverOptions = {}): Promise<DeliverySummary> {
  const { store: db, config, now } = ctx;
  const summary: DeliverySummary = {
    recovered: 0,
    sent: [],
    retrying: [],
    deferred: 0,
    failed: [],
    waitingForFiles: 0,
    stopped: null,
    notAttempted: 0,
  };
  if (options.only === undefined) await recoverInterruptedSends(db, config, now, summary, options);
  // The due deliveries come a page at a time; one statement's deliveries go together (its zip is
  // read and checked once); statements go in parallel up to the pool size.
  const startedAt = now().toISOString();
  const pageSize = Math.max(1, options.pageSize ?? DUE_PAGE_SIZE);
  const onlyDue = options.only === undefined ? null : dueDeliveriesOf(db, startedAt, options.only);
  const total = onlyDue?.length ?? countDue(db, startedAt);
  const nextGroup = dueGroups(db, startedAt, pageSize, onlyDue);
  const step: SendStep = { ctx, db, config, mailer, options, now, summary, total, done: 0, fatal: null };
  ctx.progress('send', 0, total);
  const parallel = mailer.kind === 'smtp' ? config.mail.poolSize : 1;
  // Every worker finishes its message in flight before the step ends (and the lease is released).
  try {
    await forEachConcurrently(nextGroup, Math.max(1, Math.min(parallel, total)), (group) => sendGroup(step, group));
  } catch (err) {
    // A failure outside the deliveries' attempts (reading the next page) ends the step too.
    step.fatal ??= err;
  }
  if (step.fatal !== null) throw step.fatal;

  const waiting = waitingDeliveries(db, now().toISOString());
  summary.retrying =
    onlyDue === null ? waiting : waiting.filter((w) => onlyDue.some((d) => d.deliveryPk === w.deliveryPk));
  summary.waitingForFiles = waitingForFiles(db);
  return summary;
}

/** Deliveries a stopped pass left in `sending`: pending again (or failed, past their last attempt). */
async function recoverInterruptedSends(
  db: Db,
  config: Config,
  now: () => Date,
  summary: DeliverySummary,
  options: DeliverOptions,
): Promise<void> {
  const r = await writeWhenFree(db, () =>
    inTransaction(db, () => recoverInterrupted(db, now().toISOString(), config.mail.maxAttempts)),
  );
  summary.recovered = r.recovered;
  for (const f of r.failed) {
    summary.failed.push({
      tenant: f.tenantName,
      billingMonth: f.billingMonth,
      recipient: f.recipient,
      reason: f.reason,
    });
    options.onOutcome?.({
      deliveryPk: 0,
      tenant: f.tenantName,
      billingMonth: f.billingMonth,
      status: 'failed',
      detail: f.reason,
    });
  }
}

/**
 * The due deliveries one statement at a time (a group holds that statement's deliveries), read a
 * page at a time as the groups are taken; `undefined` when there are no more. A resend's
 * deliveries (`onlyDue`) are all at hand already.
 */
function dueGroups(
  db: Db,
  startedAt: string,
  pageSize: number,
  onlyDue: DueDelivery[] | null,
): () => DueDelivery[] | undefined {
  const queue: DueDelivery[][] = [];
  let cursor: DueCursor | null = null;
  let exhausted = false;
  const enqueue = (rows: DueDelivery[]): void => {
    for (const d of rows) {
      const last = queue.at(-1);
      if (last !== undefined && last[0]!.statementPk === d.statementPk) last.push(d);
      else queue.push([d]);
    }
  };
  if (onlyDue !== null) {
    enqueue(onlyDue);
    exhausted = true;
  }
  return () => {
    if (queue.length === 0 && !exhausted) {
      const page = dueDeliveries(db, startedAt, cursor, pageSize);
      if (page.length < pageSize) exhausted = true;
      const last = page.at(-1);
      if (last !== undefined)
        cursor = { billingMonth: last.billingMonth, tenantName: last.tenantName, deliveryPk: last.deliveryPk };
      enqueue(page);
    }
    return queue.shift();
  };
}

/** Whether the step takes no further delivery: a lost result, the server down, or a shutdown asked for. */
function halted(step: SendStep): boolean {
  return step.fatal !== null || step.summary.stopped !== null || step.ctx.shouldStop();
}

/** Sends one statement's deliveries in turn, from one prepared message; those left when the step halts are counted. */
async function sendGroup(step: SendStep, group: DueDelivery[]): Promise<void> {
  if (halted(step)) {
    step.summary.notAttempted += group.length;
    return;
  }
  const message = await prepareMessage(step, group[0]!);
  for (const [i, d] of group.entries()) {
    if (halted(step)) {
      step.summary.notAttempted += group.length - i;
      return;
    }
    try {
      await attempt(step, d, message);
    } catch (err) {
      step.fatal ??= err;
      step.summary.notAttempted += group.length - i - 1;
      return;
    }
    step.ctx.progress('send', ++step.done, step.total);
  }
}

/** A statement's archived zip, checked against its SHA-256 (rebuilt from the frozen lines if damaged), and its mail. */
async function prepareMessage(step: SendStep, first: DueDelivery): Promise<PreparedMessage> {
  try {
    const zip = await archivedZip(step.db, step.config, first.statementPk);
    return { kind: 'prepared', zip, mail: mailOf(step.db, step.config, first) };
  } catch (err) {
    const reason = err instanceof UsageChargesError ? err.message : `unexpected: ${(err as Error).message}`;
    return { kind: 'not-prepared', reason };
  }
}

/** One delivery: claimed (another pass may have taken it), sent, decided on, and the decision recorded. */
async function attempt(step: SendStep, d: DueDelivery, message: PreparedMessage): Promise<void> {
  const { db } = step;
  const at = step.now().toISOString();
  // Every store write of the send step waits for an import's lock without blocking the event
  // loop: the other connections' replies are read, and their timeouts do not run out, meanwhile.
  if (!(await writeWhenFree(db, () => claimDelivery(db, d.deliveryPk, at)))) return;
  try {
    const outcome = message.kind === 'prepared' ? await send(step, d, message) : message;
    await record(step, d, decideDelivery(outcome, d.attempts + 1, step.config.mail));
  } finally {
    try {
      releaseDelivery(db, d.deliveryPk);
    } catch {
      // A connection that failed: its claims ended with it.
    }
  }
}

/** Hands one delivery's message to the mailer: the server's reply, or why it did not take the message. */
async function send(
  step: SendStep,
  d: DueDelivery,
  message: Extract<PreparedMessage, { kind: 'prepared' }>,
): Promise<SendOutcome> {
  const { config } = step;
  try {
    const mail = { ...message.mail, kind: d.kind, contactName: d.contactName };
    const envelope = { from: config.mailFrom, to: d.recipient, messageId: d.messageId, replyTo: config.mail.replyTo };
    const { response } = await step.mailer.send(composeMessage(mail, envelope, message.zip));
    return { kind: 'accepted', response };
  } catch (err) {
    return failedSend(classifySendError(err));
  }
}

/** Records a decision on one delivery in the store, the step's summary and its outcome log. */
async function record(step: SendStep, d: DueDelivery, decision: DeliveryDecision): Promise<void> {
  const { db, now, summary } = step;
  const tell = (status: 'sent' | 'retrying' | 'failed', detail: string): void =>
    step.options.onOutcome?.({
      deliveryPk: d.deliveryPk,
      tenant: d.tenantName,
      billingMonth: d.billingMonth,
      status,
      detail,
    });
  switch (decision.action) {
    case 'mark-sent': {
      const { response } = decision;
      // The server has the message: only `sent` may be recorded now, never a retry.
      crashPoint('send-before-mark');
      // The result of a message the server accepted must not be lost to a busy store: it waits for
      // the store as long as it takes (the event loop, and so the other sockets, go on).
      await writeWhenFree(db, () => markSent(db, d.deliveryPk, response, now().toISOString()), { untilWritten: true });
      summary.sent.push({
        tenant: d.tenantName,
        billingMonth: d.billingMonth,
        recipient: d.recipient,
        kind: d.kind,
        messageId: d.messageId,
        response,
      });
      tell('sent', response);
      break;
    }
    case 'leave-untried': {
      // Not this delivery's attempt (an outage, a wrong password): it waits with the others for the next pass.
      const end = now().toISOString();
      await writeWhenFree(db, () => markUntried(db, d.deliveryPk, decision.reason, decision.response, end));
      summary.notAttempted += 1;
      tell('retrying', decision.reason);
      break;
    }
    case 'fail': {
      const end = now().toISOString();
      await writeWhenFree(db, () => markFailed(db, d.deliveryPk, decision.reason, decision.response, end));
      summary.failed.push({
        tenant: d.tenantName,
        billingMonth: d.billingMonth,
        recipient: d.recipient,
        reason: decision.reason,
      });
      tell('failed', decision.reason);
      break;
    }
    case 'retry': {
      const end = now();
      const nextAt = new Date(end.getTime() + decision.retryInMs).toISOString();
      await writeWhenFree(db, () =>
        markRetry(db, d.deliveryPk, decision.reason, decision.response, nextAt, end.toISOString()),
      );
      // Exit code 3 says the server deferred all the messages.
      if (decision.countsAsDeferred) summary.deferred += 1;
      tell('retrying', `${decision.reason}; next attempt at ${nextAt}`);
      break;
    }
  }
  if (decision.stopSending !== null && summary.stopped === null) summary.stopped = decision.stopSending;
}
