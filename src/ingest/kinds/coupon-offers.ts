/**
 * Import kind `coupon-offers`: the coupon codes the billing team issues. A tenant's owner registers
 * one on the portal (`/coupons`); it then becomes a row of `coupons`, effective from the next month.
 */
import * as z from 'zod';
import {
  calendarDate,
  decimalText,
  fileSafeName,
  identifier,
  oneOf,
  optional,
  required,
  text,
  wholeNumber,
  withDefault,
} from '../fields.ts';
import type { ImportKind } from '../import-kind.ts';
import { CURRENCIES } from '../../domain/vocabulary.ts';
import { PRICE_DIGITS } from './catalog.ts';
import { checkCouponTerms } from './coupons.ts';
import { firstDifference, requireTenant } from './shared.ts';
import { findCoupon } from '../../store/coupons.ts';
import { findOffer, insertOffer } from '../../store/coupon-offers.ts';

/** A valid row of a coupon-offers file. */
export interface CouponOfferRow {
  coupon_code: string;
  discount_type: 'amount' | 'percent';
  discount_value: string;
  /** The currency of an amount off; null for a percentage. */
  currency: string | null;
  valid_months: number | null;
  valid_until: string | null;
  description: string;
  /** The only tenant that may register the code; null: any. */
  tenant_name: string | null;
  redeem_by: string | null;
}

/** The cells of one coupon-offers row, each checked on its own. */
function offerCells() {
  return z.object({
    coupon_code: required(identifier(/^[A-Z0-9]{12}$/, 'exactly 12 capital letters A-Z or digits 0-9')),
    discount_type: required(oneOf(['amount', 'percent'] as const)),
    discount_value: required(decimalText(PRICE_DIGITS)),
    currency: optional(oneOf(CURRENCIES)),
    valid_months: optional(wholeNumber(1, 120)),
    valid_until: optional(calendarDate()),
    description: withDefault(text(256), ''),
    tenant_name: optional(fileSafeName(32)),
    redeem_by: optional(calendarDate()),
  });
}
type OfferCells = z.output<ReturnType<typeof offerCells>>;

export const couponOffersKind: ImportKind<CouponOfferRow, OfferCells> = {
  name: 'coupon-offers',
  columns: {
    required: ['coupon_code', 'discount_type', 'discount_value'],
    optional: ['currency', 'valid_months', 'valid_until', 'description', 'tenant_name', 'redeem_by'],
  },
  schema: offerCells,
  combine(row: OfferCells, issue): CouponOfferRow {
    checkCouponTerms(row, issue);
    if (row.discount_type === 'amount' && row.currency === undefined)
      issue('currency', 'an amount off needs its currency: only a tenant billed in it can register the code');
    if (row.discount_type === 'percent' && row.currency !== undefined)
      issue('currency', 'a percentage has no currency: leave it empty');
    if (row.redeem_by !== undefined && row.valid_until !== undefined && row.redeem_by > row.valid_until)
      issue('redeem_by', 'is after valid_until: a code registered then would never apply');
    return {
      ...row,
      currency: row.currency ?? null,
      valid_months: row.valid_months ?? null,
      valid_until: row.valid_until ?? null,
      tenant_name: row.tenant_name ?? null,
      redeem_by: row.redeem_by ?? null,
    };
  },
  key: (row) => `coupon ${row.coupon_code}`,
  applier({ db, now, by }) {
    return (row, report) => {
      const stored = findOffer(db, row.coupon_code);
      if (stored) {
        const diff = firstDifference(stored, { ...row });
        if (diff === null) return 'unchanged';
        report(
          'coupon_code',
          `coupon ${row.coupon_code} was issued before with other content (${diff.text}); an issued code never changes`,
        );
        return 'rejected';
      }
      const registered = findCoupon(db, row.coupon_code);
      if (registered) {
        report(
          'coupon_code',
          `coupon ${row.coupon_code} is registered already (tenant ${registered.tenantName}); issue another code`,
        );
        return 'rejected';
      }
      let reservedTenantPk: number | null = null;
      if (row.tenant_name !== null) {
        const t = requireTenant(db, row.tenant_name, report);
        if (!t) return 'rejected';
        reservedTenantPk = t.tenantPk;
      }
      insertOffer(db, {
        couponCode: row.coupon_code,
        discountType: row.discount_type,
        discountValue: row.discount_value,
        currency: row.currency,
        validMonths: row.valid_months,
        validUntil: row.valid_until,
        description: row.description,
        reservedTenantPk,
        redeemBy: row.redeem_by,
        issuedAt: now,
        issuedBy: by ?? '',
      });
      return 'inserted';
    };
  },
};
