/** The contacts table: the addresses a tenant's statements are mailed to, as the import keeps them. */
import { cachedStatement, type Db } from './db.ts';

/** A stored contact. */
export interface StoredContact {
  contactPk: number;
  email: string;
  contactName: string;
  /** 1 or 0. */
  active: number;
}

/** A contact to add or the new state of a stored one. */
export interface ContactValues {
  email: string;
  contactName: string;
  /** 1 or 0. */
  active: number;
  /** The creation or update time. */
  now: string;
}

/** The tenant's contact with the address `email` (in any letter case), when there is one. */
export function findContact(db: Db, tenantPk: number, email: string): StoredContact | undefined {
  const r = cachedStatement(
    db,
    // Without letter case, as the column's own collation in SQLite (NOCASE), said so for PostgreSQL.
    'SELECT contact_pk, email, contact_name, active FROM contacts WHERE tenant_pk = ? AND email = ? COLLATE NOCASE',
  ).get(tenantPk, email) as { contact_pk: number; email: string; contact_name: string; active: number } | undefined;
  if (r === undefined) return undefined;
  return { contactPk: r.contact_pk, email: r.email, contactName: r.contact_name, active: r.active };
}

/** Adds a contact of the tenant. */
export function insertContact(db: Db, tenantPk: number, c: ContactValues): void {
  cachedStatement(
    db,
    `INSERT INTO contacts (tenant_pk, email, contact_name, active, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(tenantPk, c.email, c.contactName, c.active, c.now, c.now);
}

/** Stores a contact's new state. */
export function updateContact(db: Db, contactPk: number, c: ContactValues): void {
  cachedStatement(
    db,
    'UPDATE contacts SET email = ?, contact_name = ?, active = ?, updated_at = ? WHERE contact_pk = ?',
  ).run(c.email, c.contactName, c.active, c.now, contactPk);
}

/** A tenant's contacts, the active ones first, then by address. */
export function tenantContacts(db: Db, tenantPk: number): StoredContact[] {
  return cachedStatement(
    db,
    `SELECT contact_pk AS contactPk, email, contact_name AS contactName, active FROM contacts
    WHERE tenant_pk = ? ORDER BY active DESC, lower(email)`,
  ).all(tenantPk) as StoredContact[];
}
