/** Minutes and days: how time is counted, in a time zone given as a parameter. Pure. */

const MINUTE = 60_000;

/** Whole minutes of a duration: 30 seconds or more count as a minute, less is dropped. */
export function roundedMinutes(ms: number): number {
  return Math.floor((ms + MINUTE / 2) / MINUTE);
}

/** Whole seconds of a duration: 500 ms or more count as one more second (half up), as minutes do. */
export function roundedSeconds(ms: number): number {
  return Math.floor((ms + 500) / 1000);
}

/** The part of [start, end) inside [from, to), or null when they do not meet. */
export function clip(start: number, end: number, from: number, to: number): [number, number] | null {
  const s = Math.max(start, from);
  const e = Math.min(end, to);
  return s < e ? [s, e] : null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

type LocalParts = { year: number; month: number; day: number; hour: number; minute: number; second: number };

/** The local calendar fields of an instant in a time zone, as Intl formats them. */
function formattedParts(epoch: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(epoch)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The offset from UTC (ms, whole seconds) of a time zone at an instant, as Intl formats it. */
function formattedOffset(epoch: number, timeZone: string): number {
  const p = formattedParts(epoch, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(epoch / 1000) * 1000;
}

const QUARTER_HOUR = 15 * MINUTE;
/**
 * A time zone's offset in each quarter hour (UTC) asked for, when it is the same at its first and
 * last millisecond (null: it changes inside). Formatting an instant costs microseconds; a page
 * shows hundreds of times.
 */
const quarterOffsets = new Map<string, Map<number, number | null>>();

/** The local calendar fields of an instant in a time zone. */
export function localParts(epoch: number, timeZone: string): LocalParts {
  let offsets = quarterOffsets.get(timeZone);
  if (offsets === undefined) {
    offsets = new Map();
    quarterOffsets.set(timeZone, offsets);
  }
  const quarter = Math.floor(epoch / QUARTER_HOUR);
  let offset = offsets.get(quarter);
  if (offset === undefined) {
    const first = formattedOffset(quarter * QUARTER_HOUR, timeZone);
    offset = first === formattedOffset((quarter + 1) * QUARTER_HOUR - 1, timeZone) ? first : null;
    if (offsets.size >= 100_000) offsets.clear();
    offsets.set(quarter, offset);
  }
  if (offset === null) return formattedParts(epoch, timeZone);
  const local = new Date(epoch + offset);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/** The local date `YYYY-MM-DD` of an instant. */
export function localDate(epoch: number, timeZone: string): string {
  const p = localParts(epoch, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/**
 * The first instant of a local date in a time zone. Where a DST change skips midnight (the day
 * starts at 01:00), it is the first instant that lies on that date.
 */
export function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  let result = guess - offsetAt(guess, timeZone);
  result = guess - offsetAt(result, timeZone);
  const target = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (localDate(result, timeZone) < target) {
    // Midnight does not exist that day: find the first instant of the date (within 3 hours).
    let lo = result;
    let hi = result + 3 * 3_600_000;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (localDate(mid, timeZone) < target) lo = mid;
      else hi = mid;
    }
    result = hi;
  }
  return result;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(epoch: number, timeZone: string): number {
  const p = localParts(epoch, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(epoch / 1000) * 1000;
}

/** The local dates [start, end) touches, in order. */
export function datesTouched(start: number, end: number, timeZone: string): string[] {
  const dates: string[] = [];
  let p = localParts(start, timeZone);
  for (;;) {
    const dayStart = startOfLocalDay(p.year, p.month, p.day, timeZone);
    if (dayStart >= end) break;
    dates.push(`${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`);
    const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
    p = { ...p, year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
  }
  return dates;
}
