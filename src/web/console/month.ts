/**
 * The billing team's first page: a month at a glance (`/?month=YYYY-MM`, the latest month with
 * statements by default): its statements by state (a chart and the counts, as `status --month`
 * reads them), their mails, what needs attention (each tenant linked to its statement page), and
 * the passes: the next scheduled one, the next mail retry and hold release, the one running (the
 * month-end lease) and the last one, with "run a pass now" for operators. Also registers the
 * console's tenants list, import upload and pass button.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nextHoldRelease } from '../../../jobs/review.ts';
import { nextCronRun } from '../../../jobs/scheduler.ts';
import { localParts } from '../../domain/calendar.ts';
import { computedWhileUnchanged } from '../../store/db.ts';
import { openHolds } from '../../store/holds.ts';
import { nextAttemptAt } from '../../store/outbox.ts';
import { listRuns, type RunRecord } from '../../store/runs.ts';
import { failedMonthDeliveries, filesFailures, monthStates, statementMonths } from '../../store/summary.ts';
import { allowed, personOf } from '../access.ts';
import { pageLocale, wordsOf, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import { webJobContext, type WebContext } from '../server.ts';
import { registerImports } from './imports.ts';
import { registerPasses, runningPass, type RunningPass } from './passes.ts';
import { registerTenants } from './tenants.ts';

/** A month's statements by state, each in one state only (the chart's bars, in this order). */
const STATES = ['closed', 'held', 'filesFailed', 'failedToClose', 'open', 'void'] as const;
type StatementState = (typeof STATES)[number];

const STATE_WORDS: Record<StatementState, keyof Words> = {
  closed: 'closed',
  held: 'stHeld',
  filesFailed: 'stFilesFailed',
  failedToClose: 'stFailedToClose',
  open: 'stOpen',
  void: 'cmStateVoid',
};

/** What needs an operator, in this order. */
type AttentionKind = 'failedToClose' | 'filesFailed' | 'held' | 'mailFailed' | 'noRecipient';
const ATTENTION_ORDER: readonly AttentionKind[] = ['failedToClose', 'filesFailed', 'held', 'mailFailed', 'noRecipient'];
/** The attention list shows at most this many. */
const ATTENTION_SHOWN = 100;

/** A month's counts, as `usage-charges status --month` gives its statements. */
export interface MonthCounts {
  statements: Record<StatementState, number>;
  mails: { sent: number; retrying: number; failed: number; noRecipient: number };
  attention: { tenant: string; kind: AttentionKind; reason: string }[];
}

/** Counts a month's statements by state and their mails, and lists what needs attention. */
export function monthCounts(ctx: WebContext, month: string, t: Words): MonthCounts {
  const db = ctx.store;
  const tz = ctx.config.billingTimeZone;
  const failures = filesFailures(db, month);
  const holds = new Map(openHolds(db, { billingMonth: month }).map((h) => [h.tenantName, h]));
  const statements = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<StatementState, number>;
  const mails = { sent: 0, retrying: 0, failed: 0, noRecipient: 0 };
  const attention: MonthCounts['attention'] = [];
  for (const r of monthStates(db, month)) {
    if (r.status === null) continue;
    if (r.status === 'void') {
      statements.void++;
      continue;
    }
    if (r.status === 'estimated') {
      if (r.lastError !== null && r.lastError !== '') {
        statements.failedToClose++;
        attention.push({ tenant: r.tenantName, kind: 'failedToClose', reason: r.lastError });
      } else statements.open++;
      continue;
    }
    const filesFailed = r.zipName === null ? failures.get(r.tenantName) : undefined;
    const hold = r.heldAt !== null ? holds.get(r.tenantName) : undefined;
    if (filesFailed !== undefined) {
      statements.filesFailed++;
      attention.push({
        tenant: r.tenantName,
        kind: 'filesFailed',
        reason: `${filesFailed.reason} (${filesFailed.at})`,
      });
    } else if (r.heldAt !== null) statements.held++;
    else statements.closed++;
    if (r.heldAt !== null)
      attention.push({
        tenant: r.tenantName,
        kind: 'held',
        reason:
          hold === undefined || hold.kind === 'review'
            ? `${t.reasonReview} (${t.since.replace('{at}', shownTime(r.heldAt, tz))})`
            : `${hold.heldBy}: ${hold.reason} (${t.since.replace('{at}', shownTime(hold.heldAt, tz))})`,
      });
    mails.sent += r.mailsSent;
    mails.retrying += r.mailsPending + r.mailsSending;
    mails.failed += r.mailsFailed;
    // As `status --month` says "no recipient": closed, not held, and no mail of any kind.
    if (r.heldAt === null && r.mailsSent + r.mailsPending + r.mailsSending + r.mailsFailed + r.mailsWithdrawn === 0) {
      mails.noRecipient++;
      attention.push({ tenant: r.tenantName, kind: 'noRecipient', reason: t.reasonNoRecipient });
    }
  }
  for (const d of failedMonthDeliveries(db, month))
    attention.push({ tenant: d.tenantName, kind: 'mailFailed', reason: `${d.recipient}: ${d.lastError ?? ''}` });
  attention.sort(
    (a, b) =>
      ATTENTION_ORDER.indexOf(a.kind) - ATTENTION_ORDER.indexOf(b.kind) ||
      (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0),
  );
  return { statements, mails, attention };
}

