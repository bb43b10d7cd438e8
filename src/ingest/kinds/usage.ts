/**
 * Import kind `usage`: metered intervals (deployed or operating time) and quantities at an instant,
 * each with a record ID that makes re-imports idempotent.
 */
import * as z from 'zod';
import { RESOURCE_KINDS, TIME_KINDS, type TimeKind } from '../../domain/vocabulary.ts';
import { ruleRecord } from '../../rating/rules/registry.ts';
import {
  decimalText,
  fileSafeName,
  identifier,
  instant,
  oneOf,
  optional,
  required,
  text,
  wholeNumber,
  withDefault,
} from '../fields.ts';
import type { Applier, ImportContext, ImportKind } from '../import-kind.ts';
import { LPLATFORM_ID } from './lplatforms.ts';
import { checkWritable, firstDifference, reportMissingTenant, tenantEncoding } from './shared.ts';
import { lateBooking } from '../../store/late-usage.ts';
import { findProductFacts, type ProductFacts } from '../../store/catalog.ts';
import { finalizedMonthAt, finalizedMonthOverlapping, firstFinalizedStartAfter } from '../../store/finalized.ts';
import { findLplatform, type StoredLplatform } from '../../store/lplatforms.ts';
import { findTenantRef, type TenantRef } from '../../store/tenants.ts';
import {
  findUsageRecord,
  insertUsageRecord,
  latestSlotRecordBefore,
  type NewUsageRecord,
  type StoredUsageRecord,
  type UsageSlot,
} from '../../store/usage.ts';
import { usageBatchApplier } from './usage-batch.ts';

/** A valid row of a usage file, with defaults filled in. */
export interface UsageRow {
  record_id: string;
  tenant_name: string;
  lplatform_id: string;
  resource_id: string;
  resource_name: string;
  resource_kind: string;
  component: string;
  product_id: string;
  time_kind: TimeKind;
  start_at: string;
  end_at: string | null;
  quantity: string;
  cpu_count: number | null;
  clock_ghz: string | null;
  size_gb: string | null;
  vm_count: number | null;
  vcpu: number | null;
}

const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;
const QUANTITY = { integerDigits: 12, fractionDigits: 6 } as const;

/** The configuration each product's category or rule needs on its usage records. */
function neededConfig(category: string, rule: string): (keyof UsageRow)[] {
  const fields: (keyof UsageRow)[] = [];
  if (category === 'cpu') fields.push('cpu_count', 'clock_ghz');
  if (category === 'memory' || category === 'disk') fields.push('size_gb');
  fields.push(...(ruleRecord(rule)?.usageFields ?? []));
  return fields;
}

/** The cells of one usage row, each checked on its own. */
function usageCells() {
  return z.object({
    record_id: required(
      identifier(RECORD_ID, '1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit'),
    ),
    tenant_name: required(fileSafeName(32)),
    lplatform_id: required(
      identifier(LPLATFORM_ID, '1-64 letters, digits, "_" or "-", starting with a letter or digit'),
    ),
    resource_id: required(
      identifier(RESOURCE_ID, '1-128 letters, digits, "_", ".", ":", "/" or "-", starting with a letter or digit'),
    ),
    resource_name: withDefault(text(128), ''),
    resource_kind: required(oneOf(RESOURCE_KINDS)),
    component: withDefault(identifier(RESOURCE_ID, '1-128 letters, digits, "_", ".", ":", "/" or "-"'), ''),
    product_id: required(identifier(/^[A-Za-z0-9_-]{1,16}$/, '1-16 letters, digits, "_" or "-"')),
    time_kind: required(oneOf(TIME_KINDS)),
    start_at: required(instant()),
    end_at: optional(instant()),
    quantity: optional(decimalText(QUANTITY)),
    cpu_count: optional(wholeNumber(1, 4096)),
    clock_ghz: optional(decimalText({ integerDigits: 3, fractionDigits: 3 })),
    size_gb: optional(decimalText({ integerDigits: 9, fractionDigits: 3 })),
    vm_count: optional(wholeNumber(1, 100000)),
    vcpu: optional(wholeNumber(1, 4096)),
  });
}
type UsageCells = z.output<ReturnType<typeof usageCells>>;

