/** Import kind `contacts`: the addresses a tenant's statements are mailed to. */
import * as z from 'zod';
import { emailAddress, fileSafeName, flag, optional, required, text } from '../fields.ts';
import type { ImportKind } from '../import-kind.ts';
import { requireTenant } from './shared.ts';
import { findContact, insertContact, updateContact } from '../../store/contacts.ts';

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
  applier({ db, now }) {
    return (row, report) => {
      const t = requireTenant(db, row.tenant_name, report);
      if (!t) return 'rejected';
      const stored = findContact(db, t.tenantPk, row.email);
      const name = row.contact_name ?? stored?.contactName ?? '';
      const active = row.active === undefined ? (stored?.active ?? 1) : row.active ? 1 : 0;
      if (!stored) {
        insertContact(db, t.tenantPk, { email: row.email, contactName: name, active, now });
        return 'inserted';
      }
      if (stored.email === row.email && stored.contactName === name && stored.active === active) return 'unchanged';
      updateContact(db, stored.contactPk, { email: row.email, contactName: name, active, now });
      return 'updated';
    };
  },
};
