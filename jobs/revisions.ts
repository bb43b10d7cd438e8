/**
 * Correcting a finalized statement: `void` (before any of its mails went: the month is closed
 * afresh by the next pass) and `reissue` (after: the month is rated again from today's data as its
 * next revision and mailed as a corrected statement). Each is one transaction, audited with who,
 * when and why; a revision, once finalized, never changes.
 */
import { InputError } from '../src/domain/errors.ts';
import { dec } from '../src/domain/money.ts';
import type { Mailer } from '../src/mail/transport.ts';
import type { BillingPeriod } from '../src/periods/periods.ts';
import { newMessageId } from '../src/mail/compose.ts';
import { recordAudit } from '../src/store/audit.ts';
import { loadStatementSummary, type BillingTenant } from '../src/store/billing.ts';
import { finalizeStatement, frozenContent, nextRevision } from '../src/store/finalize.ts';
import { inTransaction, inTransactionAsync } from '../src/store/db.ts';
import type { ImportEncoding } from '../src/ingest/csv-source.ts';
import { importFile, type ImportResult } from '../src/ingest/import-file.ts';
import { adjustmentsKind } from '../src/ingest/kinds/adjustments.ts';
import { holdStatement } from '../src/store/holds.ts';
import { bookedElsewhere } from '../src/store/late-usage.ts';
import { createStatementDeliveries, hasSentMail, statementDeliveryPks } from '../src/store/outbox.ts';
import {
  laterFinalizedMonth,
  recordVoid,
  restoreWithdrawn,
  revisionOf,
  withdrawDeliveries,
  type RevisionRow,
} from '../src/store/revisions.ts';
import { findStatement } from '../src/store/statements.ts';
import { lineToJson, summarize, type StatementView } from '../src/statements/view.ts';
import { crashPoint } from '../src/testing/faults.ts';
import { buildFiles, type FilesSummary } from './build-files.ts';
import { checkStatementFiles } from './close.ts';
import type { JobContext } from './context.ts';
import { sendDue, type DeliverySummary } from './deliver.ts';
import { rateStatement, statementRater } from './rate-statement.ts';
import { requireTenant } from './request.ts';
import { withLease } from './with-lease.ts';

/** Who asks for a correction, and why (both recorded). */
export interface CorrectionRequest {
  tenantName: string;
  billingMonth: string;
  by: string;
  reason: string;
}

/** A re-issue's adjustments file (`reissue --adjustments`): credits and debits billed in the revision it makes. */
export interface ReissueAdjustments {
  file: string;
  encoding?: ImportEncoding;
}

/**
 * Imports a re-issue's adjustments in the caller's transaction: rows of the re-issued tenant and
 * month only, all or nothing, each problem named by file and line.
 */
async function importReissueAdjustments(
  ctx: JobContext,
  month: { tenantName: string; billingMonth: string; by?: string },
  adjustments: ReissueAdjustments,
): Promise<ImportResult> {
  const { store: db, config } = ctx;
  return importFile(
    adjustmentsKind,
    { path: adjustments.file },
    {
      db,
      now: ctx.now().toISOString(),
      defaultCurrency: config.defaultCurrency,
      defaultLocale: config.defaultLocale,
      csvEncoding: config.csvEncoding,
      billingTimeZone: config.billingTimeZone,
      reissueOf: { tenantName: month.tenantName, billingMonth: month.billingMonth },
      ...(month.by === undefined ? {} : { by: month.by }),
    },
    { maxErrors: config.importMaxErrors, ...(adjustments.encoding ? { encoding: adjustments.encoding } : {}) },
  );
}

/**
 * The current revision of a tenant's month, or an InputError saying why there is none: the month
 * is not finalized, its close failed, or its statement was voided and waits for the next pass.
 */
function currentRevision(ctx: Pick<JobContext, 'store'>, tenantName: string, billingMonth: string): RevisionRow {
  const { store: db } = ctx;
  requireTenant(db, tenantName);
  const s = findStatement(db, tenantName, billingMonth);
  if (s === undefined) throw new InputError(`--month: ${tenantName} has no finalized statement for ${billingMonth}`);
  const row = revisionOf(db, s.statementPk)!;
  if (s.status === 'void')
    throw new InputError(
      `--month: the statement of ${tenantName} ${billingMonth} (revision ${row.revision}) was voided at ${row.voidedAt} by ${row.voidedBy}; the next pass closes the month again`,
    );
  if (s.status === 'estimated')
    throw new InputError(
      `--month: ${tenantName} ${billingMonth} is not finalized (its close failed; \`usage-charges status --month ${billingMonth}\` says why)`,
    );
  return row;
}

