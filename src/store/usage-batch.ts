/**
 * The usage import's reads and writes of a batch of rows, on PostgreSQL: what findUsageRecord,
 * finalizedMonthAt / finalizedMonthOverlapping, firstFinalizedStartAfter and latestSlotRecordBefore
 * ask for one row, asked for every row of a batch in one round trip each, and the batch's new
 * records written with one INSERT. Each query is the per-row query itself, run for each element
 * of a JSON list of the rows' values (one parameter, whatever the batch's size), so that its
 * answer for a row is the per-row query's answer as of the batch's start.
 */
import { connection, type Db } from './db.ts';
import { PostgresError } from './postgres.ts';
import {
  storedUsageRecord,
  type NewUsageRecord,
  type StoredUsageRecord,
  type StoredUsageRow,
  type UsageSlot,
} from './usage.ts';

/** The stored records among `recordIds`, by record ID. */
export function findUsageRecords(db: Db, recordIds: readonly string[]): Map<string, StoredUsageRecord> {
  const rows = connection(db)
    .prepare(
      `SELECT u.record_id, t.tenant_name, l.lplatform_id, u.resource_id, u.resource_name, u.resource_kind, u.component,
      u.product_id, u.time_kind, u.start_at, u.end_at, u.quantity, u.cpu_count, u.clock_ghz, u.size_gb, u.vm_count,
      u.vcpu FROM usage_records u JOIN tenants t USING (tenant_pk) JOIN lplatforms l USING (lplatform_pk)
      WHERE u.record_id IN (SELECT json_array_elements_text(?::json))`,
    )
    .all(JSON.stringify(recordIds)) as StoredUsageRow[];
  return new Map(rows.map((r) => [r.record_id, storedUsageRecord(r)]));
}

/** A row's time, as the checks of finalized months ask about it. */
export interface UsageTime {
  tenantPk: number;
  startAt: string;
  /** Null for a quantity (an instant). */
  endAt: string | null;
}

/** What the store says of a row's time: the finalized month it falls in, and where billing begins after it. */
export interface FinalizedFacts {
  /** finalizedMonthAt (a quantity) or finalizedMonthOverlapping (an interval). */
  month: string | undefined;
  /** firstFinalizedStartAfter(startAt). */
  before: string | undefined;
}

/** For each of `times` (in order), its FinalizedFacts. */
export function finalizedFactsOf(db: Db, times: readonly UsageTime[]): FinalizedFacts[] {
  if (times.length === 0) return [];
  // The subqueries are those of finalized.ts, word for word but for the row they read.
  const rows = connection(db)
    .prepare(
      `SELECT i.n,
        CASE WHEN i.end_at IS NULL THEN
          (SELECT billing_month FROM current_statements WHERE tenant_pk = i.tenant_pk
            AND period_start <= i.start_at AND period_end > i.start_at LIMIT 1)
        ELSE
          (SELECT billing_month FROM current_statements WHERE tenant_pk = i.tenant_pk
            AND period_start < i.end_at AND period_end > i.start_at ORDER BY billing_month LIMIT 1)
        END AS month,
        (SELECT MIN(period_start) FROM statements WHERE tenant_pk = i.tenant_pk AND status = 'fixed'
          HAVING MIN(period_start) > i.start_at) AS first_start
      FROM json_to_recordset(?::json) AS i(n integer, tenant_pk bigint, start_at text, end_at text)`,
    )
    .all(JSON.stringify(times.map((t, n) => ({ n, tenant_pk: t.tenantPk, start_at: t.startAt, end_at: t.endAt })))) as {
    n: number;
    month: string | null;
    first_start: string | null;
  }[];
  const out: FinalizedFacts[] = [];
  for (const r of rows) out[r.n] = { month: r.month ?? undefined, before: r.first_start ?? undefined };
  return out;
}

/** A slot's record as latestSlotRecordBefore finds it, with its start. */
export interface SlotRecord {
  recordId: string;
  startAt: string;
  endAt: string;
}

