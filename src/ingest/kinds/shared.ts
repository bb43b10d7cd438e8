/** Look-ups the import kinds share: tenants and L-Platforms by their names. */
import type { Db } from '../../store/db.ts';
import type { Report } from '../import-kind.ts';
import { quoted } from '../../domain/text.ts';

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

/** The first field in which an incoming row differs from the stored one, and how. */
export interface Difference {
  field: string;
  /** `field: "old" -> "new"`, for messages. */
  text: string;
}

/** Compares a stored row with incoming values and names the first field that differs. */
export function firstDifference(stored: Record<string, unknown>, incoming: Record<string, unknown>): Difference | null {
  for (const [field, value] of Object.entries(incoming)) {
    const old = stored[field] ?? null;
    const now = value ?? null;
    if (old !== now) return { field, text: `${field}: ${shownValue(old)} -> ${shownValue(now)}` };
  }
  return null;
}

/** A stored or incoming value in a message: text quoted (bounded, escaped), anything else as JSON. */
function shownValue(value: unknown): string {
  return typeof value === 'string' ? quoted(value) : JSON.stringify(value);
}

/** Finds the tenant a row names, or reports that it does not exist. */
export function requireTenant(find: (name: string) => TenantRef | undefined, name: string, report: Report): TenantRef | undefined {
  const tenant = find(name);
  if (!tenant) report('tenant_name', `tenant "${name}" does not exist (import tenants first)`);
  return tenant;
}
