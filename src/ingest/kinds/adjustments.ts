/**
 * Import kind `adjustments`: manual credits (negative) and debits (positive) of a tenant or one of
 * its L-Platforms, billed in a billing month as `adjustment` lines with their reason. The only
 * kind whose amounts may be negative. A month already finalized is refused: its statement never
 * changes (`reissue --adjustments` bills adjustments in the revision it makes of one).
 */
import * as z from 'zod';
import { CURRENCY_MINOR_DIGITS, PRICE_DIGITS, type Currency } from '../../domain/vocabulary.ts';
import { nextOpenPeriod, periodAt } from '../../periods/periods.ts';
import { decimalText, fileSafeName, identifier, oneOf, optional, required, text, withDefault } from '../fields.ts';
import type { ImportContext, ImportKind, Report } from '../import-kind.ts';
import type { Db } from '../../store/db.ts';
import type { TenantRef } from '../../store/tenants.ts';
import { checkWritable, firstDifference, requireTenant, tenantEncoding } from './shared.ts';
import { findAdjustment, insertAdjustment, isMonthFinalized } from '../../store/adjustments.ts';
import { loadSchedule } from '../../store/billing.ts';
import { findLplatform } from '../../store/lplatforms.ts';

/** An adjustment ID: letters, digits, `_`, `.`, `:` and `-`, as usage record IDs. */
const ADJUSTMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const LPLATFORM_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A valid row of an adjustments file. */
export interface AdjustmentRow {
  adjustment_id: string;
  tenant_name: string;
  lplatform_id: string | null;
  /** Null: the tenant's next open month, resolved when the row is applied. */
  billing_month: string | null;
  amount: string;
  reason: string;
  tax: 'taxed' | 'untaxed';
}

/** The cells of one adjustments row, each checked on its own. */
function adjustmentsCells() {
  return z.object({
    adjustment_id: required(
      identifier(ADJUSTMENT_ID, '1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit'),
    ),
    tenant_name: required(fileSafeName(32)),
    lplatform_id: optional(
      identifier(LPLATFORM_ID, '1-64 letters, digits, "_" or "-", starting with a letter or digit'),
    ),
    billing_month: optional(identifier(MONTH, 'a billing month YYYY-MM')),
    amount: required(decimalText({ ...PRICE_DIGITS, allowNegative: true })),
    reason: required(text(256)),
    tax: withDefault(oneOf(['taxed', 'untaxed'] as const), 'taxed'),
  });
}
type AdjustmentsCells = z.output<ReturnType<typeof adjustmentsCells>>;

/**
 * The month a row is billed in: the month it gives, else the tenant's next open month. Null (with
 * the problem reported) for a month finalized, before the tenant's billing starts, after a deleted
 * tenant's last month, or when a deleted tenant has no open month left.
 */
function billedMonth(
  db: Db,
  t: TenantRef,
  row: AdjustmentRow,
  ctx: { timeZone: string; reissueOf: ImportContext['reissueOf'] },
  report: Report,
): string | null {
  const { timeZone, reissueOf } = ctx;
  // With a re-issue, the month is the finalized one it re-issues, and only that one.
  if (reissueOf !== undefined) {
    if (row.tenant_name !== reissueOf.tenantName) {
      report(
        'tenant_name',
        `reissue --adjustments takes adjustments of ${reissueOf.tenantName} only, the tenant it re-issues`,
      );
      return null;
    }
    const month = row.billing_month ?? reissueOf.billingMonth;
    if (month !== reissueOf.billingMonth) {
      report(
        'billing_month',
        `reissue --adjustments bills in ${reissueOf.billingMonth}, the month it re-issues: leave billing_month empty or give ${reissueOf.billingMonth}`,
      );
      return null;
    }
    return month;
  }
  const schedule = loadSchedule(db, t.tenantPk);
  const open = nextOpenPeriod(schedule, timeZone);
  const field = 'billing_month';
  if (open === null) {
    report(
      field,
      `tenant ${row.tenant_name} was deleted at ${t.deletedAt} and its last month is finalized: no month is open to bill it in`,
    );
    return null;
  }
  const month = row.billing_month ?? open.billingMonth;
  if (isMonthFinalized(db, t.tenantPk, month)) {
    report(
      field,
      `${month} is already finalized for tenant ${row.tenant_name}: its statement never changes; bill the adjustment in it with usage-charges reissue --tenant ${row.tenant_name} --month ${month} --adjustments FILE --reason TEXT, or leave billing_month empty to bill it in the next open month (${open.billingMonth})`,
    );
    return null;
  }
  if (month < open.billingMonth) {
    report(
      field,
      `${month} is before ${open.billingMonth}, the first month tenant ${row.tenant_name} is billed in: it would be billed in no month`,
    );
    return null;
  }
  if (schedule.deletedAt !== null) {
    const last = periodAt(schedule, schedule.deletedAt, timeZone)?.billingMonth ?? open.billingMonth;
    if (month > last) {
      report(field, `tenant ${row.tenant_name} was deleted at ${t.deletedAt}: its last month is ${last}`);
      return null;
    }
  }
  return month;
}

