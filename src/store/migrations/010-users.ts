/**
 * Migration 10: the people who use the web console and the tenant portal.
 * - `users`: one per e-mail address (unique whatever its letter case). `operator` and `viewer`
 *   belong to the billing team (no tenant); a tenant's `owner` and `admin` belong to one tenant.
 *   `disabled_at`: the person may no longer sign in.
 */
export const sql = `
CREATE TABLE users (
  user_pk INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('operator', 'viewer', 'owner', 'admin')),
  tenant_pk INTEGER REFERENCES tenants (tenant_pk),
  disabled_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((role IN ('owner', 'admin')) = (tenant_pk IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_tenant ON users (tenant_pk);
`;
