/** The adjustments table: manual credits and debits, as the import adds them and the close rates them. */
import { dec } from '../domain/money.ts';
import type { Adjustment } from '../rating/types.ts';
import { cachedStatement, type Db } from './db.ts';

/** What an adjustment says: whose, which month, how much and why. */
interface AdjustmentFields {
  adjustmentId: string;
  billingMonth: string;
  /** Whether the file gave the month (false: the tenant's next open month at the import). */
  monthGiven: boolean;
  /** Signed decimal text: negative for a credit. */
  amount: string;
  reason: string;
  taxed: boolean;
}

/** An adjustment as imported, with its tenant's name and its L-Platform's ID (null: the tenant as a whole). */
export interface StoredAdjustment extends AdjustmentFields {
  tenantName: string;
  lplatformId: string | null;
}

/** An adjustment to add, with its creation time. */
export interface NewAdjustment extends AdjustmentFields {
  tenantPk: number;
  lplatformPk: number | null;
  now: string;
}

interface StoredAdjustmentRow {
  adjustment_id: string;
  tenant_name: string;
  lplatform_id: string | null;
  billing_month: string;
  month_given: number;
  amount: string;
  reason: string;
  taxed: number;
}

/** The adjustment with the ID `id`, when there is one. */
export function findAdjustment(db: Db, id: string): StoredAdjustment | undefined {
  const r = cachedStatement(
    db,
    `SELECT a.adjustment_id, t.tenant_name, l.lplatform_id, a.billing_month, a.month_given, a.amount, a.reason, a.taxed
      FROM adjustments a JOIN tenants t USING (tenant_pk) LEFT JOIN lplatforms l ON l.lplatform_pk = a.lplatform_pk
      WHERE a.adjustment_id = ?`,
  ).get(id) as StoredAdjustmentRow | undefined;
  if (r === undefined) return undefined;
  return {
    adjustmentId: r.adjustment_id,
    tenantName: r.tenant_name,
    lplatformId: r.lplatform_id,
    billingMonth: r.billing_month,
    monthGiven: r.month_given === 1,
    amount: r.amount,
    reason: r.reason,
    taxed: r.taxed === 1,
  };
}

/** Adds an adjustment. */
export function insertAdjustment(db: Db, a: NewAdjustment): void {
  cachedStatement(
    db,
    `INSERT INTO adjustments (adjustment_id, tenant_pk, lplatform_pk, billing_month, month_given, amount, reason, taxed, created_at)
      VALUES (@adjustmentId, @tenantPk, @lplatformPk, @billingMonth, @monthGiven, @amount, @reason, @taxed, @now)`,
  ).run({ ...a, monthGiven: a.monthGiven ? 1 : 0, taxed: a.taxed ? 1 : 0 });
}

/** Whether the tenant's statement of `billingMonth` is finalized. */
export function isMonthFinalized(db: Db, tenantPk: number, billingMonth: string): boolean {
  return (
    cachedStatement(db, `SELECT 1 FROM current_statements WHERE tenant_pk = ? AND billing_month = ?`).get(
      tenantPk,
      billingMonth,
    ) !== undefined
  );
}

/** The tenant's manual adjustments billed in `billingMonth`, as the rating engine takes them. */
export function manualAdjustments(db: Db, tenantPk: number, billingMonth: string): Adjustment[] {
  const rows = cachedStatement(
    db,
    `SELECT a.adjustment_id, l.lplatform_id, a.amount, a.reason, a.taxed
      FROM adjustments a LEFT JOIN lplatforms l ON l.lplatform_pk = a.lplatform_pk
      WHERE a.tenant_pk = ? AND a.billing_month = ? ORDER BY a.adjustment_id`,
  ).all(tenantPk, billingMonth) as {
    adjustment_id: string;
    lplatform_id: string | null;
    amount: string;
    reason: string;
    taxed: number;
  }[];
  return rows.map((r) => ({
    id: r.adjustment_id,
    lplatformId: r.lplatform_id,
    amount: dec(r.amount),
    reason: r.reason,
    originalMonth: null,
    taxed: r.taxed === 1,
  }));
}
