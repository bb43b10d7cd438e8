/** The lplatforms table: a tenant's groups of servers, as the imports find, add and change them. */
import { cachedStatement, type Db } from './db.ts';

/** A stored L-Platform. */
export interface StoredLplatform {
  lplatformPk: number;
  tenantPk: number;
  lplatformName: string;
  returnedAt: string | null;
  region: string;
}

/** An L-Platform to add. */
export interface NewLplatform {
  lplatformId: string;
  tenantPk: number;
  lplatformName: string;
  returnedAt: string | null;
  region: string;
  /** Its creation and update time. */
  now: string;
}

/** The new state of a stored L-Platform. */
export interface LplatformChange {
  lplatformPk: number;
  lplatformName: string;
  returnedAt: string | null;
  region: string;
  /** The update time. */
  now: string;
}

/** An L-Platform's ID and name. */
export interface LplatformName {
  lplatformId: string;
  lplatformName: string;
}

interface StoredLplatformRow {
  lplatform_pk: number;
  tenant_pk: number;
  lplatform_name: string;
  returned_at: string | null;
  region: string;
}

/** The L-Platform with the ID `id` (exactly), when there is one. */
export function findLplatform(db: Db, id: string): StoredLplatform | undefined {
  const r = cachedStatement(
    db,
    'SELECT lplatform_pk, tenant_pk, lplatform_name, returned_at, region FROM lplatforms WHERE lplatform_id = ?',
  ).get(id) as StoredLplatformRow | undefined;
  if (r === undefined) return undefined;
  return {
    lplatformPk: r.lplatform_pk,
    tenantPk: r.tenant_pk,
    lplatformName: r.lplatform_name,
    returnedAt: r.returned_at,
    region: r.region,
  };
}

/** The stored ID of an L-Platform whose ID is `id` in some letter case, when there is one. */
export function lplatformIdInAnyCase(db: Db, id: string): string | undefined {
  return cachedStatement(db, 'SELECT lplatform_id FROM lplatforms WHERE lplatform_id = ? COLLATE NOCASE')
    .pluck()
    .get(id) as string | undefined;
}

/** Adds an L-Platform. */
export function insertLplatform(db: Db, l: NewLplatform): void {
  cachedStatement(
    db,
    `INSERT INTO lplatforms (lplatform_id, tenant_pk, lplatform_name, returned_at, region, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(l.lplatformId, l.tenantPk, l.lplatformName, l.returnedAt, l.region, l.now, l.now);
}

/** Stores an L-Platform's new state. */
export function updateLplatform(db: Db, change: LplatformChange): void {
  cachedStatement(
    db,
    'UPDATE lplatforms SET lplatform_name = ?, returned_at = ?, region = ?, updated_at = ? WHERE lplatform_pk = ?',
  ).run(change.lplatformName, change.returnedAt, change.region, change.now, change.lplatformPk);
}

/**
 * The tenant's L-Platforms not returned by `since` (a returned one is still open when returned
 * after it), by ID: those whose names its open months may still write.
 */
export function lplatformsOpenSince(db: Db, tenantPk: number, since: string): LplatformName[] {
  const rows = cachedStatement(
    db,
    `SELECT lplatform_id, lplatform_name FROM lplatforms WHERE tenant_pk = ?
      AND (returned_at IS NULL OR returned_at > ?) ORDER BY lplatform_id`,
  ).all(tenantPk, since) as { lplatform_id: string; lplatform_name: string }[];
  return rows.map((r) => ({ lplatformId: r.lplatform_id, lplatformName: r.lplatform_name }));
}
