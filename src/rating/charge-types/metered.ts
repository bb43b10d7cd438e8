/** Metered: usage x price. Time is split wherever the price (or the CPU's clock price, or the tax) changes. */
import { Decimal, dec } from '../../domain/money.ts';
import { clip, roundedMinutes, roundedSeconds } from '../../domain/calendar.ts';
import { splitAt } from '../catalog.ts';
import { RatingError } from '../errors.ts';
import {
  makeLine,
  multiplierOf,
  timeAmount,
  type ChargeFunction,
  type ChargeGroup,
  type PricingContext,
} from '../pricing.ts';
import type { CatalogVersion, ChargeLine, UsageRecord } from '../types.ts';

interface Bucket {
  version: CatalogVersion;
  clock: CatalogVersion | null;
  record: UsageRecord;
  taxPercent: Decimal;
  minutes: number;
  /** Whole seconds, counted for products priced per second only. */
  seconds: number;
  units: Decimal;
}

/** A record's configuration as a key: a change of configuration makes a line of its own. */
function configKey(r: UsageRecord): string {
  return [r.cpuCount, r.clockGhz?.toFixed(), r.sizeGb?.toFixed(), r.quantity.toFixed(), r.vmCount, r.vcpu].join('|');
}

/** The metered lines of a group: one per price version, clock version, configuration and tax rate. */
export const metered: ChargeFunction = (group, ctx) => meteredLines(group, ctx, group.records);

/** Metered lines for some of a group's records (the two-stage cap prices each plan this way). */
export function meteredLines(group: ChargeGroup, ctx: PricingContext, records: readonly UsageRecord[]): ChargeLine[] {
  const { catalog, period } = ctx;
  const buckets = new Map<string, Bucket>();
  const add = (
    version: CatalogVersion,
    clock: CatalogVersion | null,
    r: UsageRecord,
    at: number,
    minutes: number,
    seconds: number,
    units: Decimal,
  ): void => {
    const taxPercent = ctx.taxAt(at);
    const key = `${version.productId}|${version.priority}|${clock?.priority ?? ''}|${configKey(r)}|${taxPercent.toFixed()}`;
    const b = buckets.get(key);
    if (b) {
      b.minutes += minutes;
      b.seconds += seconds;
      b.units = b.units.plus(units);
    } else {
      buckets.set(key, { version, clock, record: r, taxPercent, minutes, seconds, units });
    }
  };

  for (const r of records) {
    const product = catalog.describe(r.productId);
    if ((r.end === null) !== (product.unitCode === 'unit')) {
      throw new RatingError(
        `usage record ${r.recordId}: product ${r.productId} is priced per ${product.unitCode}, but the record is ${r.end === null ? 'a quantity' : 'an interval'}`,
      );
    }
    if (product.category === 'cpu' && (r.cpuCount === null || r.clockGhz === null)) {
      throw new RatingError(`usage record ${r.recordId}: a CPU record needs cpu_count and clock_ghz`);
    }
    if (r.end === null) {
      if (r.start < period.start || r.start >= period.end) continue;
      add(catalog.at(r.productId, r.start), null, r, r.start, 0, 0, r.quantity);
      continue;
    }
    const span = clip(r.start, r.end, period.start, period.end);
    if (!span) continue;
    const clockId = product.category === 'cpu' ? catalog.clockFor(product) : null;
    const cuts = [
      ...catalog.changesWithin(r.productId, span[0], span[1]),
      ...(clockId ? catalog.changesWithin(clockId, span[0], span[1]) : []),
      ...ctx.taxCuts(span[0], span[1]),
    ];
    // Minutes (seconds for a price per second) are rounded on the record's time counted from its
    // own start; each piece (a part in this period, a part at one price) gets its share, so
    // cutting never adds or loses a minute or a second.
    const perSecond = product.unitCode === 'second';
    let counted = roundedMinutes(span[0] - r.start);
    let countedSeconds = perSecond ? roundedSeconds(span[0] - r.start) : 0;
    for (const [s, e] of splitAt(span[0], span[1], cuts)) {
      const upTo = roundedMinutes(e - r.start);
      const upToSeconds = perSecond ? roundedSeconds(e - r.start) : 0;
      add(
        catalog.at(r.productId, s),
        clockId ? catalog.at(clockId, s) : null,
        r,
        s,
        upTo - counted,
        upToSeconds - countedSeconds,
        dec(0),
      );
      counted = upTo;
      countedSeconds = upToSeconds;
    }
  }

  const lines: ChargeLine[] = [];
  for (const b of buckets.values()) {
    const v = b.version;
    if (v.unitCode === 'unit') {
      lines.push(
        makeLine(group, v, b.record, {
          kind: 'usage',
          measure: { units: b.units },
          multiplier: b.units,
          amount: v.unitPrice.times(b.units),
          taxPercent: b.taxPercent,
        }),
      );
      continue;
    }
    const multiplier = multiplierOf(v, b.record);
    let amount: Decimal;
    if (b.clock) {
      // ROR CPU: (CPU price + clock price x GHz / 0.1) per unit of time, x CPU count.
      const ghzSteps = (b.record.clockGhz ?? dec(0)).times(10);
      const perUnit = v.unitPrice.plus(timeAmountRatio(b.clock, v).times(b.clock.unitPrice).times(ghzSteps));
      amount = timeAmount(perUnit.times(b.record.cpuCount ?? 1).times(multiplier), v.unitCode, b);
    } else {
      amount = timeAmount(v.unitPrice.times(multiplier), v.unitCode, b);
    }
    lines.push(
      makeLine(group, v, b.record, {
        kind: 'usage',
        measure: v.unitCode === 'second' ? { seconds: b.seconds } : { minutes: b.minutes },
        multiplier: b.clock ? multiplier.times(b.record.cpuCount ?? 1) : multiplier,
        amount,
        taxPercent: b.taxPercent,
        clockPrice: b.clock?.unitPrice ?? null,
      }),
    );
  }
  return lines;
}

/** How many of `clock`'s units of time one of `cpu`'s units holds (1 when both are per hour). */
function timeAmountRatio(clock: CatalogVersion, cpu: CatalogVersion): Decimal {
  const minutesOf: Record<string, Decimal> = { hour: dec(60), minute: dec(1), second: dec(1).div(60) };
  return minutesOf[cpu.unitCode]!.div(minutesOf[clock.unitCode]!);
}
