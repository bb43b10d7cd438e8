/**
 * The audit trail of a tenant's month in the console: the statement page shows the newest entries
 * (AUDIT_ON_PAGE), and `/tenants/:tenant/months/:month/audit` the whole trail, AUDIT_PER_PAGE at a
 * time, newest first, each page linking to the older entries (`?before=` the last entry's key, so a
 * page stays the same while downloads add entries). A month downloaded thousands of times has
 * thousands of entries: the statement page stays light.
 */
import type { FastifyInstance } from 'fastify';
import { auditPage } from '../../store/audit.ts';
import { fill, pageLocale, wordsOf } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import type { WebContext } from '../server.ts';
import { frameOf } from '../sign-in.ts';
import { statementMonth, timeText, type StatementMonth } from './statement.ts';

/** The entries the statement page shows. */
export const AUDIT_ON_PAGE = 10;
/** The entries a page of the whole trail shows. */
export const AUDIT_PER_PAGE = 100;

/** The audit entry's details besides its month, who and why, as `key=value` text. */
function auditDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([k]) => !['billingMonth', 'by', 'reason', 'email'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/**
 * The audit trail of the tenant's month (as `usage-charges audit --tenant T --month M`), newest
 * first: at most `limit` entries older than the entry `before` (or the newest), and the key of the
 * last one shown when older ones remain (else null).
 */
export function auditRows(ctx: WebContext, m: StatementMonth, limit: number, before: number | null = null) {
  const tz = ctx.config.billingTimeZone;
  const entries = auditPage(ctx.store, {
    action: null,
    subject: m.tenantName,
    billingMonth: m.month,
    limit: limit + 1,
    before,
  });
  const shown = entries.slice(0, limit);
  return {
    rows: shown.map((e) => ({
      at: timeText(e.at, tz),
      action: e.action,
      by: String(e.detail.by ?? e.detail.email ?? ''),
      reason: typeof e.detail.reason === 'string' ? e.detail.reason : '',
      detail: auditDetail(e.detail),
    })),
    older: entries.length > limit ? shown.at(-1)!.auditPk : null,
  };
}

export function registerConsoleAudit(app: FastifyInstance, ctx: WebContext): void {
  app.get('/tenants/:tenant/months/:month/audit', { config: { access: 'staff' } }, async (request, reply) => {
    const m = statementMonth(ctx, request.params);
    const q = (request.query as { before?: unknown }).before;
    if (m === undefined || (q !== undefined && (typeof q !== 'string' || !/^[1-9]\d{0,14}$/.test(q))))
      return reply.callNotFound();
    const before = q === undefined ? null : Number(q);
    const t = wordsOf(pageLocale(request));
    const { rows, older } = auditRows(ctx, m, AUDIT_PER_PAGE, before);
    const frame = frameOf(request, reply, ctx, `${t.stAudit}: ${m.tenantName} ${m.month}`);
    return sendPage(
      reply,
      renderPage('console-audit', frame, {
        base: m.base,
        timesIn: fill(t.stTimesIn, { tz: ctx.config.billingTimeZone }),
        audit: rows,
        older: older === null ? null : `${m.base}/audit?before=${older}`,
        newest: before === null ? null : `${m.base}/audit`,
      }),
    );
  });
}