/** What a void did. */
export interface VoidOutcome {
  voided: RevisionRow;
  /** Mails of it that were waiting (or had failed) and are withdrawn. */
  withdrawn: number;
  /** The revision current again (a void of a re-issue that was never sent), or null: the month is open again. */
  currentAgain: number | null;
  /** The mails of the revision current again that the re-issue had withdrawn, given back (pending, or failed). */
  restored: number;
}

/**
 * Voids a tenant's current statement of a month none of whose mails was sent (it may be held):
 * it is kept, with its files, but never sent. A first statement (or one made after a void) opens
 * its month again, with the same period, for the next pass to close from the data as it is then;
 * it must be the tenant's latest finalized month. A re-issue that was never sent is withdrawn and
 * the revision it corrected is current again.
 */
export function voidStatement(ctx: JobContext, request: CorrectionRequest): VoidOutcome {
  const { store: db } = ctx;
  const { tenantName, billingMonth, by, reason } = request;
  return inTransaction(db, () => {
    const row = currentRevision(ctx, tenantName, billingMonth);
    if (hasSentMail(db, row.statementPk))
      throw new InputError(
        `--month: a mail of ${tenantName} ${billingMonth} was already sent (or is being sent): a void is only for a statement nobody received; correct it with usage-charges reissue --tenant ${tenantName} --month ${billingMonth} --reason TEXT`,
      );
    if (row.correctsRevision === null) {
      const later = laterFinalizedMonth(db, row.tenantPk, billingMonth);
      if (later !== undefined)
        throw new InputError(
          `--month: ${tenantName} ${later} is finalized after ${billingMonth}: a month is voided only while it is the tenant's latest finalized one (void ${later} first, or correct ${billingMonth} with reissue once it is sent)`,
        );
    }
    const at = ctx.now().toISOString();
    const withdrawn = recordVoid(db, row.statementPk, { at, by, reason });
    // A re-issue withdrawn: the mails it had withdrawn from the revision it corrected go again.
    const restored =
      row.correctsRevision === null
        ? 0
        : restoreWithdrawn(
            db,
            row.statementPk,
            `restored: revision ${row.revision}, which replaced its statement, was voided (${reason})`,
            at,
          );
    const voided = revisionOf(db, row.statementPk)!;
    recordAudit(db, at, 'void', tenantName, {
      billingMonth,
      revision: row.revision,
      total: row.total,
      withdrawn,
      ...(row.correctsRevision === null ? {} : { currentAgain: row.correctsRevision, restored }),
      reason,
      by,
    });
    crashPoint('revision-before-commit');
    return { voided, withdrawn, currentAgain: row.correctsRevision, restored };
  });
}

/** A re-issue as rated, before anything is stored. */
export interface ReissuePlan {
  /** The revision it corrects (the current one). */
  current: RevisionRow;
  tenant: BillingTenant;
  view: StatementView;
  revision: number;
  previousTotal: string;
  total: string;
  /** New total minus the earlier one (decimal text, signed). */
  difference: string;
  currency: string;
  /** Rated from today's data, the month comes out exactly as its current revision (a re-issue is refused). */
  unchanged: boolean;
  /** Usage of the period booked late into later months: it stays there and is not counted again. */
  bookedElsewhere: { bookedMonth: string; records: number }[];
}

/**
 * Rates a re-issue of a tenant's month: the current revision must have been mailed to someone
 * (else it is voided instead), and the rating from today's catalog, usage and adjustments must
 * differ from it. Reads only.
 */
