/**
 * Signing in and out: by e-mail and password (scrypt), or by a one-time link mailed to the person
 * (confirmed by a button, so that a mail scanner opening the link does not use it); setting a
 * password; server-side sessions (a random cookie token, the store keeping its SHA-256), a new one
 * at every sign-in, ended at sign-out; a CSRF token on every form; wrong passwords locking the
 * password sign-in for a while; every sign-in, failure and sign-out audited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Locale } from '../domain/vocabulary.ts';
import { newMessageId } from '../mail/compose.ts';
import { recordAudit } from '../store/audit.ts';
import { inTransaction, type Db } from '../store/db.ts';
import {
  clearFailedSignIns,
  endSession,
  endUserSessions,
  insertSession,
  insertSignInLink,
  liveSession,
  recordFailedSignIn,
  setPasswordHash,
  signInLinkUsable,
  signInUser,
  touchSession,
  useSignInLink,
  type LiveSession,
  type SignInUser,
} from '../store/sessions.ts';
import { personOf, sameToken } from './access.ts';
import { pageLocale, wordsOf } from './i18n.ts';
import { navOf } from './nav.ts';
import { renderPage, type PageFrame } from './pages.ts';
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, newToken, tokenHash, verifyPassword } from './passwords.ts';
import type { WebContext } from './server.ts';
import { writeIfFree } from './writes.ts';

export const SESSION_COOKIE = 'uc_session';
export const CSRF_COOKIE = 'uc_csrf';
/** A session ends after this long unused. */
const SESSION_IDLE_MS = 8 * 3_600_000;
/**
 * A session used is touched (its expiry moved on) at most this often: not a write to the store at
 * every request, which under load (and while a pass holds the store's write lock) would queue every
 * page behind the lock.
 */
const TOUCH_EVERY_MS = 60_000;
/** A one-time link works this long. */
const LINK_MS = 15 * 60_000;
/** Wrong passwords in a row that lock the password sign-in, and for how long. */
export const LOCK_AFTER = 5;
const LOCK_MS = 15 * 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, or null. */
    session: LiveSession | null;
  }
}

/** The CSRF token of a request: its session's, or the signed-out browser's cookie (made when missing). */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): string {
  if (request.session !== null) return request.session.csrfToken;
  const existing = request.cookies[CSRF_COOKIE];
  if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = newToken();
  reply.setCookie(CSRF_COOKIE, token, cookieOptions(ctx));
  return token;
}

function cookieOptions(ctx: WebContext, maxAgeMs?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.config.web.trustProxy,
    ...(maxAgeMs === undefined ? {} : { maxAge: Math.floor(maxAgeMs / 1000) }),
  };
}

/** A page's frame for a request. */
export function frameOf(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  title: string,
  extra: Partial<PageFrame> = {},
): PageFrame {
  return {
    locale: pageLocale(request),
    title,
    user: request.session === null ? null : { email: request.session.user.email },
    nav: navOf(request),
    csrf: csrfToken(request, reply, ctx),
    ...extra,
  };
}

/** Answers a form sent without its CSRF token: 403, nothing done, a page saying to send it again. */
export function refuseForm(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): FastifyReply {
  const t = wordsOf(pageLocale(request));
  return reply
    .code(403)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage('not-found', frameOf(request, reply, ctx, t.formExpired, { error: t.formExpiredLong })));
}

/** Refuses a signed-out form whose CSRF token is not the browser's: 403, nothing done. */
function csrfRefused(request: FastifyRequest, reply: FastifyReply, ctx: WebContext): boolean {
  const sent = (request.body as Record<string, string> | undefined)?._csrf;
  const expected = request.session?.csrfToken ?? request.cookies[CSRF_COOKIE];
  if (expected !== undefined && sameToken(sent, expected)) return false;
  void refuseForm(request, reply, ctx);
  return true;
}

/** Who a person is in the audit log: their tenant, or `*` for the billing team. */
const subjectOf = (u: SignInUser): string => u.tenantName ?? '*';

/** Signs a person in: a new session (the browser's old one ended), its cookie, the wrong-password count cleared. */
function startSession(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  user: SignInUser,
  how: string,
): void {
  const now = ctx.now();
  const token = newToken();
  inTransaction(ctx.store, () => {
    const old = request.cookies[SESSION_COOKIE];
    if (old !== undefined) endSession(ctx.store, tokenHash(old), now.toISOString());
    insertSession(ctx.store, {
      sessionHash: tokenHash(token),
      userPk: user.userPk,
      csrfToken: newToken(),
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
    });
    clearFailedSignIns(ctx.store, user.userPk, now.toISOString());
    recordAudit(ctx.store, now.toISOString(), 'sign-in', subjectOf(user), { email: user.email, how, ip: request.ip });
  });
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(ctx, SESSION_IDLE_MS));
}

