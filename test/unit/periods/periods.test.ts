/**
 * Billing periods: cut-off dates (end of month, days a month lacks), period boundaries in the billing
 * time zone (UTC, Asia/Tokyo, a DST zone), boundaries themselves, cut-off changes, and due periods.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutoffDate,
  duePeriods,
  monthNumber,
  monthText,
  nextOpenPeriod,
  periodAfter,
  periodAt,
  periodContaining,
  periodEndOf,
  type BillingPeriod,
  type TenantSchedule,
} from '../../../src/periods/periods.ts';
import { openPeriodOfMonth } from '../../../src/periods/month-period.ts';

const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad instant ${iso}`);
  return t;
};
const iso = (t: number): string => new Date(t).toISOString();
/** A period with readable instants, for exact comparisons with clear diffs. */
const shown = (p: BillingPeriod & { tenantName?: string }) => ({
  ...(p.tenantName === undefined ? {} : { tenant: p.tenantName }),
  month: p.billingMonth,
  start: iso(p.start),
  end: iso(p.end),
  cutoff: p.cutoffDay,
});
/** The period of `month` with `cutoffDay`, the way the module builds it from two period ends. */
function periodOf(month: string, cutoffDay: number, timeZone: string): { start: string; end: string } {
  const n = monthNumber(month);
  return { start: iso(periodEndOf(n - 1, cutoffDay, timeZone)), end: iso(periodEndOf(n, cutoffDay, timeZone)) };
}

describe('month numbers', () => {
  it.each(['2026-01', '2026-12', '2027-02', '2028-02', '1999-12'])('%s round-trips', (m) => {
    expect(monthText(monthNumber(m))).toBe(m);
  });
  it('December + 1 is January of the next year', () => {
    expect(monthText(monthNumber('2026-12') + 1)).toBe('2027-01');
    expect(monthText(monthNumber('2027-01') - 1)).toBe('2026-12');
  });
});

describe('cutoffDate', () => {
  it.each([
    // [month, cut-off day, cut-off date]
    ['2028-02', 31, '2028-02-29'], // leap year: end of month
    ['2027-02', 31, '2027-02-28'], // common year: end of month
    ['2028-02', 30, '2028-02-29'],
    ['2027-02', 30, '2027-02-28'],
    ['2028-02', 29, '2028-02-29'],
    ['2027-02', 29, '2027-02-28'],
    ['2027-02', 28, '2027-02-28'],
    ['2026-04', 31, '2026-04-30'],
    ['2026-04', 30, '2026-04-30'],
    ['2026-10', 15, '2026-10-15'],
    ['2026-10', 1, '2026-10-01'],
    ['2026-12', 31, '2026-12-31'],
  ] as const)('%s with cut-off %i is %s', (month, day, expected) => {
    const d = cutoffDate(monthNumber(month), day);
    expect(`${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`).toBe(expected);
  });
});

