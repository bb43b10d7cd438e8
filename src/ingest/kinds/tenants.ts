/** Import kind `tenants`: the billed customers, their cut-off day, locale, currency and deletion. */
import { z } from 'zod';
import { CURRENCIES, LOCALES } from '../../domain/vocabulary.ts';
import { fileSafeName, instant, oneOf, optional, required, text, wholeNumber, withDefault } from '../fields.ts';
import type { ImportContext, ImportKind } from '../import-kind.ts';

/** A valid row of a tenants file. */
export interface TenantRow {
  tenant_name: string;
  display_name: string;
  cutoff_day: number;
  locale: string;
  currency: string;
  deleted_at: string | undefined;
}

interface StoredTenant {
  tenant_pk: number;
  display_name: string;
  cutoff_day: number;
  pending_cutoff_day: number | null;
  locale: string;
  currency: string;
  deleted_at: string | null;
}

export const tenantsKind: ImportKind<TenantRow> = {
  name: 'tenants',
  columns: { required: ['tenant_name', 'display_name', 'cutoff_day'], optional: ['locale', 'currency', 'deleted_at'] },
  schema: (ctx: ImportContext) =>
    z.object({
      tenant_name: required(fileSafeName(32)),
      display_name: required(text(128)),
      cutoff_day: required(wholeNumber(1, 31)),
      locale: withDefault(oneOf(LOCALES), ctx.defaultLocale),
      currency: withDefault(oneOf(CURRENCIES), ctx.defaultCurrency),
      deleted_at: optional(instant()),
    }),
  key: (row) => `tenant ${row.tenant_name}`,
  prepare(ctx) {
    const { db, now } = ctx;
    const find = db.prepare('SELECT tenant_pk, display_name, cutoff_day, pending_cutoff_day, locale, currency, deleted_at FROM tenants WHERE tenant_name = ?');
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
        insert.run({ ...row, deleted_at: deletedAt, now });
        return 'inserted';
      }
      if (stored.deleted_at !== null && stored.deleted_at !== deletedAt) {
        report('deleted_at', `tenant ${row.tenant_name} was deleted at ${stored.deleted_at}; a deletion cannot be changed or undone`);
        return 'rejected';
      }
      // A new cut-off day waits for the next closing once the tenant has a finalized month.
      let cutoff = stored.cutoff_day;
      let pending = stored.pending_cutoff_day;
      if (row.cutoff_day !== (stored.pending_cutoff_day ?? stored.cutoff_day)) {
        if (hasFixed.get(stored.tenant_pk)) pending = row.cutoff_day === stored.cutoff_day ? null : row.cutoff_day;
        else cutoff = row.cutoff_day;
      }
      const same =
        stored.display_name === row.display_name && stored.cutoff_day === cutoff && stored.pending_cutoff_day === pending &&
        stored.locale === row.locale && stored.currency === row.currency && stored.deleted_at === deletedAt;
      if (same) return 'unchanged';
      update.run({
        ...row, tenant_pk: stored.tenant_pk, cutoff_day: cutoff, pending_cutoff_day: pending,
        pending_at: pending === null ? null : now, deleted_at: deletedAt, now,
      });
      return 'updated';
    };
  },
};
