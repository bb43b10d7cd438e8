/**
 * The tax stage of rating: consumption tax per rate on the charged lines, after coupons. Each rate
 * is taxed once on its base, by the policy's `Rounding`.
 */
import { Decimal, ZERO, sum } from '../domain/money.ts';
import type { Rounding } from './rounding.ts';
import type { ChargeLine, RatingPolicy, TaxLine } from './types.ts';

/**
 * The tax bases per rate. Each rate's base is the sum of its charged lines (to the currency unit);
 * what L-Platform truncation left over goes to the largest base, and the coupons' discount is
 * spread over the positive bases in proportion, never taking a base below zero.
 */
function taxBases(
  lines: readonly ChargeLine[],
  subtotal: Decimal,
  discount: Decimal,
  rounding: Rounding,
): { percent: Decimal; base: Decimal }[] {
  const byRate = new Map<string, Decimal>();
  for (const l of lines) {
    if (l.kind === 'coupon') continue;
    byRate.set(l.taxPercent.toFixed(), (byRate.get(l.taxPercent.toFixed()) ?? ZERO).plus(l.charged));
  }
  if (byRate.size === 0) return [];
  const bases = [...byRate].map(([percent, raw]) => ({ percent: new Decimal(percent), base: rounding.money(raw) }));
  const largestFirst = (): typeof bases =>
    [...bases].sort((a, b) => b.base.comparedTo(a.base) || b.percent.comparedTo(a.percent));
  // The bases add up to the subtotal before coupons: the truncation remainder goes to the largest.
  largestFirst()[0]!.base = largestFirst()[0]!.base.plus(subtotal.plus(discount).minus(sum(bases.map((b) => b.base))));
  const positive = bases.filter((b) => b.base.greaterThan(0));
  const pool = sum(positive.map((b) => b.base));
  if (discount.greaterThan(0) && pool.greaterThan(0)) {
    let left = discount;
    const [head, ...rest] = largestFirst().filter((b) => b.base.greaterThan(0));
    for (const b of rest) {
      const share = Decimal.min(b.base, rounding.money(discount.times(b.base).div(pool)));
      b.base = b.base.minus(share);
      left = left.minus(share);
    }
    head!.base = head!.base.minus(left);
  }
  return bases.sort((a, b) => a.percent.comparedTo(b.percent));
}

/** The taxes of a period, one per rate (none when the policy adds no tax). */
export function taxLines(
  policy: RatingPolicy,
  lines: readonly ChargeLine[],
  subtotal: Decimal,
  discount: Decimal,
  rounding: Rounding,
): TaxLine[] {
  if (!policy.taxEnabled) return [];
  return taxBases(lines, subtotal, discount, rounding).map((b) => ({ ...b, amount: rounding.tax(b.base, b.percent) }));
}
