/**
 * `/contacts`: the addresses the tenant's statements are mailed to (the contacts the import keeps):
 * listed, added, deactivated and reactivated, never deleted (the mails sent keep them). The mails
 * of a statement are made when it is finalized (jobs/close.ts), to the addresses active then: a
 * change applies from the next statement finalized. Each change is audited with who made it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { emailAddress } from '../../ingest/fields.ts';
import { recordAudit } from '../../store/audit.ts';
import { findContact, insertContact, tenantContacts, updateContact } from '../../store/contacts.ts';
import { inTransaction } from '../../store/db.ts';
import { pageLocale, wordsOf } from '../i18n.ts';
import type { WebContext } from '../server.ts';
import { contractPage, OWNER, ownTenant } from './contract-page.ts';
import { fill } from '../i18n.ts';

/** The address check of the contacts import. */
const ADDRESS = emailAddress();

const field = (request: FastifyRequest, name: string): string => {
  const v = (request.body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.trim() : '';
};

function listPage(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  extra: {
    code?: number;
    notice?: string;
    error?: string;
    typed?: { email: string; name: string };
    confirmLast?: string;
  } = {},
): FastifyReply {
  const t = wordsOf(pageLocale(request));
  const contacts = tenantContacts(ctx.store, ownTenant(request).tenantPk);
  return contractPage(request, reply, ctx, {
    view: 'contract-contacts',
    title: t.pcContacts,
    data: {
      contacts: contacts.map((c) => ({ email: c.email, name: c.contactName, active: c.active === 1 })),
      noActive: !contacts.some((c) => c.active === 1),
      typed: extra.typed ?? { email: '', name: '' },
      confirmLast: extra.confirmLast ?? '',
      confirmLastText: extra.confirmLast === undefined ? '' : fill(t.pcLastActive, { value: extra.confirmLast }),
    },
    ...(extra.code === undefined ? {} : { code: extra.code }),
    frame: {
      ...(extra.notice === undefined ? {} : { notice: extra.notice }),
      ...(extra.error === undefined ? {} : { error: extra.error }),
    },
  });
}

export function registerContacts(app: FastifyInstance, ctx: WebContext): void {
  app.get('/contacts', OWNER, async (request, reply) => listPage(ctx, request, reply));

  app.post('/contacts', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const tenant = ownTenant(request);
    const email = field(request, 'email');
    const name = field(request, 'name');
    const typed = { email, name };
    if (!ADDRESS.safeParse(email).success)
      return listPage(ctx, request, reply, { code: 400, error: fill(t.pcBadAddress, { value: email }), typed });
    if ([...name].length > 128 || /[\p{Cc}\p{Zl}\p{Zp}]/u.test(name))
      return listPage(ctx, request, reply, { code: 400, error: t.pcBadName, typed });
    const now = ctx.now().toISOString();
    const problem = inTransaction(ctx.store, () => {
      const stored = findContact(ctx.store, tenant.tenantPk, email);
      if (stored !== undefined)
        return fill(stored.active === 1 ? t.pcContactExists : t.pcContactExistsInactive, { value: stored.email });
      insertContact(ctx.store, tenant.tenantPk, { email, contactName: name, active: 1, now });
      recordAudit(ctx.store, now, 'contact-added', tenant.tenantName, {
        contact: email,
        contactName: name,
        email: tenant.email,
      });
      return null;
    });
    if (problem !== null) return listPage(ctx, request, reply, { code: 400, error: problem, typed });
    return listPage(ctx, request, reply, { notice: fill(t.pcContactAdded, { value: email }) });
  });

  // Deactivate or reactivate one of the tenant's addresses (another tenant's is not found). The
  // last active one is deactivated only once the warning is confirmed.
  app.post('/contacts/active', OWNER, async (request, reply) => {
    const t = wordsOf(pageLocale(request));
    const tenant = ownTenant(request);
    const email = field(request, 'email');
    const active = field(request, 'active') === '1' ? 1 : 0;
    const confirmed = field(request, 'confirm') === '1';
    const now = ctx.now().toISOString();
    const outcome = inTransaction(ctx.store, (): 'missing' | 'last' | 'unchanged' | 'changed' => {
      const stored = email === '' ? undefined : findContact(ctx.store, tenant.tenantPk, email);
      if (stored === undefined) return 'missing';
      if (stored.active === active) return 'unchanged';
      if (active === 0 && !confirmed) {
        const others = tenantContacts(ctx.store, tenant.tenantPk).filter(
          (c) => c.active === 1 && c.contactPk !== stored.contactPk,
        );
        if (others.length === 0) return 'last';
      }
      updateContact(ctx.store, stored.contactPk, { ...stored, active, now });
      recordAudit(ctx.store, now, 'contact-changed', tenant.tenantName, {
        contact: stored.email,
        active: active === 1,
        email: tenant.email,
      });
      return 'changed';
    });
    if (outcome === 'missing') return reply.callNotFound();
    const shown = findContact(ctx.store, tenant.tenantPk, email)!.email;
    if (outcome === 'last') return listPage(ctx, request, reply, { confirmLast: shown });
    return listPage(ctx, request, reply, {
      notice: fill(active === 1 ? t.pcContactReactivated : t.pcContactDeactivated, { value: shown }),
    });
  });
}
