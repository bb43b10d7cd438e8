/**
 * The operator's actions on a tenant's month, each a form of the statement page (operators only; a
 * viewer's POST is 404): resend, retry the failed mails, hold, release, void, and re-issue (a
 * preview first, then a confirm). Each calls the job the command line calls (jobs/resend.ts,
 * review.ts, revisions.ts) with the operator's e-mail as who asked, so each is audited as theirs.
 * Done: back to the page with a notice (303). Refused: the page again with why (400 for the form,
 * 409 for the month's state) and nothing done. Resend and re-issue take the month-end lease without
 * waiting: while a pass holds it they answer 409 at once.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { resendStatement, resendTarget, retryFailed } from '../../../jobs/resend.ts';
import { holdForReview, releaseHeld } from '../../../jobs/review.ts';
import {
  previewReissue,
  reissueChanges,
  reissueStatement,
  voidStatement,
  type ReissuePlan,
} from '../../../jobs/revisions.ts';
import { InputError, UsageChargesError } from '../../domain/errors.ts';
import { createMailer, type Mailer } from '../../mail/transport.ts';
import { personOf } from '../access.ts';
import { fill, pageLocale, wordsOf, type Words } from '../i18n.ts';
import { webJobContext, type WebContext } from '../server.ts';
import { amountText, signedText, statementMonth, statementPage, type StatementMonth } from './statement.ts';

/** A refusal: the page again with this message and status, nothing done. */
class Refusal extends Error {
  constructor(
    readonly code: 400 | 409,
    message: string,
    readonly preview?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A text field of the posted form ('' when absent or not text). */
function field(request: FastifyRequest, name: string): string {
  const body = request.body;
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/** The form's reason: one line of at most 500 characters, required or not. */
function reasonOf(request: FastifyRequest, t: Words, required: boolean): string {
  const reason = field(request, 'reason').trim();
  if (required && reason === '') throw new Refusal(400, t.stReasonRequired);
  if ([...reason].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) || reason.length > 500)
    throw new Refusal(400, t.stReasonBad);
  return reason;
}

const ADDRESS = z.email();

/** The form's optional address of a resend. */
function addressOf(request: FastifyRequest, t: Words): string | undefined {
  const to = field(request, 'to').trim();
  if (to === '') return undefined;
  if (/[\r\n]/.test(to) || !ADDRESS.safeParse(to).success) throw new Refusal(400, t.stAddressBad);
  return to;
}

/** Runs `send` with the server's mailer, or with one made for it (and closed after) when the server has none. */
async function withMailer<T>(ctx: WebContext, send: (mailer: Mailer) => Promise<T>): Promise<T> {
  if (ctx.mailer !== undefined) return send(ctx.mailer);
  const mailer = createMailer(ctx.config);
  try {
    return await send(mailer);
  } finally {
    mailer.close();
  }
}

/** What the preview of a re-issue shows: both totals, the difference, the L-Platforms that change. */
/**
 * What a re-issue preview showed, as one token: the revision it corrects and the one it makes, the
 * total and every L-Platform that changes. The confirm re-issues only when the month rates to the same.
 */
function seenOf(ctx: WebContext, plan: ReissuePlan): string {
  const changes = reissueChanges({ store: ctx.store }, plan).map((ch) => [ch.lplatformId, ch.before, ch.after]);
  const seen = JSON.stringify([plan.current.revision, plan.revision, plan.total, changes]);
  return crypto.createHash('sha256').update(seen).digest('hex');
}

function previewOf(ctx: WebContext, plan: ReissuePlan, reason: string, t: Words): Record<string, unknown> {
  const c = plan.currency;
  const grouped = (value: string): string => amountText(value, c);
  return {
    reason,
    total: plan.total,
    seen: seenOf(ctx, plan),
    current: {
      label: fill(t.stPreviewCurrent, { rev: plan.current.revision }),
      value: `${grouped(plan.previousTotal)} ${c}`,
    },
    next: { label: fill(t.stPreviewNew, { rev: plan.revision }), value: `${grouped(plan.total)} ${c}` },
    difference: `${signedText(plan.difference, c)} ${c}`,
    changes: reissueChanges({ store: ctx.store }, plan).map((ch) => ({
      id: ch.lplatformId,
      before: grouped(ch.before),
      after: grouped(ch.after),
    })),
    bookedElsewhere: plan.bookedElsewhere.map((b) =>
      fill(t.stBookedElsewhere, { records: b.records, month: b.bookedMonth }),
    ),
  };
}

/** A job's refusal as the page says it (409), or the lease held by a pass (409); anything else is thrown on. */
function refusalOf(err: unknown, t: Words): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof UsageChargesError && err.code === 'E_LOCKED') return new Refusal(409, t.stLeaseBusy);
  if (err instanceof InputError || (err instanceof UsageChargesError && err.code === 'E_ARCHIVE'))
    return new Refusal(409, fill(t.stRefused, { why: err.message.replace(/^--[a-z-]+: /, '') }));
  throw err;
}

