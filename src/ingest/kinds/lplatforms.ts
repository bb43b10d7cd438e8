/** Import kind `lplatforms`: a tenant's groups of servers, each the unit of one detail file. */
import * as z from 'zod';
import { fileSafeName, identifier, instant, optional, required, text } from '../fields.ts';
import type { ImportKind } from '../import-kind.ts';
import { checkWritable, requireTenant, tenantEncoding, tenantFinder } from './shared.ts';

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
  prepare({ db, now, csvEncoding: ctxEncoding }) {
    const tenant = tenantFinder(db);
    const find = db.prepare(
      'SELECT lplatform_pk, tenant_pk, lplatform_name, returned_at, region FROM lplatforms WHERE lplatform_id = ?',
    );
    const sameButCase = db.prepare('SELECT lplatform_id FROM lplatforms WHERE lplatform_id = ? COLLATE NOCASE').pluck();
    const insert =
      db.prepare(`INSERT INTO lplatforms (lplatform_id, tenant_pk, lplatform_name, returned_at, region, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const latestUsageStart = db.prepare('SELECT MAX(start_at) FROM usage_records WHERE lplatform_pk = ?').pluck();
    const update = db.prepare(
      'UPDATE lplatforms SET lplatform_name = ?, returned_at = ?, region = ?, updated_at = ? WHERE lplatform_pk = ?',
    );
    return (row, report) => {
      const t = requireTenant(tenant, row.tenant_name, report);
      if (!t) return 'rejected';
      // The list file is named after the tenant, a detail file after its L-Platform: the two may
      // not be one name in any letter case (they would overwrite each other when unzipped).
      if (row.lplatform_id.toLowerCase() === t.tenant_name.toLowerCase()) {
        report(
          'lplatform_id',
          `is the name of its tenant ${t.tenant_name}${row.lplatform_id === t.tenant_name ? '' : ' in another letter case'}; the detail file would have the list file's name`,
        );
        return 'rejected';
      }
      if (
        !checkWritable(
          tenantEncoding(t, ctxEncoding),
          row.lplatform_name,
          'lplatform_name',
          `tenant ${t.tenant_name}'s`,
          report,
        )
      )
        return 'rejected';
      const returnedAt = row.returned_at ?? null;
      const stored = find.get(row.lplatform_id) as
        | {
            lplatform_pk: number;
            tenant_pk: number;
            lplatform_name: string;
            returned_at: string | null;
            region: string;
          }
        | undefined;
      if (!stored) {
        const other = sameButCase.get(row.lplatform_id) as string | undefined;
        if (other !== undefined) {
          report(
            'lplatform_id',
            `L-Platform "${other}" exists; IDs that differ only in letter case would share detail file names`,
          );
          return 'rejected';
        }
        insert.run(row.lplatform_id, t.tenant_pk, row.lplatform_name, returnedAt, row.region ?? '', now, now);
        return 'inserted';
      }
      if (stored.tenant_pk !== t.tenant_pk) {
        report(
          'tenant_name',
          `L-Platform ${row.lplatform_id} belongs to another tenant; an L-Platform cannot move between tenants`,
        );
        return 'rejected';
      }
      if (stored.returned_at !== null && stored.returned_at !== returnedAt) {
        report(
          'returned_at',
          `L-Platform ${row.lplatform_id} was returned at ${stored.returned_at}; a return cannot be changed or undone`,
        );
        return 'rejected';
      }
      const region = row.region ?? stored.region;
      if (stored.lplatform_name === row.lplatform_name && stored.returned_at === returnedAt && stored.region === region)
        return 'unchanged';
      if (stored.returned_at === null && returnedAt !== null) {
        const latest = latestUsageStart.get(stored.lplatform_pk) as string | null;
        if (latest !== null && returnedAt <= latest) {
          report(
            'returned_at',
            `L-Platform ${row.lplatform_id} has usage starting at ${latest}; it cannot have been returned before that`,
          );
          return 'rejected';
        }
      }
      update.run(row.lplatform_name, returnedAt, region, now, stored.lplatform_pk);
      return 'updated';
    };
  },
};
