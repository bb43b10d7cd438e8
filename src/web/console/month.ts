/** The billing team's first page: the latest month at a glance (what closed, failed, is held, and the mails). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { latestMonthOverview } from '../../store/monitoring.ts';
import { pageLocale, wordsOf } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import type { WebContext } from '../server.ts';

/** `/` of the billing team. */
export function operatorHome(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const overview = latestMonthOverview(ctx.store);
  const stateWords = { 'failed-to-close': t.failedToClose, held: t.heldCount, 'mail-failed': t.mailsFailed };
  return sendPage(
    reply,
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
}
