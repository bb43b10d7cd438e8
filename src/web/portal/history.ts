/**
 * The tenant portal's billing history: 24 months, each month's statement as it stands, with its
 * archived zip and ECL files to download.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { localDate } from '../../domain/calendar.ts';
import { archivedZip } from '../../../jobs/build-files.ts';
import { recordAudit } from '../../store/audit.ts';
import { writeWhenFree } from '../../store/db.ts';
import { loadStatementView } from '../../store/billing.ts';
import { fixedStatementPk, hasFiles } from '../../store/statements.ts';
import { buildEclFile, type EclFormat } from '../../statements/ecl-files.ts';
import { standingByMonth, tenantRevisions, type RevisionRow } from '../../store/revisions.ts';
import { personOf } from '../access.ts';
import { wordsOf, pageLocale, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import type { WebContext } from '../server.ts';

/** A month's state in the tenant's words. */
function stateOf(r: RevisionRow, t: Words): string {
  if (r.state === 'void') return t.void;
  if (r.state === 'open') return t.open;
  return r.correctsRevision !== null ? t.corrected : t.fixed;
}

/**
 * `/statements/YYYY-MM.zip`: a tenant's person downloads the archived zip of their month's current
 * statement (checked against its SHA-256, rebuilt from the frozen lines if damaged: the bytes that
 * were mailed); `/statements/YYYY-MM_ecl-detail.csv` (`ecl-summary`, `ecl-tiered`): its ECL file,
 * in the encoding of its statement files. Each download is audited. The tenant is the session's, never the address's: there is no other
 * tenant's statement to ask for; anything else is 404.
 */
export function registerDownloads(app: FastifyInstance, ctx: WebContext): void {
  app.get('/statements/:file', { config: { access: 'tenant' } }, async (request, reply) => {
    const session = personOf(request);
    const m = /^(\d{4}-(?:0[1-9]|1[0-2]))(?:\.zip|_(ecl-detail|ecl-summary|ecl-tiered)\.csv)$/.exec(
      (request.params as { file: string }).file,
    );
    const tenantName = session.user.tenantName;
    const month = m?.[1];
    const statementPk =
      month === undefined || tenantName === null ? undefined : fixedStatementPk(ctx.store, tenantName, month);
    if (statementPk === undefined || !hasFiles(ctx.store, statementPk)) return reply.callNotFound();
    const format = m![2] as EclFormat | undefined;
    let name: string;
    let bytes: Buffer;
    if (format === undefined) {
      ({ name, bytes } = await archivedZip(ctx.store, ctx.config, statementPk));
    } else {
      // The ECL file of the frozen statement, in the encoding its statement files are written in.
      const view = loadStatementView(ctx.store, statementPk);
      name = `${month!.replace('-', '')}_${tenantName}_${format}.csv`;
      bytes = buildEclFile(format, [view], { encoding: view.files?.encoding ?? 'utf8', fileName: name });
    }
    // Audited before the bytes go out; waiting for the store's lock (a pass) without holding up other pages.
    await writeWhenFree(ctx.store, () =>
      recordAudit(ctx.store, ctx.now().toISOString(), 'download', tenantName!, {
        billingMonth: month,
        file: name,
        email: session.user.email,
      }),
    );
    return reply
      .type(format === undefined ? 'application/zip' : 'text/csv')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store')
      .send(bytes);
  });
}

/** `/` of a tenant's person: the billing history of their tenant. */
export function tenantHome(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const { user } = personOf(request);
  if (user.tenantName === null) throw new Error('a tenant page for a person of no tenant');
  const tz = ctx.config.billingTimeZone;
  const rows = standingByMonth(tenantRevisions(ctx.store, user.tenantName, 24)).map((r) => ({
    month: r.billingMonth,
    period: `${localDate(Date.parse(r.periodStart), tz)} – ${localDate(Date.parse(r.periodEnd) - 1, tz)}`,
    state: stateOf(r, t),
    total: r.total === null || r.state === 'open' ? '' : `${r.total} ${r.currency}`,
    // The archived zip of the month's current statement (the bytes that were mailed) and its ECL files.
    files:
      r.state === 'current' && r.zipName !== null
        ? [
            { href: `/statements/${r.billingMonth}.zip`, name: r.zipName },
            { href: `/statements/${r.billingMonth}_ecl-detail.csv`, name: 'Detail CSV' },
            { href: `/statements/${r.billingMonth}_ecl-summary.csv`, name: 'Summary CSV' },
            { href: `/statements/${r.billingMonth}_ecl-tiered.csv`, name: t.tieredCsv },
          ]
        : [],
  }));
  return sendPage(
    reply,
    renderPage('tenant-home', frameOf(request, reply, ctx, `${t.history}: ${user.tenantName}`), { rows }),
  );
}