export const usageKind: ImportKind<UsageRow, UsageCells> = {
  name: 'usage',
  tables: ['usage_records'],
  columns: {
    required: [
      'record_id',
      'tenant_name',
      'lplatform_id',
      'resource_id',
      'resource_kind',
      'product_id',
      'time_kind',
      'start_at',
    ],
    optional: [
      'resource_name',
      'component',
      'end_at',
      'quantity',
      'cpu_count',
      'clock_ghz',
      'size_gb',
      'vm_count',
      'vcpu',
    ],
  },
  schema: usageCells,
  combine(row: UsageCells, issue): UsageRow {
    if (row.time_kind === 'quantity') {
      if (row.end_at !== undefined) issue('end_at', 'must be empty for a quantity (start_at is its instant)');
      if (row.quantity === undefined) issue('quantity', 'is required when time_kind is quantity');
    } else {
      if (row.end_at === undefined) issue('end_at', `is required for ${row.time_kind} time`);
      else if (row.end_at <= row.start_at) issue('end_at', 'must be after start_at');
    }
    if (row.clock_ghz !== undefined && /^0(\.0*)?$/.test(row.clock_ghz)) issue('clock_ghz', 'must be more than 0');
    return {
      ...row,
      end_at: row.end_at ?? null,
      quantity: row.quantity ?? '1',
      cpu_count: row.cpu_count ?? null,
      clock_ghz: row.clock_ghz ?? null,
      size_gb: row.size_gb ?? null,
      vm_count: row.vm_count ?? null,
      vcpu: row.vcpu ?? null,
    };
  },
  applier(ctx) {
    const { db } = ctx;
    return usageRules(ctx, {
      record: (recordId) => findUsageRecord(db, recordId),
      tenant: (name) => findTenantRef(db, name),
      lplatform: (id) => findLplatform(db, id),
      product: (productId) => findProductFacts(db, productId),
      finalizedMonth: (tenantPk, startAt, endAt) =>
        endAt === null
          ? finalizedMonthAt(db, tenantPk, startAt)
          : finalizedMonthOverlapping(db, tenantPk, startAt, endAt),
      firstFinalizedStartAfter: (tenantPk, at) => firstFinalizedStartAfter(db, tenantPk, at),
      latestSlotRecordBefore: (slot, before) => latestSlotRecordBefore(db, slot, before),
      insert: (record) => insertUsageRecord(db, record),
    });
  },
  batchApplier: (ctx) => usageBatchApplier(ctx, usageRules),
};

/** What the checks of a usage row ask of the store, and how a new record is added. */
export interface UsageLookups {
  record(recordId: string): StoredUsageRecord | undefined;
  tenant(name: string): TenantRef | undefined;
  lplatform(id: string): StoredLplatform | undefined;
  product(productId: string): ProductFacts | undefined;
  /** finalizedMonthAt (a quantity, `endAt` null) or finalizedMonthOverlapping (an interval). */
  finalizedMonth(tenantPk: number, startAt: string, endAt: string | null): string | undefined;
  firstFinalizedStartAfter(tenantPk: number, at: string): string | undefined;
  latestSlotRecordBefore(slot: UsageSlot, before: string): { recordId: string; endAt: string } | undefined;
  insert(record: NewUsageRecord): void;
}

