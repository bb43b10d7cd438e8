/**
 * The web server (`usage-charges serve`): Fastify with its security plugins. For unattended
 * operation it answers `/healthz` (the store reachable, the last pass, the month-end lease) and
 * `/metrics` (Prometheus text). Every response carries the security headers (a CSP without inline
 * script, no framing, no sniffing).
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../log.ts';
import helmet from '@fastify/helmet';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { Mailer } from '../mail/transport.ts';
import { registerHome } from './home.ts';
import { registerPortalMonth } from './portal/month.ts';
import { registerContract } from './portal/contract.ts';
import { registerConsoleStatement } from './console/statement.ts';
import { registerConsoleMonth } from './console/month.ts';
import { renderPage, styleSheet } from './pages.ts';
import { frameOf, refuseForm, registerSignIn } from './sign-in.ts';
import { pageLocale, wordsOf } from './i18n.ts';
import { registerAccess, type DeclaredRoute } from './access.ts';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { monitoringFacts } from '../store/monitoring.ts';
import { prometheusText } from './metrics.ts';
import { monthEndLease } from '../../jobs/with-lease.ts';
import { jobContext, type JobContext } from '../../jobs/context.ts';

/** What the server serves from. */
export interface WebContext {
  store: Db;
  config: Config;
  /** The clock (the health of the lease is judged against it). */
  now: () => Date;
  /** Where failed requests are logged. */
  log?: Logger;
  /** What mails the one-time sign-in links (none: the links are made but not mailed). */
  mailer?: Mailer;
  /** The address people reach the server at (WEB_BASE_URL, or where it listens), for links in mails. */
  publicUrl: () => string;
  /** The environment the settings came from, given to a pass started from the console (default: the process's). */
  env?: Record<string, string | undefined>;
}

/** The job context of a web request: the server's store, settings, clock and log. */
export function webJobContext(ctx: WebContext): JobContext {
  return jobContext(ctx.store, ctx.config, { now: ctx.now, ...(ctx.log === undefined ? {} : { log: ctx.log }) });
}

/** `/healthz`: 200 when the store answers, 503 (with the reason) when it does not. */
function health(ctx: WebContext): { code: number; body: Record<string, unknown> } {
  try {
    const facts = monitoringFacts(ctx.store);
    const lease = monthEndLease(ctx.store, ctx.now()) ?? null;
    const now = ctx.now().toISOString();
    return {
      code: 200,
      body: {
        status: 'ok',
        store: 'ok',
        lastPass: facts.lastPass,
        lastOkPassAt: facts.lastOkPassAt,
        lease:
          lease === null
            ? null
            : {
                owner: lease.owner,
                heartbeatAt: lease.heartbeatAt,
                expiresAt: lease.expiresAt,
                live: lease.expiresAt > now,
              },
        held: facts.held,
      },
    };
  } catch (err) {
    return { code: 503, body: { status: 'unavailable', store: (err as Error).message } };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with who may use it (the security tests walk them all). */
    declaredRoutes: readonly DeclaredRoute[];
  }
}

/** Builds the server (not listening yet). */
export async function buildWebServer(ctx: WebContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    trustProxy: ctx.config.web.trustProxy,
    bodyLimit: 1024 * 1024,
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        fontSrc: ["'self'"],
        // Behind a TLS proxy only: on plain http (127.0.0.1) it would send the browser to https.
        ...(ctx.config.web.trustProxy ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    hsts: ctx.config.web.trustProxy,
  });
  // An unexpected error is logged and answered without its message: no path, no SQL, no setting
  // reaches a browser. Fastify's own client errors (a bad request, a body too large) keep theirs.
  // A store kept busy by a month-end pass past the wait is 503 with a retry, said as such. A browser
  // gets a page (in its language), anything else JSON.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const busy = (err as { code?: unknown }).code === 'SQLITE_BUSY';
    const status = busy ? 503 : (err.statusCode ?? 500);
    if (status >= 500) ctx.log?.error({ err, method: request.method, url: request.url }, 'web request failed');
    if (busy) void reply.header('retry-after', '10');
    if (!/text\/html/.test(request.headers.accept ?? '')) {
      return reply.code(status).send({ error: status < 500 ? err.message : busy ? 'store busy' : 'internal error' });
    }
    const t = wordsOf(pageLocale(request));
    const said = status < 500 ? err.message : busy ? t.storeBusy : t.internalError;
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(renderPage('not-found', frameOf(request, reply, ctx, t.somethingWrong, { error: said })));
  });
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(rateLimit, { global: false });
  const routes: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', routes);
  // Who may use each route: declared on each, checked once the session is known (registerSignIn).
  registerAccess(app, routes, (request, reply) => refuseForm(request, reply, ctx));
  registerSignIn(app, ctx);
  registerHome(app, ctx);
  registerPortalMonth(app, ctx);
  registerContract(app, ctx);
  registerConsoleStatement(app, ctx);
  registerConsoleMonth(app, ctx);
  // Not found: a page, whoever asks (a person of another tenant gets the same as anyone).
  app.setNotFoundHandler((request, reply) => {
    const t = wordsOf(pageLocale(request));
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(renderPage('not-found', frameOf(request, reply, ctx, t.notFound)));
  });
  app.get('/assets/app.css', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(styleSheet()),
  );
  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) => {
    const { code, body } = health(ctx);
    return reply.code(code).header('cache-control', 'no-store').send(body);
  });
  app.get('/metrics', { config: { access: 'public' } }, async (_request, reply) =>
    reply
      .header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(prometheusText(monitoringFacts(ctx.store))),
  );
  return app;
}
