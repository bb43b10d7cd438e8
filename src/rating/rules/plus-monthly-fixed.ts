/** Oracle for Windows: metered usage plus a fixed monthly fee in any month it is used. */
import { clip } from '../../domain/calendar.ts';
import { metered } from '../charge-types/metered.ts';
import { inPeriod, makeLine, type ChargeFunction } from '../pricing.ts';
import { defineRule } from './rule.ts';

const priceGroup: ChargeFunction = (group, ctx) => {
  const lines = metered(group, ctx);
  const records = inPeriod(group.records, ctx.period);
  if (records.length === 0) return lines;
  const first = records[0]!;
  const at = clip(first.start, first.end ?? first.start + 1, ctx.period.start, ctx.period.end)![0];
  const version = ctx.catalog.at(first.productId, at);
  const fee = version.ruleParams.fixed_fee!;
  lines.push(
    makeLine(group, version, first, {
      kind: 'fee',
      measure: { runs: 1 },
      amount: fee,
      unitPrice: fee,
      taxPercent: ctx.taxAt(at),
      note: 'monthly fixed fee',
    }),
  );
  return lines;
};

/** `plus_monthly_fixed`: metered usage plus `fixed_fee` in any month the product is used. */
export const plusMonthlyFixed = defineRule({
  name: 'plus_monthly_fixed',
  params: { fixed_fee: 'decimal' },
  scoped: false,
  chargeTypes: ['metered'],
  groupBy: 'product',
  usageFields: [],
  priceGroup,
});