/** What an action does once its month is found: the address to go back to (with its notice), or a page it sends. */
type Action = (
  request: FastifyRequest,
  reply: FastifyReply,
  m: StatementMonth,
  t: Words,
) => Promise<string | FastifyReply>;

/** Who asks: the signed-in operator's e-mail (recorded by the jobs as `by`). */
function by(request: FastifyRequest): string {
  return personOf(request).user.email;
}

/** The page's address with the notice of what was done (`done` and its numbers). */
function done(m: StatementMonth, what: string, values: Record<string, number> = {}): string {
  const query = new URLSearchParams({ done: what });
  for (const [k, v] of Object.entries(values)) query.set(k, String(v));
  return `${m.base}?${query.toString()}`;
}

/** The actions by the last part of their address. */
function statementActions(ctx: WebContext): Record<string, Action> {
  const jobs = () => webJobContext(ctx);
  return {
    resend: async (request, _reply, m, t) => {
      const reason = reasonOf(request, t, true);
      const to = addressOf(request, t);
      const target = resendTarget(jobs(), {
        tenant: m.tenantName,
        billingMonth: m.month,
        ...(to === undefined ? {} : { to }),
      });
      const s = await withMailer(ctx, (mailer) =>
        resendStatement(jobs(), target, { mailer, reason, by: by(request), wait: false }),
      );
      return done(m, 'resent', { sent: s.sent.length, retrying: s.retrying.length, failed: s.failed.length });
    },
    retry: async (request, _reply, m) => {
      const { requeued } = retryFailed(jobs(), { billingMonth: m.month, tenantName: m.tenantName, by: by(request) });
      return done(m, 'retried', { n: requeued });
    },
    hold: async (request, _reply, m, t) => {
      const reason = reasonOf(request, t, false);
      holdForReview(jobs(), { tenantName: m.tenantName, billingMonth: m.month, by: by(request), reason });
      return done(m, 'held');
    },
    release: async (request, _reply, m, t) => {
      const reason = reasonOf(request, t, false);
      releaseHeld(jobs(), { tenantName: m.tenantName, billingMonth: m.month, by: by(request), reason });
      return done(m, 'released');
    },
    void: async (request, _reply, m, t) => {
      const reason = reasonOf(request, t, true);
      const v = voidStatement(jobs(), { tenantName: m.tenantName, billingMonth: m.month, by: by(request), reason });
      return done(m, 'voided', { rev: v.voided.revision, again: v.currentAgain ?? 0 });
    },
    'reissue-preview': async (request, reply, m, t) => {
      const reason = reasonOf(request, t, true);
      const { plan } = await previewReissue(jobs(), { tenantName: m.tenantName, billingMonth: m.month });
      if (plan.unchanged) throw new Refusal(409, t.stNothingToReissue);
      return statementPage(request, reply, ctx, m, { open: 'reissue', preview: previewOf(ctx, plan, reason, t) });
    },
    reissue: async (request, _reply, m, t) => {
      const reason = reasonOf(request, t, true);
      // What is re-issued is what the operator saw: data changed since the preview shows the new figures first.
      const { plan } = await previewReissue(jobs(), { tenantName: m.tenantName, billingMonth: m.month });
      if (plan.unchanged) throw new Refusal(409, t.stNothingToReissue);
      if (field(request, 'seen') !== seenOf(ctx, plan))
        throw new Refusal(409, t.stChangedSincePreview, previewOf(ctx, plan, reason, t));
      const r = await withMailer(ctx, (mailer) =>
        reissueStatement(
          jobs(),
          { tenantName: m.tenantName, billingMonth: m.month, by: by(request), reason },
          { mailer, wait: false },
        ),
      );
      return done(m, 'reissued', {
        rev: r.plan.revision,
        sent: r.delivery?.sent.length ?? 0,
        failed: r.delivery?.failed.length ?? 0,
        held: r.held ? 1 : 0,
      });
    },
  };
}

export function registerStatementActions(app: FastifyInstance, ctx: WebContext): void {
  for (const [name, action] of Object.entries(statementActions(ctx))) {
    app.post(`/tenants/:tenant/months/:month/${name}`, { config: { access: 'operator' } }, async (request, reply) => {
      const m = statementMonth(ctx, request.params);
      if (m === undefined) return reply.callNotFound();
      const t = wordsOf(pageLocale(request));
      try {
        const outcome = await action(request, reply, m, t);
        return typeof outcome === 'string' ? reply.redirect(outcome, 303) : outcome;
      } catch (err) {
        const refusal = refusalOf(err, t);
        // The month as it is now (a refused action changed nothing, but another may have meanwhile).
        const now = statementMonth(ctx, request.params) ?? m;
        return statementPage(request, reply, ctx, now, {
          code: refusal.code,
          error: refusal.message,
          open: name === 'reissue-preview' ? 'reissue' : name,
          form: { reason: field(request, 'reason'), to: field(request, 'to') },
          ...(refusal.preview === undefined ? {} : { preview: refusal.preview }),
        });
      }
    });
  }
}
