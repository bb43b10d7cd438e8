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
import { classifySendError, type SendFailure } from '../src/mail/classify.ts';
import { composeMessage } from '../src/mail/compose.ts';
import type { StatementMail } from '../src/mail/render.ts';
import type { Mailer } from '../src/mail/transport.ts';
import { loadStatementSummary } from '../src/store/billing.ts';
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

/** The longest wait between two attempts of one delivery. */
export const MAX_RETRY_DELAY_MS = 6 * 60 * 60 * 1000;

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

/** The delay before the next attempt after `attempts` attempts: base x 2^(attempts-1), at most six hours. */
export function retryDelayMs(baseSeconds: number, attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseSeconds * 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

/**
 * What a statement's e-mail shows, from its frozen summary (the lines are not needed) and the
 * issuer settings; the recipient's name is each delivery's own (see `attempt`).
 */
function mailOf(db: Db, config: Config, d: DueDelivery): StatementMail {
  const summary = loadStatementSummary(db, d.statementPk);
  const { period, tenant } = summary;
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
    total: new Decimal(summary.total).toFixed(minorDigits(tenant.currency)),
    currency: tenant.currency,
    // The statement's own tax lines say whether its total holds tax (a preset or TAX setting changed later does not).
    taxes: summary.taxes.map((t) => ({
      percent: t.percent,
      amount: new Decimal(t.amount).toFixed(minorDigits(tenant.currency)),
    })),
    finalStatement: tenant.deletedAt !== null,
    attachmentName: d.zipName,
    issuer: config.issuer,
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
  if (options.only === undefined) {
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
  // The due deliveries come a page at a time; one statement's deliveries go together (its zip is
  // read and checked once); statements go in parallel up to the pool size.
  const startedAt = now().toISOString();
  const pageSize = Math.max(1, options.pageSize ?? DUE_PAGE_SIZE);
  const onlyDue = options.only === undefined ? null : dueDeliveriesOf(db, startedAt, options.only);
  const total = onlyDue?.length ?? countDue(db, startedAt);
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
  const nextGroup = (): DueDelivery[] | undefined => {
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
  let done = 0;
  // A store that cannot record a result stops every worker: nothing more is claimed, and the row
  // whose result was lost stays `sending`, to be sent again with its Message-ID by the next pass.
  let fatal: unknown = null;
  const halted = (): boolean => fatal !== null || summary.stopped !== null || ctx.shouldStop();
  ctx.progress('send', 0, total);

  const attempt = async (
    d: DueDelivery,
    zip: { name: string; bytes: Buffer } | SendFailure,
    mail: StatementMail | null,
  ): Promise<void> => {
    const at = now().toISOString();
    // Every store write of the send step waits for an import's lock without blocking the event
    // loop: the other connections' replies are read, and their timeouts do not run out, meanwhile.
    if (!(await writeWhenFree(db, () => claimDelivery(db, d.deliveryPk, at)))) return;
    const attempts = d.attempts + 1;
    // The server's reply to the message, or why it did not take it.
    let tried: string | SendFailure;
    // Whether the message reached the server at all (a local failure, such as a damaged archive, did not).
    const handedOver = 'bytes' in zip && mail !== null;
    if (handedOver) {
      try {
        tried = (
          await mailer.send(
            composeMessage(
              mail,
              { from: config.mailFrom, to: d.recipient, messageId: d.messageId, replyTo: config.mail.replyTo },
              zip,
            ),
          )
        ).response;
      } catch (err) {
        tried = classifySendError(err);
      }
    } else {
      tried = zip as SendFailure;
    }
    if (typeof tried === 'string') {
      const response = tried;
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
      options.onOutcome?.({
        deliveryPk: d.deliveryPk,
        tenant: d.tenantName,
        billingMonth: d.billingMonth,
        status: 'sent',
        detail: response,
      });
      return;
    }
    const failure = tried;
    const end = now();
    if (failure.session) {
      // The session or the settings failed before the message was handed over (an outage, a
      // wrong password): not this delivery's attempt; it waits with the others for the next pass.
      await writeWhenFree(db, () => markUntried(db, d.deliveryPk, failure.reason, failure.response, end.toISOString()));
      summary.notAttempted += 1;
      options.onOutcome?.({
        deliveryPk: d.deliveryPk,
        tenant: d.tenantName,
        billingMonth: d.billingMonth,
        status: 'retrying',
        detail: failure.reason,
      });
    } else if (failure.permanent || attempts >= config.mail.maxAttempts) {
      const reason = failure.permanent ? failure.reason : `gave up after ${attempts} attempts: ${failure.reason}`;
      await writeWhenFree(db, () => markFailed(db, d.deliveryPk, reason, failure.response, end.toISOString()));
      summary.failed.push({ tenant: d.tenantName, billingMonth: d.billingMonth, recipient: d.recipient, reason });
      options.onOutcome?.({
        deliveryPk: d.deliveryPk,
        tenant: d.tenantName,
        billingMonth: d.billingMonth,
        status: 'failed',
        detail: reason,
      });
    } else {
      const nextAt = new Date(end.getTime() + retryDelayMs(config.mail.retryBaseSeconds, attempts)).toISOString();
      await writeWhenFree(db, () =>
        markRetry(db, d.deliveryPk, failure.reason, failure.response, nextAt, end.toISOString()),
      );
      // Deferred by the server: only a message that reached it (exit code 3 says the server deferred all).
      if (handedOver) summary.deferred += 1;
      options.onOutcome?.({
        deliveryPk: d.deliveryPk,
        tenant: d.tenantName,
        billingMonth: d.billingMonth,
        status: 'retrying',
        detail: `${failure.reason}; next attempt at ${nextAt}`,
      });
    }
    if (failure.serverDown && summary.stopped === null) summary.stopped = failure.reason;
  };

  const worker = async (): Promise<void> => {
    for (let group = nextGroup(); group !== undefined; group = nextGroup()) {
      if (halted()) {
        summary.notAttempted += group.length;
        continue;
      }
      // The archived zip, checked against its SHA-256 (rebuilt from the frozen lines if damaged).
      let zip: { name: string; bytes: Buffer } | SendFailure;
      let mail: StatementMail | null = null;
      try {
        zip = await archivedZip(db, config, group[0]!.statementPk);
        mail = mailOf(db, config, group[0]!);
      } catch (err) {
        const reason = err instanceof UsageChargesError ? err.message : `unexpected: ${(err as Error).message}`;
        zip = { permanent: false, serverDown: false, session: false, reason, response: null };
      }
      for (const [i, d] of group.entries()) {
        if (halted()) {
          summary.notAttempted += group.length - i;
          break;
        }
        try {
          await attempt(d, zip, mail === null ? null : { ...mail, kind: d.kind, contactName: d.contactName });
        } catch (err) {
          fatal ??= err;
          summary.notAttempted += group.length - i - 1;
          break;
        }
        ctx.progress('send', ++done, total);
      }
    }
  };
  const parallel = mailer.kind === 'smtp' ? config.mail.poolSize : 1;
  // Every worker finishes its message in flight before the step ends (and the lease is released).
  await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(parallel, total)) }, worker));
  if (fatal !== null) throw fatal;

  const waiting = waitingDeliveries(db, now().toISOString());
  summary.retrying =
    onlyDue === null ? waiting : waiting.filter((w) => onlyDue.some((d) => d.deliveryPk === w.deliveryPk));
  summary.waitingForFiles = waitingForFiles(db);
  return summary;
}
