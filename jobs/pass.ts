/**
 * The month-end pass, the one job function that `run`, the scheduler and its start-up catch-up
 * all call: close every due period (with its deliveries), write the statement files, send what is
 * due, prune old zips. Each step picks up where an interrupted pass left off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { removeStaleTemps } from '../src/archive/zip.ts';
import type { Config } from '../src/config.ts';
import { byText } from '../src/domain/text.ts';
import { mailerUnusable, OUTBOX_DIR, type Mailer } from '../src/mail/transport.ts';
import type { TakeOverReason } from '../src/store/leases.ts';
import { buildFiles, pruneFiles, sortByStatement, type FilesSummary } from './build-files.ts';
import { FilesThread } from './files-thread.ts';
import { statementArchive } from './statement-archive.ts';
import { refreshStatistics, storeEngine, type Db } from '../src/store/db.ts';
import { closeDue, type CloseSummary } from './close.ts';
import type { JobContext } from './context.ts';
import { sendDue, type DeliverySummary } from './deliver.ts';
import { releaseExpiredHolds } from './review.ts';
import { oneWorkerAtATime, withLease, type HeldLease } from './with-lease.ts';

/** The lease of the retention step on PostgreSQL, where several workers pass at once. */
const RETENTION_LEASE = 'retention';

/** How often the lease is renewed during the (synchronous) close. */
const CLOSE_HEARTBEAT_MS = 5000;

/** What a pass did. */
export interface PassResult {
  asOf: string;
  close: CloseSummary;
  files: FilesSummary;
  deliveries: DeliverySummary;
  pruned: number;
  /** Temporary files a killed pass left while writing, removed before the close (paths under DATA_DIR). */
  removedTemps: string[];
  /** Statements closed in this pass whose tenant has no active contact: archived, not mailed. */
  noRecipient: { tenant: string; billingMonth: string }[];
  /** True when a shutdown was asked for and the pass stopped early. */
  interrupted: boolean;
}

/** What a month-end pass is asked besides its context. */
export interface PassOptions {
  mailer: Mailer;
  /** The instant the pass works as of: periods that ended by then are due. */
  asOf: Date;
  /** Called between steps (renews the lease; throws when it was lost). */
  heartbeat?: () => void;
  /** True once the lease was found lost: no more tenants closed or messages claimed. */
  leaseLost?: () => boolean;
}

/** Whether a pass had anything to report as failed (exit code 1): a close, a file or a delivery that failed, or an unusable mail server. */
export function passFailed(r: PassResult): boolean {
  return (
    r.close.failed.length + r.files.failed.length + r.deliveries.failed.length > 0 || r.deliveries.stopped !== null
  );
}

/**
 * Whether a pass delivered nothing although mails were due, because the server deferred every one
 * it was given (4xx): no failure, but nothing reached anybody (exit code 3). A greylisting server
 * does this once; a pass after pass of it means the mails are stuck.
 */
export function passDeferred(r: PassResult): boolean {
  return !passFailed(r) && r.deliveries.deferred > 0 && r.deliveries.sent.length === 0;
}

/** The counts a pass records in `runs.summary`. */
export function passCounts(r: PassResult): Record<string, number | string | null> {
  return {
    closed: r.close.closed.length,
    closeFailed: r.close.failed.length,
    filesWritten: r.files.written.length,
    filesFailed: r.files.failed.length,
    sent: r.deliveries.sent.length,
    retrying: r.deliveries.retrying.length,
    deferred: r.deliveries.deferred,
    deliveriesFailed: r.deliveries.failed.length,
    recovered: r.deliveries.recovered,
    waitingForFiles: r.deliveries.waitingForFiles,
    notAttempted: r.deliveries.notAttempted,
    noRecipient: r.noRecipient.length,
    pruned: r.pruned,
    removedTemps: r.removedTemps.length,
    stopped: r.deliveries.stopped,
  };
}

/**
 * Removes the temporary files a killed pass (or resend) left while writing a zip or an `.eml` file:
 * those of processes of this host that no longer exist, in every month's statements folder (and its
 * revision-N folders) and in the outbox (src/archive/zip.ts removeStaleTemps). Run under the month-end lease, before the close.
 * Returns their paths relative to DATA_DIR; a folder that cannot be read is reported, not thrown.
 * When the store `db` keeps the zips itself (PostgreSQL), a killed writer leaves nothing of them:
 * the outbox only is looked at.
 */
