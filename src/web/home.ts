/**
 * The first page after signing in: for the billing team, the latest month at a glance (what
 * closed, failed, is held, and the mails); for a tenant's people, their billing history (24 months,
 * each month's statement as it stands).
 */
import type { FastifyInstance } from 'fastify';
import { localDate } from '../domain/calendar.ts';
import { latestMonthOverview } from '../store/monitoring.ts';
import { standingRevision, tenantRevisions, type RevisionRow } from '../store/revisions.ts';
import { wordsOf, type Words } from './i18n.ts';
import { renderPage } from './pages.ts';
import { frameOf, pageLocale } from './sign-in.ts';
import type { WebContext } from './server.ts';

/** A month's state in the tenant's words. */
function stateOf(r: RevisionRow, t: Words): string {
  if (r.state === 'void') return t.void;
  if (r.state === 'open') return t.open;
  return r.correctsRevision !== null ? t.corrected : t.fixed;
}

export function registerHome(app: FastifyInstance, ctx: WebContext): void {
  app.get('/', async (request, reply) => {
    const session = request.session;
    if (session === null) return reply.redirect('/sign-in', 303);
    const locale = pageLocale(request);
    const t = wordsOf(locale);
    const html = (page: string) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
    const { user } = session;
    if (user.tenantName !== null) {
      const tz = ctx.config.billingTimeZone;
      const byMonth = new Map<string, RevisionRow[]>();
      for (const r of tenantRevisions(ctx.store, user.tenantName, 24))
        byMonth.set(r.billingMonth, [...(byMonth.get(r.billingMonth) ?? []), r]);
      const rows = [...byMonth.values()]
        .map((revisions) => standingRevision(revisions)!)
        .map((r) => ({
          month: r.billingMonth,
          period: `${localDate(Date.parse(r.periodStart), tz)} – ${localDate(Date.parse(r.periodEnd) - 1, tz)}`,
          state: stateOf(r, t),
          total: r.total === null || r.state === 'open' ? '' : `${r.total} ${r.currency}`,
        }));
      return html(
        renderPage('tenant-home', frameOf(request, reply, ctx, `${t.history}: ${user.tenantName}`), { rows }),
      );
    }
    const overview = latestMonthOverview(ctx.store);
    const stateWords = { 'failed-to-close': t.failedToClose, held: t.heldCount, 'mail-failed': t.mailsFailed };
    return html(
      renderPage('operator-home', frameOf(request, reply, ctx, t.monthOverview), {
        month: overview?.month ?? null,
        counts:
          overview === null
            ? []
            : [
                { label: t.closed, value: overview.counts.closed },
                { label: t.failedToClose, value: overview.counts.failedToClose },
                { label: t.voided, value: overview.counts.voided },
                { label: t.heldCount, value: overview.counts.held },
                { label: t.mailsSent, value: overview.counts.sent },
                { label: t.mailsWaiting, value: overview.counts.waiting },
                { label: t.mailsFailed, value: overview.counts.failed },
              ],
        attention: (overview?.attention ?? []).map((a) => ({ ...a, state: stateWords[a.state] })),
      }),
    );
  });
}
