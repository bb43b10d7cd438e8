/**
 * The operator console's statement page, `/tenants/:tenant/months/:month` (operators and viewers):
 * a tenant's month as it stands (its current revision and state, its frozen lines and totals), its
 * archived zips to download, every mail and what the server said, every revision and the audit
 * trail; an operator also sees the actions (statement-actions.ts). Unknown tenant or month, or a
 * month with no statement: 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { archivedZip } from '../../../jobs/build-files.ts';
import { localDate, localParts } from '../../domain/calendar.ts';
import { Decimal, minorDigits } from '../../domain/money.ts';
import type { Currency, Locale } from '../../domain/vocabulary.ts';
import type { ChargeLine } from '../../rating/types.ts';
import { recordAudit } from '../../store/audit.ts';
import { loadStatementView } from '../../store/billing.ts';
import { openHold, type OpenHold } from '../../store/holds.ts';
import { activeRecipients, tenantMonthDeliveries, type MonthDelivery } from '../../store/outbox.ts';
import { standingByMonth, statementRevisions, type RevisionRow } from '../../store/revisions.ts';
import { tenantMonthFiles, type RevisionFile } from '../../store/statements.ts';
import { findStoredTenant, tenantChanges, type StoredTenant } from '../../store/tenants.ts';
import { groupedDigits } from '../../mail/render.ts';
import { money, statementEncoding } from '../../statements/csv.ts';
import { writeWhenFree, type Db } from '../../store/db.ts';
import { formatUnitPrice, formatUsedFrequency } from '../../statements/ror-files.ts';
import { fileLayout } from '../../statements/view.ts';
import { personOf } from '../access.ts';
import { fill, pageLocale, wordsOf, type Words } from '../i18n.ts';
import { renderPage, sendPage } from '../pages.ts';
import type { WebContext } from '../server.ts';
import { Kept } from '../kept.ts';
import { frameOf } from '../sign-in.ts';
import { AUDIT_ON_PAGE, auditRows, registerConsoleAudit } from './audit.ts';
import { registerStatementActions } from './statement-actions.ts';

/** A tenant's month that has a statement: the tenant, every revision, and the one that stands. */
export interface StatementMonth {
  tenantName: string;
  tenant: StoredTenant;
  month: string;
  revisions: RevisionRow[];
  /** The current revision; else the open one (a close that failed); else the latest voided one. */
  standing: RevisionRow;
  /** The page's address. */
  base: string;
}

const MONTH = /^\d{4}-(?:0[1-9]|1[0-2])$/;

/** The month of the address, or undefined (404) when the tenant or month is unknown or has no statement. */
export function statementMonth(ctx: WebContext, params: unknown): StatementMonth | undefined {
  const { tenant: tenantName, month } = params as { tenant: string; month: string };
  if (!MONTH.test(month)) return undefined;
  const tenant = findStoredTenant(ctx.store, tenantName);
  if (tenant === undefined) return undefined;
  const revisions = statementRevisions(ctx.store, tenantName, month);
  const [standing] = standingByMonth(revisions);
  if (standing === undefined) return undefined;
  return {
    tenantName,
    tenant,
    month,
    revisions,
    standing,
    base: `/tenants/${encodeURIComponent(tenantName)}/months/${month}`,
  };
}

/** An amount as the page shows it: the currency's digits (more when it has more), thousands grouped. */
export function amountText(value: Decimal | string, currency: string): string {
  return groupedDigits(money(new Decimal(value), minorDigits(currency as Currency)));
}

/** A signed amount: `+120`, `-1,345`, `0`. */
export function signedText(value: string, currency: string): string {
  const d = new Decimal(value);
  return `${d.greaterThan(0) ? '+' : ''}${amountText(d, currency)}`;
}

