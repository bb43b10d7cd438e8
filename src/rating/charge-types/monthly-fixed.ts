/** Monthly fixed: the monthly fee once for each run of use (each start) that falls in the period. */
import { Decimal } from '../../domain/money.ts';
import { joinRuns } from '../runs.ts';
import {
  inPeriod,
  largest,
  makeLine,
  monthlyFee,
  type ChargeFunction,
  type ChargeGroup,
  type PricingContext,
} from '../pricing.ts';
import type { CatalogVersion, ChargeLine, UsageRecord } from '../types.ts';

/** A run of use in the period, with the instant that decides its price and tax. */
export interface PricedRun {
  /** The run's first instant inside the period. */
  at: number;
  version: CatalogVersion;
  /** Its records that overlap the period. */
  records: UsageRecord[];
}

/** The runs of a group's records (one product) that overlap the period, each with its version. */
export function runsInPeriod(group: ChargeGroup, ctx: PricingContext): PricedRun[] {
  const out: PricedRun[] = [];
  for (const run of joinRuns(group.records)) {
    const inside = inPeriod(run.records, ctx.period);
    if (inside.length === 0) continue;
    const at = Math.max(run.start, ctx.period.start);
    out.push({ at, version: ctx.catalog.at(run.records[0]!.productId, at), records: inside });
  }
  return out;
}

/** Folds priced runs into lines: one per version, multiplier and tax rate, counting the runs. */
export function feeLines(
  group: ChargeGroup,
  ctx: PricingContext,
  runs: readonly PricedRun[],
  price: (run: PricedRun) => { multiplier: Decimal; amount: Decimal; note?: string; unitPrice?: Decimal },
): ChargeLine[] {
  const lines = new Map<string, ChargeLine>();
  for (const pr of runs) {
    const { multiplier, amount, note = '', unitPrice } = price(pr);
    const taxPercent = ctx.taxAt(pr.at);
    const key = `${pr.version.productId}|${pr.version.priority}|${multiplier.toFixed()}|${note}|${taxPercent.toFixed()}`;
    const line = lines.get(key);
    if (line) {
      line.measure.runs = (line.measure.runs ?? 0) + 1;
      line.amount = line.amount.plus(amount);
      line.charged = line.amount;
    } else {
      lines.set(
        key,
        makeLine(group, pr.version, pr.records[0]!, {
          kind: 'fee',
          measure: { runs: 1 },
          multiplier,
          amount,
          taxPercent,
          note,
          ...(unitPrice ? { unitPrice } : {}),
        }),
      );
    }
  }
  return [...lines.values()];
}

export const monthlyFixed: ChargeFunction = (group, ctx) =>
  feeLines(group, ctx, runsInPeriod(group, ctx), (pr) => {
    const multiplier = largest(pr.records, (r) => r.quantity);
    return { multiplier, amount: monthlyFee(pr.version, multiplier) };
  });
