/**
 * localParts: an instant's local fields from its time zone's offset, found once per quarter hour,
 * agree with what Intl formats, across changes of offset (daylight saving, half-hour changes, the
 * local mean times before time zones).
 */
import { describe, expect, it } from 'vitest';
import { localDate, localParts } from '../../../src/domain/calendar.ts';

function formatted(epoch: number, timeZone: string): Record<string, number> {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(epoch)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return parts;
}

describe('localParts', () => {
  it.each([
    ['America/New_York', '2026-03-08T07:00:00Z'],
    ['America/New_York', '2026-11-01T06:00:00Z'],
    ['Europe/London', '2026-10-25T01:00:00Z'],
    ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
    ['Asia/Kolkata', '2026-10-31T18:30:00Z'],
    ['Asia/Tokyo', '1887-12-31T15:00:00Z'],
  ])('agrees with Intl around %s %s, to the second', (timeZone, at) => {
    const centre = Date.parse(at);
    for (let epoch = centre - 3_600_000; epoch < centre + 3_600_000; epoch += 59_999) {
      expect(localParts(epoch, timeZone), new Date(epoch).toISOString()).toEqual(formatted(epoch, timeZone));
      expect(localParts(epoch + 999, timeZone)).toEqual(formatted(epoch + 999, timeZone));
    }
  });

  it('gives the local date of an instant', () => {
    expect(localDate(Date.parse('2026-10-31T15:00:00Z'), 'Asia/Tokyo')).toBe('2026-11-01');
    expect(localDate(Date.parse('2026-10-31T14:59:59.999Z'), 'Asia/Tokyo')).toBe('2026-10-31');
  });
});
