/**
 * The estimate: a tenant's open period rated with its usage up to the end of the previous day
 * (billing time zone), as a statement view with status `estimated`. Reads only: it stores nothing.
 */
import { localParts, startOfLocalDay } from '../src/domain/calendar.ts';
import { periodAt, type BillingPeriod } from '../src/periods/periods.ts';
import { loadSchedules } from '../src/store/billing.ts';
import { currentRevisionAt, statementRevisions } from '../src/store/revisions.ts';
import type { Db } from '../src/store/db.ts';
import type { JobContext } from './context.ts';
import { rateStatement, statementRater } from './rate-statement.ts';
import type { StatementView } from '../src/statements/view.ts';

/** An estimate, or why the tenant has none as of that instant. */
export type EstimateOutcome =
  { ok: true; view: StatementView; period: BillingPeriod; usedUntil: number } | { ok: false; reason: string };

/**
 * Estimates the open period of `tenantName` containing `asOf` (the period the close will finalize,
 * following a change of cut-off day), counting usage before the start of the as-of's day. Usage
 * booked late into that month is included as its adjustment lines. The tenant must exist.
 */
export function estimate(ctx: JobContext, options: { tenant: string; asOf: Date }): EstimateOutcome {
  const { store: db, config } = ctx;
  const { tenant: tenantName, asOf } = options;
  const tz = config.billingTimeZone;
  const schedule = loadSchedules(db).find((s) => s.tenantName === tenantName);
  if (!schedule) return { ok: false, reason: `tenant "${tenantName}" does not exist` };
  const period = periodAt(schedule, asOf.getTime(), tz);
  if (period === null) {
    return {
      ok: false,
      reason:
        schedule.lastClosed !== null && asOf.getTime() < schedule.lastClosed.end
          ? finalizedAt(db, tenantName, asOf.toISOString(), schedule.lastClosed.billingMonth)
          : schedule.reopened?.[0] !== undefined && asOf.getTime() < schedule.reopened[0].start
            ? `${asOf.toISOString()} lies before ${schedule.reopened[0].billingMonth}, the first month tenant ${tenantName} is billed in (voided, and closed again by the next pass)`
            : `tenant ${tenantName} was deleted; it has no open period at ${asOf.toISOString()}`,
    };
  }
  const day = localParts(asOf.getTime(), tz);
  const usedUntil = Math.min(Math.max(startOfLocalDay(day.year, day.month, day.day, tz), period.start), period.end);
  const { view } = rateStatement(ctx, statementRater(ctx), {
    tenantName,
    period,
    status: 'estimated',
    madeAt: asOf.getTime(),
    usageUntil: usedUntil,
  });
  return { ok: true, view, period, usedUntil };
}

/**
 * Why an instant has no estimate, as it lies in a finalized month: that month's current revision
 * and total, and what came before it when it has earlier revisions (a re-issue, a close after a void).
 */
function finalizedAt(db: Db, tenantName: string, instant: string, lastMonth: string): string {
  const current = currentRevisionAt(db, tenantName, instant);
  if (current === undefined)
    return `${instant} lies in a finalized month of tenant ${tenantName} (its last is ${lastMonth}); see history --tenant ${tenantName}`;
  const head = `${instant} lies in ${current.billingMonth}, finalized for tenant ${tenantName}: revision ${current.revision}, ${current.total} ${current.currency}`;
  if (current.revision === 1) return `${head}; see history --tenant ${tenantName}`;
  const earlier = statementRevisions(db, tenantName, current.billingMonth).filter((r) => r.revision < current.revision);
  const corrected = earlier.find((r) => r.revision === current.correctsRevision);
  const voided = earlier.filter((r) => r.state === 'void').at(-1);
  const before =
    corrected !== undefined
      ? `re-issued: corrects revision ${corrected.revision}, ${corrected.total} ${corrected.currency}`
      : voided !== undefined
        ? `closed again after revision ${voided.revision}, ${voided.total} ${voided.currency}, was voided`
        : `earlier revisions: ${current.revision - 1}`;
  return `${head} (${before}); history --tenant ${tenantName} --revisions shows every revision`;
}
