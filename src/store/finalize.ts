/**
 * Writing a finalized statement: the close's (and a re-issue's) statement row, its frozen lines,
 * totals and summary, in the caller's transaction; and a close that failed, recorded on the
 * month's open row. Revisions of a month follow each other (store/revisions.ts).
 */
import type { BillingPeriod } from '../periods/periods.ts';
import type { ChargeLine } from '../rating/types.ts';
import { lineToJson, summarize, type StatementView } from '../statements/view.ts';
import { recordAudit } from './audit.ts';
import type { BillingTenant } from './billing.ts';
import { cachedStatement, connection, storeEngine, type Db } from './db.ts';

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

/** Whether the tenant's month has a current statement (finalized, and neither voided nor replaced): nothing to close. */
export function isClosed(db: Db, tenantPk: number, billingMonth: string): boolean {
  return (
    cachedStatement(db, 'SELECT 1 FROM current_statements WHERE tenant_pk = ? AND billing_month = ?').get(
      tenantPk,
      billingMonth,
    ) !== undefined
  );
}

/**
 * Finalizes a statement in the caller's transaction: its lines, its totals and summary, status
 * `fixed`. Returns its key, or null (and writes nothing) when the month already has a current
 * statement (or, for a re-issue, when the current one is no longer the one it corrects), or when
 * an earlier month of the tenant was voided since the pass found this one due. A
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
  // A month voided while a pass was closing the months after it is closed again first, in order.
  if (correction === undefined && reopenedBefore(db, t.tenantPk, period.billingMonth)) return null;
  const pk = openRow(db, t, view, now, correction);
  insertLines(db, pk, lines);
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
    DO UPDATE SET last_error = excluded.last_error, attempts = statements.attempts + 1, updated_at = excluded.updated_at`,
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

/**
 * The statement row a close or a re-issue fills, in the caller's transaction: a close reuses the
 * month's open row (left by a close that failed), its lines removed; otherwise a new row takes the
 * month's next revision number.
 */
function openRow(db: Db, t: BillingTenant, view: StatementView, now: string, correction?: Correction): number {
  const period = view.tree.period;
  const existing = cachedStatement(
    db,
    "SELECT statement_pk FROM statements WHERE tenant_pk = ? AND billing_month = ? AND status = 'estimated'",
  ).get(t.tenantPk, period.billingMonth) as { statement_pk: number } | undefined;
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
    return existing.statement_pk;
  }
  return Number(
    cachedStatement(
      db,
      `INSERT INTO statements (tenant_pk, billing_month, revision, period_start, period_end, status, currency,
        corrects_pk, revision_reason, revision_by, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, 'estimated', ?, ?, ?, ?, ?, ?) RETURNING statement_pk`,
    )
      .pluck()
      .get(
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
      ) as number,
  );
}

/** The frozen lines of a statement, in order, in the caller's transaction. */
function insertLines(db: Db, pk: number, lines: readonly ChargeLine[]): void {
  const values = lines.map((l, i) => ({
    statement_pk: pk,
    seq: i + 1,
    line_kind: l.kind,
    lplatform_id: l.lplatformId ?? '',
    resource_id: l.resourceId,
    resource_name: l.resourceName,
    resource_kind: l.resourceKind,
    product_id: l.productId,
    unit_price: l.unitPrice?.toFixed() ?? '',
    amount: l.charged.toFixed(),
    detail: lineToJson(l),
  }));
  if (storeEngine(db) === 'postgres') {
    // One statement for all of them (a statement's lines are a round trip each otherwise: a
    // hundred for a tenant of 20 L-Platforms), their keys numbered in order as one by one.
    if (values.length > 0)
      cachedStatement(
        db,
        `INSERT INTO charge_lines (statement_pk, seq, line_kind, lplatform_id, resource_id, resource_name,
          resource_kind, product_id, unit_price, amount, detail)
        SELECT r.statement_pk, r.seq, r.line_kind, r.lplatform_id, r.resource_id, r.resource_name, r.resource_kind,
          r.product_id, r.unit_price, r.amount, r.detail
        FROM json_to_recordset(?::json) AS r(statement_pk bigint, seq integer, line_kind text, lplatform_id text,
          resource_id text, resource_name text, resource_kind text, product_id text, unit_price text, amount text,
          detail text)
        ORDER BY r.seq`,
      ).run(JSON.stringify(values));
    return;
  }
  const insert = cachedStatement(
    db,
    `INSERT INTO charge_lines (statement_pk, seq, line_kind, lplatform_id, resource_id, resource_name, resource_kind,
    product_id, unit_price, amount, detail) VALUES (@statement_pk, @seq, @line_kind, @lplatform_id, @resource_id,
    @resource_name, @resource_kind, @product_id, @unit_price, @amount, @detail)`,
  );
  for (const v of values) insert.run(v);
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

/** Whether the tenant has a month before `billingMonth` that was voided and not closed again. */
function reopenedBefore(db: Db, tenantPk: number, billingMonth: string): boolean {
  return (
    cachedStatement(
      db,
      `SELECT 1 FROM statements s JOIN statement_voids v USING (statement_pk)
      WHERE s.tenant_pk = ? AND s.billing_month < ?
        AND NOT EXISTS (SELECT 1 FROM current_statements c WHERE c.tenant_pk = s.tenant_pk AND c.billing_month = s.billing_month)
      LIMIT 1`,
    ).get(tenantPk, billingMonth) !== undefined
  );
}