export function planReissue(
  ctx: JobContext,
  request: { tenantName: string; billingMonth: string; dryRun?: boolean },
): ReissuePlan {
  const { store: db } = ctx;
  const { tenantName, billingMonth } = request;
  const current = currentRevision(ctx, tenantName, billingMonth);
  if (!hasSentMail(db, current.statementPk))
    throw new InputError(
      `--month: no mail of ${tenantName} ${billingMonth} was sent yet: void it instead (usage-charges void --tenant ${tenantName} --month ${billingMonth} --reason TEXT), and the next pass closes it again`,
    );
  const rater = statementRater(ctx);
  const tenant = rater.reader.tenant(tenantName);
  const period: BillingPeriod = {
    billingMonth,
    start: Date.parse(current.periodStart),
    end: Date.parse(current.periodEnd),
    cutoffDay: tenant.cutoffDay,
  };
  const { view } = rateStatement(ctx, rater, {
    tenantName,
    period,
    status: 'fixed',
    madeAt: ctx.now().getTime(),
  });
  checkStatementFiles(view);
  const { summary, lines } = summarize(view);
  const frozen = frozenContent(db, current.statementPk);
  const unchanged =
    JSON.stringify(summary) === frozen.summary && lines.map(lineToJson).join('\n') === frozen.lines.join('\n');
  if (unchanged && request.dryRun !== true)
    throw new InputError(
      `--month: rated from today's data, ${tenantName} ${billingMonth} comes out exactly as its revision ${current.revision}${current.correctsRevision === null ? '' : ` (re-issued at ${current.finalizedAt} by ${current.by}: ${current.reason})`}: there is nothing to correct; fix the catalog, usage or adjustments first (\`reissue --dry-run\` shows what a re-issue would change)`,
    );
  const previousTotal = current.total!;
  return {
    current,
    tenant,
    view,
    revision: nextRevision(db, tenant.tenantPk, billingMonth),
    previousTotal,
    total: summary.total,
    difference: dec(summary.total).minus(dec(previousTotal)).toFixed(),
    currency: tenant.currency,
    unchanged,
    bookedElsewhere: bookedElsewhere(db, tenant.tenantPk, current.periodStart, current.periodEnd),
  };
}

/** An L-Platform whose amount a re-issue changes: its amount in the current revision and in the new one (decimal text, '0' when absent). */
export interface LplatformChange {
  lplatformId: string;
  before: string;
  after: string;
}

/** The L-Platforms whose amounts differ between a re-issue's plan and the revision it corrects, by ID. */
export function reissueChanges(ctx: Pick<JobContext, 'store'>, plan: ReissuePlan): LplatformChange[] {
  const before = new Map(
    loadStatementSummary(ctx.store, plan.current.statementPk).lplatforms.map((l) => [l.lplatformId, l.amount]),
  );
  const after = new Map(plan.view.tree.lplatforms.map((l) => [l.lplatformId, l.amount.toFixed()]));
  const changes: LplatformChange[] = [];
  for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(id) ?? '0';
    const now = after.get(id) ?? '0';
    if (was !== now) changes.push({ lplatformId: id, before: was, after: now });
  }
  return changes;
}

/** Thrown to roll a dry run's transaction back. */
const DRY_RUN = Symbol('dry run');

/**
 * A re-issue's dry run: its adjustments imported (when given) and the month rated, inside a
 * transaction rolled back at the end, so that nothing is stored.
 */
export async function previewReissue(
  ctx: JobContext,
  request: { tenantName: string; billingMonth: string; adjustments?: ReissueAdjustments },
): Promise<{ plan: ReissuePlan; imported: ImportResult | null }> {
  let preview: { plan: ReissuePlan; imported: ImportResult | null } | null = null;
  try {
    await inTransactionAsync(ctx.store, async () => {
      // The month is checked before the file is read, as the re-issue does.
      currentRevision(ctx, request.tenantName, request.billingMonth);
      const imported =
        request.adjustments === undefined ? null : await importReissueAdjustments(ctx, request, request.adjustments);
      preview = { plan: planReissue(ctx, { ...request, dryRun: true }), imported };
      throw DRY_RUN;
    });
  } catch (err) {
    if (err !== DRY_RUN) throw err;
  }
  return preview!;
}

/** What a re-issue did. */
export interface ReissueOutcome {
  plan: ReissuePlan;
  statementPk: number;
  /** The mails made for the contacts (0: the tenant has no active contact). */
  recipients: number;
  /** Held for review (REVIEW_HOLD): its mails wait for `release`. */
  held: boolean;
  /** Mails of the corrected revision that were still waiting (or had failed), withdrawn. */
  withdrawn: number;
  /** The adjustments file imported with it, or null. */
  imported: ImportResult | null;
  files: FilesSummary;
  delivery: DeliverySummary | null;
}

/** How a re-issue is sent. */
export interface ReissueSending {
  mailer: Mailer;
  /** Told once when the re-issue has to wait for a pass that holds the lease. */
  onWait?: (holder: string) => void;
  /**
   * Wait for a pass that holds the month-end lease (the default, as the command line does); false
   * fails at once with E_LOCKED instead (the web server does not keep a request waiting).
   */
  wait?: boolean;
}

