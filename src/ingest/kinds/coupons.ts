/** Import kind `coupons`: 12-character codes registered by a tenant, effective from the next month. */
import * as z from 'zod';
import {
  calendarDate,
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
import type { ImportKind, Report } from '../import-kind.ts';
import { PRICE_DIGITS } from './catalog.ts';
import { firstDifference, requireTenant } from './shared.ts';
import { findCoupon, insertCoupon } from '../../store/coupons.ts';

/** A valid row of a coupons file. */
export interface CouponRow {
  coupon_code: string;
  tenant_name: string;
  registered_at: string;
  discount_type: 'amount' | 'percent';
  discount_value: string;
  valid_months: number | null;
  valid_until: string | null;
  description: string;
}

/** The cells of one coupons row, each checked on its own. */
function couponsCells() {
  return z.object({
    coupon_code: required(identifier(/^[A-Z0-9]{12}$/, 'exactly 12 capital letters A-Z or digits 0-9')),
    tenant_name: required(fileSafeName(32)),
    registered_at: required(instant()),
    discount_type: required(oneOf(['amount', 'percent'] as const)),
    discount_value: required(decimalText(PRICE_DIGITS)),
    valid_months: optional(wholeNumber(1, 120)),
    valid_until: optional(calendarDate()),
    description: withDefault(text(256), ''),
  });
}
type CouponsCells = z.output<ReturnType<typeof couponsCells>>;

/**
 * The rules of a coupon's terms, for the coupons and the coupon-offers kinds: a discount more than
 * 0 (a percentage at most 100, at most 4 decimals) and an end (valid_months, valid_until or both).
 */
export function checkCouponTerms(
  row: {
    discount_type: 'amount' | 'percent';
    discount_value: string;
    valid_months?: number | undefined;
    valid_until?: string | undefined;
  },
  issue: Report,
): void {
  if (/^0(\.0*)?$/.test(row.discount_value)) issue('discount_value', 'must be more than 0');
  if (row.discount_type === 'percent' && !/^(100(\.0+)?|\d{1,2}(\.\d{1,4})?)$/.test(row.discount_value)) {
    issue('discount_value', 'a percentage must be at most 100 with at most 4 decimals');
  }
  if (row.valid_months === undefined && row.valid_until === undefined) {
    issue('valid_months', 'a coupon needs an end: valid_months, valid_until or both');
  }
}

export const couponsKind: ImportKind<CouponRow, CouponsCells> = {
  name: 'coupons',
  columns: {
    required: ['coupon_code', 'tenant_name', 'registered_at', 'discount_type', 'discount_value'],
    optional: ['valid_months', 'valid_until', 'description'],
  },
  schema: couponsCells,
  combine(row: CouponsCells, issue): CouponRow {
    checkCouponTerms(row, issue);
    if (row.valid_until !== undefined && row.valid_until < row.registered_at.slice(0, 10)) {
      issue('valid_until', 'is before registered_at');
    }
    return { ...row, valid_months: row.valid_months ?? null, valid_until: row.valid_until ?? null };
  },
  key: (row) => `coupon ${row.coupon_code}`,
  applier({ db, now }) {
    return (row, report) => {
      const stored = findCoupon(db, row.coupon_code);
      if (stored) {
        const diff = firstDifference(stored, { ...row });
        if (diff === null) return 'unchanged';
        report(
          'coupon_code',
          `coupon ${row.coupon_code} was registered before with other content (${diff.text}); a coupon code is used once`,
        );
        return 'rejected';
      }
      const t = requireTenant(db, row.tenant_name, report);
      if (!t) return 'rejected';
      insertCoupon(db, {
        couponCode: row.coupon_code,
        tenantPk: t.tenantPk,
        registeredAt: row.registered_at,
        discountType: row.discount_type,
        discountValue: row.discount_value,
        validMonths: row.valid_months,
        validUntil: row.valid_until,
        description: row.description,
        now,
      });
      return 'inserted';
    };
  },
};
