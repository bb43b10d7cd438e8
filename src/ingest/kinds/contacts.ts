/** Import kind `contacts`: the addresses a tenant's statements are mailed to. */
import * as z from 'zod';
import { emailAddress, fileSafeName, flag, optional, required, text } from '../fields.ts';
import type { ImportKind } from '../import-kind.ts';
import { requireTenant, tenantFinder } from './shared.ts';

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
  prepare({ db, now }) {
    const tenant = tenantFinder(db);
    const find = db.prepare(
      'SELECT contact_pk, email, contact_name, active FROM contacts WHERE tenant_pk = ? AND email = ?',
    );
    const insert = db.prepare(`INSERT INTO contacts (tenant_pk, email, contact_name, active, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)`);
    const update = db.prepare(
      'UPDATE contacts SET email = ?, contact_name = ?, active = ?, updated_at = ? WHERE contact_pk = ?',
    );
    return (row, report) => {
      const t = requireTenant(tenant, row.tenant_name, report);
      if (!t) return 'rejected';
      const stored = find.get(t.tenant_pk, row.email) as
        { contact_pk: number; email: string; contact_name: string; active: number } | undefined;
      const name = row.contact_name ?? stored?.contact_name ?? '';
      const active = row.active === undefined ? (stored?.active ?? 1) : row.active ? 1 : 0;
      if (!stored) {
        insert.run(t.tenant_pk, row.email, name, active, now, now);
        return 'inserted';
      }
      if (stored.email === row.email && stored.contact_name === name && stored.active === active) return 'unchanged';
      update.run(row.email, name, active, now, stored.contact_pk);
      return 'updated';
    };
  },
};
