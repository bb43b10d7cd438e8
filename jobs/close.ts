/**
 * The close: every due (tenant, month) is rated and finalized in its own transaction. One tenant
 * failing is recorded and reported, and does not stop the others; it is retried on the next run.
 */
import type { Config } from '../src/config.ts';
import { UsageChargesError } from '../src/domain/errors.ts';
import { duePeriods, type DuePeriod } from '../src/periods/periods.ts';
import { loadSchedules } from '../src/store/billing.ts';
import { finalizeStatement, isClosed, recordCloseFailure } from '../src/store/finalize.ts';
import type { PendingStatement } from '../src/store/statements.ts';
import { filesOf } from './build-files.ts';
import type { JobContext } from './context.ts';
import { rateStatement, statementRater } from './rate-statement.ts';
import { checkEntryNames } from '../src/archive/zip.ts';
import type { StatementView } from '../src/statements/view.ts';
import { inClaimedTransaction, refreshStatistics, storeEngine, type Db } from '../src/store/db.ts';
import { newMessageId } from '../src/mail/compose.ts';
import { recordAudit } from '../src/store/audit.ts';
import { createStatementDeliveries } from '../src/store/outbox.ts';
import { holdStatement } from '../src/store/holds.ts';
import { failureReason } from '../src/store/folders.ts';
import { crashPoint } from '../src/testing/faults.ts';

/**
 * How long the close holds the store's write lock, tenant after tenant, before it leaves the lock
 * free for a moment (CLOSE_PAUSE_MS): a write of another process waiting for it (a download's audit
 * row on the web server) gets in then. Each tenant is its own transaction, but without a pause the
 * next one begins within microseconds of the last commit, and a waiting writer almost never finds
 * the lock free.
 */
const CLOSE_HOLD_MS = 50;
/** How long the lock is left free after CLOSE_HOLD_MS of holding it (costs the close at most ~4 %: 2 / 52). */
const CLOSE_PAUSE_MS = 2;

const pauseCell = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps `ms` without the lock (the close is synchronous: its thread does nothing meanwhile). */
function pause(ms: number): void {
  Atomics.wait(pauseCell, 0, 0, ms);
}

/** What a close did. */
export interface CloseSummary {
  /** `recipients`: the deliveries created with the statement (0: the tenant has no active contact). */
  closed: { tenant: string; billingMonth: string; total: string; currency: string; recipients: number }[];
  failed: { tenant: string; billingMonth: string; reason: string }[];
}

/**
 * Builds a statement's ROR files (not the zip) and checks the zip's entry names, as the files job
 * will: an unwritable character (E_ENCODING) or clashing file names (E_FILE_NAME) is thrown as a
 * UsageChargesError whose message says so.
 */
export function checkStatementFiles(view: StatementView): void {
  const notFinalized = (code: string, message: string): UsageChargesError =>
    new UsageChargesError(code, `its files cannot be written, so it was not finalized: ${message}`);
  let names: string[];
  try {
    const { files } = filesOf(view, view.files!);
    names = [files.listFile, ...files.detailFiles].map((f) => f.name);
  } catch (err) {
    // An unwritable character: say the two ways out (docs/reliability.md), since the name may
    // have been accepted before the tenant's files became cp932 (a change of CSV_ENCODING).
    if (err instanceof UsageChargesError && err.code === 'E_ENCODING') {
      throw notFinalized(
        err.code,
        `${err.message} (correct the name with an import, or give the tenant another csv_encoding in the tenants file)`,
      );
    }
    if (err instanceof UsageChargesError) throw notFinalized(err.code, err.message);
    throw err;
  }
  try {
    checkEntryNames(names);
  } catch (err) {
    throw notFinalized('E_FILE_NAME', (err as Error).message);
  }
}