/** The sign-in, link, password and sign-out routes, and the session of every request. */
export function registerSignIn(app: FastifyInstance, ctx: WebContext): void {
  app.decorateRequest('session', null);
  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token === undefined) return;
    const now = ctx.now();
    const session = liveSession(ctx.store, tokenHash(token), now.toISOString());
    if (session === undefined) return;
    // Not waiting for the store's lock: when a pass holds it, the session is touched at a later request.
    if (now.getTime() - Date.parse(session.lastSeenAt) >= TOUCH_EVERY_MS)
      writeIfFree(ctx.store, () =>
        touchSession(
          ctx.store,
          session.sessionHash,
          now.toISOString(),
          new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
        ),
      );
    request.session = session;
  });

  const html = (reply: FastifyReply, code: number, page: string): FastifyReply =>
    reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  const signInPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    code: number,
    extra: Partial<PageFrame>,
    email = '',
  ) =>
    html(
      reply,
      code,
      renderPage('sign-in', frameOf(request, reply, ctx, wordsOf(pageLocale(request)).signIn, extra), { email }),
    );
  const open = { config: { access: 'public' as const } };
  const limited = { config: { access: 'public' as const, rateLimit: { max: 10, timeWindow: '1 minute' } } };
  const person = { config: { access: 'signed-in' as const } };

  app.get('/sign-in', open, async (request, reply) => {
    if (request.session !== null) return reply.redirect('/', 303);
    return signInPage(request, reply, 200, {});
  });

  app.post('/sign-in', limited, async (request, reply) => {
    if (csrfRefused(request, reply, ctx)) return reply;
    const body = request.body as Record<string, string>;
    const email = String(body.email ?? '').trim();
    const password = String(body.password ?? '');
    const t = wordsOf(pageLocale(request));
    const now = ctx.now();
    const user = email === '' ? undefined : signInUser(ctx.store, email);
    if (
      user !== undefined &&
      user.disabledAt === null &&
      user.lockedUntil !== null &&
      user.lockedUntil > now.toISOString()
    )
      return signInPage(request, reply, 429, { error: t.locked }, email);
    const usable = user !== undefined && user.disabledAt === null && user.passwordHash !== null;
    // An unknown address takes as long as a known one: the answer does not tell which it was.
    const right = await verifyPassword(password, usable ? user.passwordHash! : await decoyHash());
    if (!usable || !right) {
      if (usable) {
        const lock = user.failedSignIns + 1 >= LOCK_AFTER ? new Date(now.getTime() + LOCK_MS).toISOString() : null;
        inTransaction(ctx.store, () => {
          recordFailedSignIn(ctx.store, user.userPk, lock, now.toISOString());
          recordAudit(ctx.store, now.toISOString(), 'sign-in-failed', subjectOf(user), {
            email: user.email,
            ip: request.ip,
            ...(lock === null ? {} : { lockedUntil: lock }),
          });
        });
      }
      return signInPage(request, reply, 401, { error: t.wrong }, email);
    }
    startSession(request, reply, ctx, user, 'password');
    return reply.redirect('/', 303);
  });

  app.post('/sign-in/link', limited, async (request, reply) => {
    if (csrfRefused(request, reply, ctx)) return reply;
    const email = String((request.body as Record<string, string>).email ?? '').trim();
    const t = wordsOf(pageLocale(request));
    const user = email === '' ? undefined : signInUser(ctx.store, email);
    if (user !== undefined && user.disabledAt === null) {
      try {
        await mailLink(ctx, user, 'sign-in', pageLocale(request));
      } catch (err) {
        // Logged for the billing team (the mail server's reason, never its password); the person
        // gets the same answer, which tells nobody whether the address is known.
        ctx.log?.error({ err: (err as Error).message, email: user.email }, 'the sign-in link could not be mailed');
      }
    }
    // The same answer whether the address is known or not.
    return signInPage(request, reply, 200, { notice: t.linkSent }, email);
  });

  app.get('/sign-in/link/:token', open, async (request, reply) => {
    const { token } = request.params as { token: string };
    const t = wordsOf(pageLocale(request));
    if (!/^[A-Za-z0-9_-]{43}$/.test(token) || !signInLinkUsable(ctx.store, tokenHash(token), ctx.now().toISOString()))
      return signInPage(request, reply, 410, { error: t.linkUnusable });
    return html(reply, 200, renderPage('link-confirm', frameOf(request, reply, ctx, t.signIn), { token }));
  });

  app.post('/sign-in/link/:token', limited, async (request, reply) => {
    if (csrfRefused(request, reply, ctx)) return reply;
    const { token } = request.params as { token: string };
    const t = wordsOf(pageLocale(request));
    const used = /^[A-Za-z0-9_-]{43}$/.test(token)
      ? inTransaction(ctx.store, () => useSignInLink(ctx.store, tokenHash(token), ctx.now().toISOString()))
      : undefined;
    if (used === undefined) return signInPage(request, reply, 410, { error: t.linkUnusable });
    startSession(request, reply, ctx, used.user, 'link');
    return reply.redirect(used.purpose === 'password' || used.user.passwordHash === null ? '/password' : '/', 303);
  });

  app.get('/password', person, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    return html(reply, 200, renderPage('password', frameOf(request, reply, ctx, t.setPassword)));
  });

  app.post('/password', person, async (request, reply) => {
    const body = request.body as Record<string, string>;
    const password = String(body.password ?? '');
    const t = wordsOf(pageLocale(request));
    const problem =
      [...password].length < MIN_PASSWORD_LENGTH
        ? t.passwordShort
        : password !== String(body.again ?? '')
          ? t.passwordDiffers
          : null;
    if (problem !== null)
      return html(reply, 400, renderPage('password', frameOf(request, reply, ctx, t.setPassword, { error: problem })));
    const hash = await hashPassword(password);
    const { user, sessionHash } = personOf(request);
    const now = ctx.now().toISOString();
    inTransaction(ctx.store, () => {
      setPasswordHash(ctx.store, user.userPk, hash, now);
      // Every other session of the person ends: a password changed after a leak locks the thief out.
      endUserSessions(ctx.store, user.userPk, now, sessionHash);
      recordAudit(ctx.store, now, 'password-set', subjectOf(user), { email: user.email, ip: request.ip });
    });
    return html(
      reply,
      200,
      renderPage('password', frameOf(request, reply, ctx, t.setPassword, { notice: t.passwordSet })),
    );
  });

  app.post('/sign-out', open, async (request, reply) => {
    if (request.session !== null) {
      if (csrfRefused(request, reply, ctx)) return reply;
      const { user, sessionHash } = request.session;
      const now = ctx.now().toISOString();
      inTransaction(ctx.store, () => {
        endSession(ctx.store, sessionHash, now);
        recordAudit(ctx.store, now, 'sign-out', subjectOf(user), { email: user.email });
      });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });
}

