/**
 * The first page after signing in: for the billing team, the month (src/web/console); for a
 * tenant's people, their billing history (src/web/portal).
 */
import type { FastifyInstance } from 'fastify';
import { operatorHome } from './console/month.ts';
import { personOf } from './access.ts';
import { registerDownloads, tenantHome } from './portal/history.ts';
import type { WebContext } from './server.ts';

export function registerHome(app: FastifyInstance, ctx: WebContext): void {
  registerDownloads(app, ctx);
  app.get('/', { config: { access: 'signed-in' } }, async (request, reply) =>
    personOf(request).user.tenantName !== null ? tenantHome(request, reply, ctx) : operatorHome(request, reply, ctx),
  );
}
