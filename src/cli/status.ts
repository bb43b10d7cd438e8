/** `usage-charges status`: what the store holds. */
import type { Command } from 'commander';
import { InputError } from '../domain/errors.ts';
import { localDate } from '../domain/calendar.ts';
import {
  backlogLine,
  deliveryBacklog,
  deliveryCounts,
  filesFailures,
  listTenants,
  monthDeliveries,
  monthStates,
  recentResends,
  summarizeStore,
  type MonthMailState,
  type MonthState,
} from '../store/summary.ts';
import { storePlace } from '../store/db.ts';
import { listRuns } from '../store/runs.ts';
import type { CliContext } from './context.ts';
import { parseMonth } from './options.ts';
import { heldLines, shown, snakeCaseKeys, table } from './output.ts';
import { openHolds } from '../store/holds.ts';
import { standingByMonth, tenantRevisions, type RevisionRow } from '../store/revisions.ts';
import { requireTenant } from '../../jobs/request.ts';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .option('--tenants <n>', 'list at most this many tenants', '50')
    .option('--json', 'print the summary as JSON')
    .option('--month <YYYY-MM>', 'list every tenant with its statement of that billing month')
    .action((opts: { tenants: string; json?: boolean; month?: string }) => {
      if (!/^\d{1,6}$/.test(opts.tenants)) throw new InputError(`--tenants: "${opts.tenants}" must be a whole number`);
      const limit = Number(opts.tenants);
      const config = ctx.config();
      const db = ctx.db();
      if (opts.month !== undefined) {
        printMonth(ctx, parseMonth(opts.month), opts.json === true);
        return;
      }
      const s = summarizeStore(db);
      const tenants = listTenants(db, limit);
      const out = ctx.output.out;
      const deliveries = deliveryCounts(db);
      const backlog = deliveryBacklog(db);
      const resends = recentResends(db, 10);
      // The last month-end pass (a resend holds the lease too, and is recorded as one, but is not a pass).
      const pass = listRuns(db, 1, 'pass')[0];
      const last = pass
        ? {
            started_at: pass.startedAt,
            finished_at: pass.finishedAt,
            status: pass.status,
            as_of: pass.asOf,
            summary: pass.summary,
          }
        : null;
      if (opts.json) {
        out(
          JSON.stringify(
            {
              dataDir: config.dataDir,
              ...s,
              deliveries,
              deliveryBacklog: backlog,
              recentResends: resends,
              lastRun: last,
              tenantList: tenants.map(snakeCaseKeys),
            },
            null,
            2,
          ),
        );
        return;
      }
      out(`store: ${storePlace(config)} (schema version ${s.schemaVersion})`);
      out(`billing time zone: ${config.billingTimeZone}`);
      out(`tenants: ${s.tenants} (${s.deletedTenants} deleted)`);
      out(`contacts: ${s.contacts} (${s.activeContacts} active)`);
      out(`L-Platforms: ${s.lplatforms} (${s.returnedLplatforms} returned)`);
      out(`catalog: ${s.catalogRows} rows, ${s.products} products`);
      out(`usage records: ${s.usageRecords}${s.usageFrom ? ` from ${s.usageFrom} to ${s.usageTo}` : ''}`);
      out(`coupons: ${s.coupons}`);
      out(`statements: ${statementCounts(s.statements)}`);
      const dl = Object.entries(deliveries)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      out(
        `mails: ${dl || 'none'}${deliveries.failed ? ' (usage-charges status --month YYYY-MM shows why; retry --failed requeues them)' : ''}`,
      );
      // Mails that wait, and since when none was delivered: what an unattended operator watches.
      const waiting = backlogLine(backlog);
      if (waiting !== null) out(shown(waiting));
      for (const line of heldLines(openHolds(db))) out(line.trim());
      if (last)
        out(
          `last pass: ${last.status}, started ${last.started_at}${last.finished_at ? `, finished ${last.finished_at}` : ''} (as of ${last.as_of})`,
        );
      if (resends.length > 0) {
        out('');
        out('recent resends:');
        for (const line of table(
          ['at', 'tenant', 'month', 'to', 'reason', 'by'],
          resends.map((r) => [r.at, r.tenant, r.billingMonth, r.to.join(' '), r.reason, r.by]),
        ))
          out(line);
      }
      if (tenants.length > 0) {
        out('');
        const rows = tenants.map((t) => [
          t.tenantName,
          t.displayName,
          t.pendingCutoffDay ? `${t.cutoffDay} (-> ${t.pendingCutoffDay})` : String(t.cutoffDay),
          t.locale,
          t.currency,
          String(t.contacts),
          String(t.lplatforms),
          String(t.usageRecords),
          t.deletedAt ?? '',
        ]);
        for (const line of table(
          ['tenant', 'display name', 'cut-off', 'locale', 'currency', 'contacts', 'L-Platforms', 'usage', 'deleted at'],
          rows,
        ))
          out(line);
        if (s.tenants > tenants.length) out(`... and ${s.tenants - tenants.length} more (--tenants N lists more)`);
      }
    });
}