/**
 * Makes a one-time link for a person (audited, with how it reaches them): its token, to be put in
 * `/sign-in/link/<token>`, and when it expires. The store keeps the token's SHA-256 only.
 */
export function issueSignInLink(
  db: Db,
  user: SignInUser,
  purpose: 'sign-in' | 'password',
  now: Date,
  channel: 'mailed' | 'printed',
): { token: string; expiresAt: string } {
  const token = newToken();
  const expiresAt = new Date(now.getTime() + LINK_MS).toISOString();
  inTransaction(db, () => {
    insertSignInLink(db, {
      tokenHash: tokenHash(token),
      userPk: user.userPk,
      purpose,
      now: now.toISOString(),
      expiresAt,
    });
    recordAudit(db, now.toISOString(), 'sign-in-link', subjectOf(user), { email: user.email, purpose, channel });
  });
  return { token, expiresAt };
}

/** Makes a one-time link for a person and mails it to their address (sign-in, and a new person's invitation). */
export async function mailLink(
  ctx: WebContext,
  user: SignInUser,
  purpose: 'sign-in' | 'password',
  locale: Locale,
): Promise<void> {
  const { token } = issueSignInLink(ctx.store, user, purpose, ctx.now(), 'mailed');
  if (ctx.mailer === undefined) return;
  const url = `${ctx.publicUrl()}/sign-in/link/${token}`;
  const ja = locale === 'ja';
  await ctx.mailer.send({
    from: ctx.config.mailFrom,
    to: user.email,
    messageId: newMessageId(ctx.config.mailFrom),
    subject: ja ? '【利用料金】サインイン用のリンク' : 'Usage charges: your sign-in link',
    text: ja
      ? `次のリンクからサインインしてください（15分間、1回限り有効です）。\n\n${url}\n\nお心当たりのない場合は、このメールを破棄してください。\n`
      : `Sign in with this link (it works once, for 15 minutes):\n\n${url}\n\nIf you did not ask for it, ignore this mail.\n`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
}