/** A stored instant as the page shows it, in the billing time zone: `2026-11-03 09:00:12`. */
export function timeText(iso: string | null, timeZone: string): string {
  if (iso === null) return '';
  const p = localParts(Date.parse(iso), timeZone);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** A month's state in the console's words: open, fixed, held for review, corrected or void. */
function stateOf(m: StatementMonth, held: boolean, t: Words): string {
  const s = m.standing;
  if (s.state === 'open') return t.stStateOpen;
  if (s.state === 'void') return t.stStateVoid;
  if (held) return t.stStateHeld;
  return s.correctsRevision !== null ? t.stStateCorrected : t.stStateFixed;
}

const LINE_KIND_WORDS: Record<ChargeLine['kind'], keyof Words> = {
  usage: 'stKindUsage',
  fee: 'stKindFee',
  cap: 'stKindCap',
  allowance: 'stKindAllowance',
  free_link: 'stKindFreeLink',
  adjustment: 'stKindAdjustment',
  coupon: 'stKindCoupon',
};

const MAIL_STATUS_WORDS: Record<MonthDelivery['status'], keyof Words> = {
  pending: 'stMailPending',
  sending: 'stMailSending',
  sent: 'stMailSent',
  failed: 'stMailFailed',
  withdrawn: 'stMailWithdrawn',
};

const REVISION_STATE_WORDS: Record<RevisionRow['state'], keyof Words> = {
  current: 'stRevCurrent',
  replaced: 'stRevReplaced',
  void: 'stRevVoid',
  open: 'stRevOpen',
};

/**
 * What the page shows of a finalized revision whose files are written (the 500 most recently
 * shown): nothing of it can change any more, the store's triggers refuse it (a fixed statement,
 * its lines, and its file settings once it has files). A revision without files yet is read each
 * time.
 */
const frozenShown = new Kept<unknown>(500);
function frozen<T>(db: Db, key: string, hasFiles: boolean, compute: () => T): T {
  return hasFiles ? (frozenShown.get(db, key, compute) as T) : compute();
}

/** The frozen lines and totals of a finalized revision, as rows of the page. */
function chargesOf(ctx: WebContext, statementPk: number, locale: Locale, hasFiles: boolean) {
  return frozen(ctx.store, `charges ${statementPk} ${locale}`, hasFiles, () =>
    chargeRows(ctx, statementPk, wordsOf(locale)),
  );
}

function chargeRows(ctx: WebContext, statementPk: number, t: Words) {
  const tz = ctx.config.billingTimeZone;
  const view = loadStatementView(ctx.store, statementPk);
  const { tree } = view;
  const currency = tree.currency;
  const layout = fileLayout(view.files);
  const amount = (d: Decimal | string): string => amountText(d, currency);
  const line = (l: ChargeLine) => ({
    item: l.productName === '' ? t[LINE_KIND_WORDS[l.kind]] : `${t[LINE_KIND_WORDS[l.kind]]}: ${l.productName}`,
    detail: [l.resourceIdentifier, l.note].filter((x) => x !== '').join(' · '),
    unitPrice: formatUnitPrice(l, '', layout),
    used: formatUsedFrequency(l, layout),
    amount: amount(l.charged),
  });
  return {
    currency,
    lplatforms: tree.lplatforms.map((lp) => ({
      id: lp.lplatformId,
      name: lp.lplatformName,
      returnedAt: lp.returnedAt === null ? '' : timeText(new Date(lp.returnedAt).toISOString(), tz),
      amount: amount(lp.amount),
      resources: lp.resources.map((r) => ({
        id: r.resourceId,
        name:
          r.resourceName === r.resourceId || r.resourceName === ''
            ? r.resourceId
            : `${r.resourceName} (${r.resourceId})`,
        kind: r.resourceKind,
        amount: amount(r.amount),
        lines: r.lines.map(line),
      })),
      lines: lp.lines.map(line),
    })),
    tenantLines: tree.tenantLines.map(line),
    totals: [
      ...(tree.discount.isZero()
        ? []
        : [
            { label: t.stBeforeDiscount, value: amount(tree.beforeDiscount) },
            { label: t.stDiscount, value: amount(tree.discount.neg()) },
          ]),
      { label: t.stSubtotal, value: amount(tree.subtotal) },
      ...tree.taxes.map((x) => ({
        label: fill(t.stTaxAt, { rate: x.percent.toFixed(), base: amount(x.base) }),
        value: amount(x.amount),
      })),
      { label: t.stTax, value: amount(tree.tax) },
      { label: t.stTotal, value: amount(tree.total), total: true },
    ],
  };
}

/** What a page of a month shows besides its frame (an action's form refilled, a re-issue's preview). */
export interface StatementExtras {
  /** The action whose form is open (and refilled after an error). */
  open?: string;
  form?: Record<string, string>;
  preview?: Record<string, unknown>;
}

/** Formats stored instants in the billing time zone. */
type At = (iso: string | null) => string;

/** The tenant's facts: names, currency, language, the encoding of its statement files. */
function tenantFacts(ctx: WebContext, m: StatementMonth, t: Words, at: At) {
  const encoding = statementEncoding(
    m.tenant.csvEncoding,
    m.tenant.locale === 'ja' ? 'ja' : 'en',
    ctx.config.csvEncoding,
  );
  return [
    { label: t.tenant, value: m.tenantName },
    { label: t.stDisplayName, value: m.tenant.displayName },
    { label: t.stCurrency, value: m.tenant.currency },
    { label: t.stLocale, value: m.tenant.locale },
    {
      label: t.stEncoding,
      value: `${encoding} (${m.tenant.csvEncoding === null ? t.stEncodingSetting : t.stEncodingOwn})`,
    },
    ...(m.tenant.deletedAt === null ? [] : [{ label: t.stDeletedAt, value: at(m.tenant.deletedAt) }]),
  ];
}

/** The month's facts: its standing revision, state, period, when finalized, total, and why it is held, corrected, void or open. */
function monthFacts(m: StatementMonth, hold: OpenHold | undefined, t: Words, at: At, tz: string) {
  const s = m.standing;
  const holdText = (h: OpenHold): string =>
    `${at(h.heldAt)} · ${h.kind === 'review' ? t.stHoldReview : `${t.stHoldOperator} (${h.heldBy})`}${h.reason === '' ? '' : `: ${h.reason}`}`;
  return [
    { label: t.month, value: m.month },
    { label: t.stCurrentRevision, value: String(s.revision) },
    { label: t.state, value: stateOf(m, hold !== undefined, t), state: true },
    {
      label: t.period,
      value: `${localDate(Date.parse(s.periodStart), tz)} – ${localDate(Date.parse(s.periodEnd) - 1, tz)}`,
    },
    ...(s.finalizedAt === null ? [] : [{ label: t.stFinalizedAt, value: at(s.finalizedAt) }]),
    ...(s.total === null || s.state === 'open'
      ? []
      : [{ label: t.stTotal, value: `${amountText(s.total, s.currency)} ${s.currency}` }]),
    ...(s.correctsRevision === null
      ? []
      : [{ label: t.reason, value: `${fill(t.stCorrects, { rev: s.correctsRevision })}: ${s.reason} (${s.by})` }]),
    ...(hold === undefined ? [] : [{ label: t.stHeldSince, value: holdText(hold) }]),
    ...(s.state === 'void'
      ? [{ label: t.stVoided, value: `${at(s.voidedAt)} (${s.voidedBy ?? ''}): ${s.voidReason ?? ''}` }]
      : []),
    ...(s.state === 'open' && s.lastError !== null ? [{ label: t.stCloseFailed, value: s.lastError }] : []),
  ];
}

/** The archived zips of the month's revisions, each with its address to download. */
function fileRows(ctx: WebContext, m: StatementMonth, files: readonly RevisionFile[], t: Words, at: At) {
  return files.map((f) => ({
    revision: f.revision,
    name: f.zipName,
    size: fill(t.stBytes, { n: amountText(String(f.bytes), 'JPY') }),
    sha256: f.sha256,
    encoding: frozen(
      ctx.store,
      `encoding ${f.statementPk}`,
      true,
      () => loadStatementView(ctx.store, f.statementPk).files?.encoding ?? '',
    ),
    writtenAt: at(f.createdAt),
    pruned: f.prunedAt !== null,
    href: f.revision === m.standing.revision ? `${m.base}.zip` : `${m.base}/revisions/${f.revision}.zip`,
  }));
}

/** Every mail of the month: regular, resend or correction, its state, attempts and what the server said. */
function mailRows(deliveries: readonly MonthDelivery[], t: Words, at: At) {
  return deliveries.map((d) => ({
    revision: d.revision,
    recipient: d.recipient,
    kind: d.kind === 'resend' ? t.stMailResend : d.correctsRevision !== null ? t.stMailCorrection : t.stMailRegular,
    status: t[MAIL_STATUS_WORDS[d.status]],
    statusKey: d.status,
    attempts: d.attempts === 0 ? t.stAttemptsNone : fill(t.stAttemptsLast, { n: d.attempts, at: at(d.lastAttemptAt) }),
    said: [d.smtpResponse, d.lastError].filter((x): x is string => x !== null && x !== '').join(' · '),
    next: d.status === 'pending' && d.nextAttemptAt !== null ? fill(t.stNextAttempt, { at: at(d.nextAttemptAt) }) : '',
    sentAt: at(d.sentAt),
    asked: d.kind === 'resend' ? `${at(d.createdAt)} ${d.requestedBy}: ${d.reason}` : '',
  }));
}

/** Every revision of the month: its state, total, why and who. */
function revisionRows(m: StatementMonth, t: Words, at: At) {
  return m.revisions.map((r) => ({
    revision: r.revision,
    state: t[REVISION_STATE_WORDS[r.state]],
    total: r.total === null || r.state === 'open' ? '' : `${amountText(r.total, r.currency)} ${r.currency}`,
    finalizedAt: at(r.finalizedAt),
    reason: [
      r.correctsRevision === null ? '' : `${fill(t.stCorrects, { rev: r.correctsRevision })}: ${r.reason}`,
      r.voidedAt === null ? '' : `${t.stRevVoid} ${at(r.voidedAt)}: ${r.voidReason ?? ''}`,
    ]
      .filter((x) => x !== '')
      .join(' · '),
    by: [r.by, r.voidedBy ?? ''].filter((x) => x !== '').join(' · '),
  }));
}

/** The newest entries of the month's audit trail, and the address of the older ones when there are more. */
function auditOf(ctx: WebContext, m: StatementMonth) {
  const { rows, older } = auditRows(ctx, m, AUDIT_ON_PAGE);
  return { audit: rows, olderAudit: older === null ? null : `${m.base}/audit?before=${older}` };
}

/** The actions that apply to the month as it stands (for an operator; null for a viewer). */
function actionsOf(
  request: FastifyRequest,
  m: StatementMonth,
  state: { hold: OpenHold | undefined; mails: readonly MonthDelivery[]; files: readonly RevisionFile[] },
) {
  if (personOf(request).user.role !== 'operator') return null;
  const s = m.standing;
  const current = s.state === 'current';
  const held = state.hold !== undefined;
  const mails = state.mails.filter((d) => d.revision === s.revision);
  const sentOrSending = mails.some((d) => d.status === 'sent' || d.status === 'sending');
  const failed = mails.filter((d) => d.status === 'failed').length;
  return {
    resend: current && !held && state.files.some((f) => f.statementPk === s.statementPk),
    retry: current ? failed : 0,
    hold: current && !held && !sentOrSending,
    release: held,
    void: current && !sentOrSending,
    reissue: current && sentOrSending,
  };
}

/** What the page shows of the month besides its frame and an action's form: made of the tenant's rows only. */
function monthData(request: FastifyRequest, ctx: WebContext, m: StatementMonth, locale: Locale) {
  const t = wordsOf(locale);
  const tz = ctx.config.billingTimeZone;
  const at: At = (iso) => timeText(iso, tz);
  const s = m.standing;
  const hold = s.state === 'current' ? openHold(ctx.store, s.statementPk) : undefined;
  const mails = tenantMonthDeliveries(ctx.store, m.tenantName, m.month);
  const files = tenantMonthFiles(ctx.store, m.tenantName, m.month);
  const actions = actionsOf(request, m, { hold, mails, files });
  return {
    tenantName: m.tenantName,
    month: m.month,
    base: m.base,
    timesIn: fill(t.stTimesIn, { tz }),
    tenant: tenantFacts(ctx, m, t, at),
    facts: monthFacts(m, hold, t, at, tz),
    voidedNext: s.state === 'void',
    charges:
      s.state === 'open'
        ? null
        : chargesOf(
            ctx,
            s.statementPk,
            locale,
            files.some((f) => f.statementPk === s.statementPk),
          ),
    files: fileRows(ctx, m, files, t, at),
    mails: mailRows(mails, t, at),
    revisions: revisionRows(m, t, at),
    ...auditOf(ctx, m),
    actions,
    noContact: actions?.resend === true && activeRecipients(ctx.store, m.tenantName).length === 0,
    retryHelp: fill(t.stRetryHelp, { n: actions?.retry ?? 0 }),
  };
}
type MonthData = ReturnType<typeof monthData>;

/** The page of a month, its data given, with the frame's notice or error and the status code given. */
function sendMonth(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  data: MonthData,
  options: { code?: number; notice?: string; error?: string } & StatementExtras,
): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const frame = frameOf(request, reply, ctx, `${t.stStatement}: ${data.tenantName} ${data.month}`, {
    ...(options.notice === undefined ? {} : { notice: options.notice }),
    ...(options.error === undefined ? {} : { error: options.error }),
  });
  return sendPage(
    reply,
    renderPage('console-statement', frame, {
      ...data,
      month: data.facts,
      open: options.open ?? '',
      form: options.form ?? {},
      preview: options.preview ?? null,
    }),
    options.code ?? 200,
  );
}