/** `7 fixed (1 void, 1 replaced), 1 estimated`: voided and replaced revisions are finalized statements too. */
function statementCounts(counts: Record<string, number>): string {
  const { void: voided, replaced, ...byStatus } = counts;
  const ofFixed = [voided ? `${voided} void` : '', replaced ? `${replaced} replaced` : '']
    .filter((p) => p !== '')
    .join(', ');
  const text = Object.entries(byStatus)
    .map(([k, v]) => `${v} ${k}${k === 'fixed' && ofFixed !== '' ? ` (${ofFixed})` : ''}`)
    .join(', ');
  return text || 'none';
}

/** What `stateOf` reads of a statement as it stands. */
type StandingState = Pick<MonthState, 'status' | 'lastError' | 'revision' | 'correctsRevision'>;

/**
 * A statement as it stands in a few words: `fixed`, `fixed (revision 2, corrects 1)` (a re-issue),
 * `fixed (revision 2)` (closed again after a void), `void (revision 1), closed again by the next
 * pass`, `open`, `failed, will retry`, `not closed`.
 */
function stateOf(s: StandingState): string {
  if (s.status === 'fixed') {
    if (s.revision === null || s.revision === 1) return 'fixed';
    return `fixed (revision ${s.revision}${s.correctsRevision !== null ? `, corrects ${s.correctsRevision}` : ''})`;
  }
  if (s.status === 'void') return `void (revision ${s.revision}), closed again by the next pass`;
  if (s.status === null) return 'not closed';
  return s.lastError ? 'failed, will retry' : 'open';
}

/** A statement's mails in a few words: `2 sent`, `1 sent, 1 failed`, `no recipient`. */
function mailState(r: MonthMailState): string {
  if (r.status === 'void') return r.mailsWithdrawn ? `${r.mailsWithdrawn} withdrawn` : '';
  if (r.status !== 'fixed') return '';
  if (r.heldAt !== null) return `held ${r.holdKind === 'operator' ? 'by an operator' : 'for review'} since ${r.heldAt}`;
  const parts = [
    r.mailsSent ? `${r.mailsSent} sent` : '',
    r.mailsPending + r.mailsSending ? `${r.mailsPending + r.mailsSending} pending` : '',
    r.mailsFailed ? `${r.mailsFailed} failed` : '',
    r.mailsWithdrawn ? `${r.mailsWithdrawn} withdrawn` : '',
  ].filter((p) => p !== '');
  if (parts.length === 0) return 'no recipient';
  return parts.join(', ') + (r.resends ? ` (${r.resends} resent)` : '');
}

function printMonth(ctx: CliContext, month: string, json: boolean): void {
  const db = ctx.db();
  const failures = filesFailures(db, month);
  // A fixed statement without files: why writing them failed (the latest `files-failed` record).
  const rows = monthStates(db, month).map((r) => {
    const failure = r.status === 'fixed' && r.zipName === null ? failures.get(r.tenantName) : undefined;
    return { ...r, filesFailed: failure ? `${failure.at}: ${failure.reason}` : null };
  });
  const deliveries = monthDeliveries(db, month);
  if (json) {
    // The JSON keeps the column names of the tables (snake_case), as it always has.
    ctx.output.out(
      JSON.stringify({ statements: rows.map(snakeCaseKeys), deliveries: deliveries.map(snakeCaseKeys) }, null, 2),
    );
    return;
  }
  ctx.output.out(`statements of ${month}:`);
  const lines = table(
    ['tenant', 'state', 'total', 'currency', 'finalized at', 'file', 'mails', 'reason'],
    rows.map((r) => [
      r.tenantName,
      stateOf(r),
      r.total ?? '',
      r.currency,
      r.finalizedAt ?? '',
      r.zipName ?? '',
      mailState(r),
      r.filesFailed !== null ? `files failed at ${r.filesFailed}` : (r.lastError ?? ''),
    ]),
  );
  for (const line of lines) ctx.output.out(line);
  const open = deliveries.filter((d) => d.status !== 'sent' || d.kind === 'resend');
  if (open.length > 0) {
    ctx.output.out('');
    ctx.output.out('mails not sent yet, failed, or resent:');
    for (const line of table(
      ['tenant', 'to', 'kind', 'status', 'attempts', 'next attempt', 'sent at', 'reason / last error', 'by'],
      open.map((d) => [
        d.tenantName,
        d.recipient,
        d.kind,
        d.status,
        String(d.attempts),
        d.nextAttemptAt ?? '',
        d.sentAt ?? '',
        d.kind === 'resend' ? [d.reason, d.lastError ?? ''].filter((x) => x !== '').join('; ') : (d.lastError ?? ''),
        d.requestedBy,
      ]),
    )) {
      ctx.output.out(line);
    }
  }
}

