/** Look-ups the import kinds share: tenants and L-Platforms by their names. */
import type { Db } from '../../store/db.ts';

/** The stored facts about a tenant that imports check against. */
export interface TenantRef {
  tenant_pk: number;
  deleted_at: string | null;
  currency: string;
}

/** Returns a function finding a tenant by name (prepared once). */
export function tenantFinder(db: Db): (name: string) => TenantRef | undefined {
  const stmt = db.prepare('SELECT tenant_pk, deleted_at, currency FROM tenants WHERE tenant_name = ?');
  return (name) => stmt.get(name) as TenantRef | undefined;
}

/** Compares a stored row with incoming values and names the first field that differs. */
export function firstDifference(stored: Record<string, unknown>, incoming: Record<string, unknown>): string | null {
  for (const [field, value] of Object.entries(incoming)) {
    const old = stored[field] ?? null;
    const now = value ?? null;
    if (old !== now) return `${field}: ${JSON.stringify(old)} -> ${JSON.stringify(now)}`;
  }
  return null;
}
