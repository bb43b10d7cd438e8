/** Import kind `tenants`: the billed customers, their cut-off day, locale, currency and deletion. */
import * as z from 'zod';
import { CURRENCIES, LOCALES } from '../../domain/vocabulary.ts';
import { fileSafeName, instant, oneOf, optional, required, text, wholeNumber } from '../fields.ts';
import type { ImportKind, Report } from '../import-kind.ts';
import { CSV_ENCODINGS, codePoint, firstNonCp932, type CsvEncoding } from '../../statements/csv.ts';
import type { Locale } from '../../domain/vocabulary.ts';
import { checkWritable, tenantEncoding } from './shared.ts';
import {
  findStoredTenant,
  insertTenant,
  tenantNameInAnyCase,
  updateTenant,
  type StoredTenant,
} from '../../store/tenants.ts';
import { hasFinalizedMonth, lastFinalizedEnd } from '../../store/finalized.ts';
import { lplatformsOpenSince } from '../../store/lplatforms.ts';
import { latestUsageStartOfTenant, resourcesUsedSince, tenantHasUsage } from '../../store/usage.ts';

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

export const tenantsKind: ImportKind<TenantRow> = {
  name: 'tenants',
  tables: ['tenants'],
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
  applier(ctx) {
    const { db, now, defaultLocale, defaultCurrency } = ctx;

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
      const encoding = tenantEncoding({ locale, csvEncoding: own }, ctx.csvEncoding);
      const whose = `tenant ${row.tenant_name}'s`;
      if (!checkWritable(encoding, row.display_name, 'display_name', whose, report)) return false;
      if (
        stored === undefined ||
        encoding !== 'cp932' ||
        tenantEncoding({ locale: stored.locale as Locale, csvEncoding: stored.csvEncoding }, ctx.csvEncoding) ===
          'cp932'
      )
        return true;
      const field = row.csv_encoding !== undefined ? 'csv_encoding' : 'locale';
      // The names an open month of the tenant may still write: those of its L-Platforms not returned
      // before its last finalized month ended, and of its resources with usage since then.
      const since = lastFinalizedEnd(db, stored.tenantPk);
      const names = [
        ...lplatformsOpenSince(db, stored.tenantPk, since).map((l) => ({
          text: l.lplatformName,
          what: `the name of L-Platform ${l.lplatformId}`,
        })),
        ...resourcesUsedSince(db, stored.tenantPk, since).map((r) => ({
          text: r.resourceName,
          what: `the name of resource ${r.resourceId}`,
        })),
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
      const stored = findStoredTenant(db, row.tenant_name);
      const ownEncoding = (choice: CsvEncoding | 'auto' | undefined, before: CsvEncoding | null): CsvEncoding | null =>
        choice === undefined ? before : choice === 'auto' ? null : choice;
      if (!stored) {
        const other = tenantNameInAnyCase(db, row.tenant_name);
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
        insertTenant(db, {
          tenantName: row.tenant_name,
          displayName: row.display_name,
          cutoffDay: row.cutoff_day,
          locale: newLocale,
          currency: row.currency ?? defaultCurrency,
          deletedAt,
          csvEncoding: newEncoding,
          now,
        });
        return 'inserted';
      }
      const locale = row.locale ?? stored.locale;
      const csvEncoding = ownEncoding(row.csv_encoding, stored.csvEncoding);
      if (!writable(row, locale as Locale, csvEncoding, stored, report)) return 'rejected';
      const currency = row.currency ?? stored.currency;
      const finalized = hasFinalizedMonth(db, stored.tenantPk);
      if (currency !== stored.currency && (finalized || tenantHasUsage(db, stored.tenantPk))) {
        report(
          'currency',
          `tenant ${row.tenant_name} is billed in ${stored.currency} and has usage priced in it; its currency cannot change`,
        );
        return 'rejected';
      }
      if (stored.deletedAt !== null && stored.deletedAt !== deletedAt) {
        report(
          'deleted_at',
          `tenant ${row.tenant_name} was deleted at ${stored.deletedAt}; a deletion cannot be changed or undone`,
        );
        return 'rejected';
      }
      if (stored.deletedAt === null && deletedAt !== null) {
        const latest = latestUsageStartOfTenant(db, stored.tenantPk);
        if (latest !== null && deletedAt <= latest) {
          report(
            'deleted_at',
            `tenant ${row.tenant_name} has usage starting at ${latest}; it cannot have been deleted before that`,
          );
          return 'rejected';
        }
      }
      // A new cut-off day waits for the next closing once the tenant has a finalized month.
      let cutoff = stored.cutoffDay;
      let pending = stored.pendingCutoffDay;
      if (row.cutoff_day !== (stored.pendingCutoffDay ?? stored.cutoffDay)) {
        if (finalized) pending = row.cutoff_day === stored.cutoffDay ? null : row.cutoff_day;
        else cutoff = row.cutoff_day;
      }
      const same =
        stored.displayName === row.display_name &&
        stored.cutoffDay === cutoff &&
        stored.pendingCutoffDay === pending &&
        stored.locale === locale &&
        stored.currency === currency &&
        stored.deletedAt === deletedAt &&
        stored.csvEncoding === csvEncoding;
      if (same) return 'unchanged';
      updateTenant(db, {
        tenantPk: stored.tenantPk,
        displayName: row.display_name,
        cutoffDay: cutoff,
        pendingCutoffDay: pending,
        // The request time of a pending change moves only when the pending day itself changes.
        pendingCutoffRequestedAt:
          pending === null ? null : pending === stored.pendingCutoffDay ? stored.pendingCutoffRequestedAt : now,
        locale,
        currency,
        deletedAt,
        csvEncoding,
        now,
      });
      return 'updated';
    };
  },
};
