/** Import kind `tenants`: the billed customers, their cut-off day, locale, currency and deletion. */
import { z } from 'zod';
import { CURRENCIES, LOCALES } from '../../domain/vocabulary.ts';
import { fileSafeName, instant, oneOf, optional, required, text, wholeNumber } from '../fields.ts';
import type { ImportKind } from '../import-kind.ts';

/** A valid row of a tenants file. */
export interface TenantRow {
  tenant_name: string;
  display_name: string;
  cutoff_day: number;
  /** Empty or absent: the stored value (the configured default for a new tenant). */
  locale: string | undefined;
  currency: string | undefined;
  deleted_at: string | undefined;
}

interface StoredTenant {
  tenant_pk: number;
  display_name: string;
  cutoff_day: number;
  pending_cutoff_day: number | null;
  pending_cutoff_requested_at: string | null;
  locale: string;
  currency: string;
  deleted_at: string | null;
}

export const tenantsKind: ImportKind<TenantRow> = {
  name: 'tenants',
  columns: { required: ['tenant_name', 'display_name', 'cutoff_day'], optional: ['locale', 'currency', 'deleted_at'] },
  schema: () =>
    z.object({
      tenant_name: required(fileSafeName(32)),
      display_name: required(text(128)),
      cutoff_day: required(wholeNumber(1, 31)),
      locale: optional(oneOf(LOCALES)),
      currency: optional(oneOf(CURRENCIES)),
      deleted_at: optional(instant()),
    }),
  key: (row) => `tenant ${row.tenant_name}`,
  prepare(ctx) {
    const { db, now, defaultLocale, defaultCurrency } = ctx;
    const find = db.prepare(`SELECT tenant_pk, display_name, cutoff_day, pending_cutoff_day, pending_cutoff_requested_at,
      locale, currency, deleted_at FROM tenants WHERE tenant_name = ?`);
    const hasUsage = db.prepare('SELECT 1 FROM usage_records WHERE tenant_pk = ? LIMIT 1').pluck();
    const latestUsageStart = db.prepare('SELECT MAX(start_at) FROM usage_records WHERE tenant_pk = ?').pluck();
    const sameButCase = db.prepare('SELECT tenant_name FROM tenants WHERE tenant_name = ? COLLATE NOCASE').pluck();
    const hasFixed = db.prepare("SELECT 1 FROM statements WHERE tenant_pk = ? AND status = 'fixed' LIMIT 1").pluck();
    const insert = db.prepare(`INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, deleted_at, created_at, updated_at)
      VALUES (@tenant_name, @display_name, @cutoff_day, @locale, @currency, @deleted_at, @now, @now)`);
    const update = db.prepare(`UPDATE tenants SET display_name = @display_name, cutoff_day = @cutoff_day,
      pending_cutoff_day = @pending_cutoff_day, pending_cutoff_requested_at = @pending_at, locale = @locale,
      currency = @currency, deleted_at = @deleted_at, updated_at = @now WHERE tenant_pk = @tenant_pk`);

    return (row, report) => {
      const deletedAt = row.deleted_at ?? null;
      const stored = find.get(row.tenant_name) as StoredTenant | undefined;
      if (!stored) {
        const other = sameButCase.get(row.tenant_name) as string | undefined;
        if (other !== undefined) {
          report('tenant_name', `tenant "${other}" exists; names that differ only in letter case would share statement file names`);
          return 'rejected';
        }
        insert.run({ ...row, locale: row.locale ?? defaultLocale, currency: row.currency ?? defaultCurrency, deleted_at: deletedAt, now });
        return 'inserted';
      }
      const locale = row.locale ?? stored.locale;
      const currency = row.currency ?? stored.currency;
      const finalized = hasFixed.get(stored.tenant_pk) !== undefined;
      if (currency !== stored.currency && (finalized || hasUsage.get(stored.tenant_pk) !== undefined)) {
        report('currency', `tenant ${row.tenant_name} is billed in ${stored.currency} and has usage priced in it; its currency cannot change`);
        return 'rejected';
      }
      if (stored.deleted_at !== null && stored.deleted_at !== deletedAt) {
        report('deleted_at', `tenant ${row.tenant_name} was deleted at ${stored.deleted_at}; a deletion cannot be changed or undone`);
        return 'rejected';
      }
      if (stored.deleted_at === null && deletedAt !== null) {
        const latest = latestUsageStart.get(stored.tenant_pk) as string | null;
        if (latest !== null && deletedAt <= latest) {
          report('deleted_at', `tenant ${row.tenant_name} has usage starting at ${latest}; it cannot have been deleted before that`);
          return 'rejected';
        }
      }
      // A new cut-off day waits for the next closing once the tenant has a finalized month.
      let cutoff = stored.cutoff_day;
      let pending = stored.pending_cutoff_day;
      if (row.cutoff_day !== (stored.pending_cutoff_day ?? stored.cutoff_day)) {
        if (finalized) pending = row.cutoff_day === stored.cutoff_day ? null : row.cutoff_day;
        else cutoff = row.cutoff_day;
      }
      const same =
        stored.display_name === row.display_name && stored.cutoff_day === cutoff && stored.pending_cutoff_day === pending &&
        stored.locale === locale && stored.currency === currency && stored.deleted_at === deletedAt;
      if (same) return 'unchanged';
      update.run({
        ...row, locale, currency, tenant_pk: stored.tenant_pk, cutoff_day: cutoff, pending_cutoff_day: pending,
        // The request time of a pending change moves only when the pending day itself changes.
        pending_at: pending === null ? null : pending === stored.pending_cutoff_day ? stored.pending_cutoff_requested_at : now,
        deleted_at: deletedAt, now,
      });
      return 'updated';
    };
  },
};
