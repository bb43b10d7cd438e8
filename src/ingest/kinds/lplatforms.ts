/** Import kind `lplatforms`: a tenant's groups of servers, each the unit of one detail file. */
import * as z from 'zod';
import { fileSafeName, identifier, instant, optional, required, text } from '../fields.ts';
import type { Applier, BatchApplier, ImportContext, ImportKind } from '../import-kind.ts';
import { checkWritable, readOnce, reportMissingTenant, tenantEncoding } from './shared.ts';
import type { Db } from '../../store/db.ts';
import {
  findLplatform,
  insertLplatform,
  lplatformIdInAnyCase,
  updateLplatform,
  type LplatformChange,
  type NewLplatform,
  type StoredLplatform,
} from '../../store/lplatforms.ts';
import {
  findLplatforms,
  insertLplatforms,
  latestUsageStarts,
  lplatformIdsInAnyCase,
  updateLplatforms,
} from '../../store/reference-batch.ts';
import { findTenantRef, type TenantRef } from '../../store/tenants.ts';
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
  tables: ['lplatforms'],
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
  applier: (ctx) => lplatformRules(ctx, storeLookups(ctx.db)),
  batchApplier: (ctx) => lplatformBatchApplier(ctx),
};

/** What the rules of an L-Platform row read of the store and write to it. */
interface LplatformLookups {
  tenant(name: string): TenantRef | undefined;
  lplatform(id: string): StoredLplatform | undefined;
  /** The stored ID of an L-Platform whose ID is `id` in some letter case. */
  idInAnyCase(id: string): string | undefined;
  /** The start of the L-Platform's latest usage record, or null. */
  latestUsageStart(lplatformPk: number): string | null;
  insert(l: NewLplatform): void;
  update(change: LplatformChange): void;
}

/** The store itself, one query per question (SQLite, and PostgreSQL's per-row path). */
function storeLookups(db: Db): LplatformLookups {
  return {
    tenant: (name) => findTenantRef(db, name),
    lplatform: (id) => findLplatform(db, id),
    idInAnyCase: (id) => lplatformIdInAnyCase(db, id),
    latestUsageStart: (pk) => latestUsageStartOfLplatform(db, pk),
    insert: (l) => insertLplatform(db, l),
    update: (change) => updateLplatform(db, change),
  };
}

/** The checks and writes of one row, over `look`. */
function lplatformRules(
  { now, csvEncoding: ctxEncoding }: ImportContext,
  look: LplatformLookups,
): Applier<LplatformRow> {
  return (row, report) => {
    const t = reportMissingTenant(look.tenant(row.tenant_name), row.tenant_name, report);
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
    const stored = look.lplatform(row.lplatform_id);
    if (!stored) {
      const other = look.idInAnyCase(row.lplatform_id);
      if (other !== undefined) {
        report(
          'lplatform_id',
          `L-Platform "${other}" exists; IDs that differ only in letter case would share detail file names`,
        );
        return 'rejected';
      }
      look.insert({
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
      const latest = look.latestUsageStart(stored.lplatformPk);
      if (latest !== null && returnedAt <= latest) {
        report(
          'returned_at',
          `L-Platform ${row.lplatform_id} has usage starting at ${latest}; it cannot have been returned before that`,
        );
        return 'rejected';
      }
    }
    look.update({ lplatformPk: stored.lplatformPk, lplatformName: row.lplatform_name, returnedAt, region, now });
    return 'updated';
  };
}

/**
 * On PostgreSQL, a batch of rows in a few round trips: the rules above over what was read for the
 * whole batch before its first row (the stored L-Platforms its rows name, exactly and in any
 * letter case, and the latest usage of those a row returns), the batch's accepted new IDs added as
 * the per-row path would find them stored; its new and changed L-Platforms written at its end with
 * one INSERT and one UPDATE. A file names each L-Platform once (its key), and the import writes no
 * tenant and no usage, so each row has the outcome and problems it has one row at a time.
 */
function lplatformBatchApplier(ctx: ImportContext): BatchApplier<LplatformRow> {
  const { db } = ctx;
  let stored = new Map<string, StoredLplatform>();
  let anyCase = new Map<string, string>();
  let latest = new Map<number, string>();
  let inserts: NewLplatform[] = [];
  let updates: LplatformChange[] = [];
  const check = lplatformRules(ctx, {
    tenant: readOnce((name: string) => findTenantRef(db, name)),
    lplatform: (id) => stored.get(id),
    idInAnyCase: (id) => anyCase.get(id.toLowerCase()),
    latestUsageStart: (pk) => latest.get(pk) ?? null,
    insert(l) {
      inserts.push(l);
      anyCase.set(l.lplatformId.toLowerCase(), l.lplatformId);
    },
    update: (change) => updates.push(change),
  });
  return (batch) => {
    const ids = batch.map(({ row }) => row.lplatform_id);
    stored = findLplatforms(db, ids);
    anyCase = lplatformIdsInAnyCase(db, ids);
    latest = latestUsageStarts(
      db,
      batch.flatMap(({ row }) => {
        const s = stored.get(row.lplatform_id);
        return s !== undefined && s.returnedAt === null && row.returned_at !== undefined ? [s.lplatformPk] : [];
      }),
    );
    inserts = [];
    updates = [];
    const outcomes = batch.map(({ row, report }) => check(row, report));
    insertLplatforms(db, inserts);
    updateLplatforms(db, updates);
    return outcomes;
  };
}
