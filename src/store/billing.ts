/** Reading what a close needs from the store (schedules, rating input) and a finalized statement back (finalize.ts writes it). */
import { dec } from '../domain/money.ts';
import type { Currency, Locale, RuleScope } from '../domain/vocabulary.ts';
import type { BillingPeriod, TenantSchedule } from '../periods/periods.ts';
import type { CatalogVersion, Coupon, RatingInput, RatingPolicy, UsageRecord } from '../rating/types.ts';
import {
  lineFromJson,
  rebuild,
  type StatementFileOptions,
  type StatementView,
  type TreeSummary,
} from '../statements/view.ts';
import { connection, cachedStatement, type Db } from './db.ts';
import type { CsvEncoding } from '../statements/csv.ts';

/** A tenant as the close, the estimate and the export rate it. */
export interface BillingTenant {
  tenantPk: number;
  tenantName: string;
  displayName: string;
  cutoffDay: number;
  pendingCutoffDay: number | null;
  locale: Locale;
  currency: Currency;
  deletedAt: string | null;
  createdAt: string;
  /** The tenant's own encoding for its statement files (the tenants file's `csv_encoding`), or null. */
  csvEncoding: CsvEncoding | null;
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** The tenant facts a statement shows. */
export function statementTenant(t: BillingTenant): StatementView['tenant'] {
  return {
    name: t.tenantName,
    displayName: t.displayName,
    deletedAt: ms(t.deletedAt),
    locale: t.locale,
    currency: t.currency,
  };
}

/** The schedule query, for every tenant or (with `WHERE`) one. */
function scheduleQuery(where: string): string {
  return `SELECT t.tenant_pk, t.tenant_name, t.cutoff_day, t.pending_cutoff_day, t.deleted_at, t.created_at,
      (SELECT MIN(start_at) FROM usage_records u WHERE u.tenant_pk = t.tenant_pk) AS first_usage,
      (SELECT billing_month FROM current_statements s WHERE s.tenant_pk = t.tenant_pk ORDER BY billing_month DESC LIMIT 1) AS last_month,
      (SELECT period_end FROM current_statements s WHERE s.tenant_pk = t.tenant_pk ORDER BY billing_month DESC LIMIT 1) AS last_end
    FROM tenants t ${where} ORDER BY t.tenant_name`;
}

interface ScheduleRow {
  tenant_pk: number;
  tenant_name: string;
  cutoff_day: number;
  pending_cutoff_day: number | null;
  deleted_at: string | null;
  created_at: string;
  first_usage: string | null;
  last_month: string | null;
  last_end: string | null;
}

/**
 * The months of tenants (every one, or one) whose statements were all voided: due again with the
 * period they had (the latest void's), by tenant, oldest first. The voids drive the query (CROSS
 * JOIN keeps them the outer loop): led by the statements instead, SQLite looked up each statement's
 * month among all of that month's statements, quadratic in the tenants (45 s at 10,000 tenants in
 * their second month).
 */
function reopenedPeriods(db: Db, tenantPk: number | null): Map<number, BillingPeriod[]> {
  const rows = cachedStatement(
    db,
    `SELECT s.tenant_pk AS tenantPk, s.billing_month AS billingMonth, s.period_start AS periodStart,
      s.period_end AS periodEnd, t.cutoff_day AS cutoffDay
    FROM statement_voids v CROSS JOIN statements s ON s.statement_pk = v.statement_pk JOIN tenants t USING (tenant_pk)
    WHERE (? IS NULL OR s.tenant_pk = ?)
      AND NOT EXISTS (SELECT 1 FROM current_statements c WHERE c.tenant_pk = s.tenant_pk AND c.billing_month = s.billing_month)
      AND s.revision = (SELECT MAX(o.revision) FROM statements o JOIN statement_voids w USING (statement_pk)
        WHERE o.tenant_pk = s.tenant_pk AND o.billing_month = s.billing_month)
    ORDER BY s.tenant_pk, s.billing_month`,
  ).all(tenantPk, tenantPk) as {
    tenantPk: number;
    billingMonth: string;
    periodStart: string;
    periodEnd: string;
    cutoffDay: number;
  }[];
  const out = new Map<number, BillingPeriod[]>();
  for (const r of rows) {
    const list = out.get(r.tenantPk) ?? [];
    list.push({
      billingMonth: r.billingMonth,
      start: Date.parse(r.periodStart),
      end: Date.parse(r.periodEnd),
      cutoffDay: r.cutoffDay,
    });
    out.set(r.tenantPk, list);
  }
  return out;
}

/** A schedule row as the periods module reads it. */
function toSchedule(r: ScheduleRow, reopened: readonly BillingPeriod[] = []): TenantSchedule & { tenantPk: number } {
  return {
    ...(reopened.length > 0 ? { reopened } : {}),
    tenantPk: r.tenant_pk,
    tenantName: r.tenant_name,
    cutoffDay: r.cutoff_day,
    pendingCutoffDay: r.pending_cutoff_day,
    deletedAt: ms(r.deleted_at),
    // Billing starts with the first usage; a tenant that never had any is billed from its
    // registration (or its deletion, when that came first: it still gets its last statement).
    billingFrom:
      r.first_usage !== null
        ? Date.parse(r.first_usage)
        : Math.min(Date.parse(r.created_at), ms(r.deleted_at) ?? Number.POSITIVE_INFINITY),
    lastClosed: r.last_month === null ? null : { billingMonth: r.last_month, end: Date.parse(r.last_end!) },
  };
}

/** Every tenant's schedule: cut-off days, deletion, first instant to bill and last finalized period. */
export function loadSchedules(db: Db): (TenantSchedule & { tenantPk: number })[] {
  const reopened = reopenedPeriods(db, null);
  return (connection(db).prepare(scheduleQuery('')).all() as ScheduleRow[]).map((r) =>
    toSchedule(r, reopened.get(r.tenant_pk)),
  );
}

/** One tenant's schedule, as `loadSchedules` reads it. */
export function loadSchedule(db: Db, tenantPk: number): TenantSchedule & { tenantPk: number } {
  const r = cachedStatement(db, scheduleQuery('WHERE t.tenant_pk = ?')).get(tenantPk) as ScheduleRow | undefined;
  if (r === undefined) throw new Error(`loadSchedule: no tenant ${tenantPk}`);
  return toSchedule(r, reopenedPeriods(db, tenantPk).get(tenantPk));
}

/** A catalog row as a rating version. */
function toVersion(r: Record<string, string | number | null>): CatalogVersion {
  const params: Record<string, ReturnType<typeof dec>> = {};
  let scope: RuleScope | undefined;
  for (const kv of String(r.rule_params ?? '')
    .split(';')
    .filter((x) => x !== '')) {
    const [k, v] = kv.split('=') as [string, string];
    if (k === 'scope') scope = v as RuleScope;
    else params[k] = dec(v);
  }
  return {
    productId: String(r.product_id),
    priority: Number(r.priority),
    from: Date.parse(String(r.applicable_from)),
    to: ms(r.applicable_to as string | null),
    category: r.category as CatalogVersion['category'],
    resourceIdentifier: String(r.resource_identifier),
    unitCode: r.unit_code as CatalogVersion['unitCode'],
    unitPrice: dec(String(r.unit_price)),
    productName: String(r.product_name),
    chargeType: r.charge_type as CatalogVersion['chargeType'],
    timeBasis: r.time_basis as CatalogVersion['timeBasis'],
    monthlyCap: r.monthly_cap === null ? null : dec(String(r.monthly_cap)),
    planGroup: String(r.plan_group),
    rule: r.rule as CatalogVersion['rule'],
    ruleParams: params,
    ...(scope ? { ruleScope: scope } : {}),
    currency: r.currency as Currency,
    display: {
      description: String(r.description ?? ''),
      service: String(r.service ?? ''),
      menu: String(r.menu ?? ''),
      submenu: String(r.submenu ?? ''),
      plan: String(r.plan ?? ''),
      usageLabel: String(r.usage_label ?? ''),
    },
  };
}

/** A usage row as a rating record. */
function toRecord(u: Record<string, string | number | null>): UsageRecord {
  return {
    recordId: String(u.record_id),
    lplatformId: String(u.lplatform_id),
    resourceId: String(u.resource_id),
    resourceName: String(u.resource_name),
    resourceKind: String(u.resource_kind),
    component: String(u.component),
    productId: String(u.product_id),
    timeKind: u.time_kind as UsageRecord['timeKind'],
    start: Date.parse(String(u.start_at)),
    end: ms(u.end_at as string | null),
    quantity: dec(String(u.quantity)),
    cpuCount: u.cpu_count as number | null,
    clockGhz: u.clock_ghz === null ? null : dec(String(u.clock_ghz)),
    sizeGb: u.size_gb === null ? null : dec(String(u.size_gb)),
    vmCount: u.vm_count as number | null,
    vcpu: u.vcpu as number | null,
  };
}

/** The prepared reads of a close, made once per run. */
export function billingReader(db: Db) {
  const tenant = connection(db).prepare(
    `SELECT tenant_pk AS tenantPk, tenant_name AS tenantName, display_name AS displayName, cutoff_day AS cutoffDay,
      pending_cutoff_day AS pendingCutoffDay, locale, currency, deleted_at AS deletedAt, created_at AS createdAt,
      csv_encoding AS csvEncoding
    FROM tenants WHERE tenant_name = ?`,
  );
  const catalog = connection(db).prepare('SELECT * FROM catalog_products WHERE currency = ?');
  const lplatforms = connection(db).prepare(
    'SELECT lplatform_id, lplatform_name, returned_at, region FROM lplatforms WHERE tenant_pk = ? ORDER BY lplatform_id',
  );
  const usage = connection(db)
    .prepare(`SELECT u.*, l.lplatform_id FROM usage_records u JOIN lplatforms l USING (lplatform_pk)
    WHERE u.tenant_pk = ? AND u.booked_month IS NULL AND u.start_at < ? AND COALESCE(u.end_at, u.start_at) >= ?`);
  const coupons = connection(db).prepare('SELECT * FROM coupons WHERE tenant_pk = ?');
  const catalogCache = new Map<string, CatalogVersion[]>();
  return {
    tenant: (name: string): BillingTenant => tenant.get(name) as BillingTenant,
    /** The rating input of one tenant's period. */
    ratingInput(t: BillingTenant, period: BillingPeriod, timeZone: string, policy: RatingPolicy): RatingInput {
      let versions = catalogCache.get(t.currency);
      if (!versions) {
        versions = (catalog.all(t.currency) as Record<string, string | number | null>[]).map(toVersion);
        catalogCache.set(t.currency, versions);
      }
      const start = new Date(period.start).toISOString();
      const end = new Date(period.end).toISOString();
      return {
        tenantName: t.tenantName,
        currency: t.currency,
        period: { start: period.start, end: period.end, billingMonth: period.billingMonth, timeZone },
        catalog: versions,
        usage: (usage.all(t.tenantPk, end, start) as Record<string, string | number | null>[]).map(toRecord),
        coupons: (coupons.all(t.tenantPk) as Record<string, string | number | null>[]).map((c): Coupon => ({
          code: String(c.coupon_code),
          registeredAt: Date.parse(String(c.registered_at)),
          discountType: c.discount_type as Coupon['discountType'],
          discountValue: dec(String(c.discount_value)),
          validMonths: c.valid_months as number | null,
          validUntil: c.valid_until as string | null,
        })),
        adjustments: [],
        lplatforms: (
          lplatforms.all(t.tenantPk) as {
            lplatform_id: string;
            lplatform_name: string;
            returned_at: string | null;
            region: string;
          }[]
        ).map((l) => ({ id: l.lplatform_id, name: l.lplatform_name, returnedAt: ms(l.returned_at), region: l.region })),
        policy,
      };
    },
  };
}

/** The frozen summary of a fixed statement (tenant, period, totals) without its lines. */
export function loadStatementSummary(db: Db, statementPk: number): TreeSummary {
  const summary = cachedStatement(db, "SELECT summary FROM statements WHERE statement_pk = ? AND status = 'fixed'")
    .pluck()
    .get(statementPk) as string;
  return JSON.parse(summary) as TreeSummary;
}

/** A fixed statement rebuilt from its frozen lines (with its file settings, replaced or frozen), for its files. */
export function loadStatementView(db: Db, statementPk: number): StatementView {
  const s = cachedStatement(
    db,
    "SELECT summary, finalized_at FROM statements WHERE statement_pk = ? AND status = 'fixed'",
  ).get(statementPk) as { summary: string; finalized_at: string };
  const lines = (
    cachedStatement(db, 'SELECT detail FROM charge_lines WHERE statement_pk = ? ORDER BY seq')
      .pluck()
      .all(statementPk) as string[]
  ).map((d) => lineFromJson(JSON.parse(d) as Record<string, unknown>));
  const view = rebuild(JSON.parse(s.summary) as TreeSummary, lines, 'fixed', Date.parse(s.finalized_at));
  // File settings that replace the frozen ones (set-file-encoding, before any file was written).
  const replaced = cachedStatement(db, 'SELECT files FROM statement_file_settings WHERE statement_pk = ?')
    .pluck()
    .get(statementPk) as string | undefined;
  return replaced === undefined ? view : { ...view, files: JSON.parse(replaced) as StatementFileOptions };
}

/** Whether a tenant of that name (exactly) is stored. */
export function tenantExists(db: Db, tenantName: string): boolean {
  return cachedStatement(db, 'SELECT 1 FROM tenants WHERE tenant_name = ?').get(tenantName) !== undefined;
}

/** Whether the store holds any tenant. */
export function hasTenants(db: Db): boolean {
  return cachedStatement(db, 'SELECT 1 FROM tenants LIMIT 1').get() !== undefined;
}

/**
 * The usage records of a tenant booked late (`import usage --as-adjustment`) into `billingMonth`
 * (`in`) or into an earlier month (`before`), as rating records.
 */
export function lateBookedUsage(db: Db, tenantPk: number, billingMonth: string, which: 'in' | 'before'): UsageRecord[] {
  const sql = `SELECT u.*, l.lplatform_id FROM usage_records u JOIN lplatforms l USING (lplatform_pk)
      WHERE u.tenant_pk = ? AND u.booked_month IS NOT NULL AND u.booked_month ${which === 'in' ? '=' : '<'} ?`;
  return (cachedStatement(db, sql).all(tenantPk, billingMonth) as Record<string, string | number | null>[]).map(
    toRecord,
  );
}

/** The finalized months of a tenant before `billingMonth`, oldest first, with their periods. */
export function fixedPeriodsBefore(
  db: Db,
  tenantPk: number,
  billingMonth: string,
): { billingMonth: string; periodStart: string; periodEnd: string }[] {
  return cachedStatement(
    db,
    `SELECT billing_month AS billingMonth, period_start AS periodStart, period_end AS periodEnd FROM current_statements
    WHERE tenant_pk = ? AND billing_month < ? ORDER BY billing_month`,
  ).all(tenantPk, billingMonth) as { billingMonth: string; periodStart: string; periodEnd: string }[];
}
