/**
 * The people of the web console and the tenant portal: added with a role (the billing team's
 * operator or viewer, or a tenant's owner or admin), listed, disabled. Each change is one
 * transaction, audited with who asked.
 */
import * as z from 'zod';
import { InputError } from '../src/domain/errors.ts';
import { recordAudit } from '../src/store/audit.ts';
import { inTransaction } from '../src/store/db.ts';
import { endUserSessions } from '../src/store/sessions.ts';
import { findTenantRef } from '../src/store/tenants.ts';
import { disableUser, findUser, insertUser, ROLES, TENANT_ROLES, type Role, type UserRow } from '../src/store/users.ts';
import type { JobContext } from './context.ts';

const EMAIL = z.email();

/** Someone to add. */
export interface NewUserRequest {
  email: string;
  name: string;
  role: string;
  /** The tenant of an owner or admin; null for the billing team. */
  tenantName: string | null;
  /** Who asks (recorded). */
  by: string;
}

/**
 * Adds a person. Refused (InputError naming the option): an address that is not one plain e-mail
 * address or is taken (whatever its letter case), an unknown role, a tenant role without an
 * existing tenant, a billing-team role with one.
 */
export function addUser(ctx: Pick<JobContext, 'store' | 'now'>, request: NewUserRequest): UserRow {
  const { store: db } = ctx;
  const email = request.email.trim();
  if (email.length > 254 || /[\p{Cc}\s]/u.test(email) || !EMAIL.safeParse(email).success)
    throw new InputError(`EMAIL: ${JSON.stringify(request.email)} is not one plain e-mail address`);
  if (!(ROLES as readonly string[]).includes(request.role))
    throw new InputError(`--role: "${request.role}" must be ${ROLES.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`);
  const role = request.role as Role;
  const name = request.name.trim();
  if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(name) || name.length > 100)
    throw new InputError('--name: must be one line of at most 100 characters');
  const forTenant = TENANT_ROLES.includes(role);
  if (forTenant && request.tenantName === null)
    throw new InputError(`--tenant: a tenant's ${role} belongs to a tenant: give --tenant T`);
  if (!forTenant && request.tenantName !== null)
    throw new InputError(
      `--tenant: an ${role} belongs to the billing team, not to a tenant (a tenant's people are owner or admin)`,
    );
  return inTransaction(db, () => {
    let tenantPk: number | null = null;
    if (request.tenantName !== null) {
      const tenant = findTenantRef(db, request.tenantName);
      if (tenant === undefined)
        throw new InputError(`--tenant: tenant ${JSON.stringify(request.tenantName)} does not exist`);
      tenantPk = tenant.tenantPk;
    }
    const taken = findUser(db, email);
    if (taken !== undefined)
      throw new InputError(
        `EMAIL: ${taken.email} is already a user (${taken.role}${taken.tenantName === null ? '' : ` of ${taken.tenantName}`}${taken.disabledAt === null ? '' : ', disabled'})`,
      );
    const now = ctx.now().toISOString();
    insertUser(db, { email, name, role, tenantPk, now });
    recordAudit(db, now, 'user-added', request.tenantName ?? '*', { email, role, name, by: request.by });
    return findUser(db, email)!;
  });
}

/** Disables a person: every sign-in of theirs is refused from now on. */
export function disableUserByEmail(
  ctx: Pick<JobContext, 'store' | 'now'>,
  request: { email: string; by: string; reason: string },
): UserRow {
  const { store: db } = ctx;
  return inTransaction(db, () => {
    const user = findUser(db, request.email.trim());
    if (user === undefined) throw new InputError(`EMAIL: no user has the address ${JSON.stringify(request.email)}`);
    if (user.disabledAt !== null) throw new InputError(`EMAIL: ${user.email} was disabled at ${user.disabledAt}`);
    const now = ctx.now().toISOString();
    disableUser(db, user.userPk, now);
    // Signed in somewhere: that session ends now too.
    endUserSessions(db, user.userPk, now);
    recordAudit(db, now, 'user-disabled', user.tenantName ?? '*', {
      email: user.email,
      role: user.role,
      reason: request.reason,
      by: request.by,
    });
    return findUser(db, user.email)!;
  });
}