describe('period boundaries (start inclusive, end exclusive)', () => {
  it.each([
    // [zone, billing month, cut-off day, start, end]
    // Cut-off 31 = end of month; in February of a leap and of a common year.
    ['UTC', '2028-02', 31, '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['UTC', '2027-02', 31, '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
    ['UTC', '2028-01', 31, '2028-01-01T00:00:00.000Z', '2028-02-01T00:00:00.000Z'],
    ['UTC', '2028-03', 31, '2028-03-01T00:00:00.000Z', '2028-04-01T00:00:00.000Z'],
    // Cut-off 30 and 29: February ends on its last day; the month after starts on March 1st.
    ['UTC', '2028-02', 30, '2028-01-31T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['UTC', '2027-02', 30, '2027-01-31T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
    ['UTC', '2027-03', 30, '2027-03-01T00:00:00.000Z', '2027-03-31T00:00:00.000Z'],
    ['UTC', '2028-02', 29, '2028-01-30T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['UTC', '2027-02', 29, '2027-01-30T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
    ['UTC', '2027-03', 29, '2027-03-01T00:00:00.000Z', '2027-03-30T00:00:00.000Z'],
    ['UTC', '2028-03', 29, '2028-03-01T00:00:00.000Z', '2028-03-30T00:00:00.000Z'],
    // Cut-off 15: the 16th to the 15th, named after the month of the cut-off date.
    ['UTC', '2026-10', 15, '2026-09-16T00:00:00.000Z', '2026-10-16T00:00:00.000Z'],
    ['UTC', '2027-01', 15, '2026-12-16T00:00:00.000Z', '2027-01-16T00:00:00.000Z'],
    ['UTC', '2028-03', 15, '2028-02-16T00:00:00.000Z', '2028-03-16T00:00:00.000Z'],
    ['UTC', '2026-10', 1, '2026-09-02T00:00:00.000Z', '2026-10-02T00:00:00.000Z'],
    // Asia/Tokyo (UTC+9, no DST): every boundary at 15:00Z of the previous day.
    ['Asia/Tokyo', '2028-02', 31, '2028-01-31T15:00:00.000Z', '2028-02-29T15:00:00.000Z'],
    ['Asia/Tokyo', '2027-02', 31, '2027-01-31T15:00:00.000Z', '2027-02-28T15:00:00.000Z'],
    ['Asia/Tokyo', '2027-02', 30, '2027-01-30T15:00:00.000Z', '2027-02-28T15:00:00.000Z'],
    ['Asia/Tokyo', '2026-10', 15, '2026-09-15T15:00:00.000Z', '2026-10-15T15:00:00.000Z'],
    ['Asia/Tokyo', '2027-01', 31, '2026-12-31T15:00:00.000Z', '2027-01-31T15:00:00.000Z'],
    // Europe/Berlin: summer time ends on Sunday 2026-10-25 (03:00 CEST -> 02:00 CET).
    ['Europe/Berlin', '2026-10', 24, '2026-09-24T22:00:00.000Z', '2026-10-24T22:00:00.000Z'],
    ['Europe/Berlin', '2026-10', 25, '2026-09-25T22:00:00.000Z', '2026-10-25T23:00:00.000Z'], // 30 days + 1 hour
    ['Europe/Berlin', '2026-11', 25, '2026-10-25T23:00:00.000Z', '2026-11-25T23:00:00.000Z'],
    ['Europe/Berlin', '2026-10', 31, '2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z'],
    ['Europe/Berlin', '2026-11', 31, '2026-10-31T23:00:00.000Z', '2026-11-30T23:00:00.000Z'],
    // ... and starts on Sunday 2027-03-28 (02:00 CET -> 03:00 CEST).
    ['Europe/Berlin', '2027-03', 27, '2027-02-27T23:00:00.000Z', '2027-03-27T23:00:00.000Z'],
    ['Europe/Berlin', '2027-03', 28, '2027-02-28T23:00:00.000Z', '2027-03-28T22:00:00.000Z'], // 28 days - 1 hour
    // America/Santiago: on 2026-09-06 midnight does not exist; the day starts at 01:00 (-03).
    ['America/Santiago', '2026-09', 5, '2026-08-06T04:00:00.000Z', '2026-09-06T04:00:00.000Z'],
  ] as const)('%s %s cut-off %i: [%s, %s)', (zone, month, day, start, end) => {
    expect(periodOf(month, day, zone)).toEqual({ start, end });
    // periodContaining agrees at both ends of the period.
    expect(shown(periodContaining(at(start), day, zone))).toEqual({ month, start, end, cutoff: day });
    expect(shown(periodContaining(at(end) - 1, day, zone))).toEqual({ month, start, end, cutoff: day });
  });
});

describe('periodContaining at and around boundaries', () => {
  it.each([
    // [zone, cut-off day, instant, billing month]
    ['UTC', 15, '2026-10-15T23:59:59.999Z', '2026-10'],
    ['UTC', 15, '2026-10-16T00:00:00.000Z', '2026-11'],
    ['UTC', 31, '2027-02-28T23:59:59.999Z', '2027-02'],
    ['UTC', 31, '2027-03-01T00:00:00.000Z', '2027-03'],
    ['UTC', 31, '2028-02-29T12:00:00.000Z', '2028-02'],
    ['UTC', 30, '2028-02-29T23:59:59.999Z', '2028-02'],
    ['UTC', 30, '2028-03-01T00:00:00.000Z', '2028-03'],
    ['UTC', 15, '2026-12-20T00:00:00.000Z', '2027-01'], // across the year end
    ['UTC', 31, '2026-12-31T23:59:59.999Z', '2026-12'],
    ['UTC', 31, '2027-01-01T00:00:00.000Z', '2027-01'],
    ['Asia/Tokyo', 15, '2026-10-15T14:59:59.999Z', '2026-10'],
    ['Asia/Tokyo', 15, '2026-10-15T15:00:00.000Z', '2026-11'],
    ['Asia/Tokyo', 31, '2026-10-31T14:59:59.999Z', '2026-10'],
    ['Asia/Tokyo', 31, '2026-10-31T15:00:00.000Z', '2026-11'], // 2026-11-01 00:00 in Tokyo
    ['Asia/Tokyo', 31, '2026-11-01T00:00:00.000Z', '2026-11'],
    ['Europe/Berlin', 25, '2026-10-25T22:59:59.999Z', '2026-10'], // 23:59:59.999 CET on the 25th
    ['Europe/Berlin', 25, '2026-10-25T23:00:00.000Z', '2026-11'],
    ['Europe/Berlin', 25, '2026-10-25T00:30:00.000Z', '2026-10'], // 02:30 CEST, the first of the repeated hour
    ['Europe/Berlin', 25, '2026-10-25T01:30:00.000Z', '2026-10'], // 02:30 CET, the second
    ['Europe/Berlin', 31, '2026-10-31T22:59:59.999Z', '2026-10'],
    ['Europe/Berlin', 31, '2026-10-31T23:00:00.000Z', '2026-11'],
  ] as const)('%s cut-off %i: %s is in %s', (zone, day, instant, month) => {
    const p = periodContaining(at(instant), day, zone);
    expect(p.billingMonth).toBe(month);
    expect(p.start).toBeLessThanOrEqual(at(instant));
    expect(p.end).toBeGreaterThan(at(instant));
    expect({ start: iso(p.start), end: iso(p.end) }).toEqual(periodOf(month, day, zone));
  });

  it('consecutive periods of one cut-off day tile time without gaps', () => {
    for (const zone of ['UTC', 'Asia/Tokyo', 'Europe/Berlin'])
      for (const day of [1, 15, 28, 29, 30, 31]) {
        let p = periodContaining(at('2027-11-20T00:00:00Z'), day, zone);
        for (let i = 0; i < 30; i++) {
          const next = periodContaining(p.end, day, zone);
          expect(next.start, `${zone} ${day} ${p.billingMonth}`).toBe(p.end);
          expect(monthNumber(next.billingMonth)).toBe(monthNumber(p.billingMonth) + 1);
          p = next;
        }
      }
  });
});

describe('periodAfter', () => {
  it('with an unchanged cut-off day it is simply the next month', () => {
    expect(shown(periodAfter(at('2026-10-16T00:00:00Z'), '2026-10', 15, 'UTC'))).toEqual({
      month: '2026-11',
      start: '2026-10-16T00:00:00.000Z',
      end: '2026-11-16T00:00:00.000Z',
      cutoff: 15,
    });
    expect(shown(periodAfter(at('2027-03-01T00:00:00Z'), '2027-02', 31, 'UTC'))).toEqual({
      month: '2027-03',
      start: '2027-03-01T00:00:00.000Z',
      end: '2027-04-01T00:00:00.000Z',
      cutoff: 31,
    });
  });

  it.each([
    // [from day, to day, previous month, previous end, next month, next end]
    // 15 -> 31: the period after the one ending 2026-10-16 runs to 2026-12-01 as 2026-11 (longer).
    [15, 31, '2026-10', '2026-10-16T00:00:00.000Z', '2026-11', '2026-12-01T00:00:00.000Z'],
    // 31 -> 15: Nov 1 .. Nov 16 as 2026-11 (shorter).
    [31, 15, '2026-10', '2026-11-01T00:00:00.000Z', '2026-11', '2026-11-16T00:00:00.000Z'],
    // 31 -> 1: one day; 1 -> 31: two months less a day. Neither skips nor repeats a month.
    [31, 1, '2026-10', '2026-11-01T00:00:00.000Z', '2026-11', '2026-11-02T00:00:00.000Z'],
    [1, 31, '2026-10', '2026-10-02T00:00:00.000Z', '2026-11', '2026-12-01T00:00:00.000Z'],
    // Across the year end and around February.
    [15, 31, '2026-12', '2026-12-16T00:00:00.000Z', '2027-01', '2027-02-01T00:00:00.000Z'],
    [31, 30, '2027-01', '2027-02-01T00:00:00.000Z', '2027-02', '2027-03-01T00:00:00.000Z'],
    [20, 29, '2028-01', '2028-01-21T00:00:00.000Z', '2028-02', '2028-03-01T00:00:00.000Z'],
  ] as const)('%i -> %i after %s (ending %s): %s ending %s', (_from, to, prevMonth, prevEnd, month, end) => {
    expect(shown(periodAfter(at(prevEnd), prevMonth, to, 'UTC'))).toEqual({ month, start: prevEnd, end, cutoff: to });
  });

  it('15 -> 31 and 31 -> 15 in Asia/Tokyo', () => {
    expect(shown(periodAfter(at('2026-10-15T15:00:00Z'), '2026-10', 31, 'Asia/Tokyo'))).toEqual({
      month: '2026-11',
      start: '2026-10-15T15:00:00.000Z',
      end: '2026-11-30T15:00:00.000Z',
      cutoff: 31,
    });
    expect(shown(periodAfter(at('2026-10-31T15:00:00Z'), '2026-10', 15, 'Asia/Tokyo'))).toEqual({
      month: '2026-11',
      start: '2026-10-31T15:00:00.000Z',
      end: '2026-11-15T15:00:00.000Z',
      cutoff: 15,
    });
  });

  it('any sequence of cut-off changes gives consecutive billing months and contiguous periods', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('UTC', 'Asia/Tokyo', 'Europe/Berlin', 'America/New_York'),
        fc.integer({ min: 1, max: 31 }),
        fc.array(fc.integer({ min: 1, max: 31 }), { minLength: 1, maxLength: 30 }),
        (zone, firstDay, days) => {
          let p = periodContaining(at('2027-12-10T00:00:00Z'), firstDay, zone);
          for (const day of days) {
            const next = periodAfter(p.end, p.billingMonth, day, zone);
            expect(next.start).toBe(p.end);
            expect(next.end).toBeGreaterThan(next.start);
            expect(monthNumber(next.billingMonth)).toBe(monthNumber(p.billingMonth) + 1);
            // It ends on the new day's cut-off date of its billing month.
            expect(next.end).toBe(periodEndOf(monthNumber(next.billingMonth), day, zone));
            p = next;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** A tenant schedule with defaults. */
function schedule(over: Partial<TenantSchedule> & Pick<TenantSchedule, 'tenantName' | 'cutoffDay'>): TenantSchedule {
  return {
    pendingCutoffDay: null,
    deletedAt: null,
    billingFrom: at('2026-10-05T00:00:00Z'),
    lastClosed: null,
    ...over,
  };
}
const due = (tenants: TenantSchedule[], asOf: string, zone = 'UTC') => duePeriods(tenants, at(asOf), zone).map(shown);
const months = (tenants: TenantSchedule[], asOf: string, zone = 'UTC') =>
  duePeriods(tenants, at(asOf), zone).map((p) => `${p.tenantName} ${p.billingMonth}`);

describe('duePeriods', () => {
  it('nothing is due before the day after the cut-off date (asOf = end - 1 ms vs = end)', () => {
    const t = [schedule({ tenantName: 'T', cutoffDay: 15 })];
    expect(due(t, '2026-10-15T23:59:59.999Z')).toEqual([]);
    expect(due(t, '2026-10-16T00:00:00.000Z')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-09-16T00:00:00.000Z', end: '2026-10-16T00:00:00.000Z', cutoff: 15 },
    ]);
  });

  it('the same in Asia/Tokyo: due from 15:00Z of the cut-off day', () => {
    const t = [schedule({ tenantName: 'T', cutoffDay: 31 })];
    expect(due(t, '2026-10-31T14:59:59.999Z', 'Asia/Tokyo')).toEqual([]);
    expect(due(t, '2026-10-31T15:00:00.000Z', 'Asia/Tokyo')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-09-30T15:00:00.000Z', end: '2026-10-31T15:00:00.000Z', cutoff: 31 },
    ]);
  });

  it('the same in February of a leap and of a common year (cut-off 31)', () => {
    const leap = [schedule({ tenantName: 'T', cutoffDay: 31, billingFrom: at('2028-02-10T00:00:00Z') })];
    expect(due(leap, '2028-02-29T23:59:59.999Z')).toEqual([]);
    expect(months(leap, '2028-03-01T00:00:00Z')).toEqual(['T 2028-02']);
    const common = [schedule({ tenantName: 'T', cutoffDay: 31, billingFrom: at('2027-02-10T00:00:00Z') })];
    expect(due(common, '2027-02-28T23:59:59.999Z')).toEqual([]);
    expect(months(common, '2027-03-01T00:00:00Z')).toEqual(['T 2027-02']);
  });

  it('catches up three missed months, oldest first', () => {
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 31,
        lastClosed: { billingMonth: '2026-07', end: at('2026-08-01T00:00:00Z') },
      }),
    ];
    expect(due(t, '2026-11-02T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-08', start: '2026-08-01T00:00:00.000Z', end: '2026-09-01T00:00:00.000Z', cutoff: 31 },
      { tenant: 'T', month: '2026-09', start: '2026-09-01T00:00:00.000Z', end: '2026-10-01T00:00:00.000Z', cutoff: 31 },
      { tenant: 'T', month: '2026-10', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z', cutoff: 31 },
    ]);
  });

  it('across tenants: ordered by period end, then tenant name', () => {
    const tenants = [
      schedule({
        tenantName: 'T-C',
        cutoffDay: 31,
        lastClosed: { billingMonth: '2026-07', end: at('2026-08-01T00:00:00Z') },
      }),
      schedule({
        tenantName: 'T-B',
        cutoffDay: 15,
        lastClosed: { billingMonth: '2026-07', end: at('2026-07-16T00:00:00Z') },
      }),
      schedule({
        tenantName: 'T-A',
        cutoffDay: 31,
        lastClosed: { billingMonth: '2026-07', end: at('2026-08-01T00:00:00Z') },
      }),
    ];
    expect(months(tenants, '2026-11-02T00:00:00Z')).toEqual([
      'T-B 2026-08', // ends 08-16
      'T-A 2026-08',
      'T-C 2026-08', // end 09-01
      'T-B 2026-09',
      'T-A 2026-09',
      'T-C 2026-09',
      'T-B 2026-10',
      'T-A 2026-10',
      'T-C 2026-10', // end 11-01; T-B 2026-11 ends 11-16, not yet due
    ]);
  });

  it('a pending cut-off day (15 -> 31) applies from the period after the next closing', () => {
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 15,
        pendingCutoffDay: 31,
        lastClosed: { billingMonth: '2026-09', end: at('2026-09-16T00:00:00Z') },
      }),
    ];
    expect(due(t, '2027-01-05T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-09-16T00:00:00.000Z', end: '2026-10-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2026-11', start: '2026-10-16T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', cutoff: 31 },
      { tenant: 'T', month: '2026-12', start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z', cutoff: 31 },
    ]);
  });

  it('a pending cut-off day (31 -> 15) applies from the period after the next closing', () => {
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 31,
        pendingCutoffDay: 15,
        lastClosed: { billingMonth: '2026-09', end: at('2026-10-01T00:00:00Z') },
      }),
    ];
    expect(due(t, '2027-01-05T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z', cutoff: 31 },
      { tenant: 'T', month: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-11-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2026-12', start: '2026-11-16T00:00:00.000Z', end: '2026-12-16T00:00:00.000Z', cutoff: 15 },
    ]);
  });

  it('a pending cut-off day of a tenant never closed applies after its first closing', () => {
    const t = [
      schedule({ tenantName: 'T', cutoffDay: 15, pendingCutoffDay: 31, billingFrom: at('2026-10-05T00:00:00Z') }),
    ];
    expect(due(t, '2026-12-01T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-09-16T00:00:00.000Z', end: '2026-10-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2026-11', start: '2026-10-16T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', cutoff: 31 },
    ]);
  });

  it("a deleted tenant's last period is the one its deletion falls in, and none after", () => {
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 31,
        billingFrom: at('2026-08-10T00:00:00Z'),
        deletedAt: at('2026-10-28T00:30:40.001Z'),
      }),
    ];
    expect(months(t, '2026-10-31T23:59:59.999Z')).toEqual(['T 2026-08', 'T 2026-09']);
    expect(months(t, '2026-11-01T00:00:00Z')).toEqual(['T 2026-08', 'T 2026-09', 'T 2026-10']);
    expect(months(t, '2027-06-01T00:00:00Z')).toEqual(['T 2026-08', 'T 2026-09', 'T 2026-10']);
  });

  it('a deletion exactly at a period boundary falls in the period that starts there', () => {
    const atStart = [schedule({ tenantName: 'T', cutoffDay: 31, deletedAt: at('2026-11-01T00:00:00Z') })];
    expect(months(atStart, '2027-06-01T00:00:00Z')).toEqual(['T 2026-10', 'T 2026-11']);
    const justBefore = [schedule({ tenantName: 'T', cutoffDay: 31, deletedAt: at('2026-11-01T00:00:00Z') - 1 })];
    expect(months(justBefore, '2027-06-01T00:00:00Z')).toEqual(['T 2026-10']);
  });

  it('a deleted tenant whose last period is closed has nothing due', () => {
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 31,
        deletedAt: at('2026-10-28T00:00:00Z'),
        lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') },
      }),
    ];
    expect(due(t, '2027-06-01T00:00:00Z')).toEqual([]);
  });

  it('a tenant whose first usage is months ago starts at the period containing it', () => {
    const t = [schedule({ tenantName: 'T', cutoffDay: 15, billingFrom: at('2026-06-20T12:00:00Z') })];
    expect(due(t, '2026-10-16T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-07', start: '2026-06-16T00:00:00.000Z', end: '2026-07-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2026-08', start: '2026-07-16T00:00:00.000Z', end: '2026-08-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2026-09', start: '2026-08-16T00:00:00.000Z', end: '2026-09-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2026-10', start: '2026-09-16T00:00:00.000Z', end: '2026-10-16T00:00:00.000Z', cutoff: 15 },
    ]);
  });

  it('a first usage exactly at a boundary starts the period that begins there', () => {
    const t = [schedule({ tenantName: 'T', cutoffDay: 15, billingFrom: at('2026-09-16T00:00:00Z') })];
    expect(months(t, '2026-10-16T00:00:00Z')).toEqual(['T 2026-10']);
  });

  it('lastClosed continues from its end (billingFrom no longer matters)', () => {
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 20,
        billingFrom: at('2025-01-01T00:00:00Z'),
        lastClosed: { billingMonth: '2026-09', end: at('2026-09-21T00:00:00Z') },
      }),
    ];
    expect(due(t, '2026-10-21T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-09-21T00:00:00.000Z', end: '2026-10-21T00:00:00.000Z', cutoff: 20 },
    ]);
  });

  it('lastClosed after a change (an irregular end) continues with the new day', () => {
    // 2026-11 was the in-between period of a 31 -> 15 change, ending 2026-11-16.
    const t = [
      schedule({
        tenantName: 'T',
        cutoffDay: 15,
        lastClosed: { billingMonth: '2026-11', end: at('2026-11-16T00:00:00Z') },
      }),
    ];
    expect(due(t, '2027-01-16T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-12', start: '2026-11-16T00:00:00.000Z', end: '2026-12-16T00:00:00.000Z', cutoff: 15 },
      { tenant: 'T', month: '2027-01', start: '2026-12-16T00:00:00.000Z', end: '2027-01-16T00:00:00.000Z', cutoff: 15 },
    ]);
  });

  it('a tenant with nothing due and no tenants give nothing', () => {
    expect(duePeriods([], at('2030-01-01T00:00:00Z'), 'UTC')).toEqual([]);
    expect(
      due(
        [schedule({ tenantName: 'T', cutoffDay: 31, billingFrom: at('2026-10-05T00:00:00Z') })],
        '2026-10-20T00:00:00Z',
      ),
    ).toEqual([]);
  });
});

