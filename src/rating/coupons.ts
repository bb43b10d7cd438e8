/** Coupons: which apply to a billing month, and the discount each gives (before tax, never below zero). */
import { Decimal, ZERO } from '../domain/money.ts';
import { byText } from '../domain/text.ts';
import { localDate, localParts, startOfLocalDay } from '../domain/calendar.ts';
import {
  periodAfter,
  periodAt,
  periodContaining,
  type BillingPeriod,
  type TenantSchedule,
} from '../periods/periods.ts';
import type { Coupon, Period } from './types.ts';

/** The first instant of the month `months` after the month of `t`, in the time zone. */
function monthStartAfter(t: number, months: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  const first = new Date(Date.UTC(p.year, p.month - 1 + months, 1));
  return startOfLocalDay(first.getUTCFullYear(), first.getUTCMonth() + 1, 1, timeZone);
}

/**
 * Whether a coupon applies to a period. Registered in month M (billing time zone), it is effective
 * from the start of month M+1: it applies to the periods that start on or after that instant,
 * for `validMonths` months (periods starting before the start of month M+1+validMonths), and to
 * periods starting on or before `validUntil`.
 */
export function couponApplies(c: Coupon, period: Period): boolean {
  if (period.start < monthStartAfter(c.registeredAt, 1, period.timeZone)) return false;
  if (c.validMonths !== null && period.start >= monthStartAfter(c.registeredAt, 1 + c.validMonths, period.timeZone))
    return false;
  if (c.validUntil !== null && localDate(period.start, period.timeZone) > c.validUntil) return false;
  return true;
}

/** The coupons that apply, in the order they were registered. */
export function applicableCoupons(coupons: readonly Coupon[], period: Period): Coupon[] {
  return coupons
    .filter((c) => couponApplies(c, period))
    .sort((a, b) => a.registeredAt - b.registeredAt || byText(a.code, b.code));
}

/**
 * The discount of each coupon against what is left of `base`, rounded by `round` (to the currency
 * unit): never more than what is left, so the subtotal never goes below zero.
 */
export function discounts(
  coupons: readonly Coupon[],
  base: Decimal,
  round: (d: Decimal) => Decimal,
): { coupon: Coupon; amount: Decimal }[] {
  let left = Decimal.max(base, ZERO);
  return coupons.map((coupon) => {
    const wanted = coupon.discountType === 'amount' ? coupon.discountValue : left.times(coupon.discountValue).div(100);
    const amount = Decimal.min(round(wanted), left);
    left = left.minus(amount);
    return { coupon, amount };
  });
}

/** What decides the months of a coupon: when it was registered and how long it lasts. */
export type CouponTerms = Pick<Coupon, 'registeredAt' | 'validMonths' | 'validUntil'>;

/**
 * The billing months a coupon registered at `registeredAt` applies to, by the rule of
 * `couponApplies`, along the tenant's schedule as the close will walk it (cut-off day, a pending
 * change of it, a deleted tenant's last month), oldest first: what the portal shows before the
 * coupon is registered and what the close then discounts. Empty when no month is left.
 */
export function couponMonths(c: CouponTerms, schedule: TenantSchedule, timeZone: string): string[] {
  const months: string[] = [];
  const coupon: Coupon = { ...c, code: '', discountType: 'amount', discountValue: ZERO };
  // No period starts on or after this instant for the coupon to apply.
  const startsBy = monthStartAfter(c.registeredAt, 1 + (c.validMonths ?? 1200), timeZone);
  const later = schedule.pendingCutoffDay ?? schedule.cutoffDay;
  // Registered in a finalized month: its periods as the cut-off day makes them (the months the
  // close discounted, unless the cut-off day changed since).
  let period: BillingPeriod | null =
    periodAt(schedule, c.registeredAt, timeZone) ?? periodContaining(c.registeredAt, schedule.cutoffDay, timeZone);
  while (period !== null && period.start < startsBy) {
    if (c.validUntil !== null && localDate(period.start, timeZone) > c.validUntil) break;
    if (schedule.deletedAt !== null && period.start > schedule.deletedAt) break;
    if (couponApplies(coupon, { ...period, timeZone })) months.push(period.billingMonth);
    period = periodAfter(period.end, period.billingMonth, later, timeZone);
  }
  return months;
}
