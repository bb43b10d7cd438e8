/**
 * Every rounding of a rated period, in one place. `ecl`: lines keep 6 decimals, each L-Platform and
 * the subtotal are truncated to the currency unit, tax = truncate(base x rate) once per rate. `ror`:
 * each line is rounded to the currency's minor unit (half-up, up or down), amounts are plain sums.
 * The rating stages and the rules that correct rounded lines (caps, free links, allowances) round
 * only through the `Rounding` built here.
 */
import { Decimal, floorTo, minorDigits, roundTo, truncate } from '../domain/money.ts';
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
  /** A money amount brought to the currency unit (tenant-level sums, coupons, tax bases). */
  money(amount: Decimal): Decimal;
  /** Tax on a base at a percent. */
  tax(base: Decimal, percent: Decimal): Decimal;
}

/** The rounding of a policy for a currency. */
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
 * Gives lines their charged amount: the exact amount rounded by the policy. Corrections (caps) are
 * computed on rounded lines and made on the line grid already, so they keep theirs.
 */
export function chargeLines(lines: readonly ChargeLine[], rounding: Rounding): void {
  for (const l of lines) if (l.kind !== 'cap') l.charged = rounding.line(l.amount);
}