type StoredReissue = Omit<ReissueOutcome, 'held' | 'files' | 'delivery'>;

/**
 * The re-issue's transaction: its adjustments imported (when given), the month rated under the
 * write lock, the new revision finalized with its mails (held under REVIEW_HOLD), the corrected
 * revision's unsent mails withdrawn, and the audit: all committed together or none.
 */
async function storeReissue(
  ctx: JobContext,
  request: CorrectionRequest & { adjustments?: ReissueAdjustments },
): Promise<StoredReissue> {
  const { store: db, config } = ctx;
  const { tenantName, billingMonth, by, reason } = request;
  return inTransactionAsync(db, async () => {
    // The month is checked before the file is read.
    currentRevision(ctx, tenantName, billingMonth);
    const imported =
      request.adjustments === undefined
        ? null
        : await importReissueAdjustments(ctx, { tenantName, billingMonth, by }, request.adjustments);
    const plan = planReissue(ctx, { tenantName, billingMonth });
    const at = ctx.now().toISOString();
    const made = finalizeStatement(db, plan.tenant, plan.view, at, {
      correctsPk: plan.current.statementPk,
      reason,
      by,
    });
    if (made === null) throw new Error('reissue: the current revision changed under the write lock');
    const withdrawn = withdrawDeliveries(
      db,
      plan.current.statementPk,
      `withdrawn: replaced by revision ${made.revision} (${reason})`,
      at,
      made.statementPk,
    );
    const recipients = createStatementDeliveries(
      db,
      made.statementPk,
      plan.tenant.tenantPk,
      () => newMessageId(config.mailFrom),
      at,
    );
    if (config.reviewHold) holdStatement(db, made.statementPk, { kind: 'review', at, by: 'REVIEW_HOLD', reason: '' });
    recordAudit(db, at, 'reissue', tenantName, {
      billingMonth,
      revision: made.revision,
      corrects: plan.current.revision,
      previousTotal: plan.previousTotal,
      total: plan.total,
      difference: plan.difference,
      recipients,
      withdrawn,
      ...(imported === null
        ? {}
        : { adjustments: { file: imported.file, sha256: imported.sha256, rows: imported.rows } }),
      reason,
      by,
    });
    crashPoint('revision-before-commit');
    return {
      plan: { ...plan, revision: made.revision },
      statementPk: made.statementPk,
      recipients,
      withdrawn,
      imported,
    };
  });
}

/**
 * Re-issues a tenant's month under the month-end lease: the next revision is stored with its mails
 * in one transaction (storeReissue), then its zip is written and its mails are sent (unless
 * REVIEW_HOLD holds it). What a crash leaves after the commit, the next pass finishes: the files and
 * the mails are those of any finalized statement.
 */
export async function reissueStatement(
  ctx: JobContext,
  request: CorrectionRequest & { adjustments?: ReissueAdjustments },
  sending: ReissueSending,
): Promise<ReissueOutcome> {
  const { store: db, config, log } = ctx;
  return withLease(
    ctx,
    {
      ttlMs: config.lockTtlSeconds * 1000,
      asOf: new Date(),
      wait: sending.wait ?? true,
      kind: 'reissue',
      onWait: (holder) => sending.onWait?.(holder),
    },
    async (held) => {
      const stored = await storeReissue(ctx, request);
      crashPoint('reissue-after-commit');
      const { tenantName, billingMonth, by } = request;
      log.info({ tenant: tenantName, billingMonth, revision: stored.plan.revision, by }, 'statement re-issued');
      const files = await buildFiles(ctx, { only: new Set([stored.statementPk]) });
      const sendNow = !config.reviewHold && files.failed.length === 0 && stored.recipients > 0;
      const delivery = sendNow
        ? await sendDue({ ...ctx, shouldStop: () => held.lost }, sending.mailer, {
            only: statementDeliveryPks(db, stored.statementPk),
          })
        : null;
      const failed =
        files.failed.length > 0 || (delivery !== null && (delivery.failed.length > 0 || delivery.stopped !== null));
      return {
        result: { ...stored, held: config.reviewHold, files, delivery },
        status: failed ? 'failed' : 'ok',
        summary: {
          reissue: 1,
          written: files.written.length,
          sent: delivery?.sent.length ?? 0,
          failed: files.failed.length + (delivery?.failed.length ?? 0),
        },
      };
    },
  );
}
