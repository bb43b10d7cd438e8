/**
 * The tenant portal's contract pages, for the contract owner only (an admin gets 404): coupons
 * (`/coupons`), statement addresses (`/contacts`) and people (`/people`). The tenant is always the
 * session's; every change is audited with the e-mail of who made it, in the transaction of the change.
 */
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../server.ts';
import { registerContacts } from './contacts.ts';
import { registerCoupons } from './coupons.ts';
import { registerPeople } from './people.ts';

/** The three contract pages. */
export function registerContract(app: FastifyInstance, ctx: WebContext): void {
  registerCoupons(app, ctx);
  registerContacts(app, ctx);
  registerPeople(app, ctx);
}
