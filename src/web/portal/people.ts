/**
 * `/people`: the tenant's people (its owner and admins). The owner invites an admin through the
 * job of `usage-charges user add` (role admin, the session's tenant), who is then mailed a one-time
 * sign-in link, and disables an admin through the job of `user disable`. Both audited with who asked.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addUser, disableUserByEmail } from '../../../jobs/users.ts';
import { localDate } from '../../domain/calendar.ts';
import { InputError } from '../../domain/errors.ts';
import { signInUser } from '../../store/sessions.ts';
import { findUser, listUsers } from '../../store/users.ts';
import { pageLocale, wordsOf, type Words } from '../i18n.ts';
import { webJobContext, type WebContext } from '../server.ts';
import { mailLink } from '../sign-in.ts';
import { contractPage, OWNER, ownTenant } from './contract-page.ts';
import { fill } from '../i18n.ts';

const field = (request: FastifyRequest, name: string): string => {
  const v = (request.body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.trim() : '';
};

/** The page's words for a refusal of `addUser` (an address or a name it does not take). */
function refusal(err: InputError, email: string, t: Words): string {
  return err.message.startsWith('--name:') ? t.pcPersonNameBad : fill(t.pcBadAddress, { value: email });
}

function listPage(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  extra: { code?: number; notice?: string; error?: string; typed?: { email: string; name: string } } = {},
): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const tenant = ownTenant(request);
  const people = listUsers(ctx.store)
    .filter((u) => u.tenantName === tenant.tenantName)
    .sort((a, b) => (a.role === b.role ? 0 : a.role === 'owner' ? -1 : 1))
    .map((u) => ({
      email: u.email,
      name: u.name,
      role: u.role === 'owner' ? t.pcOwner : t.pcAdmin,
      since: localDate(Date.parse(u.createdAt), ctx.config.billingTimeZone),
      disabled: u.disabledAt !== null,
      you: u.email.toLowerCase() === tenant.email.toLowerCase(),
      // Only an active admin can be disabled here: never an owner, never oneself.
      canDisable: u.role === 'admin' && u.disabledAt === null,
    }));
  return contractPage(request, reply, ctx, {
    view: 'contract-people',
    title: t.pcPeople,
    data: { people, typed: extra.typed ?? { email: '', name: '' } },
    ...(extra.code === undefined ? {} : { code: extra.code }),
    frame: {
      ...(extra.notice === undefined ? {} : { notice: extra.notice }),
      ...(extra.error === undefined ? {} : { error: extra.error }),
    },
  });
}

export function registerPeople(app: FastifyInstance, ctx: WebContext): void {
  app.get('/people', OWNER, async (request, reply) => listPage(ctx, request, reply));

  // Invite an admin: `user add EMAIL --tenant <the session's> --role admin`, then a mailed link.
  app.post('/people', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const tenant = ownTenant(request);
    const email = field(request, 'email');
    const name = field(request, 'name');
    const typed = { email, name };
    const taken = email === '' ? undefined : findUser(ctx.store, email);
    if (taken !== undefined)
      return listPage(ctx, request, reply, {
        code: 400,
        error: fill(taken.tenantName === tenant.tenantName ? t.pcPersonHere : t.pcPersonElsewhere, {
          value: email,
        }),
        typed,
      });
    try {
      addUser(webJobContext(ctx), { email, name, role: 'admin', tenantName: tenant.tenantName, by: tenant.email });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // Taken in the meantime: the same answer as above.
      if (findUser(ctx.store, email) !== undefined)
        return listPage(ctx, request, reply, { code: 400, error: fill(t.pcPersonElsewhere, { value: email }), typed });
      return listPage(ctx, request, reply, { code: 400, error: refusal(err, email, t), typed });
    }
    try {
      await mailLink(ctx, signInUser(ctx.store, email)!, 'sign-in', pageLocale(request));
    } catch (err) {
      // The admin is added; only the mail did not go. They can ask for a link on the sign-in page.
      ctx.log?.error({ err: (err as Error).message, email }, 'the invitation could not be mailed');
      return listPage(ctx, request, reply, { code: 502, error: fill(t.pcInviteNotMailed, { value: email }) });
    }
    return listPage(ctx, request, reply, { notice: fill(t.pcInvited, { value: email }) });
  });

  // Disable an admin of the tenant: `user disable EMAIL`. Another tenant's person is not found.
  app.post('/people/disable', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const tenant = ownTenant(request);
    const email = field(request, 'email');
    const person = email === '' ? undefined : findUser(ctx.store, email);
    if (person === undefined || person.tenantName !== tenant.tenantName) return reply.callNotFound();
    const problem =
      person.email.toLowerCase() === tenant.email.toLowerCase()
        ? t.pcNotYourself
        : person.role !== 'admin'
          ? t.pcNotOwner
          : person.disabledAt !== null
            ? fill(t.pcAlreadyDisabled, { value: person.email })
            : null;
    if (problem !== null) return listPage(ctx, request, reply, { code: 400, error: problem });
    disableUserByEmail(webJobContext(ctx), {
      email: person.email,
      by: tenant.email,
      reason: 'disabled by the tenant’s owner on the portal',
    });
    return listPage(ctx, request, reply, { notice: fill(t.pcPersonDisabled, { value: person.email }) });
  });
}