export function removeLeftTemps(
  config: Config,
  db: Db,
): { removed: string[]; failed: { dir: string; reason: string }[] } {
  const archiveFolders = statementArchive(db, config).folders;
  const root = path.join(config.dataDir, 'statements');
  let months: string[] = [];
  if (archiveFolders)
    try {
      months = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort(byText);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        return { removed: [], failed: [{ dir: 'statements', reason: (err as Error).message }] };
    }
  const removed: string[] = [];
  const failed: { dir: string; reason: string }[] = [];
  // A month's later revisions are archived in its revision-N folders (a re-issue writes there too).
  const revisionDirs = (month: string): string[] => {
    try {
      return fs
        .readdirSync(path.join(root, month), { withFileTypes: true })
        .filter((e) => e.isDirectory() && /^revision-\d+$/.test(e.name))
        .map((e) => `statements/${month}/${e.name}`)
        .sort(byText);
    } catch {
      return [];
    }
  };
  const folders = months.flatMap((m) => [`statements/${m}`, ...revisionDirs(m)]);
  for (const rel of [...folders, OUTBOX_DIR]) {
    try {
      for (const name of removeStaleTemps(path.join(config.dataDir, rel))) removed.push(`${rel}/${name}`);
    } catch (err) {
      failed.push({ dir: rel, reason: (err as Error).message });
    }
  }
  return { removed, failed };
}

/**
 * The first two steps of a pass: close every due period, and write the files of every fixed
 * statement that has none. From the FILES_THREAD_FROM-th statement on, the zips of the statements
 * just finalized are written on a second thread while the close goes on (jobs/files-thread.ts);
 * the files step then writes whatever is left (usually nothing). `threaded`: the zips the thread wrote.
 */
export async function closeAndWriteFiles(
  ctx: JobContext,
  options: {
    asOf: Date;
    /** Told when the close is over (the files of its last statements may still be being written). */
    onClosed?: (close: CloseSummary) => void;
  },
): Promise<{ close: CloseSummary; files: FilesSummary; threaded: number }> {
  // On PostgreSQL the files step writes every zip, on this thread: the files thread's own
  // connection is SQLite's (a read-only connection to the store's file) for now.
  const thread = new FilesThread(ctx);
  const threadOn = storeEngine(ctx.store) === 'sqlite';
  let close: CloseSummary;
  try {
    close = closeDue(ctx, { asOf: options.asOf, onFinalized: threadOn ? (s) => thread.add(s) : undefined });
    options.onClosed?.(close);
  } catch (err) {
    // A lost lease or a store that stays busy: the thread must not outlive the pass (nor keep the
    // process alive); what it wrote is not recorded, and the next pass writes it again.
    await thread.abort();
    throw err;
  }
  const threaded = await thread.finish();
  const done = threaded.written.length;
  const rest = await buildFiles(
    { ...ctx, progress: (stage, d, t) => ctx.progress(stage, done + d, done + t) },
    { skip: thread.failedPks },
  );
  const files: FilesSummary = {
    written: [...threaded.written, ...rest.written],
    failed: [...threaded.failed, ...rest.failed],
  };
  sortByStatement(files);
  // The delivery that follows reads the zips' records (PostgreSQL: planned on what they hold now).
  refreshStatistics(ctx.store, ['statement_files', 'archived_zips'], files.written.length);
  return { close, files, threaded: threaded.written.length };
}