/** The due periods as of an instant (oldest first), without closing them. */
export function findDue(db: Db, config: Config, asOf: Date): DuePeriod[] {
  return duePeriods(loadSchedules(db), asOf.getTime(), config.billingTimeZone);
}

/** What a close is asked besides its context. */
export interface CloseOptions {
  /** The instant the close works as of: periods that ended by then are due. */
  asOf: Date;
  /** Told of each statement once it is committed (the files thread takes it). */
  onFinalized?: (statement: PendingStatement) => void;
}

/**
 * Closes every period due as of `asOf`, and creates each statement's deliveries in the same
 * transaction. A tenant whose earlier month fails is not closed for later months in this run (its
 * months are finalized in order). `shouldStop` is asked before each period (a graceful shutdown);
 * `onFinalized` is told of each statement once it is committed.
 */
export function closeDue(ctx: JobContext, options: CloseOptions): CloseSummary {
  const { store: db, config, shouldStop } = ctx;
  const { asOf } = options;
  const onProgress = (done: number, total: number): void => ctx.progress('close', done, total);
  const summary: CloseSummary = { closed: [], failed: [] };
  const rater = statementRater(ctx);
  const schedules = loadSchedules(db);
  const tenantPks = new Map(schedules.map((t) => [t.tenantName, t.tenantPk]));
  const dues = duePeriods(schedules, asOf.getTime(), config.billingTimeZone);
  // Several workers (PostgreSQL): a tenant another worker is closing is skipped, and taken up
  // again after the others, waiting for its claim (its months are closed in order).
  const several = storeEngine(db) === 'postgres';
  const claimedElsewhere: DuePeriod[] = [];
  const step: CloseStep = { ctx, options, rater, summary, tenantPks, several };
  let done = 0;
  let total = dues.length;
  let heldSince = Date.now();
  onProgress(0, total);
  const sweep = (list: readonly DuePeriod[], wait: boolean): void => {
    // Tenants not closed further in this sweep: one month failed, or another worker holds them
    // (their later months then wait with the first for the second sweep).
    const blocked = new Map<string, 'failed' | 'claimed-elsewhere'>();
    for (const due of list) {
      onProgress(done++, total);
      const why = blocked.get(due.tenantName);
      if (why === 'claimed-elsewhere') claimedElsewhere.push(due);
      if (why !== undefined) continue;
      if (shouldStop()) break;
      if (Date.now() - heldSince >= CLOSE_HOLD_MS) {
        pause(CLOSE_PAUSE_MS);
        heldSince = Date.now();
      }
      const before = summary.closed.length;
      const outcome = closeOne(step, due, wait);
      // A first month-end fills the statements' tables from nothing: PostgreSQL plans the rest of
      // it on what they hold by now (each time the count this worker finalized doubles, when they grew).
      const closedHere = summary.closed.length;
      if (closedHere > before && (closedHere & (closedHere - 1)) === 0)
        refreshStatistics(db, ['statements', 'charge_lines', 'deliveries'], closedHere);
      if (outcome === 'claimed-elsewhere') claimedElsewhere.push(due);
      if (outcome !== 'closed') blocked.set(due.tenantName, outcome);
    }
  };
  sweep(dues, false);
  // What other workers were closing when it came: by now closed by them (seen at once), or
  // waiting here for their claim to be let go (a worker that died lets it go with its connection).
  if (claimedElsewhere.length > 0 && !shouldStop()) {
    total += claimedElsewhere.length;
    sweep(claimedElsewhere.splice(0), true);
  }
  onProgress(done, total);
  return summary;
}

/** What a close of one (tenant, month) needs besides it. */
interface CloseStep {
  ctx: JobContext;
  options: CloseOptions;
  rater: ReturnType<typeof statementRater>;
  summary: CloseSummary;
  tenantPks: ReadonlyMap<string, number>;
  /** Several workers may close at once (PostgreSQL): a month already closed by another is passed over. */
  several: boolean;
}

