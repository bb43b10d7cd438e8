/** The people of the web console and the tenant portal (`users`), as `user add/list/disable` find and change them. */
import { cachedStatement, type Db } from './db.ts';

/** What a person may do: the billing team's `operator` (everything) and `viewer` (reads), a tenant's `owner` and `admin`. */
export type Role = 'operator' | 'viewer' | 'owner' | 'admin';
export const ROLES: readonly Role[] = ['operator', 'viewer', 'owner', 'admin'];
/** The roles that belong to one tenant. */
export const TENANT_ROLES: readonly Role[] = ['owner', 'admin'];

/** A person as the lists show them. */
export interface UserRow {
  userPk: number;
  email: string;
  name: string;
  role: Role;
  /** The tenant an owner or admin belongs to; null for the billing team. */
  tenantName: string | null;
  disabledAt: string | null;
  createdAt: string;
}

const USER_SELECT = `SELECT u.user_pk AS userPk, u.email, u.name, u.role, t.tenant_name AS tenantName,
    u.disabled_at AS disabledAt, u.created_at AS createdAt
  FROM users u LEFT JOIN tenants t USING (tenant_pk)`;

/** The person with this address (whatever its letter case), if any. */
export function findUser(db: Db, email: string): UserRow | undefined {
  return cachedStatement(db, `${USER_SELECT} WHERE lower(u.email) = lower(?)`).get(email) as UserRow | undefined;
}

/** Adds a person; returns their key. */
export function insertUser(
  db: Db,
  user: { email: string; name: string; role: Role; tenantPk: number | null; now: string },
): number {
  return Number(
    cachedStatement(
      db,
      `INSERT INTO users (email, name, role, tenant_pk, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING user_pk`,
    )
      .pluck()
      .get(user.email, user.name, user.role, user.tenantPk, user.now, user.now) as number,
  );
}

/** Everyone, the billing team first, then by tenant and address. */
export function listUsers(db: Db): UserRow[] {
  return cachedStatement(
    db,
    `${USER_SELECT} ORDER BY t.tenant_name IS NOT NULL, t.tenant_name, lower(u.email)`,
  ).all() as UserRow[];
}

/** Disables a person (every sign-in refused from now on); false when they were disabled already. */
export function disableUser(db: Db, userPk: number, now: string): boolean {
  return (
    cachedStatement(
      db,
      'UPDATE users SET disabled_at = ?, updated_at = ? WHERE user_pk = ? AND disabled_at IS NULL',
    ).run(now, now, userPk).changes === 1
  );
}
