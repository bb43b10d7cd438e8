/**
 * The statements of one billing month for the ECL exports: a finalized month from its frozen
 * statement (status `fixed`), a month not finalized yet rated afresh over its whole period (status
 * `estimated`). Reads only: it stores nothing.
 */
import { InputError, UsageChargesError } from '../src/domain/errors.ts';
import { openPeriodOfMonth } from '../src/periods/month-period.ts';
import { loadSchedules, loadStatementView } from '../src/store/billing.ts';
import { statementRevisions } from '../src/store/revisions.ts';
import { fixedStatementPk } from '../src/store/statements.ts';
import type { JobContext } from './context.ts';
import { rateStatement, statementRater } from './rate-statement.ts';
import type { StatementView } from '../src/statements/view.ts';

/** A month's statements in tenant-name order, and the tenants that have none (with why). */
export interface MonthStatements {
  views: StatementView[];
  /** Tenants left out; `failed` when their usage could not be rated (an error to report). */
  skipped: { tenant: string; reason: string; failed?: boolean }[];
}

/**
 * The statements of `month` for every tenant, or for `tenantName` only (which must exist). A
 * tenant has none for a month before it was first billed, or after the period it was deleted in.
 * An estimate counts all usage stored for the period (and usage booked late into the month, as the
 * close will); the context's `now` is its `madeAt`. A tenant whose usage cannot be rated is listed as failed.
 */
export function monthStatements(ctx: JobContext, options: { month: string; tenant: string | null }): MonthStatements {
  const { store: db, config, now } = ctx;
  const { month, tenant: tenantName } = options;
  const tz = config.billingTimeZone;
  const schedules = loadSchedules(db).filter((s) => tenantName === null || s.tenantName === tenantName);
  const rater = statementRater(ctx);
  const madeAt = now().getTime();
  const out: MonthStatements = { views: [], skipped: [] };
  for (const schedule of schedules) {
    const name = schedule.tenantName;
    const pk = fixedStatementPk(db, name, month);
    if (pk !== undefined) {
      out.views.push(loadStatementView(db, pk));
      continue;
    }
    const open = openPeriodOfMonth(schedule, month, tz);
    if (!open.ok) {
      out.skipped.push({
        tenant: name,
        reason: open.reason === 'after-deletion' ? `deleted before ${month}` : `not billed yet in ${month}`,
      });
      continue;
    }
    try {
      out.views.push(
        rateStatement(ctx, rater, { tenantName: name, period: open.period, status: 'estimated', madeAt }).view,
      );
    } catch (err) {
      // One tenant that cannot be rated does not hide the others: it is listed as failed.
      if (!(err instanceof UsageChargesError)) throw err;
      out.skipped.push({ tenant: name, reason: `cannot be rated: ${err.message}`, failed: true });
    }
  }
  return out;
}

/**
 * One finalized revision of a tenant's month, from its frozen statement: the current one, a
 * replaced one or a voided one (each was finalized). An InputError naming --revision when the
 * month has no such finalized revision, listing those it has. Reads only.
 */
export function revisionStatement(
  ctx: Pick<JobContext, 'store'>,
  options: { tenant: string; month: string; revision: number },
): StatementView {
  const { tenant, month, revision } = options;
  const finalized = statementRevisions(ctx.store, tenant, month).filter((r) => r.state !== 'open');
  const found = finalized.find((r) => r.revision === revision);
  if (found === undefined)
    throw new InputError(
      `--revision: ${tenant} ${month} has no finalized revision ${revision} (${
        finalized.length === 0
          ? 'it has none'
          : `its revisions: ${finalized.map((r) => `${r.revision} ${r.state}`).join(', ')}`
      })`,
    );
  return loadStatementView(ctx.store, found.statementPk);
}