/** The statement page of a month as it stands now, with the frame's notice or error and the status code given. */
export function statementPage(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  m: StatementMonth,
  options: { code?: number; notice?: string; error?: string } & StatementExtras = {},
): FastifyReply {
  return sendMonth(request, reply, ctx, monthData(request, ctx, m, pageLocale(request)), options);
}

/**
 * The pages' data of the months shown most recently (1,000), each under the tenant's number of
 * changes (tenantChanges), the page's language and the person's role (an operator's page has the
 * actions): shown again until anything of the tenant changes, by anyone.
 */
const shownMonths = new Kept<MonthData>(1000);

/** A month's page data, kept or made; undefined (404) when the tenant or month is unknown or has no statement. */
function shownMonth(request: FastifyRequest, ctx: WebContext, params: { tenant: string; month: string }) {
  // The number first, then the rows: what is kept under it is never older than it.
  const changes = tenantChanges(ctx.store, params.tenant);
  if (changes === undefined || !MONTH.test(params.month)) return undefined;
  const locale = pageLocale(request);
  const key = [params.tenant, params.month, changes, locale, personOf(request).user.role].join('\n');
  return shownMonths.get(ctx.store, key, () => {
    const m = statementMonth(ctx, params);
    return m === undefined ? undefined : monthData(request, ctx, m, locale);
  });
}