/** An instant in a time zone: `2026-11-03 09:00 (Asia/Tokyo)`. */
function shownTime(iso: string | Date | null, timeZone: string): string {
  if (iso === null) return '';
  const p = localParts(typeof iso === 'string' ? Date.parse(iso) : iso.getTime(), timeZone);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)} (${timeZone})`;
}

/**
 * The chart of a month's statements: one bar per state under its label, its count after it
 * (positions in SVG units; labels above the bars keep them legible on a phone).
 */
function chartOf(counts: Record<StatementState, number>, t: Words, month: string) {
  const max = Math.max(1, ...STATES.map((s) => counts[s]));
  const row = 46;
  const barMax = 330;
  const bars = STATES.map((s, i) => {
    const width = counts[s] === 0 ? 0 : Math.max(2, Math.round((counts[s] / max) * barMax));
    return {
      cls: `bar-${s}`,
      label: t[STATE_WORDS[s]],
      count: counts[s],
      labelY: i * row + 16,
      y: i * row + 22,
      countY: i * row + 37,
      width,
      countX: width + 8,
    };
  });
  return {
    width: 400,
    height: STATES.length * row,
    barHeight: 18,
    bars,
    aria: `${t.chartLabel} ${month}: ${bars.map((b) => `${b.label} ${b.count}`).join(', ')}`,
  };
}

/** A recorded pass as the page shows it. */
function lastPassOf(run: RunRecord | undefined, t: Words, timeZone: string) {
  if (run === undefined) return null;
  const status =
    run.status === 'ok'
      ? t.passOk
      : run.status === 'failed'
        ? t.passFailed
        : run.status === 'interrupted'
          ? t.passInterrupted
          : t.passRunning;
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(run.summary) as Record<string, unknown>;
  } catch {
    // An unreadable summary shows no counts.
  }
  const counts = (
    [
      ['closed', t.pcClosed],
      ['closeFailed', t.pcCloseFailed],
      ['filesFailed', t.pcFilesFailed],
      ['sent', t.pcSent],
      ['retrying', t.pcRetrying],
      ['deliveriesFailed', t.pcMailsFailed],
    ] as const
  )
    .filter(([k]) => typeof summary[k] === 'number')
    .map(([k, label]) => `${label} ${String(summary[k])}`)
    .join(', ');
  return {
    status,
    failed: run.status === 'failed' || run.status === 'interrupted',
    startedAt: shownTime(run.startedAt, timeZone),
    finishedAt: shownTime(run.finishedAt, timeZone),
    asOf: shownTime(run.asOf, timeZone),
    counts,
  };
}

/** The page's data for a month (null: no statement yet). */
function dashboard(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  month: string | null,
  extra: { notice?: string; error?: string; code?: number },
): FastifyReply {
  const locale = pageLocale(request);
  const t = wordsOf(locale);
  const tz = ctx.config.billingTimeZone;
  const months = statementMonths(ctx.store);
  const shown = month ?? months[0] ?? null;
  const running = runningPass(ctx);
  const now = ctx.now();
  // Counted once per change of the store: counting a month of 10,000 tenants takes a few hundred
  // milliseconds, during which the server answers nobody.
  const counts =
    shown === null
      ? null
      : computedWhileUnchanged(ctx.store, `month-counts ${locale} ${shown}`, () => monthCounts(ctx, shown, t));
  const attentionWords: Record<AttentionKind, string> = {
    failedToClose: t.stFailedToClose,
    filesFailed: t.stFilesFailed,
    held: t.stHeld,
    mailFailed: t.reasonMailFailed,
    noRecipient: t.mlNoRecipient,
  };
  const nextPass = nextCronRun(ctx.config.cronSchedule, ctx.config.cronTimeZone);
  const nextRetry = nextAttemptAt(ctx.store, now.toISOString());
  const nextRelease = nextHoldRelease(webJobContext(ctx));
  return sendPage(
    reply,
    renderPage(
      'operator-home',
      frameOf(request, reply, ctx, t.monthOverview, {
        ...(extra.notice === undefined ? {} : { notice: extra.notice }),
        ...(extra.error === undefined ? {} : { error: extra.error }),
      }),
      {
        month: shown,
        months: months.includes(shown ?? '') || shown === null ? months : [shown, ...months],
        operator: allowed('operator', personOf(request).user.role),
        chart: counts === null || shown === null ? null : chartOf(counts.statements, t, shown),
        counts: counts === null ? [] : STATES.map((s) => ({ label: t[STATE_WORDS[s]], value: counts.statements[s] })),
        mails:
          counts === null
            ? []
            : [
                { label: t.mlSent, value: counts.mails.sent },
                { label: t.mlRetrying, value: counts.mails.retrying },
                { label: t.mlFailed, value: counts.mails.failed },
                { label: t.mlNoRecipient, value: counts.mails.noRecipient },
              ],
        attention: (counts?.attention ?? []).slice(0, ATTENTION_SHOWN).map((a) => ({
          tenant: a.tenant,
          href: `/tenants/${encodeURIComponent(a.tenant)}/months/${shown}`,
          state: attentionWords[a.kind],
          reason: a.reason,
        })),
        attentionTotal: counts?.attention.length ?? 0,
        attentionShown: ATTENTION_SHOWN,
        nextPass:
          nextPass === null
            ? t.none
            : `${shownTime(nextPass, ctx.config.cronTimeZone)} · CRON_SCHEDULE "${ctx.config.cronSchedule}"`,
        nextRetry: nextRetry === null ? t.none : shownTime(nextRetry, tz),
        nextRelease: nextRelease === null ? t.none : shownTime(nextRelease, tz),
        running: running === null ? null : runningOf(running, t, tz),
        lastPass: lastPassOf(listRuns(ctx.store, 1, 'pass')[0], t, tz),
      },
    ),
    extra.code ?? 200,
  );
}

/** The running pass in words: who holds the lease since when (and who asked for it on the web). */
function runningOf(r: RunningPass, t: Words, timeZone: string): string {
  return [
    r.owner === null ? t.passStarting : `${t.passHeldBy} ${r.owner}`,
    `${t.passStartedAt} ${shownTime(r.since, timeZone)}`,
    r.requestedBy === null ? '' : `${t.passRequestedBy} ${r.requestedBy}`,
  ]
    .filter((p) => p !== '')
    .join(' · ');
}

/** `/` of the billing team. */
export function operatorHome(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const query = request.query as Record<string, unknown>;
  const asked = query.month;
  const notice = query.pass === 'started' ? t.passStarted : undefined;
  if (asked === undefined || asked === '')
    return dashboard(request, reply, ctx, null, notice === undefined ? {} : { notice });
  if (typeof asked !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(asked))
    return dashboard(request, reply, ctx, null, { error: t.badMonth, code: 400 });
  return dashboard(request, reply, ctx, asked, notice === undefined ? {} : { notice });
}

/** The console's routes beside `/`: the tenants list, the import upload and "run a pass now". */
export function registerConsoleMonth(app: FastifyInstance, ctx: WebContext): void {
  registerTenants(app, ctx);
  registerImports(app, ctx);
  registerPasses(app, ctx, (request, reply, running) => {
    const t = wordsOf(pageLocale(request));
    return dashboard(request, reply, ctx, null, {
      error: `${t.passBusy}: ${runningOf(running, t, ctx.config.billingTimeZone)}`,
      code: 409,
    });
  });
}
