/** Import kind `tenants`: the billed customers, their cut-off day, locale, currency and deletion. */
import * as z from 'zod';
import { CURRENCIES, LOCALES } from '../../domain/vocabulary.ts';
import { fileSafeName, instant, oneOf, optional, required, text, wholeNumber } from '../fields.ts';
import type { ImportKind, Report } from '../import-kind.ts';
import { CSV_ENCODINGS, codePoint, firstNonCp932, type CsvEncoding } from '../../statements/csv.ts';
import type { Locale } from '../../domain/vocabulary.ts';
import { checkWritable, tenantEncoding } from './shared.ts';

/** A valid row of a tenants file. */
export interface TenantRow {
  tenant_name: string;
  display_name: string;
  cutoff_day: number;
  /** Empty or absent: the stored value (the configured default for a new tenant). */
  locale: string | undefined;
  currency: string | undefined;
  deleted_at: string | undefined;
  /** Empty or absent: the stored value; `auto`: none of its own (by the setting and the locale). */
  csv_encoding: CsvEncoding | 'auto' | undefined;
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
  csv_encoding: CsvEncoding | null;
}

export const tenantsKind: ImportKind<TenantRow> = {
  name: 'tenants',
  columns: {
    required: ['tenant_name', 'display_name', 'cutoff_day'],
    optional: ['locale', 'currency', 'deleted_at', 'csv_encoding'],
  },
  schema: () =>
    z.object({
      tenant_name: required(fileSafeName(32)),
      display_name: required(text(128)),
      cutoff_day: required(wholeNumber(1, 31)),
      locale: optional(oneOf(LOCALES)),
      currency: optional(oneOf(CURRENCIES)),
      deleted_at: optional(instant()),
      csv_encoding: optional(oneOf<CsvEncoding | 'auto'>(['auto', ...CSV_ENCODINGS])),
    }),
  key: (row) => `tenant ${row.tenant_name}`,
  prepare(ctx) {
    const { db, now, defaultLocale, defaultCurrency } = ctx;
    const find =
      db.prepare(`SELECT tenant_pk, display_name, cutoff_day, pending_cutoff_day, pending_cutoff_requested_at,
      locale, currency, deleted_at, csv_encoding FROM tenants WHERE tenant_name = ?`);
    // The names an open month of a tenant may still write: those of its L-Platforms not returned
    // before its last finalized month ended, and of its resources with usage since then.
    const lastEnd = db
      .prepare("SELECT COALESCE(MAX(period_end), '') FROM statements WHERE tenant_pk = ? AND status = 'fixed'")
      .pluck();
    const openLplatforms = db.prepare(`SELECT lplatform_id, lplatform_name FROM lplatforms WHERE tenant_pk = ?
      AND (returned_at IS NULL OR returned_at > ?) ORDER BY lplatform_id`);
    const openResources = db.prepare(`SELECT DISTINCT resource_id, resource_name FROM usage_records WHERE tenant_pk = ?
      AND (booked_month IS NOT NULL OR COALESCE(end_at, start_at) >= ?) ORDER BY resource_id`);

    const hasUsage = db.prepare('SELECT 1 FROM usage_records WHERE tenant_pk = ? LIMIT 1').pluck();
    const latestUsageStart = db.prepare('SELECT MAX(start_at) FROM usage_records WHERE tenant_pk = ?').pluck();
    const sameButCase = db.prepare('SELECT tenant_name FROM tenants WHERE tenant_name = ? COLLATE NOCASE').pluck();
    const hasFixed = db.prepare("SELECT 1 FROM statements WHERE tenant_pk = ? AND status = 'fixed' LIMIT 1").pluck();
    const insert =
      db.prepare(`INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, deleted_at, csv_encoding, created_at, updated_at)
      VALUES (@tenant_name, @display_name, @cutoff_day, @locale, @currency, @deleted_at, @csv_encoding, @now, @now)`);
    const update = db.prepare(`UPDATE tenants SET display_name = @display_name, cutoff_day = @cutoff_day,
      pending_cutoff_day = @pending_cutoff_day, pending_cutoff_requested_at = @pending_at, locale = @locale,
      currency = @currency, deleted_at = @deleted_at, csv_encoding = @csv_encoding, updated_at = @now WHERE tenant_pk = @tenant_pk`);

    /**
     * Whether the tenant's names can be written in the encoding its statements will have: its
     * display name, and (when that encoding becomes cp932) the names its open months still write.
     */
    const writable = (
      row: TenantRow,
      locale: Locale,
      own: CsvEncoding | null,
      stored: StoredTenant | undefined,
      report: Report,
    ): boolean => {
      const encoding = tenantEncoding({ locale, csv_encoding: own }, ctx.csvEncoding);
      const whose = `tenant ${row.tenant_name}'s`;
      if (!checkWritable(encoding, row.display_name, 'display_name', whose, report)) return false;
      if (
        stored === undefined ||
        encoding !== 'cp932' ||
        tenantEncoding({ locale: stored.locale as Locale, csv_encoding: stored.csv_encoding }, ctx.csvEncoding) ===
          'cp932'
      )
        return true;
      const field = row.csv_encoding !== undefined ? 'csv_encoding' : 'locale';
      const since = lastEnd.get(stored.tenant_pk) as string;
      const names = [
        ...(openLplatforms.all(stored.tenant_pk, since) as { lplatform_id: string; lplatform_name: string }[]).map(
          (l) => ({ text: l.lplatform_name, what: `the name of L-Platform ${l.lplatform_id}` }),
        ),
        ...(openResources.all(stored.tenant_pk, since) as { resource_id: string; resource_name: string }[]).map(
          (r) => ({ text: r.resource_name, what: `the name of resource ${r.resource_id}` }),
        ),
      ];
      for (const n of names) {
        const bad = firstNonCp932(n.text);
        if (bad === null) continue;
        report(
          field,
          `tenant ${row.tenant_name}'s statement files would be written in cp932, which cannot hold "${bad}" (${codePoint(bad)}) in ${n.what}; correct that name first, or keep another encoding`,
        );
        return false;
      }
      return true;
    };

    return (row, report) => {
      const deletedAt = row.deleted_at ?? null;
      const stored = find.get(row.tenant_name) as StoredTenant | undefined;
      const ownEncoding = (choice: CsvEncoding | 'auto' | undefined, before: CsvEncoding | null): CsvEncoding | null =>
        choice === undefined ? before : choice === 'auto' ? null : choice;
      if (!stored) {
        const other = sameButCase.get(row.tenant_name) as string | undefined;
        if (other !== undefined) {
          report(
            'tenant_name',
            `tenant "${other}" exists; names that differ only in letter case would share statement file names`,
          );
          return 'rejected';
        }
        const newLocale = row.locale ?? defaultLocale;
        const newEncoding = ownEncoding(row.csv_encoding, null);
        if (!writable(row, newLocale as Locale, newEncoding, undefined, report)) return 'rejected';
        insert.run({
          ...row,
          locale: newLocale,
          currency: row.currency ?? defaultCurrency,
          deleted_at: deletedAt,
          csv_encoding: newEncoding,
          now,
        });
        return 'inserted';
      }
      const locale = row.locale ?? stored.locale;
      const csvEncoding = ownEncoding(row.csv_encoding, stored.csv_encoding);
      if (!writable(row, locale as Locale, csvEncoding, stored, report)) return 'rejected';
      const currency = row.currency ?? stored.currency;
      const finalized = hasFixed.get(stored.tenant_pk) !== undefined;
      if (currency !== stored.currency && (finalized || hasUsage.get(stored.tenant_pk) !== undefined)) {
        report(
          'currency',
          `tenant ${row.tenant_name} is billed in ${stored.currency} and has usage priced in it; its currency cannot change`,
        );
        return 'rejected';
      }
      if (stored.deleted_at !== null && stored.deleted_at !== deletedAt) {
        report(
          'deleted_at',
          `tenant ${row.tenant_name} was deleted at ${stored.deleted_at}; a deletion cannot be changed or undone`,
        );
        return 'rejected';
      }
      if (stored.deleted_at === null && deletedAt !== null) {
        const latest = latestUsageStart.get(stored.tenant_pk) as string | null;
        if (latest !== null && deletedAt <= latest) {
          report(
            'deleted_at',
            `tenant ${row.tenant_name} has usage starting at ${latest}; it cannot have been deleted before that`,
          );
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
        stored.display_name === row.display_name &&
        stored.cutoff_day === cutoff &&
        stored.pending_cutoff_day === pending &&
        stored.locale === locale &&
        stored.currency === currency &&
        stored.deleted_at === deletedAt &&
        stored.csv_encoding === csvEncoding;
      if (same) return 'unchanged';
      update.run({
        ...row,
        locale,
        currency,
        tenant_pk: stored.tenant_pk,
        cutoff_day: cutoff,
        pending_cutoff_day: pending,
        // The request time of a pending change moves only when the pending day itself changes.
        pending_at:
          pending === null ? null : pending === stored.pending_cutoff_day ? stored.pending_cutoff_requested_at : now,
        deleted_at: deletedAt,
        csv_encoding: csvEncoding,
        now,
      });
      return 'updated';
    };
  },
};
