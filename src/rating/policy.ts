/**
 * The rounding and tax presets. `ecl`: lines keep 6 decimals, each L-Platform and the subtotal are
 * truncated to the currency unit, tax = truncate(base x rate) once per rate. `ror`: each line is
 * rounded to the currency's minor unit (half-up, up or down), amounts are plain sums, no tax unless
 * configured.
 */
import { Decimal, ZERO, minorDigits, roundTo, sum, truncate } from '../domain/money.ts';
import type { Currency } from '../domain/vocabulary.ts';
import type { ChargeLine, RatingPolicy } from './types.ts';

/** The rounding steps of a policy for one currency. */
export interface Rounding {
  /** A line's charged amount from its exact amount. */
  line(amount: Decimal): Decimal;
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
  if (policy.preset === 'ecl') {
    return {
      line: (a) => roundTo(a, 6, 'half-up'),
      lplatform: (s) => truncate(s, digits),
      money: (a) => truncate(a, digits),
      tax,
    };
  }
  return {
    line: (a) => roundTo(a, digits, policy.roundingMode),
    lplatform: (s) => s,
    money: (a) => roundTo(a, digits, policy.roundingMode),
    tax,
  };
}

/** Applies the line rounding to lines in place and returns the sum of their charged amounts. */
export function chargeLines(lines: ChargeLine[], rounding: Rounding): Decimal {
  for (const l of lines) l.charged = rounding.line(l.amount);
  return sum(lines.map((l) => l.charged));
}

/**
 * Splits the subtotal into tax bases per rate: each rate but the latest gets its lines' sum (to the
 * currency unit), the latest rate takes the rest, so coupons and rounding fall on the latest rate.
 */
export function taxBases(lines: readonly ChargeLine[], subtotal: Decimal, latest: Decimal, rounding: Rounding): { percent: Decimal; base: Decimal }[] {
  const byRate = new Map<string, Decimal>();
  for (const l of lines) byRate.set(l.taxPercent.toFixed(), (byRate.get(l.taxPercent.toFixed()) ?? ZERO).plus(l.charged));
  byRate.delete(latest.toFixed());
  const bases = [...byRate].map(([percent, raw]) => ({ percent: new Decimal(percent), base: rounding.money(raw) }));
  const rest = subtotal.minus(sum(bases.map((b) => b.base)));
  return [...bases.filter((b) => !b.base.isZero()), { percent: latest, base: rest }].sort((a, b) => a.percent.comparedTo(b.percent));
}
