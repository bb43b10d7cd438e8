/** ISO 8601 instants and calendar dates: strict parsing, one canonical UTC form for storage. */
import { quoted } from './text.ts';

const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Lowest and highest years accepted anywhere, so stored text always sorts like time. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function checkDate(y: number, m: number, d: number): string | null {
  if (y < MIN_YEAR || y > MAX_YEAR) return `year ${y} is outside ${MIN_YEAR}-${MAX_YEAR}`;
  if (m < 1 || m > 12) return `month ${m} does not exist`;
  if (d < 1 || d > daysInMonth(y, m)) return `day ${d} does not exist in ${y}-${String(m).padStart(2, '0')}`;
  return null;
}

/** Result of parsing: the value, or why the text is not one. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Parses an ISO 8601 instant that names its zone (`Z`, `+09:00` or `+0900`), with optional
 * seconds and up to 3 fraction digits. Returns epoch milliseconds.
 */
export function parseInstant(text: string): ParseResult<number> {
  const m = INSTANT_RE.exec(text);
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)
      ? ' (the time zone is missing: add Z or an offset such as +09:00)'
      : /\.\d{4,}/.test(text)
        ? ' (at most 3 fraction digits)'
        : '';
    return { ok: false, error: `${quoted(text)} is not an ISO 8601 instant with a time zone${hint}` };
  }
  const [, ys, mos, ds, hs, mis, ss, fs, zone] = m as unknown as string[];
  const y = Number(ys),
    mo = Number(mos),
    d = Number(ds),
    h = Number(hs),
    mi = Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  const ms = fs === undefined ? 0 : Number(fs.padEnd(3, '0'));
  const dateError = checkDate(y, mo, d);
  if (dateError) return { ok: false, error: `${quoted(text)}: ${dateError}` };
  if (h > 23 || mi > 59 || s > 59) return { ok: false, error: `${quoted(text)}: the time of day does not exist` };
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    const digits = zone!.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)),
      om = Number(digits.slice(2));
    if (oh > 18 || om > 59) return { ok: false, error: `${quoted(text)}: the offset ${zone} does not exist` };
    offsetMinutes = sign * (oh * 60 + om);
  }
  const epoch = Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000;
  const year = new Date(epoch).getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR)
    return { ok: false, error: `${quoted(text)}: outside ${MIN_YEAR}-${MAX_YEAR} in UTC` };
  return { ok: true, value: epoch };
}

/** Parses a calendar date `YYYY-MM-DD`. Returns the same text when valid. */
export function parseDate(text: string): ParseResult<string> {
  const m = DATE_RE.exec(text);
  if (!m) return { ok: false, error: `${quoted(text)} is not a date in the form YYYY-MM-DD` };
  const dateError = checkDate(Number(m[1]), Number(m[2]), Number(m[3]));
  if (dateError) return { ok: false, error: `${quoted(text)}: ${dateError}` };
  return { ok: true, value: text };
}

/** The canonical stored form of an instant: UTC, milliseconds, `Z` (sorts as text like time). */
export function toUtcIso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Epoch milliseconds of a stored canonical instant. */
export function fromUtcIso(text: string): number {
  return Date.parse(text);
}
