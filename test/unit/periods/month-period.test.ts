/** The open period a billing month names: after the last finalized one, across a cut-off change, before the first, after a deletion. */
import { describe, expect, it } from 'vitest';
import { openPeriodOfMonth } from '../../../src/periods/month-period.ts';
import { duePeriods, type TenantSchedule } from '../../../src/periods/periods.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => new Date(t).toISOString();
const schedule = (p: Partial<TenantSchedule> = {}): TenantSchedule => ({
  tenantName: 'T1',
  cutoffDay: 31,
  pendingCutoffDay: null,
  deletedAt: null,
  billingFrom: at('2026-10-05T00:00:00Z'),
  lastClosed: null,
  ...p,
});
const shown = (r: ReturnType<typeof openPeriodOfMonth>) =>
  r.ok ? { month: r.period.billingMonth, start: iso(r.period.start), end: iso(r.period.end) } : r.reason;

describe('openPeriodOfMonth', () => {
  it('is the month of the first usage when nothing is finalized, and any later month', () => {
    expect(shown(openPeriodOfMonth(schedule(), '2026-10', 'UTC'))).toEqual({
      month: '2026-10',
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    });
    expect(shown(openPeriodOfMonth(schedule(), '2027-02', 'UTC'))).toEqual({
      month: '2027-02',
      start: '2027-02-01T00:00:00.000Z',
      end: '2027-03-01T00:00:00.000Z',
    });
  });

  it('has none before the first billed month, nor up to the last finalized one', () => {
    expect(shown(openPeriodOfMonth(schedule(), '2026-09', 'UTC'))).toBe('before-first');
    const closed = schedule({ lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') } });
    expect(shown(openPeriodOfMonth(closed, '2026-10', 'UTC'))).toBe('finalized');
    expect(shown(openPeriodOfMonth(closed, '2026-11', 'UTC'))).toEqual({
      month: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
    });
  });

  it('follows a pending cut-off change as the close will: the next period on the old day, the later ones on the new', () => {
    const t = schedule({
      cutoffDay: 31,
      pendingCutoffDay: 15,
      lastClosed: { billingMonth: '2026-10', end: at('2026-11-01T00:00:00Z') },
    });
    const due = duePeriods([t], at('2027-03-01T00:00:00Z'), 'UTC');
    for (const month of ['2026-11', '2026-12', '2027-01']) {
      const p = due.find((d) => d.billingMonth === month)!;
      expect(shown(openPeriodOfMonth(t, month, 'UTC'))).toEqual({ month, start: iso(p.start), end: iso(p.end) });
    }
    expect(shown(openPeriodOfMonth(t, '2026-12', 'UTC'))).toEqual({
      month: '2026-12',
      start: '2026-12-01T00:00:00.000Z',
      end: '2026-12-16T00:00:00.000Z',
    });
  });

  it('has none for a month that starts after a deleted tenant was deleted', () => {
    const t = schedule({ deletedAt: at('2026-11-10T00:00:00Z') });
    expect(shown(openPeriodOfMonth(t, '2026-11', 'UTC'))).toEqual({
      month: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
    });
    expect(shown(openPeriodOfMonth(t, '2026-12', 'UTC'))).toBe('after-deletion');
  });
});