/** For each of `asks` (in order), latestSlotRecordBefore(slot, before), with the record's start. */
export function latestSlotRecordsBefore(
  db: Db,
  asks: readonly (UsageSlot & { before: string })[],
): (SlotRecord | undefined)[] {
  if (asks.length === 0) return [];
  const rows = connection(db)
    .prepare(
      `SELECT i.n, x.record_id, x.start_at, x.end_at
      FROM json_to_recordset(?::json)
        AS i(n integer, tenant_pk bigint, resource_id text, component text, product_id text, time_kind text, until_at text)
      JOIN LATERAL (SELECT record_id, start_at, end_at FROM usage_records WHERE tenant_pk = i.tenant_pk
        AND resource_id = i.resource_id AND component = i.component AND product_id = i.product_id
        AND time_kind = i.time_kind AND start_at < i.until_at ORDER BY start_at DESC LIMIT 1) x ON true`,
    )
    .all(
      JSON.stringify(
        asks.map((a, n) => ({
          n,
          tenant_pk: a.tenantPk,
          resource_id: a.resourceId,
          component: a.component,
          product_id: a.productId,
          time_kind: a.timeKind,
          until_at: a.before,
        })),
      ),
    ) as { n: number; record_id: string; start_at: string; end_at: string }[];
  const out: (SlotRecord | undefined)[] = Array.from({ length: asks.length }, () => undefined);
  for (const r of rows) out[r.n] = { recordId: r.record_id, startAt: r.start_at, endAt: r.end_at };
  return out;
}

/** The columns of a new record, in the order of insertUsageRecord's. */
function columnsOf(r: NewUsageRecord): Record<string, string | number | null> {
  return {
    record_id: r.recordId,
    tenant_pk: r.tenantPk,
    lplatform_pk: r.lplatformPk,
    resource_id: r.resourceId,
    resource_name: r.resourceName,
    resource_kind: r.resourceKind,
    component: r.component,
    product_id: r.productId,
    time_kind: r.timeKind,
    start_at: r.startAt,
    end_at: r.endAt,
    quantity: r.quantity,
    cpu_count: r.cpuCount,
    clock_ghz: r.clockGhz,
    size_gb: r.sizeGb,
    vm_count: r.vmCount,
    vcpu: r.vcpu,
    booked_month: r.bookedMonth,
    created_at: r.now,
  };
}

const INSERT_MANY = `INSERT INTO usage_records (record_id, tenant_pk, lplatform_pk, resource_id, resource_name,
  resource_kind, component, product_id, time_kind, start_at, end_at, quantity, cpu_count, clock_ghz, size_gb,
  vm_count, vcpu, booked_month, created_at)
  SELECT r.record_id, r.tenant_pk, r.lplatform_pk, r.resource_id, r.resource_name, r.resource_kind, r.component,
    r.product_id, r.time_kind, r.start_at, r.end_at, r.quantity, r.cpu_count, r.clock_ghz, r.size_gb, r.vm_count,
    r.vcpu, r.booked_month, r.created_at
  FROM ROWS FROM (json_to_recordset(?::json) AS (record_id text, tenant_pk bigint, lplatform_pk bigint,
    resource_id text, resource_name text, resource_kind text, component text, product_id text, time_kind text,
    start_at text, end_at text, quantity text, cpu_count integer, clock_ghz text, size_gb text, vm_count integer,
    vcpu integer, booked_month text, created_at text)) WITH ORDINALITY
    AS r(record_id, tenant_pk, lplatform_pk, resource_id, resource_name, resource_kind, component, product_id,
    time_kind, start_at, end_at, quantity, cpu_count, clock_ghz, size_gb, vm_count, vcpu, booked_month, created_at, n)
  ORDER BY r.n`;

/** A record the store refused: its index among those given, and the store's error. */
export interface RefusedRecord {
  index: number;
  error: PostgresError;
}

/**
 * Adds `records` with one INSERT (in their order: their keys are numbered as one by one). When the
 * store refuses it (a constraint, a trigger, a value out of range), nothing of it stays and each
 * record is added again on its own, in a savepoint, to tell which the store refuses: those are
 * returned (the others are added). Any other failure is thrown.
 */
export function insertUsageRecords(db: Db, records: readonly NewUsageRecord[]): RefusedRecord[] {
  if (records.length === 0) return [];
  const c = connection(db);
  const inSavepoint = (fn: () => void): void => c.transaction(fn)();
  try {
    inSavepoint(() => c.prepare(INSERT_MANY).run(JSON.stringify(records.map(columnsOf))));
    return [];
  } catch (err) {
    if (!refusesRow(err)) throw err;
  }
  const one = c.prepare(INSERT_MANY);
  const refused: RefusedRecord[] = [];
  records.forEach((r, index) => {
    try {
      inSavepoint(() => one.run(JSON.stringify([columnsOf(r)])));
    } catch (err) {
      if (!refusesRow(err)) throw err;
      refused.push({ index, error: err });
    }
  });
  return refused;
}

/**
 * Whether the store refused a row for what it holds: a data exception (SQLSTATE class 22), an
 * integrity constraint (class 23) or a trigger's RAISE (P0001).
 */
function refusesRow(err: unknown): err is PostgresError {
  return err instanceof PostgresError && (/^2[23]/.test(err.code) || err.code === 'P0001');
}
