/** Oracle: for Windows metered plus a monthly fixed fee (rule plus_monthly_fixed); for Linux capped. */
import { describe, expect, it } from 'vitest';
import { t, usage, version } from '../../helpers/rating.ts';
import { describeLine, oct, rate, resourceOf } from './support.ts';

const catalog = [
  // Oracle SE2 for Windows: 0.138889 yen/minute + 5,000 yen a month.
  version({
    productId: 'ORA-WIN',
    category: 'license',
    unitPrice: '0.138889',
    chargeType: 'metered',
    rule: 'plus_monthly_fixed',
    ruleParams: { fixed_fee: '5000' },
  }),
  // Oracle SE2 for Linux: 0.138889 yen/minute, capped at 5,600 yen a month.
  version({
    productId: 'ORA-LNX',
    category: 'license',
    unitPrice: '0.138889',
    chargeType: 'capped',
    monthlyCap: '5600',
  }),
];

describe('Oracle for Windows: metered + fixed', () => {
  it.each([
    // 0.138889 x 1 = 0.138889; + 5000 = 5000.138889
    { minutes: 1, usageLine: 'usage ORA-WIN 1min 0.138889', amount: '5000.138889' },
    // 10 days = 14400 min: 0.138889 x 14400 = 2000.0016; + 5000 = 7000.0016
    { minutes: 14400, usageLine: 'usage ORA-WIN 14400min 2000.0016', amount: '7000.0016' },
    // 31 days = 44640 min: 0.138889 x 44640 = 6200.00496 (no cap); + 5000 = 11200.00496
    { minutes: 44640, usageLine: 'usage ORA-WIN 44640min 6200.00496', amount: '11200.00496' },
  ])('$minutes min: $amount', ({ minutes, usageLine, amount }) => {
    const res = resourceOf(
      rate({ catalog, usage: [usage({ productId: 'ORA-WIN', start: oct(0), end: oct(minutes) })] }),
      'res-1',
    );
    expect(res.lines.map((l) => describeLine(l))).toEqual([usageLine, 'fee ORA-WIN 5000']);
    expect(t(res.amount)).toBe(amount);
  });
});

describe('Oracle for Linux: capped', () => {
  it.each([
    // 0.138889 x 14400 = 2000.0016, under the cap
    { minutes: 14400, lines: ['usage ORA-LNX 14400min 2000.0016'], amount: '2000.0016' },
    // 0.138889 x 40319 = 5599.865591, under the cap
    { minutes: 40319, lines: ['usage ORA-LNX 40319min 5599.865591'], amount: '5599.865591' },
    // 0.138889 x 40320 = 5600.00448; cap 5600 - 5600.00448 = -0.00448
    { minutes: 40320, lines: ['usage ORA-LNX 40320min 5600.00448', 'cap ORA-LNX -0.00448'], amount: '5600' },
    // 0.138889 x 44640 = 6200.00496; cap 5600 - 6200.00496 = -600.00496
    { minutes: 44640, lines: ['usage ORA-LNX 44640min 6200.00496', 'cap ORA-LNX -600.00496'], amount: '5600' },
  ])('$minutes min: $amount', ({ minutes, lines, amount }) => {
    const res = resourceOf(
      rate({ catalog, usage: [usage({ productId: 'ORA-LNX', start: oct(0), end: oct(minutes) })] }),
      'res-1',
    );
    expect(res.lines.map((l) => describeLine(l))).toEqual(lines);
    expect(t(res.amount)).toBe(amount);
  });
});
