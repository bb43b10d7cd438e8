/** What the tenant portal's contract pages share: who may open them, their tenant, their frame. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { personOf } from '../access.ts';
import { renderPage, sendPage, type PageFrame } from '../pages.ts';
import { frameOf } from '../sign-in.ts';
import type { WebContext } from '../server.ts';

/** The options of every contract page: the tenant's contract owner only. */
export const OWNER = { config: { access: 'owner' as const } };

/** The session's tenant (an owner always has one). */
export function ownTenant(request: FastifyRequest): { tenantPk: number; tenantName: string; email: string } {
  const { user } = personOf(request);
  if (user.tenantPk === null || user.tenantName === null) throw new Error('a contract page for a person of no tenant');
  return { tenantPk: user.tenantPk, tenantName: user.tenantName, email: user.email };
}

/** Sends a contract page: its template in the frame (a notice or an error), with `code`. */
export function contractPage(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  page: { view: string; title: string; data: Record<string, unknown>; code?: number; frame?: Partial<PageFrame> },
): FastifyReply {
  return sendPage(
    reply,
    renderPage(page.view, frameOf(request, reply, ctx, page.title, page.frame ?? {}), page.data),
    page.code ?? 200,
  );
}
