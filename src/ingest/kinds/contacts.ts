/** Import kind `contacts`: the addresses a tenant's statements are mailed to. */
import * as z from 'zod';
import { emailAddress, fileSafeName, flag, optional, required, text } from '../fields.ts';
import type { Applier, BatchApplier, ImportContext, ImportKind } from '../import-kind.ts';
import { readOnce, reportMissingTenant } from './shared.ts';
import {
  findContact,
  insertContact,
  updateContact,
  type ContactValues,
  type StoredContact,
} from '../../store/contacts.ts';
import { findContacts, insertContacts, updateContacts } from '../../store/reference-batch.ts';
import { findTenantRef, type TenantRef } from '../../store/tenants.ts';

/** A valid row of a contacts file. */
export interface ContactRow {
  tenant_name: string;
  email: string;
  /** Empty or absent: the stored value ('' and true for a new contact). */
  contact_name: string | undefined;
  active: boolean | undefined;
}

export const contactsKind: ImportKind<ContactRow> = {
  name: 'contacts',
  tables: ['contacts'],
  columns: { required: ['tenant_name', 'email'], optional: ['contact_name', 'active'] },
  schema: () =>
    z.object({
      tenant_name: required(fileSafeName(32)),
      email: required(emailAddress()),
      contact_name: optional(text(128)),
      active: optional(flag()),
    }),
  key: (row) => `contact ${row.tenant_name} ${row.email.toLowerCase()}`,
  keyField: 'email',
  applier: (ctx) => {
    const { db } = ctx;
    return contactRules(ctx, {
      tenant: (name) => findTenantRef(db, name),
      contact: (tenantPk, email) => findContact(db, tenantPk, email),
      insert: (tenantPk, values) => insertContact(db, tenantPk, values),
      update: (contactPk, values) => updateContact(db, contactPk, values),
    });
  },
  batchApplier: (ctx) => contactBatchApplier(ctx),
};

/** What the rules of a contact row read of the store and write to it. */
interface ContactLookups {
  tenant(name: string): TenantRef | undefined;
  /** The tenant's contact with the address `email` in any letter case. */
  contact(tenantPk: number, email: string): StoredContact | undefined;
  insert(tenantPk: number, values: ContactValues): void;
  update(contactPk: number, values: ContactValues): void;
}

/** The checks and writes of one row, over `look`. */
function contactRules({ now }: ImportContext, look: ContactLookups): Applier<ContactRow> {
  return (row, report) => {
    const t = reportMissingTenant(look.tenant(row.tenant_name), row.tenant_name, report);
    if (!t) return 'rejected';
    const stored = look.contact(t.tenantPk, row.email);
    const name = row.contact_name ?? stored?.contactName ?? '';
    const active = row.active === undefined ? (stored?.active ?? 1) : row.active ? 1 : 0;
    if (!stored) {
      look.insert(t.tenantPk, { email: row.email, contactName: name, active, now });
      return 'inserted';
    }
    if (stored.email === row.email && stored.contactName === name && stored.active === active) return 'unchanged';
    look.update(stored.contactPk, { email: row.email, contactName: name, active, now });
    return 'updated';
  };
}

/**
 * On PostgreSQL, a batch of rows in a few round trips: the rules above over the stored contacts of
 * the whole batch's rows, read before its first row; its new and changed contacts written at its
 * end with one INSERT and one UPDATE. A file names each (tenant, address) once in any letter case
 * (its key), and the import writes no tenant, so each row has the outcome it has one row at a time.
 */
function contactBatchApplier(ctx: ImportContext): BatchApplier<ContactRow> {
  const { db } = ctx;
  const tenant = readOnce((name: string) => findTenantRef(db, name));
  let stored = new Map<string, StoredContact | undefined>();
  let inserts: (ContactValues & { tenantPk: number })[] = [];
  let updates: (ContactValues & { contactPk: number })[] = [];
  const key = (tenantPk: number, email: string): string => `${tenantPk}\u0000${email}`;
  const check = contactRules(ctx, {
    tenant,
    contact: (tenantPk, email) => stored.get(key(tenantPk, email)),
    insert: (tenantPk, values) => inserts.push({ ...values, tenantPk }),
    update: (contactPk, values) => updates.push({ ...values, contactPk }),
  });
  return (batch) => {
    const asks = batch.flatMap(({ row }) => {
      const t = tenant(row.tenant_name);
      return t === undefined ? [] : [{ tenantPk: t.tenantPk, email: row.email }];
    });
    const found = findContacts(db, asks);
    stored = new Map(asks.map((a, i) => [key(a.tenantPk, a.email), found[i]]));
    inserts = [];
    updates = [];
    const outcomes = batch.map(({ row, report }) => check(row, report));
    insertContacts(db, inserts);
    updateContacts(db, updates);
    return outcomes;
  };
}