/**
 * Rates and finalizes one due (tenant, month), with its deliveries, in one transaction under the
 * tenant's claim. `closed`: finalized here, or already by another worker; `failed`: recorded as a
 * failure; `claimed-elsewhere`: another worker holds the tenant (only without `wait`).
 */
function closeOne(step: CloseStep, due: DuePeriod, wait: boolean): 'closed' | 'failed' | 'claimed-elsewhere' {
  const { ctx, options, rater, summary } = step;
  const { store: db, config, now } = ctx;
  const at = now();
  let finalized: PendingStatement | null = null;
  try {
    // Read, rate and write under the write lock, so that no import lands between what was rated
    // and what is frozen.
    const outcome = inClaimedTransaction(
      db,
      { space: 'tenant', key: step.tenantPks.get(due.tenantName)!, wait },
      () => {
        if (step.several && isClosed(db, step.tenantPks.get(due.tenantName)!, due.billingMonth)) return null;
        const { tenant, view } = rateStatement(ctx, rater, {
          tenantName: due.tenantName,
          period: due,
          status: 'fixed',
          madeAt: at.getTime(),
        });
        // A statement is finalized only if its files can be written: its frozen names must be
        // writable in its encoding and its file names distinct, or it would stay without files
        // for good. Not finalized, it is reported and closed by a later pass once the data is
        // corrected.
        checkStatementFiles(view);
        const finalizedRef = finalizeStatement(db, tenant, view, at.toISOString());
        if (finalizedRef === null) return null;
        const { statementPk, revision } = finalizedRef;
        // The outbox rows are made with the statement (DESIGN invariant 4): a crash after this
        // commit cannot lose an e-mail, and one before it leaves neither.
        const recipients = createStatementDeliveries(
          db,
          statementPk,
          tenant.tenantPk,
          () => newMessageId(config.mailFrom),
          at.toISOString(),
        );
        if (recipients === 0)
          recordAudit(db, at.toISOString(), 'no-recipient', tenant.tenantName, { billingMonth: due.billingMonth });
        // REVIEW_HOLD: the statement waits for `release` (or REVIEW_HOLD_HOURS) before its mails go.
        if (config.reviewHold)
          holdStatement(db, statementPk, { kind: 'review', at: at.toISOString(), by: 'REVIEW_HOLD', reason: '' });
        crashPoint('close-before-commit');
        return { tree: view.tree, recipients, statementPk, revision };
      },
    );
    if (!outcome.claimed) return 'claimed-elsewhere';
    const closed = outcome.result;
    crashPoint('close-after-commit');
    if (closed) {
      summary.closed.push({
        tenant: due.tenantName,
        billingMonth: due.billingMonth,
        total: closed.tree.total.toFixed(),
        currency: closed.tree.currency,
        recipients: closed.recipients,
      });
      finalized = {
        statementPk: closed.statementPk,
        billingMonth: due.billingMonth,
        tenantName: due.tenantName,
        revision: closed.revision,
      };
    }
  } catch (err) {
    // One tenant that cannot be closed does not stop the others; it is retried on the next run.
    const reason = failureReason(err);
    const tenant = rater.reader.tenant(due.tenantName);
    // Under the tenant's claim, and only while the month is still not closed: another worker may
    // have closed it meanwhile (PostgreSQL); on SQLite a write transaction as before.
    inClaimedTransaction(db, { space: 'tenant', key: tenant.tenantPk, wait: true }, () => {
      if (!step.several || !isClosed(db, tenant.tenantPk, due.billingMonth))
        recordCloseFailure(db, tenant, due, reason, at.toISOString());
    });
    summary.failed.push({ tenant: due.tenantName, billingMonth: due.billingMonth, reason });
    return 'failed';
  }
  // Told after the statement's outcome is settled: what the listener does cannot make a
  // committed statement look failed.
  if (finalized !== null) options.onFinalized?.(finalized);
  return 'closed';
}
