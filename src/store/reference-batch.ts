/**
 * The L-Platform and contact imports' reads and writes of a batch of rows, on PostgreSQL: what
 * findLplatform, lplatformIdInAnyCase, latestUsageStartOfLplatform and findContact ask for one row,
 * asked for every row of a batch in one round trip each (the per-row query run for each element of
 * a JSON list, as of the batch's start), and the batch's new and changed rows written with one
 * statement each, in the rows' order (their keys numbered as one by one).
 */
import { connection, type Db } from './db.ts';
import type { ContactValues, StoredContact } from './contacts.ts';
import type { LplatformChange, NewLplatform, StoredLplatform } from './lplatforms.ts';

/** The stored L-Platforms among `ids` (exactly), by ID. */
export function findLplatforms(db: Db, ids: readonly string[]): Map<string, StoredLplatform> {
  const rows = connection(db)
    .prepare(
      `SELECT lplatform_id AS lplatformId, lplatform_pk AS lplatformPk, tenant_pk AS tenantPk,
        lplatform_name AS lplatformName, returned_at AS returnedAt, region
      FROM lplatforms WHERE lplatform_id IN (SELECT json_array_elements_text(?::json))`,
    )
    .all(JSON.stringify(ids)) as (StoredLplatform & { lplatformId: string })[];
  return new Map(rows.map(({ lplatformId, ...stored }) => [lplatformId, stored]));
}

/**
 * The stored IDs of L-Platforms whose ID is one of `ids` in some letter case, by that ID in lower
 * case (lower(), as the unique index on lower(lplatform_id) compares them; IDs are ASCII).
 */
export function lplatformIdsInAnyCase(db: Db, ids: readonly string[]): Map<string, string> {
  const rows = connection(db)
    .prepare(
      `SELECT lplatform_id FROM lplatforms
      WHERE lower(lplatform_id) IN (SELECT lower(x) FROM json_array_elements_text(?::json) AS x)`,
    )
    .pluck()
    .all(JSON.stringify(ids)) as string[];
  return new Map(rows.map((id) => [id.toLowerCase(), id]));
}

/** For each of `lplatformPks`, the start of its latest usage record (absent: none), by key. */
export function latestUsageStarts(db: Db, lplatformPks: readonly number[]): Map<number, string> {
  if (lplatformPks.length === 0) return new Map();
  const rows = connection(db)
    .prepare(
      `SELECT u.lplatform_pk AS pk, MAX(u.start_at) AS latest FROM usage_records u
      WHERE u.lplatform_pk IN (SELECT json_array_elements_text(?::json)::bigint) GROUP BY u.lplatform_pk`,
    )
    .all(JSON.stringify(lplatformPks)) as { pk: number; latest: string }[];
  return new Map(rows.map((r) => [r.pk, r.latest]));
}

/** Adds `lplatforms` with one INSERT, in their order. */
export function insertLplatforms(db: Db, lplatforms: readonly NewLplatform[]): void {
  if (lplatforms.length === 0) return;
  connection(db)
    .prepare(
      `INSERT INTO lplatforms (lplatform_id, tenant_pk, lplatform_name, returned_at, region, created_at, updated_at)
      SELECT r.lplatform_id, r.tenant_pk, r.lplatform_name, r.returned_at, r.region, r.now, r.now
      FROM ROWS FROM (json_to_recordset(?::json) AS (lplatform_id text, tenant_pk bigint, lplatform_name text,
        returned_at text, region text, now text)) WITH ORDINALITY
        AS r(lplatform_id, tenant_pk, lplatform_name, returned_at, region, now, n)
      ORDER BY r.n`,
    )
    .run(
      JSON.stringify(
        lplatforms.map((l) => ({
          lplatform_id: l.lplatformId,
          tenant_pk: l.tenantPk,
          lplatform_name: l.lplatformName,
          returned_at: l.returnedAt,
          region: l.region,
          now: l.now,
        })),
      ),
    );
}

/** Stores the new state of each of `changes` (each a different L-Platform) with one UPDATE. */
export function updateLplatforms(db: Db, changes: readonly LplatformChange[]): void {
  if (changes.length === 0) return;
  connection(db)
    .prepare(
      `UPDATE lplatforms l SET lplatform_name = c.lplatform_name, returned_at = c.returned_at, region = c.region,
        updated_at = c.now
      FROM json_to_recordset(?::json) AS c(lplatform_pk bigint, lplatform_name text, returned_at text, region text,
        now text)
      WHERE l.lplatform_pk = c.lplatform_pk`,
    )
    .run(
      JSON.stringify(
        changes.map((c) => ({
          lplatform_pk: c.lplatformPk,
          lplatform_name: c.lplatformName,
          returned_at: c.returnedAt,
          region: c.region,
          now: c.now,
        })),
      ),
    );
}

/** A contact a row names: its tenant and address. */
export interface ContactAsk {
  tenantPk: number;
  email: string;
}

/** For each of `asks` (in order), findContact(tenantPk, email): the tenant's contact with that address in any letter case. */
export function findContacts(db: Db, asks: readonly ContactAsk[]): (StoredContact | undefined)[] {
  const out: (StoredContact | undefined)[] = Array.from({ length: asks.length }, () => undefined);
  if (asks.length === 0) return out;
  const rows = connection(db)
    .prepare(
      `SELECT i.n, c.contact_pk AS contactPk, c.email, c.contact_name AS contactName, c.active
      FROM json_to_recordset(?::json) AS i(n integer, tenant_pk bigint, email text)
      JOIN contacts c ON c.tenant_pk = i.tenant_pk AND lower(c.email) = lower(i.email)`,
    )
    .all(JSON.stringify(asks.map((a, n) => ({ n, tenant_pk: a.tenantPk, email: a.email })))) as (StoredContact & {
    n: number;
  })[];
  for (const { n, ...contact } of rows) out[n] = contact;
  return out;
}

/** Adds each contact of `contacts` (a tenant's, each) with one INSERT, in their order. */
export function insertContacts(db: Db, contacts: readonly (ContactValues & { tenantPk: number })[]): void {
  if (contacts.length === 0) return;
  connection(db)
    .prepare(
      `INSERT INTO contacts (tenant_pk, email, contact_name, active, created_at, updated_at)
      SELECT r.tenant_pk, r.email, r.contact_name, r.active, r.now, r.now
      FROM ROWS FROM (json_to_recordset(?::json) AS (tenant_pk bigint, email text, contact_name text, active integer,
        now text)) WITH ORDINALITY AS r(tenant_pk, email, contact_name, active, now, n)
      ORDER BY r.n`,
    )
    .run(
      JSON.stringify(
        contacts.map((c) => ({
          tenant_pk: c.tenantPk,
          email: c.email,
          contact_name: c.contactName,
          active: c.active,
          now: c.now,
        })),
      ),
    );
}

/** Stores the new state of each of `changes` (each a different contact) with one UPDATE. */
export function updateContacts(db: Db, changes: readonly (ContactValues & { contactPk: number })[]): void {
  if (changes.length === 0) return;
  connection(db)
    .prepare(
      `UPDATE contacts k SET email = c.email, contact_name = c.contact_name, active = c.active, updated_at = c.now
      FROM json_to_recordset(?::json) AS c(contact_pk bigint, email text, contact_name text, active integer, now text)
      WHERE k.contact_pk = c.contact_pk`,
    )
    .run(
      JSON.stringify(
        changes.map((c) => ({
          contact_pk: c.contactPk,
          email: c.email,
          contact_name: c.contactName,
          active: c.active,
          now: c.now,
        })),
      ),
    );
}
