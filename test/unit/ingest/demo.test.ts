import { describe, expect, it } from 'vitest';
import { addMonths, monthsBetween, previousMonth, shiftText } from '../../../src/ingest/demo.ts';

describe('demo month shifting', () => {
  it.each([
    ['2026-10', 1, '2026-11'],
    ['2026-12', 1, '2027-01'],
    ['2026-01', -1, '2025-12'],
    ['2026-10', -22, '2024-12'],
    ['2026-10', 0, '2026-10'],
  ])('addMonths(%s, %i) = %s', (month, n, expected) => {
    expect(addMonths(month, n)).toBe(expected);
  });

  it('monthsBetween is the inverse of addMonths', () => {
    expect(monthsBetween('2026-10', '2027-03')).toBe(5);
    expect(monthsBetween('2026-10', '2024-12')).toBe(-22);
  });

  it.each([
    ['2026-10-03T14:19:00Z', 1, '2026-11-03T14:19:00Z'],
    ['2026-10-10T09:30:40.001+09:00', 3, '2027-01-10T09:30:40.001+09:00'],
    ['2026-10-31T23:59:59.999+0900', 1, '2026-11-30T23:59:59.999+0900'],
    ['2026-10-31T23:59:59.999+0900', 4, '2027-02-28T23:59:59.999+0900'],
    ['2027-03-31', -1, '2027-02-28'],
    ['2026-11-01T00:00:00Z', -10, '2026-01-01T00:00:00Z'],
    ['', 5, ''],
  ])('shiftText(%s, %i) = %s (zone kept, day clipped to the month)', (text, n, expected) => {
    expect(shiftText(text, n)).toBe(expected);
  });

  it('previousMonth reads the month in the billing time zone', () => {
    const instant = new Date('2026-10-31T16:00:00Z');
    expect(previousMonth(instant, 'UTC')).toBe('2026-09');
    expect(previousMonth(instant, 'Asia/Tokyo')).toBe('2026-10');
    expect(previousMonth(new Date('2027-01-15T00:00:00Z'), 'UTC')).toBe('2026-12');
  });
});
