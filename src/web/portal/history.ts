/**
 * The tenant portal's billing history: 24 months, each month's statement as it stands (fixed,
 * corrected, under review, void), a chart of the monthly totals, each month linked to its Summary,
 * with its archived zip and ECL files to download once the billing team has let it go.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { localDate } from '../../domain/calendar.ts';
import type { Currency, Locale } from '../../domain/vocabulary.ts';
import { archivedZip } from '../../../jobs/build-files.ts';
import { recordAudit } from '../../store/audit.ts';
import { writeTogetherWhenFree } from '../../store/db.ts';
import { loadStatementView } from '../../store/billing.ts';
import { openHolds } from '../../store/holds.ts';
import { hasFiles } from '../../store/statements.ts';
import { buildEclFile, type EclFormat } from '../../statements/ecl-files.ts';
import { standingByMonth, statementRevisions, tenantRevisions, type RevisionRow } from '../../store/revisions.ts';
import type { Db } from '../../store/db.ts';
import { tenantChanges } from '../../store/tenants.ts';
import { personOf } from '../access.ts';
import { Kept } from '../kept.ts';
import { wordsOf, pageLocale, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import type { WebContext } from '../server.ts';
import { chartOf, type ChartKind } from './chart.ts';
import { shownAmount } from './statement-page.ts';

/** A month as its tenant sees it: the revision that stands, and whether it is held for review. */
export interface TenantMonth {
  revision: RevisionRow;
  kind: ChartKind | 'open';
}

/**
 * How a standing revision is shown to its tenant: `held` while the billing team reviews it (held
 * for review or by an operator: no total, no downloads), `corrected` for a re-issue.
 */
function kindOf(r: RevisionRow, held: ReadonlySet<number>): TenantMonth['kind'] {
  if (r.state === 'void') return 'void';
  if (r.state === 'open') return 'open';
  if (held.has(r.statementPk)) return 'held';
  return r.correctsRevision !== null ? 'corrected' : 'fixed';
}

/** The statements of a tenant held now (by review or by an operator). */
function heldOf(db: Db, tenantName: string): Set<number> {
  return new Set(openHolds(db, { tenantName }).map((h) => h.statementPk));
}

/** A tenant's newest `months` months, each as it stands, newest first. */
export function tenantMonths(db: Db, tenantName: string, months: number): TenantMonth[] {
  const held = heldOf(db, tenantName);
  return standingByMonth(tenantRevisions(db, tenantName, months)).map((revision) => ({
    revision,
    kind: kindOf(revision, held),
  }));
}

/** One month of a tenant as it stands, or undefined when it has no statement. */
export function tenantMonth(db: Db, tenantName: string, billingMonth: string): TenantMonth | undefined {
  const revision = standingByMonth(statementRevisions(db, tenantName, billingMonth))[0];
  return revision === undefined ? undefined : { revision, kind: kindOf(revision, heldOf(db, tenantName)) };
}

/** A month's state in the tenant's words. */
export function stateOf(kind: TenantMonth['kind'], t: Words): string {
  return { void: t.void, open: t.open, held: t.held, corrected: t.corrected, fixed: t.fixed }[kind];
}

/** Whether a month's statement is the tenant's to read: fixed or corrected, not under review, not void. */
export function released(m: TenantMonth): boolean {
  return m.kind === 'fixed' || m.kind === 'corrected';
}

/** The downloads of a month: its archived zip (the bytes that were mailed) and its ECL files; none until it is let go. */
export function downloadsOf(m: TenantMonth, t: Words): { href: string; name: string }[] {
  const r = m.revision;
  if (!released(m) || r.zipName === null) return [];
  return [
    { href: `/statements/${r.billingMonth}.zip`, name: r.zipName },
    { href: `/statements/${r.billingMonth}_ecl-detail.csv`, name: t.detailCsv },
    { href: `/statements/${r.billingMonth}_ecl-summary.csv`, name: t.summaryCsv },
    { href: `/statements/${r.billingMonth}_ecl-tiered.csv`, name: t.tieredCsv },
  ];
}

