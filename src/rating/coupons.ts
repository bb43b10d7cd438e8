/** Coupons: which apply to a billing month, and the discount each gives (before tax, never below zero). */
import { Decimal, ZERO } from '../domain/money.ts';
import { localDate } from './calendar.ts';
import type { Coupon, Period } from './types.ts';

function monthIndex(month: string): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return y * 12 + m - 1;
}

/**
 * Whether a coupon applies to a period: registered in month M (billing time zone), it applies
 * from billing month M+1, for `validMonths` months, and to periods starting on or before `validUntil`.
 */
export function couponApplies(c: Coupon, period: Period): boolean {
  const registered = monthIndex(localDate(c.registeredAt, period.timeZone).slice(0, 7));
  const billed = monthIndex(period.billingMonth);
  if (billed <= registered) return false;
  if (c.validMonths !== null && billed - registered > c.validMonths) return false;
  if (c.validUntil !== null && localDate(period.start, period.timeZone) > c.validUntil) return false;
  return true;
}

/** The coupons that apply, in the order they were registered. */
export function applicableCoupons(coupons: readonly Coupon[], period: Period): Coupon[] {
  return coupons.filter((c) => couponApplies(c, period)).sort((a, b) => a.registeredAt - b.registeredAt || (a.code < b.code ? -1 : 1));
}

/**
 * The discount of each coupon against what is left of `base`, rounded by `round` (to the currency
 * unit): never more than what is left, so the subtotal never goes below zero.
 */
export function discounts(coupons: readonly Coupon[], base: Decimal, round: (d: Decimal) => Decimal): { coupon: Coupon; amount: Decimal }[] {
  let left = Decimal.max(base, ZERO);
  return coupons.map((coupon) => {
    const wanted = coupon.discountType === 'amount' ? coupon.discountValue : left.times(coupon.discountValue).div(100);
    const amount = Decimal.min(round(wanted), left);
    left = left.minus(amount);
    return { coupon, amount };
  });
}
