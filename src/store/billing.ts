/** Reading what a close needs from the store, and writing a finalized statement. */
import { dec } from '../domain/money.ts';
import type { Currency, Locale, RuleScope } from '../domain/vocabulary.ts';
import type { BillingPeriod, TenantSchedule } from '../periods/periods.ts';
import type { CatalogVersion, Coupon, RatingInput, RatingPolicy, UsageRecord } from '../rating/types.ts';
import {
  lineFromJson,
  lineToJson,
  summarize,
  rebuild,
  type StatementFileOptions,
  type StatementView,
  type TreeSummary,
} from '../statements/view.ts';
import { connection, cachedStatement, type Db } from './db.ts';
import type { CsvEncoding } from '../statements/csv.ts';
import { recordAudit } from './audit.ts';

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
 * period they had (the latest void's), by tenant, oldest first.
 */
function reopenedPeriods(db: Db, tenantPk: number | null): Map<number, BillingPeriod[]> {
  const rows = cachedStatement(
    db,
    `SELECT s.tenant_pk AS tenantPk, s.billing_month AS billingMonth, s.period_start AS periodStart,
      s.period_end AS periodEnd, t.cutoff_day AS cutoffDay
    FROM statements s JOIN statement_voids v USING (statement_pk) JOIN tenants t USING (tenant_pk)
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

/** A re-issue: the sent revision it corrects, why, and who asked. */
export interface Correction {
  correctsPk: number;
  reason: string;
  by: string;
}

/** The number the next revision of a tenant's month takes: one above every revision it has. */
export function nextRevision(db: Db, tenantPk: number, billingMonth: string): number {
  return cachedStatement(
    db,
    'SELECT COALESCE(MAX(revision), 0) + 1 FROM statements WHERE tenant_pk = ? AND billing_month = ?',
  )
    .pluck()
    .get(tenantPk, billingMonth) as number;
}

/**
 * Finalizes a statement in the caller's transaction: its lines, its totals and summary, status
 * `fixed`. Returns its key, or null (and writes nothing) when the month already has a current
 * statement (or, for a re-issue, when the current one is no longer the one it corrects). A
 * pending cut-off day takes effect now, after this closing (a re-issue is not a closing).
 * Revision numbers follow each other: a month closed again after a void, or re-issued, is the
 * next revision of it.
 */
export function finalizeStatement(
  db: Db,
  t: BillingTenant,
  view: StatementView,
  now: string,
  correction?: Correction,
): { statementPk: number; revision: number } | null {
  const { summary, lines } = summarize(view);
  const period = view.tree.period;
  const current = cachedStatement(
    db,
    'SELECT statement_pk FROM current_statements WHERE tenant_pk = ? AND billing_month = ?',
  )
    .pluck()
    .get(t.tenantPk, period.billingMonth) as number | undefined;
  if (current !== correction?.correctsPk) return null;
  const existing = cachedStatement(
    db,
    "SELECT statement_pk FROM statements WHERE tenant_pk = ? AND billing_month = ? AND status = 'estimated'",
  ).get(t.tenantPk, period.billingMonth) as { statement_pk: number } | undefined;
  let pk: number;
  if (existing && correction === undefined) {
    cachedStatement(db, 'DELETE FROM charge_lines WHERE statement_pk = ?').run(existing.statement_pk);
    cachedStatement(
      db,
      `UPDATE statements SET period_start = ?, period_end = ?, currency = ?, updated_at = ? WHERE statement_pk = ?`,
    ).run(
      new Date(period.start).toISOString(),
      new Date(period.end).toISOString(),
      t.currency,
      now,
      existing.statement_pk,
    );
    pk = existing.statement_pk;
  } else {
    pk = Number(
      cachedStatement(
        db,
        `INSERT INTO statements (tenant_pk, billing_month, revision, period_start, period_end, status, currency,
        corrects_pk, revision_reason, revision_by, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, 'estimated', ?, ?, ?, ?, ?, ?)`,
      ).run(
        t.tenantPk,
        period.billingMonth,
        nextRevision(db, t.tenantPk, period.billingMonth),
        new Date(period.start).toISOString(),
        new Date(period.end).toISOString(),
        t.currency,
        correction?.correctsPk ?? null,
        correction?.reason ?? '',
        correction?.by ?? '',
        now,
        now,
      ).lastInsertRowid,
    );
  }
  const insert = cachedStatement(
    db,
    `INSERT INTO charge_lines (statement_pk, seq, line_kind, lplatform_id, resource_id, resource_name, resource_kind,
    product_id, unit_price, amount, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  lines.forEach((l, i) => {
    insert.run(
      pk,
      i + 1,
      l.kind,
      l.lplatformId ?? '',
      l.resourceId,
      l.resourceName,
      l.resourceKind,
      l.productId,
      l.unitPrice?.toFixed() ?? '',
      l.charged.toFixed(),
      lineToJson(l),
    );
  });
  cachedStatement(
    db,
    `UPDATE statements SET status = 'fixed', subtotal = ?, tax = ?, total = ?, finalized_at = ?, preset = ?, summary = ?, last_error = NULL, updated_at = ?
    WHERE statement_pk = ?`,
  ).run(
    summary.subtotal,
    summary.tax,
    summary.total,
    new Date(view.madeAt).toISOString(),
    summary.preset,
    JSON.stringify(summary),
    now,
    pk,
  );
  const revision = cachedStatement(db, 'SELECT revision FROM statements WHERE statement_pk = ?')
    .pluck()
    .get(pk) as number;
  if (correction !== undefined) return { statementPk: pk, revision };
  if (t.pendingCutoffDay !== null) {
    cachedStatement(
      db,
      'UPDATE tenants SET cutoff_day = pending_cutoff_day, pending_cutoff_day = NULL, pending_cutoff_requested_at = NULL, updated_at = ? WHERE tenant_pk = ?',
    ).run(now, t.tenantPk);
  }
  recordAudit(db, now, 'close', t.tenantName, {
    billingMonth: period.billingMonth,
    ...(revision > 1 ? { revision } : {}),
    total: summary.total,
    lines: lines.length,
  });
  return { statementPk: pk, revision };
}

/** Records why a period could not be closed; it stays open and is retried on the next run. */
export function recordCloseFailure(db: Db, t: BillingTenant, period: BillingPeriod, reason: string, now: string): void {
  connection(db)
    .prepare(
      `INSERT INTO statements (tenant_pk, billing_month, revision, period_start, period_end, status, currency, last_error, attempts, created_at, updated_at)
    VALUES (?, ?, (SELECT COALESCE(MAX(revision), 0) + 1 FROM statements WHERE tenant_pk = ? AND billing_month = ?), ?, ?, 'estimated', ?, ?, 1, ?, ?)
    ON CONFLICT (tenant_pk, billing_month) WHERE status = 'estimated'
    DO UPDATE SET last_error = excluded.last_error, attempts = attempts + 1, updated_at = excluded.updated_at`,
    )
    .run(
      t.tenantPk,
      period.billingMonth,
      t.tenantPk,
      period.billingMonth,
      new Date(period.start).toISOString(),
      new Date(period.end).toISOString(),
      t.currency,
      reason,
      now,
      now,
    );
  recordAudit(db, now, 'close-failed', t.tenantName, { billingMonth: period.billingMonth, reason });
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
  const s = connection(db)
    .prepare("SELECT summary, finalized_at FROM statements WHERE statement_pk = ? AND status = 'fixed'")
    .get(statementPk) as { summary: string; finalized_at: string };
  const lines = (
    connection(db)
      .prepare('SELECT detail FROM charge_lines WHERE statement_pk = ? ORDER BY seq')
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

/** What a fixed statement froze, as text to compare with a new rating: its summary and its lines' details, in order. */
export function frozenContent(db: Db, statementPk: number): { summary: string; lines: string[] } {
  const summary = cachedStatement(db, 'SELECT summary FROM statements WHERE statement_pk = ?')
    .pluck()
    .get(statementPk) as string;
  const lines = cachedStatement(db, 'SELECT detail FROM charge_lines WHERE statement_pk = ? ORDER BY seq')
    .pluck()
    .all(statementPk) as string[];
  return { summary, lines };
}