export const adjustmentsKind: ImportKind<AdjustmentRow, AdjustmentsCells> = {
  name: 'adjustments',
  columns: {
    required: ['adjustment_id', 'tenant_name', 'amount', 'reason'],
    optional: ['lplatform_id', 'billing_month', 'tax'],
  },
  schema: adjustmentsCells,
  combine(row: AdjustmentsCells, issue): AdjustmentRow {
    if (/^[+-]?0(\.0*)?$/.test(row.amount)) issue('amount', 'must not be 0 (a credit is negative, a debit positive)');
    if (row.reason.trim() === '') issue('reason', 'must say why (it is shown on the statement)');
    return { ...row, lplatform_id: row.lplatform_id ?? null, billing_month: row.billing_month ?? null };
  },
  key: (row) => `adjustment ${row.adjustment_id}`,
  applier({ db, now, csvEncoding, billingTimeZone, reissueOf }) {
    const timeZone = billingTimeZone ?? 'UTC';
    return (row, report) => {
      const stored = findAdjustment(db, row.adjustment_id);
      // A re-issue's file holds adjustments of its month only, stored ones too (an ID of another
      // month would be "unchanged" there, and billed in that month, not in the correction).
      if (
        stored &&
        reissueOf !== undefined &&
        (stored.tenantName !== reissueOf.tenantName || stored.billingMonth !== reissueOf.billingMonth)
      ) {
        report(
          'adjustment_id',
          `adjustment ${row.adjustment_id} was imported before for ${stored.tenantName} ${stored.billingMonth}: reissue --adjustments takes adjustments of ${reissueOf.tenantName} ${reissueOf.billingMonth} only`,
        );
        return 'rejected';
      }
      if (stored) {
        // An empty month was resolved when the adjustment was first imported: it matches the stored one.
        const diff = firstDifference(
          { ...stored, tax: stored.taxed ? 'taxed' : 'untaxed' },
          { ...row, billing_month: row.billing_month ?? stored.billingMonth },
        );
        if (diff === null) return 'unchanged';
        report(
          diff.field,
          `adjustment ${row.adjustment_id} was imported before with other content (${diff.text}); an adjustment ID is used once`,
        );
        return 'rejected';
      }
      const t = requireTenant(db, row.tenant_name, report);
      if (!t) return 'rejected';
      let ok = true;
      let lplatformPk: number | null = null;
      if (row.lplatform_id !== null) {
        const l = findLplatform(db, row.lplatform_id);
        if (!l) {
          report('lplatform_id', `L-Platform "${row.lplatform_id}" does not exist (import lplatforms first)`);
          ok = false;
        } else if (l.tenantPk !== t.tenantPk) {
          report('lplatform_id', `L-Platform "${row.lplatform_id}" does not belong to tenant ${row.tenant_name}`);
          ok = false;
        } else lplatformPk = l.lplatformPk;
      }
      const digits = CURRENCY_MINOR_DIGITS[t.currency as Currency];
      if ((row.amount.split('.')[1] ?? '').length > digits) {
        report(
          'amount',
          `has more decimals than ${t.currency}, the currency of tenant ${row.tenant_name}, has (${digits})`,
        );
        ok = false;
      }
      if (!checkWritable(tenantEncoding(t, csvEncoding), row.reason, 'reason', `tenant ${row.tenant_name}'s`, report))
        ok = false;
      const month = billedMonth(db, t, row, { timeZone, reissueOf }, report);
      if (month === null) return 'rejected';
      if (!ok) return 'rejected';
      insertAdjustment(db, {
        adjustmentId: row.adjustment_id,
        tenantPk: t.tenantPk,
        lplatformPk,
        billingMonth: month,
        monthGiven: row.billing_month !== null,
        amount: row.amount,
        reason: row.reason,
        taxed: row.tax === 'taxed',
        now,
      });
      return 'inserted';
    };
  },
};