/** Sends a revision's archived zip (checked against its SHA-256, rebuilt when damaged or pruned), audited. */
async function sendZip(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  m: StatementMonth,
  revision: RevisionRow | undefined,
): Promise<FastifyReply | void> {
  const file =
    revision === undefined
      ? undefined
      : tenantMonthFiles(ctx.store, m.tenantName, m.month).find((f) => f.statementPk === revision.statementPk);
  if (revision === undefined || file === undefined) return reply.callNotFound();
  const { name, bytes } = await archivedZip(ctx.store, ctx.config, revision.statementPk);
  // Audited before the bytes go out, waiting for a pass's write lock without holding up other pages.
  await writeWhenFree(ctx.store, () =>
    recordAudit(ctx.store, ctx.now().toISOString(), 'download', m.tenantName, {
      billingMonth: m.month,
      revision: revision.revision,
      file: name,
      by: personOf(request).user.email,
    }),
  );
  return reply
    .type('application/zip')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(bytes);
}

export function registerConsoleStatement(app: FastifyInstance, ctx: WebContext): void {
  // The page, or (`YYYY-MM.zip`) the archived zip of the month's standing revision.
  app.get('/tenants/:tenant/months/:month', { config: { access: 'staff' } }, async (request, reply) => {
    const params = request.params as { tenant: string; month: string };
    const zip = params.month.endsWith('.zip');
    if (!zip) {
      const data = shownMonth(request, ctx, params);
      return data === undefined ? reply.callNotFound() : sendMonth(request, reply, ctx, data, noticeOf(request));
    }
    const m = statementMonth(ctx, { ...params, month: params.month.slice(0, -4) });
    if (m === undefined) return reply.callNotFound();
    return sendZip(request, reply, ctx, m, m.standing);
  });
  // The archived zip of any revision of the month.
  app.get('/tenants/:tenant/months/:month/revisions/:file', { config: { access: 'staff' } }, async (request, reply) => {
    const m = statementMonth(ctx, request.params);
    const n = /^([1-9]\d{0,5})\.zip$/.exec((request.params as { file: string }).file)?.[1];
    if (m === undefined || n === undefined) return reply.callNotFound();
    return sendZip(
      request,
      reply,
      ctx,
      m,
      m.revisions.find((r) => r.revision === Number(n)),
    );
  });
  registerConsoleAudit(app, ctx);
  registerStatementActions(app, ctx);
}

