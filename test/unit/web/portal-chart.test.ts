/** The geometry of the tenant portal's chart (src/web/portal/chart.ts): its round axis and bar lengths. */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.ts';
import { wordsOf } from '../../../src/web/i18n.ts';
import { chartOf, roundCeiling } from '../../../src/web/portal/chart.ts';

describe('roundCeiling', () => {
  it.each([
    ['793277', '1000000'],
    ['1000', '1000'],
    ['1001', '2000'],
    ['2100', '2500'],
    ['18.14', '20'],
    ['73.39', '100'],
    ['0.3', '0.5'],
    ['0', '1'],
    ['-50', '1'],
  ])('%s -> %s', (max, top) => {
    expect(roundCeiling(new Decimal(max)).toFixed()).toBe(top);
  });
});

describe('chartOf', () => {
  const t = wordsOf('en');
  it('draws fixed and corrected months to scale, marks held and void ones, the axis in the currency', () => {
    const chart = chartOf(
      [
        { month: '2026-12', kind: 'held', total: null, currency: 'JPY', state: 'Under review' },
        { month: '2026-11', kind: 'void', total: null, currency: 'JPY', state: 'Void' },
        { month: '2026-10', kind: 'corrected', total: '1000000', currency: 'JPY', state: 'Fixed (corrected)' },
        { month: '2026-09', kind: 'fixed', total: '500000', currency: 'JPY', state: 'Fixed' },
      ],
      'ja',
      t,
    )!;
    expect(chart.ticks.map((k) => k.label)).toEqual(['0円', '500,000円', '1,000,000円']);
    expect(chart.bars.map((b) => [b.month, b.width, b.mark])).toEqual([
      ['2026-12', 0, t.pmChartHeldMark],
      ['2026-11', 0, t.pmChartVoidMark],
      ['2026-10', chart.barWidth, ''],
      ['2026-09', chart.barWidth / 2, ''],
    ]);
    expect(chart.bars[2]!.label).toBe('2026-10: 1,000,000円 (Fixed (corrected))');
    expect(chart.bars[0]!.label).toBe('2026-12: Under review');
    expect(chartOf([], 'en', t)).toBeNull();
  });
});
