/** The rating policy a configuration asks for, with tax dates placed in the billing time zone. */
import type { Config } from '../config.ts';
import { dec } from '../domain/money.ts';
import { startOfLocalDay } from '../domain/calendar.ts';
import type { RatingPolicy } from './types.ts';

export function ratingPolicy(
  config: Pick<Config, 'ratingPreset' | 'roundingMode' | 'taxEnabled' | 'taxRates' | 'billingTimeZone'>,
): RatingPolicy {
  return {
    preset: config.ratingPreset,
    roundingMode: config.roundingMode,
    taxEnabled: config.taxEnabled,
    taxRates: config.taxRates.map((r) => {
      const [y, m, d] = r.from.split('-').map(Number) as [number, number, number];
      return { from: startOfLocalDay(y, m, d, config.billingTimeZone), percent: dec(r.percent) };
    }),
  };
}