/** One month-end pass (the caller holds the month-end lease). */
export async function monthEndPass(ctx: JobContext, options: PassOptions): Promise<PassResult> {
  const { config, log } = ctx;
  const { mailer, asOf } = options;
  const stop = (): boolean => ctx.shouldStop() || options.leaseLost?.() === true;
  log.info({ asOf: asOf.toISOString(), mail: mailer.target }, 'pass started');
  const temps = stop() ? { removed: [], failed: [] } : removeLeftTemps(config, ctx.store);
  if (temps.removed.length > 0)
    log.warn({ files: temps.removed }, 'removed the temporary files a killed pass left while writing');
  for (const f of temps.failed)
    log.warn({ dir: f.dir, reason: f.reason }, 'cannot look for temporary files a killed pass left');

  // The close is synchronous: the lease's timer cannot run during it, so the lease is renewed
  // between tenants every few seconds (and a lost lease ends the pass there).
  let beat = Date.now();
  const stopOrBeat = (): boolean => {
    if (Date.now() - beat >= CLOSE_HEARTBEAT_MS) {
      options.heartbeat?.();
      beat = Date.now();
    }
    return stop();
  };
  const { close, files } = await closeAndWriteFiles(
    { ...ctx, shouldStop: stopOrBeat },
    {
      asOf,
      onClosed: (c) => {
        for (const x of c.closed)
          log.info(
            {
              tenant: x.tenant,
              billingMonth: x.billingMonth,
              total: x.total,
              currency: x.currency,
              recipients: x.recipients,
            },
            'statement finalized',
          );
        for (const f of c.failed)
          log.error({ tenant: f.tenant, billingMonth: f.billingMonth, reason: f.reason }, 'close failed');
        options.heartbeat?.();
      },
    },
  );
  for (const w of files.written)
    log.debug(
      { tenant: w.tenant, billingMonth: w.billingMonth, zip: w.zip, bytes: w.bytes },
      'statement files written',
    );
  for (const f of files.failed)
    log.error({ tenant: f.tenant, billingMonth: f.billingMonth, reason: f.reason }, 'statement files failed');
  options.heartbeat?.();

  // REVIEW_HOLD_HOURS: statements held for review long enough go with this pass's mails.
  if (!stop()) {
    const released = releaseExpiredHolds(ctx);
    if (released.length > 0)
      log.info(
        { statements: released.map((h) => ({ tenant: h.tenantName, billingMonth: h.billingMonth })) },
        'statements held for review released (REVIEW_HOLD_HOURS)',
      );
  }
  const deliveries = await sendDue({ ...ctx, shouldStop: stop }, mailer, {
    onOutcome: (o) => {
      const fields = { delivery: o.deliveryPk, tenant: o.tenant, billingMonth: o.billingMonth, detail: o.detail };
      if (o.status === 'sent') log.debug(fields, 'delivery sent');
      else if (o.status === 'retrying') log.warn(fields, 'delivery will be retried');
      else log.error(fields, 'delivery failed');
    },
  });
  if (deliveries.recovered > 0)
    log.warn({ recovered: deliveries.recovered }, 'deliveries of a stopped pass are sent again with their Message-ID');
  if (deliveries.deferred > 0 && deliveries.sent.length === 0) {
    log.error(
      { deferred: deliveries.deferred, waiting: deliveries.retrying.length },
      'no mail delivered: the server deferred every mail it was given; they wait for their retry',
    );
  }
  if (deliveries.stopped !== null)
    log.error(
      { reason: deliveries.stopped, notAttempted: deliveries.notAttempted },
      `sending stopped: ${mailerUnusable(mailer)}`,
    );
  options.heartbeat?.();

  const pruned = stop() ? 0 : (oneWorkerAtATime(ctx, RETENTION_LEASE, () => pruneFiles(ctx, asOf)) ?? 0);
  const result: PassResult = {
    asOf: asOf.toISOString(),
    close,
    files,
    deliveries,
    pruned,
    removedTemps: temps.removed,
    noRecipient: close.closed
      .filter((c) => c.recipients === 0)
      .map((c) => ({ tenant: c.tenant, billingMonth: c.billingMonth })),
    interrupted: stop(),
  };
  for (const n of result.noRecipient)
    log.warn(
      { tenant: n.tenant, billingMonth: n.billingMonth },
      'no recipient: the statement is archived but not mailed (the tenant has no active contact)',
    );
  log.info(passCounts(result), 'pass finished');
  return result;
}

/** Options of a pass under the month-end lease. */
export interface LeasedPassOptions extends Omit<PassOptions, 'heartbeat' | 'leaseLost'> {
  wait?: boolean;
  onWait?: (holder: string, until: string) => void;
  /** Told when the lease of a pass that did not finish is taken over, and why. */
  onTakeOver?: (previous: string, because: TakeOverReason) => void;
  /** Told when the lease is held and the pass begins. */
  onStart?: (held: HeldLease) => void;
}

/** A month-end pass under the month-end lease (DESIGN invariant 6), recorded in `runs`. */
export async function leasedPass(ctx: JobContext, options: LeasedPassOptions): Promise<PassResult> {
  return withLease(
    ctx,
    {
      ttlMs: ctx.config.lockTtlSeconds * 1000,
      asOf: options.asOf,
      wait: options.wait === true,
      onWait: options.onWait,
      onTakeOver: options.onTakeOver,
    },
    async (held) => {
      options.onStart?.(held);
      const result = await monthEndPass(ctx, {
        mailer: options.mailer,
        asOf: options.asOf,
        heartbeat: () => held.heartbeat(),
        leaseLost: () => held.lost,
      });
      // A lease lost during the last step: say so rather than report the pass as done.
      held.heartbeat();
      return {
        result,
        status: passFailed(result) ? 'failed' : result.interrupted ? 'interrupted' : 'ok',
        summary: passCounts(result),
      };
    },
  );
}
