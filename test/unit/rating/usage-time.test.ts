/** Usage time: per minute, 30 seconds or more round up to a minute, intervals clipped to the period. */
import { describe, expect, it } from 'vitest';
import { t, usage, version } from '../../helpers/rating.ts';
import { chargedTotal, linesOf, rate } from './support.ts';

// 0.173612 yen per minute, metered (no cap, so every minute shows).
const catalog = [version({ productId: 'CMP', category: 'compute', unitPrice: '0.173612' })];

describe('seconds round half up to the minute', () => {
  it.each([
    // 10 min 29 s -> 10 min; 0.173612 x 10 = 1.73612
    { label: '10 min 29 s', end: '2026-10-10T10:10:29.000Z', minutes: 10, amount: '1.73612' },
    // 10 min 29.999 s -> 10 min
    { label: '10 min 29.999 s', end: '2026-10-10T10:10:29.999Z', minutes: 10, amount: '1.73612' },
    // 10 min 30 s -> 11 min; 0.173612 x 11 = 1.909732
    { label: '10 min 30 s', end: '2026-10-10T10:10:30.000Z', minutes: 11, amount: '1.909732' },
    // 10 min 59 s -> 11 min
    { label: '10 min 59 s', end: '2026-10-10T10:10:59.000Z', minutes: 11, amount: '1.909732' },
    // 30 s -> 1 min; 0.173612 x 1 = 0.173612
    { label: '30 s', end: '2026-10-10T10:00:30.000Z', minutes: 1, amount: '0.173612' },
    // 29 s -> 0 min; 0.173612 x 0 = 0
    { label: '29 s', end: '2026-10-10T10:00:29.000Z', minutes: 0, amount: '0' },
  ])('$label = $minutes min, $amount', ({ end, minutes, amount }) => {
    const tree = rate({ catalog, usage: [usage({ productId: 'CMP', start: '2026-10-10T10:00:00Z', end })] });
    const lines = linesOf(tree);
    expect(lines.reduce((s, l) => s + (l.measure.minutes ?? 0), 0)).toBe(minutes);
    expect(chargedTotal(tree)).toBe(amount);
  });
});

describe('intervals are clipped to the period', () => {
  it.each([
    // from September into October: 00:00-01:00 of 10-01 = 60 min; 0.173612 x 60 = 10.41672
    {
      label: 'begun in the previous month',
      start: '2026-09-30T23:00:00Z',
      end: '2026-10-01T01:00:00Z',
      minutes: 60,
      amount: '10.41672',
    },
    // into November: 23:00-24:00 of 10-31 = 60 min; 10.41672
    {
      label: 'running into the next month',
      start: '2026-10-31T23:00:00Z',
      end: '2026-11-01T02:00:00Z',
      minutes: 60,
      amount: '10.41672',
    },
    // across the whole month: 31 x 1440 = 44640 min; 0.173612 x 44640 = 7750.03968
    {
      label: 'covering the month and more',
      start: '2026-09-15T00:00:00Z',
      end: '2026-11-15T00:00:00Z',
      minutes: 44640,
      amount: '7750.03968',
    },
    // minutes count from the record's own start: 10 min 49 s in all -> 11 min, of which the 20 s
    // before the period round to 0, so October gets 11 - 0 = 11; 0.173612 x 11 = 1.909732
    {
      label: 'clipped, its minutes counted from its own start',
      start: '2026-09-30T23:59:40Z',
      end: '2026-10-01T00:10:29Z',
      minutes: 11,
      amount: '1.909732',
    },
    // 60 s across the period's start: 30 s before (rounds to 1 min) and 30 s inside (1 - 1 = 0):
    // one minute in all, billed once, to September
    {
      label: 'one minute across the period start, billed once',
      start: '2026-09-30T23:59:30Z',
      end: '2026-10-01T00:00:30Z',
      minutes: 0,
      amount: '0',
    },
    // clipped to 23:49:30-24:00 of 10-31: 10 min 30 s -> 11 min; 1.909732
    {
      label: 'clipped at the end, 30 s rounding up',
      start: '2026-10-31T23:49:30Z',
      end: '2026-11-01T00:30:00Z',
      minutes: 11,
      amount: '1.909732',
    },
  ])('$label: $minutes min, $amount', ({ start, end, minutes, amount }) => {
    const tree = rate({ catalog, usage: [usage({ productId: 'CMP', start, end })] });
    expect(linesOf(tree).map((l) => [l.kind, l.measure.minutes, t(l.charged)])).toEqual([['usage', minutes, amount]]);
  });

  it.each([
    { label: 'wholly in the previous month', start: '2026-09-01T00:00:00Z', end: '2026-09-30T00:00:00Z' },
    { label: 'ending exactly at the period start', start: '2026-09-30T00:00:00Z', end: '2026-10-01T00:00:00Z' },
    { label: 'starting exactly at the period end', start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' },
  ])('$label: nothing to charge', ({ start, end }) => {
    const tree = rate({ catalog, usage: [usage({ productId: 'CMP', start, end })] });
    expect(tree.lplatforms).toEqual([]);
    expect(t(tree.total)).toBe('0');
  });
});
