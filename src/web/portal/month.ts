/**
 * The tenant portal's month pages: `/months/YYYY-MM`, the Summary of a month's statement as it
 * stands (the frozen lines of its current revision, the same the statement files are built from),
 * and `/estimate`, the open month so far (the same estimate as `usage-charges estimate`). The
 * tenant is always the session's; a month it has no statement of (or one not finalized) is 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { estimate } from '../../../jobs/estimate.ts';
import { localDate } from '../../domain/calendar.ts';
import type { Currency, Locale } from '../../domain/vocabulary.ts';
import { loadStatementView } from '../../store/billing.ts';
import { correctionOf, statementRevisions, type RevisionRow } from '../../store/revisions.ts';
import { personOf } from '../access.ts';
import { pageLocale, wordsOf, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import { webJobContext, type WebContext } from '../server.ts';
import { downloadsOf, released, stateOf, tenantMonth, type TenantMonth } from './history.ts';
import { shownAmount, statementBody } from './statement-page.ts';
import { fill } from '../i18n.ts';

const MONTH = /^\d{4}-(?:0[1-9]|1[0-2])$/;

/** The tenant of a tenant page's person. */
function tenantOf(request: FastifyRequest): string {
  const name = personOf(request).user.tenantName;
  if (name === null) throw new Error('a tenant page for a person of no tenant');
  return name;
}

/**
 * What a revision says of the ones before it: the revision it corrects (with that one's total and
 * the reason), or the voided revision it was closed again after; '' for a first statement.
 */
function revisionNote(db: WebContext['store'], m: TenantMonth, locale: Locale, t: Words): string {
  const r = m.revision;
  const money = (total: string | null): string => shownAmount(total ?? '0', r.currency as Currency, locale);
  if (r.correctsRevision !== null) {
    const c = correctionOf(db, r.statementPk);
    if (c !== null)
      return fill(t.pmCorrectsNote, { n: c.previousRevision, total: money(c.previousTotal), reason: c.reason });
  }
  if (r.revision > 1) {
    const voided = statementRevisions(db, r.tenantName, r.billingMonth)
      .filter((e: RevisionRow) => e.revision < r.revision && e.state === 'void')
      .at(-1);
    if (voided !== undefined) return fill(t.pmReclosedNote, { n: voided.revision });
  }
  return '';
}

/** `/months/YYYY-MM`: the Summary of the session's tenant's month. */
function monthPage(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply | void {
  const month = (request.params as { month: string }).month;
  const tenantName = tenantOf(request);
  const m = MONTH.test(month) ? tenantMonth(ctx.store, tenantName, month) : undefined;
  if (m === undefined || m.kind === 'open') return reply.callNotFound();
  const locale = pageLocale(request);
  const t = wordsOf(locale);
  const tz = ctx.config.billingTimeZone;
  const r = m.revision;
  const view = released(m) ? loadStatementView(ctx.store, r.statementPk) : null;
  return sendPage(
    reply,
    renderPage('portal-month', frameOf(request, reply, ctx, `${t.pmSummaryOf}: ${month}`), {
      facts: [
        { label: t.tenant, value: view === null ? tenantName : `${view.tenant.displayName} (${tenantName})` },
        { label: t.month, value: month },
        {
          label: t.period,
          value: `${localDate(Date.parse(r.periodStart), tz)} – ${localDate(Date.parse(r.periodEnd) - 1, tz)}`,
        },
        { label: t.state, value: stateOf(m.kind, t) },
        { label: t.revision, value: fill(t.pmRevisionIs, { n: r.revision }) },
      ],
      kind: m.kind,
      note: m.kind === 'held' ? t.pmHeldNote : m.kind === 'void' ? t.pmVoidNote : revisionNote(ctx.store, m, locale, t),
      body: view === null ? null : statementBody(view, locale, t),
      noUsage: t.pmNoLplatforms,
      files: downloadsOf(m, t),
    }),
  );
}

/** `/estimate`: the session's tenant's open month so far, up to the end of yesterday (billing time zone). */
function estimatePage(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply {
  const tenantName = tenantOf(request);
  const locale = pageLocale(request);
  const t = wordsOf(locale);
  const tz = ctx.config.billingTimeZone;
  const result = estimate(webJobContext(ctx), { tenant: tenantName, asOf: ctx.now() });
  const frame = frameOf(request, reply, ctx, t.pmEstimateTitle);
  if (!result.ok) return sendPage(reply, renderPage('portal-estimate', frame, { none: t.pmEstimateNone }));
  const { view, period, usedUntil } = result;
  const counted = usedUntil > period.start;
  const body = statementBody(view, locale, t);
  return sendPage(
    reply,
    renderPage('portal-estimate', frame, {
      none: '',
      facts: [
        { label: t.tenant, value: `${view.tenant.displayName} (${tenantName})` },
        { label: t.month, value: period.billingMonth },
        { label: t.period, value: `${localDate(period.start, tz)} – ${localDate(period.end - 1, tz)}` },
      ],
      upTo: counted ? fill(t.pmEstimateUpTo, { date: localDate(usedUntil - 1, tz), tz }) : t.pmEstimateFirstDay,
      // No L-Platform charged yet: said in a sentence, the (zero) totals still shown.
      noUsage: t.pmEstimateNoUsage,
      body,
    }),
  );
}

/** Registers the month's Summary and the estimate, for a tenant's owners and admins. */
export function registerPortalMonth(app: FastifyInstance, ctx: WebContext): void {
  app.get('/months/:month', { config: { access: 'tenant' } }, async (request, reply) => monthPage(request, reply, ctx));
  app.get('/estimate', { config: { access: 'tenant' } }, async (request, reply) => estimatePage(request, reply, ctx));
}
