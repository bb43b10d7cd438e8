/** parseInstant, parseDate and the canonical UTC form: table tests of what is accepted and why the rest is not. */
import { describe, expect, it } from 'vitest';
import { MAX_YEAR, MIN_YEAR, fromUtcIso, parseDate, parseInstant, toUtcIso } from '../../../src/domain/instant.ts';

const NOT_INSTANT = 'is not an ISO 8601 instant with a time zone';
const NO_ZONE = `${NOT_INSTANT} (the time zone is missing: add Z or an offset such as +09:00)`;
const TOO_PRECISE = `${NOT_INSTANT} (at most 3 fraction digits)`;

/** The canonical text of a parsed instant, or the error. */
function canonical(text: string): string {
  const r = parseInstant(text);
  return r.ok ? toUtcIso(r.value) : `error: ${r.error}`;
}

describe('parseInstant: accepted', () => {
  it.each([
    ['zone Z', '2026-10-01T00:00:00Z', '2026-10-01T00:00:00.000Z'],
    ['zone +09:00', '2026-10-01T09:00:00+09:00', '2026-10-01T00:00:00.000Z'],
    ['zone +0900', '2026-10-01T09:00:00+0900', '2026-10-01T00:00:00.000Z'],
    ['a negative half-hour offset', '2026-10-01T00:00-05:30', '2026-10-01T05:30:00.000Z'],
    ['offset +18:00', '2026-10-01T18:00:00+18:00', '2026-10-01T00:00:00.000Z'],
    ['offset -18:00', '2026-09-30T06:00:00-18:00', '2026-10-01T00:00:00.000Z'],
    ['no seconds', '2026-10-01T12:34Z', '2026-10-01T12:34:00.000Z'],
    ['1 fraction digit', '2026-10-01T00:00:00.1Z', '2026-10-01T00:00:00.100Z'],
    ['2 fraction digits', '2026-10-01T00:00:00.12Z', '2026-10-01T00:00:00.120Z'],
    ['3 fraction digits', '2026-10-10T09:30:40.001+09:00', '2026-10-10T00:30:40.001Z'],
    ['an offset moving to the previous year', '2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['23:59:59', '2026-10-31T23:59:59Z', '2026-10-31T23:59:59.000Z'],
    ['29 February of a leap year', '2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['29 February of 2000 (divisible by 400)', '2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['31 December', '2026-12-31T00:00:00Z', '2026-12-31T00:00:00.000Z'],
    ['the first instant of 1970', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['1970 reached in UTC from +09:00', '1970-01-01T09:00:00+09:00', '1970-01-01T00:00:00.000Z'],
    ['the last millisecond of 9999', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('accepts %s: %s', (_what, text, iso) => {
    expect(canonical(text)).toBe(iso);
  });

  it('returns epoch milliseconds', () => {
    expect(parseInstant('1970-01-01T00:00:01.5Z')).toEqual({ ok: true, value: 1500 });
  });
});

describe('parseInstant: refused', () => {
  it.each([
    ['no zone', '2026-10-01T00:00:00', NO_ZONE],
    ['no zone and no seconds', '2026-10-01T00:00', NO_ZONE],
    ['no zone, with a fraction', '2026-10-01T00:00:00.123', NO_ZONE],
    ['a date only', '2026-10-01', NO_ZONE],
    ['4 fraction digits', '2026-10-01T00:00:00.1234Z', TOO_PRECISE],
    ['9 fraction digits with an offset', '2026-10-01T00:00:00.123456789+09:00', TOO_PRECISE],
    ['a space for T', '2026-10-01 00:00:00Z', NOT_INSTANT],
    ['lower-case t and z', '2026-10-01t00:00:00z', NOT_INSTANT],
    ['a space before the zone', '2026-10-01T00:00:00 Z', NOT_INSTANT],
    ['a one-digit offset hour', '2026-10-01T00:00:00+9:00', NOT_INSTANT],
    ['a comma before the fraction', '2026-10-01T00:00:00,5Z', NOT_INSTANT],
    ['a leading space', ' 2026-10-01T00:00:00Z', NOT_INSTANT],
    ['a five-digit year', '10000-01-01T00:00:00Z', NOT_INSTANT],
    ['one-digit month and day', '2026-1-1T00:00:00Z', NOT_INSTANT],
    ['a zone name', '2026-10-01T00:00:00JST', NOT_INSTANT],
    ['an empty text', '', NOT_INSTANT],
  ])('refuses %s', (_what, text, message) => {
    expect(parseInstant(text)).toEqual({ ok: false, error: `"${text}" ${message}` });
  });

  it.each([
    ['29 February of a common year', '2026-02-29T00:00:00Z', 'day 29 does not exist in 2026-02'],
    ['29 February of 2100 (not a leap year)', '2100-02-29T00:00:00Z', 'day 29 does not exist in 2100-02'],
    ['30 February', '2026-02-30T00:00:00Z', 'day 30 does not exist in 2026-02'],
    ['31 April', '2026-04-31T00:00:00Z', 'day 31 does not exist in 2026-04'],
    ['day 0', '2026-10-00T00:00:00Z', 'day 0 does not exist in 2026-10'],
    ['month 0', '2026-00-10T00:00:00Z', 'month 0 does not exist'],
    ['month 13', '2026-13-01T00:00:00Z', 'month 13 does not exist'],
    ['24:00', '2026-10-01T24:00:00Z', 'the time of day does not exist'],
    ['25:00', '2026-10-01T25:00:00Z', 'the time of day does not exist'],
    ['minute 60', '2026-10-01T23:60:00Z', 'the time of day does not exist'],
    ['a leap second', '2026-12-31T23:59:60Z', 'the time of day does not exist'],
    ['offset +19:00', '2026-10-01T00:00:00+19:00', 'the offset +19:00 does not exist'],
    ['offset +09:60', '2026-10-01T00:00:00+09:60', 'the offset +09:60 does not exist'],
    ['offset -2400', '2026-10-01T00:00:00-2400', 'the offset -2400 does not exist'],
    ['year 1969', '1969-12-31T23:59:59Z', `year 1969 is outside ${MIN_YEAR}-${MAX_YEAR}`],
    ['year 0', '0000-01-01T00:00:00Z', `year 0 is outside ${MIN_YEAR}-${MAX_YEAR}`],
    [
      'year 0099 (which Date.UTC would read as 1999)',
      '0099-01-01T00:00:00Z',
      `year 99 is outside ${MIN_YEAR}-${MAX_YEAR}`,
    ],
    [
      '1970 written with an offset that makes it 1969 in UTC',
      '1970-01-01T00:00:00+00:01',
      `outside ${MIN_YEAR}-${MAX_YEAR} in UTC`,
    ],
    [
      '9999 written with an offset that makes it 10000 in UTC',
      '9999-12-31T23:00:00-01:00',
      `outside ${MIN_YEAR}-${MAX_YEAR} in UTC`,
    ],
  ])('refuses %s', (_what, text, message) => {
    expect(parseInstant(text)).toEqual({ ok: false, error: `"${text}": ${message}` });
  });
});

describe('parseDate', () => {
  it.each(['2026-10-01', '2024-02-29', '2000-02-29', '1970-01-01', '9999-12-31'])('accepts %s as itself', (text) => {
    expect(parseDate(text)).toEqual({ ok: true, value: text });
  });

  it.each([
    ['2026-02-29', '"2026-02-29": day 29 does not exist in 2026-02'],
    ['2100-02-29', '"2100-02-29": day 29 does not exist in 2100-02'],
    ['2026-04-31', '"2026-04-31": day 31 does not exist in 2026-04'],
    ['2026-13-01', '"2026-13-01": month 13 does not exist'],
    ['2026-10-00', '"2026-10-00": day 0 does not exist in 2026-10'],
    ['1969-12-31', '"1969-12-31": year 1969 is outside 1970-9999'],
    ['2026-1-1', '"2026-1-1" is not a date in the form YYYY-MM-DD'],
    ['20261001', '"20261001" is not a date in the form YYYY-MM-DD'],
    ['2026/10/01', '"2026/10/01" is not a date in the form YYYY-MM-DD'],
    ['2026-10-01T00:00:00Z', '"2026-10-01T00:00:00Z" is not a date in the form YYYY-MM-DD'],
    ['10000-01-01', '"10000-01-01" is not a date in the form YYYY-MM-DD'],
    ['', '"" is not a date in the form YYYY-MM-DD'],
  ])('refuses %j', (text, error) => {
    expect(parseDate(text)).toEqual({ ok: false, error });
  });
});

describe('toUtcIso and fromUtcIso', () => {
  it.each(['1970-01-01T00:00:00.000Z', '2026-10-10T00:30:40.001Z', '9999-12-31T23:59:59.999Z'])(
    'round-trips %s',
    (iso) => {
      expect(toUtcIso(fromUtcIso(iso))).toBe(iso);
    },
  );

  it('gives texts that sort like the instants they name', () => {
    const texts = [
      '2026-10-01T09:00:00+09:00',
      '2026-09-30T23:59:59.999Z',
      '2026-10-01T00:00:00.001Z',
      '1970-01-01T00:00Z',
      '9999-12-31T23:59:59.999Z',
    ];
    const byText = texts.map(canonical).sort();
    const byTime = [...texts]
      .sort((a, b) => (parseInstant(a) as { value: number }).value - (parseInstant(b) as { value: number }).value)
      .map(canonical);
    expect(byText).toEqual(byTime);
  });
});
