/** The charge types by name: each one function of the same signature; an unknown type is an error. */
import type { ChargeType } from '../../domain/vocabulary.ts';
import { RatingError } from '../errors.ts';
import type { ChargeFunction } from '../pricing.ts';
import { capped } from './capped.ts';
import { cappedPlan } from './capped-plan.ts';
import { dailyProrated } from './daily-prorated.ts';
import { metered } from './metered.ts';
import { monthlyFixed } from './monthly-fixed.ts';

export const CHARGE_FUNCTIONS: Record<ChargeType, ChargeFunction> = {
  metered,
  capped,
  capped_plan: cappedPlan,
  monthly_fixed: monthlyFixed,
  daily_prorated: dailyProrated,
};

/** The function of a charge type; an unknown type is an error. */
export function chargeFunction(type: string): ChargeFunction {
  const fn = (CHARGE_FUNCTIONS as Record<string, ChargeFunction | undefined>)[type];
  if (!fn) throw new RatingError(`unknown charge type "${type}"`);
  return fn;
}
