/**
 * The close: every due (tenant, month) is rated and finalized in its own transaction. One tenant
 * failing is recorded and reported, and does not stop the others; it is retried on the next run.
 */
import type { Config } from '../src/config.ts';
import { UsageChargesError } from '../src/domain/errors.ts';
import { duePeriods, type DuePeriod } from '../src/periods/periods.ts';
import { ratePeriod } from '../src/rating/rate-period.ts';
import { ratingPolicy } from '../src/rating/settings.ts';
import { billingReader, finalizeStatement, loadSchedules, recordCloseFailure, statementTenant } from '../src/store/billing.ts';
import { fileOptions } from './build-files.ts';
import type { Db } from '../src/store/db.ts';
import { lateUsageAdjustments } from './late-usage.ts';

/** What a close did. */
export interface CloseSummary {
  closed: { tenant: string; billingMonth: string; total: string; currency: string }[];
  failed: { tenant: string; billingMonth: string; reason: string }[];
}

/** The due periods as of an instant (oldest first), without closing them. */
export function findDue(db: Db, config: Config, asOf: Date): DuePeriod[] {
  return duePeriods(loadSchedules(db), asOf.getTime(), config.billingTimeZone);
}

/**
 * Closes every period due as of `asOf`. A tenant whose earlier month fails is not closed for later
 * months in this run (its months are finalized in order).
 */
export function closeDue(db: Db, config: Config, asOf: Date, now: () => Date = () => new Date()): CloseSummary {
  const summary: CloseSummary = { closed: [], failed: [] };
  const policy = ratingPolicy(config);
  const reader = billingReader(db);
  const blocked = new Set<string>();
  for (const due of findDue(db, config, asOf)) {
    if (blocked.has(due.tenantName)) continue;
    const at = now();
    try {
      // Read, rate and write under the write lock, so that no import lands between what was rated
      // and what is frozen.
      const closed = db.transaction(() => {
        const tenant = reader.tenant(due.tenantName);
        // Usage booked late into this month (import --as-adjustment) comes in as adjustment lines.
        const adjustments = lateUsageAdjustments(db, reader, tenant, due.billingMonth, config.billingTimeZone, policy);
        const tree = ratePeriod({ ...reader.ratingInput(tenant, due, config.billingTimeZone, policy), adjustments });
        const view = { tenant: statementTenant(tenant), status: 'fixed' as const, madeAt: at.getTime(), tree, files: fileOptions(config, tenant.currency) };
        return finalizeStatement(db, tenant, view, at.toISOString()) ? tree : null;
      }).immediate();
      if (closed) summary.closed.push({ tenant: due.tenantName, billingMonth: due.billingMonth, total: closed.total.toFixed(), currency: closed.currency });
    } catch (err) {
      // One tenant that cannot be closed does not stop the others; it is retried on the next run.
      const reason = err instanceof UsageChargesError ? err.message : `unexpected: ${(err as Error).message}`;
      const tenant = reader.tenant(due.tenantName);
      db.transaction(() => recordCloseFailure(db, tenant, due, reason, at.toISOString())).immediate();
      summary.failed.push({ tenant: due.tenantName, billingMonth: due.billingMonth, reason });
      blocked.add(due.tenantName);
    }
  }
  return summary;
}
