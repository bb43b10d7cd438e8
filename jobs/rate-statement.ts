/**
 * Rating one tenant's period into a statement view, as the close, the estimate and the export all
 * do it: the tenant, its usage booked late into the month and its manual adjustments (`import
 * adjustments`) as adjustment lines, ratePeriod, and the view with the tenant's file settings.
 * Reads only.
 */
import type { BillingPeriod } from '../src/periods/periods.ts';
import { ratePeriod } from '../src/rating/rate-period.ts';
import type { RatingPolicy, UsageRecord } from '../src/rating/types.ts';
import type { StatementView } from '../src/statements/view.ts';
import { manualAdjustments } from '../src/store/adjustments.ts';
import { billingReader, statementTenant, type BillingTenant } from '../src/store/billing.ts';
import { tenantFileOptions } from './build-files.ts';
import type { JobContext } from './context.ts';
import { lateUsageAdjustments } from './late-usage.ts';
import { ratingPolicy } from './rating-policy.ts';

/** What a job rates with, made once per job: the store's prepared reads (the catalog cached) and the policy. */
export interface StatementRater {
  reader: ReturnType<typeof billingReader>;
  policy: RatingPolicy;
}

/** The rater of one job. */
export function statementRater(ctx: Pick<JobContext, 'store' | 'config'>): StatementRater {
  return { reader: billingReader(ctx.store), policy: ratingPolicy(ctx.config) };
}

/** The statement to rate. */
export interface RateRequest {
  tenantName: string;
  period: BillingPeriod;
  status: StatementView['status'];
  /** When the statement is made (epoch milliseconds). */
  madeAt: number;
  /** Count only the usage before this instant (an estimate), intervals cut at it; default all. */
  usageUntil?: number;
}

/** A rated statement and the tenant row it was rated for. */
export interface RatedStatement {
  tenant: BillingTenant;
  view: StatementView;
}

/** Usage up to `until`: records that start before it, intervals cut at it. */
function usageBefore(records: readonly UsageRecord[], until: number): UsageRecord[] {
  return records
    .filter((r) => r.start < until)
    .map((r) => (r.end !== null && r.end > until ? { ...r, end: until } : r));
}

/**
 * Rates a tenant's period in the billing time zone: its usage (up to `usageUntil`), with the usage
 * booked late into the month and the manual adjustments of the month as adjustment lines, as a
 * statement view with the tenant's file settings.
 */
export function rateStatement(
  ctx: Pick<JobContext, 'store' | 'config'>,
  rater: StatementRater,
  request: RateRequest,
): RatedStatement {
  const { store: db, config } = ctx;
  const { reader, policy } = rater;
  const tz = config.billingTimeZone;
  const tenant = reader.tenant(request.tenantName);
  const input = reader.ratingInput(tenant, request.period, tz, policy);
  // Usage booked late into this month (import --as-adjustment) comes in as adjustment lines.
  const adjustments = [
    ...lateUsageAdjustments(db, reader, tenant, request.period.billingMonth, tz, policy),
    // Credits and debits imported for this month (import adjustments), each with its reason.
    ...manualAdjustments(db, tenant.tenantPk, request.period.billingMonth),
  ];
  const usage = request.usageUntil === undefined ? input.usage : usageBefore(input.usage, request.usageUntil);
  const tree = ratePeriod({ ...input, usage, adjustments });
  return {
    tenant,
    view: {
      tenant: statementTenant(tenant),
      status: request.status,
      madeAt: request.madeAt,
      tree,
      files: tenantFileOptions(config, tenant),
    },
  };
}