describe('periodAt (the open period an estimate rates)', () => {
  const open = (t: TenantSchedule, when: string, zone = 'UTC') => {
    const p = periodAt(t, at(when), zone);
    return p === null ? null : shown(p);
  };

  it('without a finalized month: the period of the cut-off day containing the instant', () => {
    const t = schedule({ tenantName: 'T', cutoffDay: 20 });
    expect(open(t, '2026-10-15T12:00:00Z')).toEqual({
      month: '2026-10',
      start: '2026-09-21T00:00:00.000Z',
      end: '2026-10-21T00:00:00.000Z',
      cutoff: 20,
    });
    expect(open(t, '2026-10-21T00:00:00Z')).toEqual({
      month: '2026-11',
      start: '2026-10-21T00:00:00.000Z',
      end: '2026-11-21T00:00:00.000Z',
      cutoff: 20,
    });
    expect(open(t, '2026-10-31T15:00:00Z', 'Asia/Tokyo')?.month).toBe('2026-11');
  });

  it('after a finalized month: the next period, and null inside the finalized one', () => {
    const t = schedule({
      tenantName: 'T',
      cutoffDay: 31,
      lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') },
    });
    expect(open(t, '2026-10-31T23:59:59.999Z')).toBeNull();
    expect(open(t, '2026-11-15T00:00:00Z')).toEqual({
      month: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      cutoff: 31,
    });
    expect(open(t, '2027-01-15T00:00:00Z')?.month).toBe('2027-01'); // months not yet closed are walked over
  });

  it('follows a change of cut-off day as the close does (15 -> 31 after 2026-10)', () => {
    const t = schedule({
      tenantName: 'T',
      cutoffDay: 31,
      lastClosed: { billingMonth: '2026-10', end: at('2026-10-16T00:00:00Z') },
    });
    expect(open(t, '2026-10-20T00:00:00Z')).toEqual({
      month: '2026-11',
      start: '2026-10-16T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      cutoff: 31,
    });
  });

  it('a deleted tenant has no open period after the one its deletion falls in', () => {
    const t = schedule({ tenantName: 'T', cutoffDay: 31, deletedAt: at('2026-10-28T00:00:00Z') });
    expect(open(t, '2026-10-30T00:00:00Z')?.month).toBe('2026-10');
    expect(open(t, '2026-11-02T00:00:00Z')).toBeNull();
  });
});

