/**
 * The rating policy built from the configuration, outside the engine: the engine (src/rating) takes
 * a RatingPolicy and imports nothing above it.
 */
import type { Config } from '../src/config.ts';
import { dec } from '../src/domain/money.ts';
import { startOfLocalDay } from '../src/domain/calendar.ts';
import type { RatingPolicy } from '../src/rating/types.ts';

/** The rating policy a configuration asks for, with tax dates placed in the billing time zone. */
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
