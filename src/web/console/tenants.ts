/**
 * The tenants list (`/tenants`, the billing team): search by tenant name or display name (`?q=`,
 * any letter case), 50 a page (`?page=N`), each tenant with its latest month's statement as it
 * stands and its total, linked to that statement's page.
 */
import type { FastifyInstance } from 'fastify';
import { tenantPage, type TenantPage } from '../../store/summary.ts';
import { pageLocale, wordsOf, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import { amountText } from './statement.ts';
import type { WebContext } from '../server.ts';

/** Tenants a page. */
export const TENANTS_PER_PAGE = 50;

/** A tenant's latest statement in the page's words. */
function stateOf(r: TenantPage['rows'][number], t: Words): string {
  if (r.status === null) return t.stNone;
  if (r.status === 'void') return t.cmStateVoid;
  if (r.status === 'estimated') return r.lastError !== null && r.lastError !== '' ? t.stFailedToClose : t.stOpen;
  if (r.heldAt !== null) return t.stHeld;
  return r.correctsRevision !== null ? t.corrected : t.fixed;
}

/** The address of a page of the list, keeping the search. */
function pageHref(q: string, page: number): string {
  const params = new URLSearchParams();
  if (q !== '') params.set('q', q);
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text === '' ? '/tenants' : `/tenants?${text}`;
}

export function registerTenants(app: FastifyInstance, ctx: WebContext): void {
  app.get('/tenants', { config: { access: 'staff' } }, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const query = request.query as Record<string, unknown>;
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 200) : '';
    const pageText = query.page === undefined || query.page === '' ? '1' : query.page;
    const ok = typeof pageText === 'string' && /^[1-9]\d{0,5}$/.test(pageText);
    const page = ok ? Number(pageText) : 1;
    const { total, rows } = tenantPage(ctx.store, q, (page - 1) * TENANTS_PER_PAGE, TENANTS_PER_PAGE);
    const pages = Math.max(1, Math.ceil(total / TENANTS_PER_PAGE));
    return sendPage(
      reply,
      renderPage('console-tenants', frameOf(request, reply, ctx, t.tenants, ok ? {} : { error: t.badPage }), {
        q,
        total,
        first: (page - 1) * TENANTS_PER_PAGE + 1,
        last: (page - 1) * TENANTS_PER_PAGE + rows.length,
        previous: ok && page > 1 ? pageHref(q, Math.min(page - 1, pages)) : null,
        next: ok && page < pages ? pageHref(q, page + 1) : null,
        rows: rows.map((r) => ({
          tenant: r.tenantName,
          displayName: r.displayName,
          deleted: r.deletedAt !== null,
          month: r.billingMonth ?? '',
          href:
            r.billingMonth === null ? null : `/tenants/${encodeURIComponent(r.tenantName)}/months/${r.billingMonth}`,
          state: stateOf(r, t),
          total: r.total === null || r.status === 'estimated' ? '' : `${amountText(r.total, r.currency)} ${r.currency}`,
        })),
      }),
      ok ? 200 : 400,
    );
  });
}
