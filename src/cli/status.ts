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
  tenantHistory,
  type MonthMailState,
  type MonthState,
} from '../store/summary.ts';
import { DB_FILE_NAME } from '../store/db.ts';
import { listRuns } from '../store/runs.ts';
import type { CliContext } from './context.ts';
import { parseMonth } from './options.ts';
import { heldLines, shown, snakeCaseKeys, table } from './output.ts';
import { openHolds } from '../store/holds.ts';
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
      out(`store: ${config.dataDir}/${DB_FILE_NAME} (schema version ${s.schemaVersion})`);
      out(`billing time zone: ${config.billingTimeZone}`);
      out(`tenants: ${s.tenants} (${s.deletedTenants} deleted)`);
      out(`contacts: ${s.contacts} (${s.activeContacts} active)`);
      out(`L-Platforms: ${s.lplatforms} (${s.returnedLplatforms} returned)`);
      out(`catalog: ${s.catalogRows} rows, ${s.products} products`);
      out(`usage records: ${s.usageRecords}${s.usageFrom ? ` from ${s.usageFrom} to ${s.usageTo}` : ''}`);
      out(`coupons: ${s.coupons}`);
      const st = Object.entries(s.statements)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      out(`statements: ${st || 'none'}`);
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

function stateOf(s: MonthState): string {
  if (s.status === 'fixed') return 'fixed';
  if (s.status === null) return 'not closed';
  return s.lastError ? 'failed, will retry' : 'open';
}

/** A statement's mails in a few words: `2 sent`, `1 sent, 1 failed`, `no recipient`. */
function mailState(r: MonthMailState): string {
  if (r.status !== 'fixed') return '';
  if (r.heldAt !== null) return `held ${r.holdKind === 'operator' ? 'by an operator' : 'for review'} since ${r.heldAt}`;
  const parts = [
    r.mailsSent ? `${r.mailsSent} sent` : '',
    r.mailsPending + r.mailsSending ? `${r.mailsPending + r.mailsSending} pending` : '',
    r.mailsFailed ? `${r.mailsFailed} failed` : '',
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

/** `usage-charges history --tenant T [--months N]`: a tenant's statements, newest first. */
export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--months <n>', 'how many months', '24')
    .option('--json', 'print them as JSON')
    .action((opts: { tenant: string; months: string; json?: boolean }) => {
      if (!/^\d{1,4}$/.test(opts.months) || Number(opts.months) < 1)
        throw new InputError(`--months: "${opts.months}" must be a whole number from 1`);
      const db = ctx.db();
      requireTenant(db, opts.tenant);
      const rows = tenantHistory(db, opts.tenant, Number(opts.months));
      const tz = ctx.config().billingTimeZone;
      if (opts.json) {
        ctx.output.out(JSON.stringify(rows.map(snakeCaseKeys), null, 2));
        return;
      }
      ctx.output.out(`statements of ${opts.tenant}: ${rows.length}`);
      for (const line of table(
        ['month', 'period', 'state', 'total', 'currency', 'finalized at', 'file'],
        rows.map((r) => [
          r.billingMonth ?? '',
          `${localDate(Date.parse(r.periodStart), tz)} .. ${localDate(Date.parse(r.periodEnd) - 1, tz)}`,
          stateOf(r),
          r.total ?? '',
          r.currency,
          r.finalizedAt ?? '',
          r.zipName ?? '',
        ]),
      )) {
        ctx.output.out(line);
      }
    });
}
