/** The tenants table: the billed customers, as the imports find, add and change them. */
import type { Locale } from '../domain/vocabulary.ts';
import type { CsvEncoding } from '../statements/csv.ts';
import { cachedStatement, type Db } from './db.ts';

/** The stored facts about a tenant that the imports of its data check against. */
export interface TenantRef {
  tenantPk: number;
  tenantName: string;
  deletedAt: string | null;
  currency: string;
  locale: Locale;
  csvEncoding: CsvEncoding | null;
}

/** A stored tenant as the tenants import compares it with an incoming row. */
export interface StoredTenant {
  tenantPk: number;
  displayName: string;
  cutoffDay: number;
  pendingCutoffDay: number | null;
  pendingCutoffRequestedAt: string | null;
  locale: string;
  currency: string;
  deletedAt: string | null;
  csvEncoding: CsvEncoding | null;
}

/** A tenant to add. */
export interface NewTenant {
  tenantName: string;
  displayName: string;
  cutoffDay: number;
  locale: string;
  currency: string;
  deletedAt: string | null;
  csvEncoding: CsvEncoding | null;
  /** Its creation and update time. */
  now: string;
}

/** The new state of a stored tenant, and the update time. */
export type TenantChange = StoredTenant & { now: string };

interface TenantRefRow {
  tenant_pk: number;
  tenant_name: string;
  deleted_at: string | null;
  currency: string;
  locale: Locale;
  csv_encoding: CsvEncoding | null;
}

interface StoredTenantRow {
  tenant_pk: number;
  display_name: string;
  cutoff_day: number;
  pending_cutoff_day: number | null;
  pending_cutoff_requested_at: string | null;
  locale: string;
  currency: string;
  deleted_at: string | null;
  csv_encoding: CsvEncoding | null;
}

/** The tenant named `name` (exactly), when there is one. */
export function findTenantRef(db: Db, name: string): TenantRef | undefined {
  const r = cachedStatement(
    db,
    'SELECT tenant_pk, tenant_name, deleted_at, currency, locale, csv_encoding FROM tenants WHERE tenant_name = ?',
  ).get(name) as TenantRefRow | undefined;
  if (r === undefined) return undefined;
  return {
    tenantPk: r.tenant_pk,
    tenantName: r.tenant_name,
    deletedAt: r.deleted_at,
    currency: r.currency,
    locale: r.locale,
    csvEncoding: r.csv_encoding,
  };
}

/** The stored tenant named `name` (exactly), with what a re-import may change. */
export function findStoredTenant(db: Db, name: string): StoredTenant | undefined {
  const r = cachedStatement(
    db,
    `SELECT tenant_pk, display_name, cutoff_day, pending_cutoff_day, pending_cutoff_requested_at,
      locale, currency, deleted_at, csv_encoding FROM tenants WHERE tenant_name = ?`,
  ).get(name) as StoredTenantRow | undefined;
  if (r === undefined) return undefined;
  return {
    tenantPk: r.tenant_pk,
    displayName: r.display_name,
    cutoffDay: r.cutoff_day,
    pendingCutoffDay: r.pending_cutoff_day,
    pendingCutoffRequestedAt: r.pending_cutoff_requested_at,
    locale: r.locale,
    currency: r.currency,
    deletedAt: r.deleted_at,
    csvEncoding: r.csv_encoding,
  };
}

/** The stored name of a tenant whose name is `name` in some letter case, when there is one. */
export function tenantNameInAnyCase(db: Db, name: string): string | undefined {
  return cachedStatement(db, 'SELECT tenant_name FROM tenants WHERE tenant_name = ? COLLATE NOCASE')
    .pluck()
    .get(name) as string | undefined;
}

/** Adds a tenant. */
export function insertTenant(db: Db, tenant: NewTenant): void {
  cachedStatement(
    db,
    `INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, deleted_at, csv_encoding, created_at, updated_at)
      VALUES (@tenantName, @displayName, @cutoffDay, @locale, @currency, @deletedAt, @csvEncoding, @now, @now)`,
  ).run(tenant);
}

/** Stores a tenant's new state. */
export function updateTenant(db: Db, change: TenantChange): void {
  cachedStatement(
    db,
    `UPDATE tenants SET display_name = @displayName, cutoff_day = @cutoffDay,
      pending_cutoff_day = @pendingCutoffDay, pending_cutoff_requested_at = @pendingCutoffRequestedAt, locale = @locale,
      currency = @currency, deleted_at = @deletedAt, csv_encoding = @csvEncoding, updated_at = @now WHERE tenant_pk = @tenantPk`,
  ).run(change);
}

/**
 * The number the store raises on every change to what the pages show of a tenant (migration 14:
 * its row, contacts, statements and their voids, holds, files, file settings and deliveries, its
 * audit entries), or undefined for no such tenant. Read it before the rows a page is made of: a
 * page kept under this number is then never older than the number says.
 */
export function tenantChanges(db: Db, tenantName: string): number | undefined {
  return cachedStatement(
    db,
    'SELECT coalesce(c.version, 0) FROM tenants t LEFT JOIN tenant_changes c USING (tenant_pk) WHERE t.tenant_name = ?',
  )
    .pluck()
    .get(tenantName) as number | undefined;
}