describe('nextOpenPeriod (where an adjustment without a month is billed)', () => {
  const next = (t: TenantSchedule, zone = 'UTC') => {
    const p = nextOpenPeriod(t, zone);
    return p === null ? null : shown(p);
  };

  it('without a finalized month: the period its billing starts in', () => {
    // Billing from 2026-10-05, cut-off on the 20th: 2026-09-21 .. 2026-10-20 is billing month 2026-10.
    expect(next(schedule({ tenantName: 'T', cutoffDay: 20 }))).toEqual({
      month: '2026-10',
      start: '2026-09-21T00:00:00.000Z',
      end: '2026-10-21T00:00:00.000Z',
      cutoff: 20,
    });
  });

  it('after a finalized month: the period after it, with the cut-off day in force', () => {
    const t = schedule({
      tenantName: 'T',
      cutoffDay: 31,
      lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') },
    });
    expect(next(t)).toEqual({
      month: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      cutoff: 31,
    });
  });

  it("a deleted tenant: its deletion's period while open, none once it is finalized", () => {
    const deleted = { tenantName: 'T', cutoffDay: 31, deletedAt: at('2026-10-20T00:00:00Z') };
    expect(next(schedule(deleted))?.month).toBe('2026-10');
    expect(
      next(schedule({ ...deleted, lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') } })),
    ).toBeNull();
  });
});

describe('a voided month (reopened): due again as it was, the schedule going on after it', () => {
  // September closed; October (cut-off day 31) finalized, then voided. The tenant had asked for cut-off
  // day 20 before October's close, which applied it: the periods after October end on the 20th.
  const october: BillingPeriod = {
    billingMonth: '2026-10',
    start: at('2026-10-01T00:00:00Z'),
    end: at('2026-11-01T00:00:00Z'),
    cutoffDay: 20,
  };
  const t = schedule({
    tenantName: 'T',
    cutoffDay: 20,
    billingFrom: at('2026-09-01T00:00:00Z'),
    lastClosed: { billingMonth: '2026-09', end: at('2026-10-01T00:00:00Z') },
    reopened: [october],
  });

  it('is due with the period it had, not one of the cut-off day in force now; then the next one', () => {
    expect(due([t], '2026-11-02T00:00:00Z')).toEqual([
      { tenant: 'T', month: '2026-10', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z', cutoff: 20 },
    ]);
    expect(months([t], '2026-11-21T00:00:00Z')).toEqual(['T 2026-10', 'T 2026-11']);
    expect(shown(duePeriods([t], at('2026-11-21T00:00:00Z'), 'UTC')[1]!)).toEqual({
      tenant: 'T',
      month: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-21T00:00:00.000Z',
      cutoff: 20,
    });
  });

  it('is the open period an estimate, an adjustment and an export find', () => {
    expect(shown(periodAt(t, at('2026-10-15T00:00:00Z'), 'UTC')!)).toEqual({
      month: '2026-10',
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
      cutoff: 20,
    });
    expect(periodAt(t, at('2026-09-15T00:00:00Z'), 'UTC')).toBeNull();
    expect(periodAt(t, at('2026-11-05T00:00:00Z'), 'UTC')?.billingMonth).toBe('2026-11');
    expect(nextOpenPeriod(t, 'UTC')?.billingMonth).toBe('2026-10');
    expect(openPeriodOfMonth(t, '2026-10', 'UTC')).toEqual({ ok: true, period: october });
    expect(openPeriodOfMonth(t, '2026-09', 'UTC')).toEqual({ ok: false, reason: 'finalized' });
    const november = openPeriodOfMonth(t, '2026-11', 'UTC');
    expect(november.ok && shown(november.period)).toEqual({
      month: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-21T00:00:00.000Z',
      cutoff: 20,
    });
  });

  it("a tenant's first month voided: due again, and nothing before it", () => {
    const first = schedule({ tenantName: 'F', cutoffDay: 31, lastClosed: null, reopened: [october] });
    expect(months([first], '2026-11-02T00:00:00Z')).toEqual(['F 2026-10']);
    expect(nextOpenPeriod(first, 'UTC')?.billingMonth).toBe('2026-10');
    expect(periodAt(first, at('2026-09-20T00:00:00Z'), 'UTC')).toBeNull();
    expect(openPeriodOfMonth(first, '2026-09', 'UTC')).toEqual({ ok: false, reason: 'before-first' });
  });

  it('a deleted tenant whose last month was voided: that month is due again, none after it', () => {
    const gone = schedule({
      tenantName: 'D',
      cutoffDay: 31,
      deletedAt: at('2026-10-20T00:00:00Z'),
      reopened: [october],
    });
    expect(months([gone], '2027-01-02T00:00:00Z')).toEqual(['D 2026-10']);
  });
});
