/** Daily prorated: the monthly fee x days used / days in the period (days in the billing time zone). */
import { dec } from '../../domain/money.ts';
import { clip, datesTouched } from '../../domain/calendar.ts';
import { inPeriod, largest, makeLine, monthlyFee, type ChargeFunction } from '../pricing.ts';

export const dailyProrated: ChargeFunction = (group, ctx) => {
  const { period } = ctx;
  const records = inPeriod(group.records, period);
  if (records.length === 0) return [];
  const days = new Set<string>();
  let first = Number.POSITIVE_INFINITY;
  for (const r of records) {
    const span = clip(r.start, r.end ?? r.start + 1, period.start, period.end);
    if (!span) continue;
    first = Math.min(first, span[0]);
    for (const d of datesTouched(span[0], span[1], period.timeZone)) days.add(d);
  }
  const daysInPeriod = datesTouched(period.start, period.end, period.timeZone).length;
  const version = ctx.catalog.at(records[0]!.productId, first);
  const multiplier = largest(records, (r) => r.quantity);
  const amount = monthlyFee(version, multiplier.times(days.size), dec(daysInPeriod));
  return [
    makeLine(group, version, records[0]!, {
      kind: 'fee',
      measure: { days: days.size, daysInPeriod },
      multiplier,
      amount,
      taxPercent: ctx.taxAt(first),
    }),
  ];
};
