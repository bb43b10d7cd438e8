/** The rating engine's one error: usage that cannot be priced as it stands. */
import { UsageChargesError } from '../domain/errors.ts';

/** Usage that cannot be rated (no price in force, overlapping records, a currency mismatch, ...). */
export class RatingError extends UsageChargesError {
  constructor(message: string) {
    super('E_RATING', message);
  }
}
