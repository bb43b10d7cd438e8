/** Import kind `lplatforms`: a tenant's groups of servers, each the unit of one detail file. */
import * as z from 'zod';
import { fileSafeName, identifier, instant, optional, required, text } from '../fields.ts';
import type { ImportKind } from '../import-kind.ts';
import { checkWritable, requireTenant, tenantEncoding } from './shared.ts';
import { findLplatform, insertLplatform, lplatformIdInAnyCase, updateLplatform } from '../../store/lplatforms.ts';
import { latestUsageStartOfLplatform } from '../../store/usage.ts';

/** A valid row of an L-Platforms file. */
export interface LplatformRow {
  lplatform_id: string;
  tenant_name: string;
  lplatform_name: string;
  returned_at: string | undefined;
  /** Empty or absent: the stored value ('' for a new L-Platform). */
  region: string | undefined;
}

/** What an L-Platform ID may be: it becomes part of a detail file's name. */
export const LPLATFORM_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const lplatformsKind: ImportKind<LplatformRow> = {
  name: 'lplatforms',
  columns: { required: ['lplatform_id', 'tenant_name', 'lplatform_name'], optional: ['returned_at', 'region'] },
  schema: () =>
    z.object({
      lplatform_id: required(
        identifier(LPLATFORM_ID, '1-64 letters, digits, "_" or "-", starting with a letter or digit'),
      ),
      tenant_name: required(fileSafeName(32)),
      lplatform_name: required(text(128)),
      returned_at: optional(instant()),
      region: optional(identifier(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, '1-32 letters, digits, "_" or "-"')),
    }),
  key: (row) => `L-Platform ${row.lplatform_id}`,
  applier({ db, now, csvEncoding: ctxEncoding }) {
    return (row, report) => {
      const t = requireTenant(db, row.tenant_name, report);
      if (!t) return 'rejected';
      // The list file is named after the tenant, a detail file after its L-Platform: the two may
      // not be one name in any letter case (they would overwrite each other when unzipped).
      if (row.lplatform_id.toLowerCase() === t.tenantName.toLowerCase()) {
        report(
          'lplatform_id',
          `is the name of its tenant ${t.tenantName}${row.lplatform_id === t.tenantName ? '' : ' in another letter case'}; the detail file would have the list file's name`,
        );
        return 'rejected';
      }
      if (
        !checkWritable(
          tenantEncoding(t, ctxEncoding),
          row.lplatform_name,
          'lplatform_name',
          `tenant ${t.tenantName}'s`,
          report,
        )
      )
        return 'rejected';
      const returnedAt = row.returned_at ?? null;
      const stored = findLplatform(db, row.lplatform_id);
      if (!stored) {
        const other = lplatformIdInAnyCase(db, row.lplatform_id);
        if (other !== undefined) {
          report(
            'lplatform_id',
            `L-Platform "${other}" exists; IDs that differ only in letter case would share detail file names`,
          );
          return 'rejected';
        }
        insertLplatform(db, {
          lplatformId: row.lplatform_id,
          tenantPk: t.tenantPk,
          lplatformName: row.lplatform_name,
          returnedAt,
          region: row.region ?? '',
          now,
        });
        return 'inserted';
      }
      if (stored.tenantPk !== t.tenantPk) {
        report(
          'tenant_name',
          `L-Platform ${row.lplatform_id} belongs to another tenant; an L-Platform cannot move between tenants`,
        );
        return 'rejected';
      }
      if (stored.returnedAt !== null && stored.returnedAt !== returnedAt) {
        report(
          'returned_at',
          `L-Platform ${row.lplatform_id} was returned at ${stored.returnedAt}; a return cannot be changed or undone`,
        );
        return 'rejected';
      }
      const region = row.region ?? stored.region;
      if (stored.lplatformName === row.lplatform_name && stored.returnedAt === returnedAt && stored.region === region)
        return 'unchanged';
      if (stored.returnedAt === null && returnedAt !== null) {
        const latest = latestUsageStartOfLplatform(db, stored.lplatformPk);
        if (latest !== null && returnedAt <= latest) {
          report(
            'returned_at',
            `L-Platform ${row.lplatform_id} has usage starting at ${latest}; it cannot have been returned before that`,
          );
          return 'rejected';
        }
      }
      updateLplatform(db, {
        lplatformPk: stored.lplatformPk,
        lplatformName: row.lplatform_name,
        returnedAt,
        region,
        now,
      });
      return 'updated';
    };
  },
};
