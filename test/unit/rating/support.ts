/** Helpers shared by the rating unit tests: month periods, instants by offset, and line look-ups. */
import { Decimal } from '../../../src/domain/money.ts';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import type { ChargeLine, ChargeTree, Period, ResourceCharges } from '../../../src/rating/types.ts';
import { at, input } from '../../helpers/rating.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** The fixed offsets (hours from UTC) of the zones these tests use; neither has daylight saving. */
const OFFSET_HOURS: Record<string, number> = { UTC: 0, 'Asia/Tokyo': 9 };

/** The calendar month `YYYY-MM` as a whole-month period in a time zone (UTC or Asia/Tokyo). */
export function monthPeriod(month: string, timeZone = 'UTC'): Period {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const offset = OFFSET_HOURS[timeZone]! * HOUR;
  return { start: Date.UTC(y, m - 1, 1) - offset, end: Date.UTC(y, m, 1) - offset, billingMonth: month, timeZone };
}

/** The ISO text of an instant `minutes` (and `seconds`) after `base`. */
export function after(base: string, minutes: number, seconds = 0): string {
  return new Date(at(base) + minutes * MINUTE + seconds * 1000).toISOString();
}

/** The ISO text of an instant `minutes` after 2026-10-01T00:00:00Z, the start of the default period. */
export const oct = (minutes: number, seconds = 0): string => after('2026-10-01T00:00:00Z', minutes, seconds);

/** The ISO text of the start of day `d` of October 2026 (day 0 = October 1st), UTC. */
export const octDay = (d: number): string => oct(d * 1440);

/** Rates an input built by the shared `input()` builder (October 2026, UTC, ECL unless told). */
export function rate(p: Parameters<typeof input>[0]): ChargeTree {
  return ratePeriod(input(p));
}

/** Every line of a tree: resources' lines, L-Platforms' own lines, then the tenant's lines. */
export function linesOf(tree: ChargeTree): ChargeLine[] {
  return [...tree.lplatforms.flatMap((l) => [...l.resources.flatMap((r) => r.lines), ...l.lines]), ...tree.tenantLines];
}

/** A resource of the tree by ID, wherever its L-Platform; a missing resource fails the test. */
export function resourceOf(tree: ChargeTree, resourceId: string): ResourceCharges {
  const found = tree.lplatforms.flatMap((l) => l.resources).find((r) => r.resourceId === resourceId);
  if (!found) throw new Error(`resource ${resourceId} is not in the tree`);
  return found;
}

/** The resources of the tree by ID, or undefined when absent (no lines). */
export function maybeResource(tree: ChargeTree, resourceId: string): ResourceCharges | undefined {
  return tree.lplatforms.flatMap((l) => l.resources).find((r) => r.resourceId === resourceId);
}

/** The sum of the charged amounts of every line of the tree (0 for an empty tree). */
export function chargedTotal(tree: ChargeTree): string {
  return linesOf(tree)
    .reduce((s, l) => s.plus(l.charged), new Decimal(0))
    .toFixed();
}

/** A line as compact text for order-free comparisons: kind, product, minutes, charged. */
export function describeLine(l: ChargeLine, withProduct = true): string {
  const parts: string[] = [l.kind];
  if (withProduct) parts.push(l.productId);
  if (l.measure.minutes !== undefined) parts.push(`${l.measure.minutes}min`);
  parts.push(l.charged.toFixed());
  return parts.join(' ');
}
