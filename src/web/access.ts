/**
 * Who may use each route. Every route declares its audience in its options
 * (`{ config: { access: 'staff' } }`); a route without one is refused when the server is built, so
 * no page can be added without saying who sees it. One hook, after the session is known, enforces it:
 *
 * - signed out, on a page for people: a GET goes to the sign-in page, anything else gets 403;
 * - signed in with another role: 404, the same page as for an address that does not exist, so a
 *   tenant's person learns nothing of the billing team's pages (nor of another tenant's);
 * - every POST of a signed-in page carries the session's CSRF token (`_csrf` in the form, or the
 *   `x-csrf-token` header) or is refused with 403, nothing done; a multipart upload
 *   (`csrfInHandler`) checks the `_csrf` field that comes before its file, before reading the file.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LiveSession } from '../store/sessions.ts';
import type { Role } from '../store/users.ts';

/**
 * The audiences: `public` (anyone, signed in or not: sign-in, health, assets), `signed-in` (any
 * person), `staff` (operators and viewers: reading the billing team's pages), `operator` (the
 * billing team's actions), `tenant` (a tenant's owner or admin: their own tenant's pages), `owner`
 * (a tenant's contract owner only: its mail addresses and people).
 */
export type Access = 'public' | 'signed-in' | 'staff' | 'operator' | 'tenant' | 'owner';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may use the route (required on every route). */
    access?: Access;
    /** The route checks the CSRF token itself (a multipart upload reads it from its fields). */
    csrfInHandler?: boolean;
  }
}

/** The roles of each audience that needs a person. */
const ROLES_OF: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  'signed-in': ['operator', 'viewer', 'owner', 'admin'],
  staff: ['operator', 'viewer'],
  operator: ['operator'],
  tenant: ['owner', 'admin'],
  owner: ['owner'],
};

/** Whether a role may use a route of this audience. */
export function allowed(access: Access, role: Role | null): boolean {
  if (access === 'public') return true;
  return role !== null && ROLES_OF[access].includes(role);
}

/** A route as declared: method, address and audience (the security tests walk all of them). */
export interface DeclaredRoute {
  method: string;
  url: string;
  access: Access;
}

/** Whether two tokens are the same, in constant time. */
export function sameToken(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The CSRF token a request sends: the form's `_csrf`, else the `x-csrf-token` header. */
export function sentCsrf(request: FastifyRequest): unknown {
  const body = request.body;
  const inForm = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)._csrf : undefined;
  return inForm ?? request.headers['x-csrf-token'];
}

/**
 * Registers the check of every route's audience (after the session hook) and collects the
 * declared routes into `routes`. `refuse` answers a POST without the right token (403).
 */
export function registerAccess(
  app: FastifyInstance,
  routes: DeclaredRoute[],
  refuse: (request: FastifyRequest, reply: FastifyReply) => FastifyReply,
): void {
  app.addHook('onRoute', (route) => {
    // HEAD routes are Fastify's own copies of the GET ones.
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    if (methods.length === 0) return;
    const access = route.config?.access;
    if (access === undefined) throw new Error(`route ${methods.join(',')} ${route.url} does not say who may use it`);
    for (const method of methods) routes.push({ method, url: route.url, access });
  });
  app.addHook('preHandler', async (request, reply) => {
    const config = request.routeOptions.config;
    const access = config.access;
    // Not found (no route): the not-found page, whoever asks.
    if (access === undefined || access === 'public') return;
    const session = request.session;
    if (session === null) {
      if (request.method === 'GET') return reply.redirect('/sign-in', 303);
      return reply.code(403).type('text/plain; charset=utf-8').send('sign in first');
    }
    if (!allowed(access, session.user.role)) return reply.callNotFound();
    if (request.method !== 'GET' && config.csrfInHandler !== true && !sameToken(sentCsrf(request), session.csrfToken))
      return refuse(request, reply);
  });
}

/** The session of a route that needs a person (the access hook has made sure there is one). */
export function personOf(request: FastifyRequest): LiveSession {
  if (request.session === null) throw new Error(`${request.url} was reached without a session`);
  return request.session;
}
