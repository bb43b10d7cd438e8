/**
 * On PostgreSQL, a batch of usage rows in a few round trips (usage files hold millions of rows;
 * one by one, each row's checks and insert are seven round trips to the server). The rows go
 * through usageRules, the very checks of the per-row applier in their order, over lookups that
 * answer from what was read for the whole batch before its first row:
 * - each query of the checks is asked for every row of the batch at once (store/usage-batch.ts),
 *   as the store stands before the batch; the batch's rows accepted before a row are added to the
 *   answers (a record ID, a slot's latest record), as the per-row applier would find them stored;
 * - tenants, L-Platforms and products are read once per import: a usage import writes none of them;
 * - the accepted rows are written with one INSERT: usage records are only ever inserted (never
 *   upserted) and no trigger fires on them. Every constraint of usage_records is checked before
 *   (a record ID stored or met earlier, the tenant and L-Platform, time kind, end after start); a
 *   row the store would still refuse is found by writing the batch again row by row in savepoints,
 *   and reported at its line.
 * So each row has the outcome and the problems it has one row at a time, on either engine.
 */
import type { Db } from '../../store/db.ts';
import { findLplatform, type StoredLplatform } from '../../store/lplatforms.ts';
import { findProductFacts } from '../../store/catalog.ts';
import { findTenantRef, type TenantRef } from '../../store/tenants.ts';
import type { NewUsageRecord, StoredUsageRecord, UsageSlot } from '../../store/usage.ts';
import {
  finalizedFactsOf,
  findUsageRecords,
  insertUsageRecords,
  latestSlotRecordsBefore,
  type FinalizedFacts,
  type SlotRecord,
  type UsageTime,
} from '../../store/usage-batch.ts';
import type { Applier, BatchApplier, ImportContext, RowToApply } from '../import-kind.ts';
import type { UsageLookups, UsageRow } from './usage.ts';
import { readOnce } from './shared.ts';

/** What was read of the store for one batch, by the key of what a row's check asks. */
interface BatchReads {
  stored: Map<string, StoredUsageRecord>;
  finalized: Map<string, FinalizedFacts>;
  firstStarts: Map<string, string | undefined>;
  slots: Map<string, SlotRecord | undefined>;
}

/** The batch applier of the usage kind, over its per-row checks `rules`. */
export function usageBatchApplier(
  ctx: ImportContext,
  rules: (ctx: ImportContext, look: UsageLookups) => Applier<UsageRow>,
): BatchApplier<UsageRow> {
  const { db } = ctx;
  const tenantNamed = readOnce((name: string) => findTenantRef(db, name));
  let reads: BatchReads = { stored: new Map(), finalized: new Map(), firstStarts: new Map(), slots: new Map() };
  // The batch's rows accepted so far (in their order), and the row being checked.
  let accepted: NewUsageRecord[] = [];
  let acceptedBySlot = new Map<string, SlotRecord[]>();
  let current: UsageRow | undefined;

  const check = rules(ctx, {
    record: (recordId) => reads.stored.get(recordId),
    tenant: tenantNamed,
    lplatform: readOnce((id: string): StoredLplatform | undefined => findLplatform(db, id)),
    product: (productId) => findProductFacts(db, productId),
    finalizedMonth: (tenantPk, startAt, endAt) =>
      read(reads.finalized, timeKey({ tenantPk, startAt, endAt }), 'finalized months')!.month,
    firstFinalizedStartAfter: (tenantPk, at) =>
      read(reads.firstStarts, `${tenantPk}\u0000${at}`, 'first finalized month'),
    latestSlotRecordBefore(slot, before) {
      const key = slotKey(slot);
      let latest = read(reads.slots, `${key}\u0000${before}`, 'latest record of a slot');
      for (const r of acceptedBySlot.get(key) ?? [])
        if (r.startAt < before && (latest === undefined || r.startAt > latest.startAt)) latest = r;
      return latest;
    },
    insert(record) {
      accepted.push(record);
      reads.stored.set(record.recordId, storedForm(current!));
      if (record.endAt !== null) {
        const key = slotKey(record);
        const list = acceptedBySlot.get(key) ?? [];
        list.push({ recordId: record.recordId, startAt: record.startAt, endAt: record.endAt });
        acceptedBySlot.set(key, list);
      }
    },
  });

  return (batch) => {
    reads = readForBatch(db, batch, tenantNamed);
    accepted = [];
    acceptedBySlot = new Map();
    const outcomes = batch.map(({ row, report }) => {
      current = row;
      return check(row, report);
    });
    current = undefined;
    const insertedAt = outcomes.flatMap((o, i) => (o === 'inserted' ? [i] : []));
    for (const { index, error } of insertUsageRecords(db, accepted)) {
      const i = insertedAt[index]!;
      batch[i]!.report(error.column ?? 'record_id', `the store refused this record: ${error.message}`);
      outcomes[i] = 'rejected';
    }
    return outcomes;
  };
}

