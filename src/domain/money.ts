/** Money: one decimal.js configuration for every amount, and the rounding the policies use. */
import { Decimal as BaseDecimal } from 'decimal.js';
import { CURRENCY_MINOR_DIGITS, type Currency } from './vocabulary.ts';

/**
 * The Decimal every amount, price and quantity uses: 50 significant digits, so that no product of
 * a 6-decimal price and a month of minutes, nor a division by 60, ever rounds on the way.
 */
export const Decimal = BaseDecimal.clone({
  precision: 50,
  rounding: BaseDecimal.ROUND_HALF_UP,
  toExpNeg: -30,
  toExpPos: 40,
});
export type Decimal = InstanceType<typeof Decimal>;

export const ZERO = new Decimal(0);

/** How an amount is brought to a number of decimals. */
export const ROUNDING_MODES = ['half-up', 'up', 'down'] as const;
export type RoundingMode = (typeof ROUNDING_MODES)[number];

const MODE: Record<RoundingMode, BaseDecimal.Rounding> = {
  'half-up': BaseDecimal.ROUND_HALF_UP,
  up: BaseDecimal.ROUND_UP,
  down: BaseDecimal.ROUND_DOWN,
};

/** Rounds to `places` decimals; `up` and `down` are away from and towards zero, as for a negative credit. */
export function roundTo(value: Decimal, places: number, mode: RoundingMode): Decimal {
  return value.toDecimalPlaces(places, MODE[mode]);
}

/** The largest value with `places` decimals that is not above `value` (towards minus infinity). */
export function floorTo(value: Decimal, places: number): Decimal {
  return value.toDecimalPlaces(places, BaseDecimal.ROUND_FLOOR);
}

/** Cuts the decimals beyond `places` (towards zero). */
export function truncate(value: Decimal, places = 0): Decimal {
  return value.toDecimalPlaces(places, BaseDecimal.ROUND_DOWN);
}

/** Digits after the point of a currency's minor unit (JPY 0, USD/EUR/SGD 2). */
export function minorDigits(currency: Currency): number {
  return CURRENCY_MINOR_DIGITS[currency];
}

/** Sum of a list of decimals. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** A decimal from its stored text. */
export function dec(text: string | number): Decimal {
  return new Decimal(text);
}