/** A revision's `note` in `history --revisions`: what corrected it or voided it. */
function revisionNote(r: RevisionRow): string {
  if (r.voidedAt !== null) return `voided at ${r.voidedAt} by ${r.voidedBy}: ${r.voidReason}`;
  if (r.correctsRevision !== null) return `corrects ${r.correctsRevision}: ${r.reason} (by ${r.by})`;
  return r.lastError ?? '';
}

/** A revision as `history --json` gives it: the keys of before (snake_case), then the revision's. */
function historyJson(r: RevisionRow, status: string | null): Record<string, unknown> {
  return snakeCaseKeys({
    tenantName: r.tenantName,
    billingMonth: r.billingMonth,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    status,
    total: r.total,
    currency: r.currency,
    finalizedAt: r.finalizedAt,
    lastError: r.lastError,
    zipName: r.zipName,
    revision: r.revision,
    state: r.state,
    correctsRevision: r.correctsRevision,
    reason: r.reason,
    by: r.by,
    voidedAt: r.voidedAt,
    voidedBy: r.voidedBy,
    voidReason: r.voidReason,
  });
}

/** The status of a revision as `status --month` gives a month's statement: `fixed`, `estimated`, `void` or `replaced`. */
const STATUS_OF: Record<RevisionRow['state'], string> = {
  current: 'fixed',
  open: 'estimated',
  void: 'void',
  replaced: 'replaced',
};

/**
 * `usage-charges history --tenant T [--months N] [--revisions]`: a tenant's months, newest first,
 * each with its statement as it stands; with --revisions, every revision of each month.
 */
export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--months <n>', 'how many months', '24')
    .option('--revisions', 'every revision of each month (voided and replaced ones too), with what corrected it')
    .option('--json', 'print them as JSON')
    .action((opts: { tenant: string; months: string; revisions?: boolean; json?: boolean }) => {
      if (!/^\d{1,4}$/.test(opts.months) || Number(opts.months) < 1)
        throw new InputError(`--months: "${opts.months}" must be a whole number from 1`);
      const db = ctx.db();
      requireTenant(db, opts.tenant);
      const revisions = tenantRevisions(db, opts.tenant, Number(opts.months));
      const all = opts.revisions === true;
      const rows = all ? revisions : standingByMonth(revisions);
      const tz = ctx.config().billingTimeZone;
      if (opts.json) {
        ctx.output.out(
          JSON.stringify(
            rows.map((r) => historyJson(r, STATUS_OF[r.state])),
            null,
            2,
          ),
        );
        return;
      }
      const months = new Set(rows.map((r) => r.billingMonth)).size;
      ctx.output.out(
        all
          ? `statements of ${opts.tenant}: ${rows.length} revision(s) of ${months} month(s)`
          : `statements of ${opts.tenant}: ${rows.length}`,
      );
      const period = (r: RevisionRow): string =>
        `${localDate(Date.parse(r.periodStart), tz)} .. ${localDate(Date.parse(r.periodEnd) - 1, tz)}`;
      const head = ['month', 'rev', 'period', 'state', 'total', 'currency', 'finalized at', 'file'];
      const lines = all
        ? table(
            [...head, 'note'],
            rows.map((r) => [
              r.billingMonth,
              String(r.revision),
              period(r),
              r.state,
              r.total ?? '',
              r.currency,
              r.finalizedAt ?? '',
              // Every revision has the same zip name: where it is archived tells them apart.
              r.zipPath ?? '',
              revisionNote(r),
            ]),
          )
        : table(
            head,
            rows.map((r) => [
              r.billingMonth,
              String(r.revision),
              period(r),
              stateOf({ ...r, status: STATUS_OF[r.state] }),
              r.total ?? '',
              r.currency,
              r.finalizedAt ?? '',
              r.zipName ?? '',
            ]),
          );
      for (const line of lines) ctx.output.out(line);
    });
}