/**
 * `/statements/YYYY-MM.zip`: a tenant's person downloads the archived zip of their month's current
 * statement (checked against its SHA-256, rebuilt from the frozen lines if damaged: the bytes that
 * were mailed); `/statements/YYYY-MM_ecl-detail.csv` (`ecl-summary`, `ecl-tiered`): its ECL file,
 * in the encoding of its statement files. Each download is audited. The tenant is the session's, never
 * the address's: there is no other tenant's statement to ask for. Only a month's current revision
 * that is not held for review is offered; anything else is 404.
 */
export function registerDownloads(app: FastifyInstance, ctx: WebContext): void {
  app.get('/statements/:file', { config: { access: 'tenant' } }, async (request, reply) => {
    const session = personOf(request);
    const m = /^(\d{4}-(?:0[1-9]|1[0-2]))(?:\.zip|_(ecl-detail|ecl-summary|ecl-tiered)\.csv)$/.exec(
      (request.params as { file: string }).file,
    );
    const tenantName = session.user.tenantName;
    const month = m?.[1];
    const standing = month === undefined || tenantName === null ? undefined : tenantMonth(ctx.store, tenantName, month);
    const statementPk = standing?.revision.statementPk;
    if (standing === undefined || !released(standing) || statementPk === undefined || !hasFiles(ctx.store, statementPk))
      return reply.callNotFound();
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
    // Audited before the bytes go out; waiting for the store's lock (a pass) without holding up
    // other pages, together with the other downloads waiting meanwhile.
    await writeTogetherWhenFree(ctx.store, () =>
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

/** The rows and chart of a tenant's history page, made of the tenant's rows only. */
function historyData(ctx: WebContext, tenantName: string, locale: Locale) {
  const t = wordsOf(locale);
  const tz = ctx.config.billingTimeZone;
  const months = tenantMonths(ctx.store, tenantName, 24);
  // A total only for what the tenant was sent: not while under review, not for a void or open month.
  const totalOf = (m: TenantMonth): string | null =>
    released(m) && m.revision.total !== null
      ? shownAmount(m.revision.total, m.revision.currency as Currency, locale)
      : null;
  const rows = months.map((m) => ({
    month: m.revision.billingMonth,
    href: m.kind === 'open' ? null : `/months/${m.revision.billingMonth}`,
    period: `${localDate(Date.parse(m.revision.periodStart), tz)} – ${localDate(Date.parse(m.revision.periodEnd) - 1, tz)}`,
    kind: m.kind,
    state: stateOf(m.kind, t),
    total: totalOf(m) ?? '',
    files: downloadsOf(m, t),
  }));
  const chart = chartOf(
    months.flatMap((m) =>
      m.kind === 'open'
        ? []
        : [
            {
              month: m.revision.billingMonth,
              kind: m.kind,
              total: totalOf(m) === null ? null : m.revision.total,
              currency: m.revision.currency as Currency,
              state: stateOf(m.kind, t),
            },
          ],
    ),
    locale,
    t,
  );
  return { rows, chart };
}

/**
 * The history pages shown most recently (1,000 tenants and languages), each under the tenant's
 * number of changes (tenantChanges): shown again until anything of the tenant changes, by anyone.
 */
const shownHistories = new Kept<ReturnType<typeof historyData>>(1000);

/** `/` of a tenant's person: the billing history of their tenant, with the chart of its totals. */
export function tenantHome(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply {
  const locale = pageLocale(request);
  const t = wordsOf(locale);
  const { user } = personOf(request);
  const tenantName = user.tenantName;
  if (tenantName === null) throw new Error('a tenant page for a person of no tenant');
  // The number first, then the rows: what is kept under it is never older than it.
  const changes = tenantChanges(ctx.store, tenantName);
  const data =
    changes === undefined
      ? historyData(ctx, tenantName, locale)
      : shownHistories.get(ctx.store, [tenantName, changes, locale].join('\n'), () =>
          historyData(ctx, tenantName, locale),
        )!;
  return sendPage(reply, renderPage('tenant-home', frameOf(request, reply, ctx, `${t.history}: ${tenantName}`), data));
}
