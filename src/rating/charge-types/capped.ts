/** Capped: min(usage x price, monthly cap); the cap shows as a negative line when it binds. */
import { sum, type Decimal } from '../../domain/money.ts';
import type { Catalog } from '../catalog.ts';
import { correctionLine, type ChargeFunction, type PricingContext } from '../pricing.ts';
import { chargeLines } from '../rounding.ts';
import type { ChargeLine } from '../types.ts';
import { meteredLines } from './metered.ts';

/** The largest monthly cap among the versions that priced some lines. */
export function capOf(lines: readonly ChargeLine[], catalog: Catalog): Decimal | null {
  let cap: Decimal | null = null;
  for (const l of lines) {
    const c = catalog.version(l.productId, l.priority ?? 0).monthlyCap;
    if (c !== null && (cap === null || c.greaterThan(cap))) cap = c;
  }
  return cap;
}

/**
 * Appends a negative line bringing the charged total of `lines` down to `cap` when it exceeds it.
 * The lines are rounded first and the cut is taken on the rounded amounts, so that the item never
 * charges more than its cap whatever the rounding. The cap line takes the tax rate of the last line.
 */
export function applyCap(lines: ChargeLine[], cap: Decimal | null, note: string, ctx: PricingContext): void {
  if (cap === null || lines.length === 0) return;
  chargeLines(lines, ctx.rounding);
  const over = sum(lines.map((l) => l.charged)).minus(cap);
  if (over.greaterThan(0))
    lines.push(correctionLine(lines[lines.length - 1]!, 'cap', ctx.rounding.floorLine(over.negated()), note));
}

export const capped: ChargeFunction = (group, ctx) => {
  const lines = meteredLines(group, ctx, group.records);
  const cap = capOf(lines, ctx.catalog);
  applyCap(lines, cap, `monthly cap ${cap?.toFixed() ?? ''}`, ctx);
  return lines;
};