/** The notice of an action just done (the `done` of the address it redirected to), in the page's words. */
function noticeOf(request: FastifyRequest): { notice?: string } {
  const q = request.query as Record<string, unknown>;
  const t = wordsOf(pageLocale(request));
  const n = (key: string): number => (typeof q[key] === 'string' && /^\d{1,6}$/.test(q[key]) ? Number(q[key]) : 0);
  switch (q.done) {
    case 'resent':
      return { notice: fill(t.stDoneResent, { sent: n('sent'), retrying: n('retrying'), failed: n('failed') }) };
    case 'retried':
      return { notice: fill(t.stDoneRetried, { n: n('n') }) };
    case 'held':
      return { notice: t.stDoneHeld };
    case 'released':
      return { notice: t.stDoneReleased };
    case 'voided':
      return {
        notice: [
          fill(t.stDoneVoided, { rev: n('rev') }),
          n('again') > 0 ? fill(t.stDoneCurrentAgain, { rev: n('again') }) : t.stVoidedNext,
        ].join(' '),
      };
    case 'reissued':
      return {
        notice:
          n('held') > 0
            ? fill(t.stDoneReissuedHeld, { rev: n('rev') })
            : fill(t.stDoneReissued, { rev: n('rev'), sent: n('sent'), failed: n('failed') }),
      };
    default:
      return {};
  }
}
