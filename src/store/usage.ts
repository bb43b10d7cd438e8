/** The usage_records table: metered intervals and quantities, as the imports read and add them. */
import { cachedStatement, type Db } from './db.ts';

/** What a usage record says of its resource, its time or quantity and its size. */
interface UsageRecordFields {
  recordId: string;
  resourceId: string;
  resourceName: string;
  resourceKind: string;
  component: string;
  productId: string;
  timeKind: string;
  startAt: string;
  endAt: string | null;
  quantity: string;
  cpuCount: number | null;
  clockGhz: string | null;
  sizeGb: string | null;
  vmCount: number | null;
  vcpu: number | null;
}

/** A usage record as imported, with its tenant's name and its L-Platform's ID. */
export interface StoredUsageRecord extends UsageRecordFields {
  tenantName: string;
  lplatformId: string;
}

/** A usage record to add. */
export interface NewUsageRecord extends UsageRecordFields {
  tenantPk: number;
  lplatformPk: number;
  /** The open month a record of a finalized month is booked in (`--as-adjustment`), else null. */
  bookedMonth: string | null;
  /** Its creation time. */
  now: string;
}

/** The usage of one resource, component, product and time kind of a tenant: its records never overlap. */
export interface UsageSlot {
  tenantPk: number;
  resourceId: string;
  component: string;
  productId: string;
  timeKind: string;
}

/** A resource's ID and name. */
export interface ResourceName {
  resourceId: string;
  resourceName: string;
}

/** A usage record's row as read with its tenant's name and its L-Platform's ID. */
export interface StoredUsageRow {
  record_id: string;
  tenant_name: string;
  lplatform_id: string;
  resource_id: string;
  resource_name: string;
  resource_kind: string;
  component: string;
  product_id: string;
  time_kind: string;
  start_at: string;
  end_at: string | null;
  quantity: string;
  cpu_count: number | null;
  clock_ghz: string | null;
  size_gb: string | null;
  vm_count: number | null;
  vcpu: number | null;
}

/** The record with the ID `recordId`, when there is one. */
export function findUsageRecord(db: Db, recordId: string): StoredUsageRecord | undefined {
  const r = cachedStatement(
    db,
    `SELECT u.record_id, t.tenant_name, l.lplatform_id, u.resource_id, u.resource_name, u.resource_kind, u.component,
      u.product_id, u.time_kind, u.start_at, u.end_at, u.quantity, u.cpu_count, u.clock_ghz, u.size_gb, u.vm_count,
      u.vcpu FROM usage_records u JOIN tenants t USING (tenant_pk) JOIN lplatforms l USING (lplatform_pk)
      WHERE u.record_id = ?`,
  ).get(recordId) as StoredUsageRow | undefined;
  return r === undefined ? undefined : storedUsageRecord(r);
}

/** A stored usage record as read with its tenant's name and its L-Platform's ID. */
export function storedUsageRecord(r: StoredUsageRow): StoredUsageRecord {
  return {
    recordId: r.record_id,
    tenantName: r.tenant_name,
    lplatformId: r.lplatform_id,
    resourceId: r.resource_id,
    resourceName: r.resource_name,
    resourceKind: r.resource_kind,
    component: r.component,
    productId: r.product_id,
    timeKind: r.time_kind,
    startAt: r.start_at,
    endAt: r.end_at,
    quantity: r.quantity,
    cpuCount: r.cpu_count,
    clockGhz: r.clock_ghz,
    sizeGb: r.size_gb,
    vmCount: r.vm_count,
    vcpu: r.vcpu,
  };
}

/** Adds a usage record. */
export function insertUsageRecord(db: Db, r: NewUsageRecord): void {
  cachedStatement(
    db,
    `INSERT INTO usage_records (record_id, tenant_pk, lplatform_pk, resource_id, resource_name,
      resource_kind, component, product_id, time_kind, start_at, end_at, quantity, cpu_count, clock_ghz, size_gb,
      vm_count, vcpu, booked_month, created_at)
      VALUES (@recordId, @tenantPk, @lplatformPk, @resourceId, @resourceName, @resourceKind, @component,
      @productId, @timeKind, @startAt, @endAt, @quantity, @cpuCount, @clockGhz, @sizeGb, @vmCount, @vcpu, @bookedMonth, @now)`,
  ).run(r);
}

/**
 * The record of the slot starting latest before `before`, with its end. Stored records of one
 * slot never overlap, so sorted by start their ends are sorted too: only this one can reach past
 * a new record's start (one index probe).
 */
export function latestSlotRecordBefore(
  db: Db,
  slot: UsageSlot,
  before: string,
): { recordId: string; endAt: string } | undefined {
  const r = cachedStatement(
    db,
    `SELECT record_id, end_at FROM usage_records WHERE tenant_pk = ? AND resource_id = ?
      AND component = ? AND product_id = ? AND time_kind = ? AND start_at < ? ORDER BY start_at DESC LIMIT 1`,
  ).get(slot.tenantPk, slot.resourceId, slot.component, slot.productId, slot.timeKind, before) as
    { record_id: string; end_at: string } | undefined;
  return r === undefined ? undefined : { recordId: r.record_id, endAt: r.end_at };
}

/** Whether the tenant has any usage record. */
export function tenantHasUsage(db: Db, tenantPk: number): boolean {
  return (
    cachedStatement(db, 'SELECT 1 FROM usage_records WHERE tenant_pk = ? LIMIT 1').pluck().get(tenantPk) !== undefined
  );
}

/** The latest start of the tenant's usage, or null when it has none. */
export function latestUsageStartOfTenant(db: Db, tenantPk: number): string | null {
  return cachedStatement(db, 'SELECT MAX(start_at) FROM usage_records WHERE tenant_pk = ?').pluck().get(tenantPk) as
    string | null;
}

/** The latest start of the L-Platform's usage, or null when it has none. */
export function latestUsageStartOfLplatform(db: Db, lplatformPk: number): string | null {
  return cachedStatement(db, 'SELECT MAX(start_at) FROM usage_records WHERE lplatform_pk = ?')
    .pluck()
    .get(lplatformPk) as string | null;
}

/**
 * The tenant's resources (each ID and name once, by ID) with usage booked late or reaching `since`:
 * those whose names its open months may still write.
 */
export function resourcesUsedSince(db: Db, tenantPk: number, since: string): ResourceName[] {
  const rows = cachedStatement(
    db,
    `SELECT DISTINCT resource_id, resource_name FROM usage_records WHERE tenant_pk = ?
      AND (booked_month IS NOT NULL OR COALESCE(end_at, start_at) >= ?) ORDER BY resource_id`,
  ).all(tenantPk, since) as { resource_id: string; resource_name: string }[];
  return rows.map((r) => ({ resourceId: r.resource_id, resourceName: r.resource_name }));
}