/**
 * Reads for the whole batch what its rows' checks may ask (a row refused early asks less; a row
 * whose record ID is stored asks nothing more).
 */
function readForBatch(
  db: Db,
  batch: readonly RowToApply<UsageRow>[],
  tenantNamed: (name: string) => TenantRef | undefined,
): BatchReads {
  const stored = findUsageRecords(
    db,
    batch.map(({ row }) => row.record_id),
  );
  const times = new Map<string, UsageTime>();
  const slotAsks = new Map<string, UsageSlot & { before: string }>();
  for (const { row } of batch) {
    const t = stored.has(row.record_id) ? undefined : tenantNamed(row.tenant_name);
    if (t === undefined) continue;
    const time = { tenantPk: t.tenantPk, startAt: row.start_at, endAt: row.end_at };
    times.set(timeKey(time), time);
    if (row.end_at !== null) {
      const slot = {
        tenantPk: t.tenantPk,
        resourceId: row.resource_id,
        component: row.component,
        productId: row.product_id,
        timeKind: row.time_kind,
      };
      slotAsks.set(`${slotKey(slot)}\u0000${row.end_at}`, { ...slot, before: row.end_at });
    }
  }
  const facts = finalizedFactsOf(db, [...times.values()]);
  const latest = latestSlotRecordsBefore(db, [...slotAsks.values()]);
  return {
    stored,
    finalized: new Map([...times.keys()].map((key, i) => [key, facts[i]!])),
    firstStarts: new Map([...times.values()].map((t, i) => [`${t.tenantPk}\u0000${t.startAt}`, facts[i]!.before])),
    slots: new Map([...slotAsks.keys()].map((key, i) => [key, latest[i]])),
  };
}

/** What was read for `key`; a key not read is a mistake of readForBatch, never an answer. */
function read<T>(reads: Map<string, T>, key: string, what: string): T {
  if (!reads.has(key)) throw new Error(`usage batch: the ${what} asked for was not read for the batch`);
  return reads.get(key)!;
}

/** A row's time as a key. */
function timeKey(t: UsageTime): string {
  return `${t.tenantPk}\u0000${t.startAt}\u0000${t.endAt ?? ''}`;
}

/** A slot as a key. */
function slotKey(s: UsageSlot): string {
  return `${s.tenantPk}\u0000${s.resourceId}\u0000${s.component}\u0000${s.productId}\u0000${s.timeKind}`;
}

/** An accepted row as findUsageRecord will read it back. */
function storedForm(row: UsageRow): StoredUsageRecord {
  return {
    recordId: row.record_id,
    tenantName: row.tenant_name,
    lplatformId: row.lplatform_id,
    resourceId: row.resource_id,
    resourceName: row.resource_name,
    resourceKind: row.resource_kind,
    component: row.component,
    productId: row.product_id,
    timeKind: row.time_kind,
    startAt: row.start_at,
    endAt: row.end_at,
    quantity: row.quantity,
    cpuCount: row.cpu_count,
    clockGhz: row.clock_ghz,
    sizeGb: row.size_gb,
    vmCount: row.vm_count,
    vcpu: row.vcpu,
  };
}
