/** Catalog versions: the price in force at each instant; a change splits the item; higher priority wins. */
import { describe, expect, it } from 'vitest';
import { at, t, usage, version } from '../../helpers/rating.ts';
import { rate, resourceOf } from './support.ts';

/** A line as [priority, unit price, minutes, charged]. */
const shape = (tree: ReturnType<typeof rate>) =>
  resourceOf(tree, 'res-1')
    .lines.map((l) => [l.priority, t(l.unitPrice!), l.measure.minutes, t(l.charged)])
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])));

describe('a mid-month price change', () => {
  // 0.173612/min up to and including 2026-10-15T23:59:59.999Z (priority 0), then 0.2/min from 2026-10-16
  // (priority 1: the versions of a product are keyed by product and priority, as the catalog file is).
  const catalog = [
    version({
      productId: 'CMP',
      priority: 0,
      unitPrice: '0.173612',
      from: at('2026-01-01T00:00:00Z'),
      to: at('2026-10-15T23:59:59.999Z'),
    }),
    version({ productId: 'CMP', priority: 1, unitPrice: '0.2', from: at('2026-10-16T00:00:00Z'), to: null }),
  ];

  it.each([
    {
      label: 'the whole month: two lines',
      start: '2026-10-01T00:00:00Z',
      end: '2026-11-01T00:00:00Z',
      lines: [
        [0, '0.173612', 21600, '3750.0192'], // 10-01..10-15 = 15 days = 21600 min; 0.173612 x 21600 = 3750.0192
        [1, '0.2', 23040, '4608'], // 10-16..10-31 = 16 days = 23040 min; 0.2 x 23040 = 4608
      ],
      amount: '8358.0192', // 3750.0192 + 4608
    },
    {
      label: 'an hour either side of the change',
      start: '2026-10-15T23:00:00Z',
      end: '2026-10-16T01:00:00Z',
      lines: [
        [0, '0.173612', 60, '10.41672'], // 0.173612 x 60 = 10.41672
        [1, '0.2', 60, '12'], // 0.2 x 60 = 12
      ],
      amount: '22.41672',
    },
    {
      label: 'before the change only',
      start: '2026-10-01T00:00:00Z',
      end: '2026-10-11T00:00:00Z',
      lines: [[0, '0.173612', 14400, '2500.0128']], // 10 days = 14400 min; 0.173612 x 14400 = 2500.0128
      amount: '2500.0128',
    },
    {
      label: 'after the change only',
      start: '2026-10-20T00:00:00Z',
      end: '2026-10-21T00:00:00Z',
      lines: [[1, '0.2', 1440, '288']], // 1440 x 0.2 = 288
      amount: '288',
    },
  ])('$label', ({ start, end, lines, amount }) => {
    const tree = rate({ catalog, usage: [usage({ productId: 'CMP', start, end })] });
    expect(shape(tree)).toEqual(lines);
    expect(t(resourceOf(tree, 'res-1').amount)).toBe(amount);
  });
});

describe('a split never changes the usage time', () => {
  // 0.173612/min up to 2026-10-15T23:59:59.999Z (priority 0), 0.2/min from 2026-10-16 (priority 1).
  const catalog = [
    version({
      productId: 'CMP',
      priority: 0,
      unitPrice: '0.173612',
      from: at('2026-01-01T00:00:00Z'),
      to: at('2026-10-15T23:59:59.999Z'),
    }),
    version({ productId: 'CMP', priority: 1, unitPrice: '0.2', from: at('2026-10-16T00:00:00Z'), to: null }),
  ];
  it.each([
    // 24 h exactly = 1440 min, whatever second the change falls on
    { start: '2026-10-15T10:00:30Z', end: '2026-10-16T10:00:30Z', minutes: 1440 },
    { start: '2026-10-15T10:00:40Z', end: '2026-10-16T10:00:40Z', minutes: 1440 },
    // 60 s = 1 min, half of it on each side of the change
    { start: '2026-10-15T23:59:30Z', end: '2026-10-16T00:00:30Z', minutes: 1 },
    // 40 s rounds up to 1 min, though neither 20 s side would alone
    { start: '2026-10-15T23:59:40Z', end: '2026-10-16T00:00:20Z', minutes: 1 },
  ])('a record $start -> $end across the change is $minutes min in all', ({ start, end, minutes }) => {
    const tree = rate({ catalog, usage: [usage({ productId: 'CMP', start, end })] });
    expect(resourceOf(tree, 'res-1').lines.reduce((n, l) => n + (l.measure.minutes ?? 0), 0)).toBe(minutes);
  });
});

describe('overlapping catalog rows: the higher priority wins where both apply', () => {
  // Priority 0: 0.014881/min from 2026-01-01, open-ended. Priority 1: 0.01/min for 2026-10-15..2026-10-20 (inclusive days).
  const base = version({
    productId: 'VOL',
    unitPrice: '0.014881',
    priority: 0,
    from: at('2026-01-01T00:00:00Z'),
    to: null,
  });
  const campaign = version({
    productId: 'VOL',
    unitPrice: '0.01',
    priority: 1,
    from: at('2026-10-15T00:00:00Z'),
    to: at('2026-10-20T23:59:59.999Z'),
  });

  it.each([
    {
      label: 'the whole month: the campaign inside its days, the base price around them',
      start: '2026-10-01T00:00:00Z',
      end: '2026-11-01T00:00:00Z',
      lines: [
        [1, '0.01', 8640, '86.4'], // 10-15..10-20 = 6 days = 8640 min; 0.01 x 8640 = 86.4
        [0, '0.014881', 36000, '535.716'], // 31 - 6 = 25 days = 36000 min; 0.014881 x 36000 = 535.716
      ],
      amount: '622.116', // 86.4 + 535.716
    },
    {
      label: 'inside the campaign only',
      start: '2026-10-16T00:00:00Z',
      end: '2026-10-18T00:00:00Z',
      lines: [[1, '0.01', 2880, '28.8']], // 2 days = 2880 min; 0.01 x 2880 = 28.8
      amount: '28.8',
    },
    {
      label: 'before the campaign only',
      start: '2026-10-01T00:00:00Z',
      end: '2026-10-05T00:00:00Z',
      lines: [[0, '0.014881', 5760, '85.71456']], // 4 days = 5760 min; 0.014881 x 5760 = 85.71456
      amount: '85.71456',
    },
    {
      label: 'across the end of the campaign',
      start: '2026-10-20T12:00:00Z',
      end: '2026-10-21T12:00:00Z',
      lines: [
        [1, '0.01', 720, '7.2'], // 12 h = 720 min; 0.01 x 720 = 7.2
        [0, '0.014881', 720, '10.71432'], // 0.014881 x 720 = 10.71432
      ],
      amount: '17.91432',
    },
  ])('$label', ({ start, end, lines, amount }) => {
    const tree = rate({ catalog: [base, campaign], usage: [usage({ productId: 'VOL', start, end })] });
    expect(shape(tree)).toEqual(lines);
    expect(t(resourceOf(tree, 'res-1').amount)).toBe(amount);
  });

  it('a lower-priority row inside a higher-priority open-ended row never applies', () => {
    const tree = rate({
      catalog: [
        { ...base, priority: 1 },
        { ...campaign, priority: 0 },
      ],
      usage: [usage({ productId: 'VOL', start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' })],
    });
    // 44640 min all at 0.014881: 0.014881 x 44640 = 664.28784
    expect(shape(tree)).toEqual([[1, '0.014881', 44640, '664.28784']]);
  });
});
