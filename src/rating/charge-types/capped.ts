/** Capped: min(usage x price, monthly cap); the cap shows as a negative line when it binds. */
import type { Decimal } from '../../domain/money.ts';
import { correctionLine, type ChargeFunction } from '../pricing.ts';
import type { CatalogVersion, ChargeLine } from '../types.ts';
import { meteredLines, total } from './metered.ts';

/** The largest monthly cap among the versions that priced some lines. */
export function capOf(lines: readonly ChargeLine[], versions: (productId: string, priority: number) => CatalogVersion): Decimal | null {
  let cap: Decimal | null = null;
  for (const l of lines) {
    const c = versions(l.productId, l.priority ?? 0).monthlyCap;
    if (c !== null && (cap === null || c.greaterThan(cap))) cap = c;
  }
  return cap;
}

/** Appends a negative line bringing `lines` down to `cap` when their total exceeds it. */
export function applyCap(lines: ChargeLine[], cap: Decimal | null, note: string): void {
  if (cap === null || lines.length === 0) return;
  const over = total(lines).minus(cap);
  if (over.greaterThan(0)) lines.push(correctionLine(lines[lines.length - 1]!, 'cap', over.negated(), note));
}

export const capped: ChargeFunction = (group, ctx) => {
  const lines = meteredLines(group, ctx, group.records);
  const cap = capOf(lines, (id, priority) => ctx.catalog.versions(id).find((v) => v.priority === priority)!);
  applyCap(lines, cap, `monthly cap ${cap?.toFixed() ?? ''}`);
  return lines;
};
