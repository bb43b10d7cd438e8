/**
 * The rounding and tax presets. `ecl`: lines keep 6 decimals, each L-Platform and the subtotal are
 * truncated to the currency unit, tax = truncate(base x rate) once per rate. `ror`: each line is
 * rounded to the currency's minor unit (half-up, up or down), amounts are plain sums, no tax unless
 * configured.
 */
import { Decimal, ZERO, floorTo, minorDigits, roundTo, sum, truncate } from '../domain/money.ts';
import type { Currency } from '../domain/vocabulary.ts';
import type { ChargeLine, RatingPolicy } from './types.ts';

/** The rounding steps of a policy for one currency. */
export interface Rounding {
  /** A line's charged amount from its exact amount. */
  line(amount: Decimal): Decimal;
  /** The largest amount on the line grid not above `amount` (so a correction never undercuts). */
  floorLine(amount: Decimal): Decimal;
  /** An L-Platform's amount from the sum of its charged lines. */
  lplatform(sumOfLines: Decimal): Decimal;
  /** A money amount brought to the currency unit (tenant-level sums, coupons). */
  money(amount: Decimal): Decimal;
  /** Tax on a base at a percent. */
  tax(base: Decimal, percent: Decimal): Decimal;
}

export function roundingFor(policy: RatingPolicy, currency: Currency): Rounding {
  const digits = minorDigits(currency);
  const tax = (base: Decimal, percent: Decimal): Decimal => truncate(base.times(percent).div(100), digits);
  const lineDigits = policy.preset === 'ecl' ? 6 : digits;
  const floorLine = (a: Decimal): Decimal => floorTo(a, lineDigits);
  if (policy.preset === 'ecl') {
    return {
      line: (a) => roundTo(a, 6, 'half-up'),
      floorLine,
      lplatform: (s) => truncate(s, digits),
      money: (a) => truncate(a, digits),
      tax,
    };
  }
  return {
    line: (a) => roundTo(a, digits, policy.roundingMode),
    floorLine,
    lplatform: (s) => s,
    money: (a) => roundTo(a, digits, policy.roundingMode),
    tax,
  };
}

/**
 * The tax bases per rate. Each rate's base is the sum of its charged lines (to the currency unit);
 * what L-Platform truncation left over goes to the largest base, and the coupons' discount is
 * spread over the positive bases in proportion, never taking a base below zero.
 */
export function taxBases(
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