/** The checks of each usage row, in their order, and its record added when it passes them all. */
export function usageRules(
  { db, now, asAdjustment, csvEncoding }: ImportContext,
  look: UsageLookups,
): Applier<UsageRow> {
  const booking = asAdjustment ? lateBooking(db) : null;
  const productCache = new Map<string, ProductFacts | null>();

  return (row, report) => {
    const stored = look.record(row.record_id);
    if (stored) {
      const diff = firstDifference(stored, { ...row });
      if (diff === null) return 'unchanged';
      report(
        'record_id',
        `record ${row.record_id} was imported before, or appears earlier in this file, with other content (${diff.text}); a record ID cannot be re-used`,
      );
      return 'rejected';
    }
    const t = reportMissingTenant(look.tenant(row.tenant_name), row.tenant_name, report);
    if (!t) return 'rejected';
    const l = look.lplatform(row.lplatform_id);
    if (!l) {
      report('lplatform_id', `L-Platform "${row.lplatform_id}" does not exist (import lplatforms first)`);
      return 'rejected';
    }
    if (l.tenantPk !== t.tenantPk) {
      report('lplatform_id', `L-Platform "${row.lplatform_id}" does not belong to tenant ${row.tenant_name}`);
      return 'rejected';
    }
    if (
      !checkWritable(
        tenantEncoding(t, csvEncoding),
        row.resource_name,
        'resource_name',
        `tenant ${t.tenantName}'s`,
        report,
      )
    )
      return 'rejected';
    let p = productCache.get(row.product_id);
    if (p === undefined) {
      p = look.product(row.product_id) ?? null;
      productCache.set(row.product_id, p);
    }
    if (p === null) {
      report('product_id', `product "${row.product_id}" is not in the catalog (import the catalog first)`);
      return 'rejected';
    }
    let ok = true;
    if ((p.unitCode === 'unit') !== (row.time_kind === 'quantity')) {
      report(
        'time_kind',
        p.unitCode === 'unit'
          ? `product ${row.product_id} is priced per unit: its usage is a quantity`
          : `product ${row.product_id} is priced per ${p.unitCode}: its usage is deployed or operating time`,
      );
      ok = false;
    }
    if (p.unitCode !== 'unit' && row.time_kind !== 'quantity' && row.time_kind !== p.timeBasis) {
      report(
        'time_kind',
        `product ${row.product_id} charges ${p.timeBasis} time; this record is ${row.time_kind} time`,
      );
      ok = false;
    }
    if (p.currency !== t.currency) {
      report(
        'product_id',
        `product ${row.product_id} is priced in ${p.currency}; tenant ${row.tenant_name} is billed in ${t.currency}`,
      );
      ok = false;
    }
    for (const field of neededConfig(p.category, p.rule)) {
      if (row[field] === null) {
        report(field, `is required for product ${row.product_id} (${p.rule || p.category})`);
        ok = false;
      }
    }
    if (t.deletedAt !== null && row.start_at >= t.deletedAt) {
      report('start_at', `tenant ${row.tenant_name} was deleted at ${t.deletedAt}, before this usage starts`);
      ok = false;
    }
    if (l.returnedAt !== null && row.start_at >= l.returnedAt) {
      report('start_at', `L-Platform ${row.lplatform_id} was returned at ${l.returnedAt}, before this usage starts`);
      ok = false;
    }
    const month = look.finalizedMonth(t.tenantPk, row.start_at, row.end_at);
    let bookedMonth: string | null = null;
    // Usage before the tenant's first finalized month (in no period at all) would be billed nowhere.
    const before = month === undefined ? look.firstFinalizedStartAfter(t.tenantPk, row.start_at) : undefined;
    if (before !== undefined) {
      report(
        'start_at',
        `lies before ${before}, where tenant ${row.tenant_name}'s first finalized month begins: it would be billed in no month`,
      );
      ok = false;
    } else if (month !== undefined && booking === null) {
      report(
        'start_at',
        `falls in ${month}, which is already finalized for tenant ${row.tenant_name}; import it with --as-adjustment to book it in the next open month`,
      );
      ok = false;
    } else if (month !== undefined && booking !== null) {
      const b = booking(t, row.start_at, row.end_at);
      if ('month' in b) bookedMonth = b.month;
      else {
        report(
          b.field,
          `falls in ${month}, which is already finalized for tenant ${row.tenant_name}, and cannot be booked late: ${b.problem}`,
        );
        ok = false;
      }
    }
    if (row.end_at !== null) {
      const other = look.latestSlotRecordBefore(
        {
          tenantPk: t.tenantPk,
          resourceId: row.resource_id,
          component: row.component,
          productId: row.product_id,
          timeKind: row.time_kind,
        },
        row.end_at,
      );
      if (other !== undefined && other.endAt > row.start_at) {
        report(
          'start_at',
          `overlaps record ${other.recordId} of the same resource, component, product and time kind; usage is never counted twice`,
        );
        ok = false;
      }
    }
    if (!ok) return 'rejected';
    look.insert({
      recordId: row.record_id,
      tenantPk: t.tenantPk,
      lplatformPk: l.lplatformPk,
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
      bookedMonth,
      now,
    });
    return 'inserted';
  };
}
