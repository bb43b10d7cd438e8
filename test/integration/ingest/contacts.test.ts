/** Import kind `contacts`: tenant, e-mail address, name and active flag; updates and idempotency. */
import { describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { BATCH_ROWS } from '../../../src/ingest/import-file.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, rows, useStore } from './support.ts';

const COLUMNS = ['tenant_name', 'email', 'contact_name', 'active'] as const;
type Column = (typeof COLUMNS)[number];
const BASE: Record<Column, string> = {
  tenant_name: 'T1',
  email: 'billing@example.com',
  contact_name: 'Billing',
  active: 'true',
};
const file = (...overrides: Partial<Record<Column, string>>[]): string => rows(COLUMNS, BASE, ...overrides);

const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';

let db: Db;
useStore(true, (s) => (db = s.db));

function contacts(): Record<string, unknown>[] {
  return connection(db)
    .prepare(
      'SELECT t.tenant_name, c.email, c.contact_name, c.active FROM contacts c JOIN tenants t USING (tenant_pk) ORDER BY contact_pk',
    )
    .all() as Record<string, unknown>[];
}

describe('contacts: valid rows', () => {
  it('inserts contacts of several tenants', async () => {
    const result = await importText(
      db,
      'contacts',
      file({}, { tenant_name: 'T2', email: 'ops@example.org', contact_name: '' }),
    );
    expect(result).toMatchObject({ rows: 2, inserted: 2, updated: 0, unchanged: 0 });
    expect(contacts()).toEqual([
      { tenant_name: 'T1', email: 'billing@example.com', contact_name: 'Billing', active: 1 },
      { tenant_name: 'T2', email: 'ops@example.org', contact_name: '', active: 1 },
    ]);
  });

  it.each([
    ['true', 1],
    ['yes', 1],
    ['1', 1],
    ['TRUE', 1],
    ['false', 0],
    ['no', 0],
    ['0', 0],
    ['No', 0],
    ['', 1],
  ])('reads active %j as %d', async (active, stored) => {
    await importText(db, 'contacts', file({ active }));
    expect(contacts()[0]?.active).toBe(stored);
  });

  it('accepts a file with only the required columns', async () => {
    const result = await importText(db, 'contacts', 'tenant_name,email\nT1,a@example.com\n');
    expect(result.inserted).toBe(1);
    expect(contacts()).toEqual([{ tenant_name: 'T1', email: 'a@example.com', contact_name: '', active: 1 }]);
  });

  it('lets two tenants share one address', async () => {
    const result = await importText(db, 'contacts', file({}, { tenant_name: 'T2' }));
    expect(result.inserted).toBe(2);
  });
});

describe('contacts: tenant_name', () => {
  it.each([
    ['empty', '', 'is required'],
    ['a path', '../T1', 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit'],
    ['a reserved device name', 'COM1', '"COM1" is a reserved device name'],
    ['an unknown tenant', 'T9', 'tenant "T9" does not exist (import tenants first)'],
    ['a tenant differing only in case', 't1', 'tenant "t1" does not exist (import tenants first)'],
  ])('refuses %s', async (_what, name, message) => {
    await expectRefused(db, 'contacts', file({ tenant_name: name }), `contacts.csv:2: tenant_name: ${message}`);
  });
});

describe('contacts: email', () => {
  it.each([
    ['no @', 'billing.example.com'],
    ['nothing before @', '@example.com'],
    ['nothing after @', 'billing@'],
    ['two @', 'a@b@example.com'],
    ['a space', 'bill ing@example.com'],
    ['a display name', 'Billing <billing@example.com>'],
    ['a domain without a dot', 'billing@localhost'],
    ['two addresses', 'a@example.com;b@example.com'],
  ])('refuses an address with %s', async (_what, email) => {
    await expectRefused(db, 'contacts', file({ email }), `contacts.csv:2: email: "${email}" is not an e-mail address`);
  });

  it('refuses an empty address', async () => {
    await expectRefused(db, 'contacts', file({ email: '' }), 'contacts.csv:2: email: is required');
  });

  it('refuses an address longer than 254 characters', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(10)}.com`;
    expect(email.length).toBe(262);
    await expectRefused(db, 'contacts', file({ email }), 'contacts.csv:2: email: is longer than 254 characters');
  });

  it('refuses a line feed inside a quoted address', async () => {
    await expectRefused(
      db,
      'contacts',
      file({ email: 'billing@example.com\nx@example.com' }),
      `contacts.csv:2: email: ${CONTROL}`,
    );
  });

  it('refuses one address twice for a tenant in one file, whatever its case', async () => {
    await expectRefused(
      db,
      'contacts',
      file({}, { email: 'Billing@Example.com' }),
      'contacts.csv:3: email: contact T1 billing@example.com appears again (first at line 2)',
    );
  });
});

describe('contacts: contact_name and active', () => {
  it.each([
    ['longer than 128 characters', 'n'.repeat(129), 'is longer than 128 characters'],
    ['holding a tab', 'Bill\tPayer', CONTROL],
    ['holding a line feed', 'Bill\nPayer', CONTROL],
  ])('refuses a name %s', async (_what, name, message) => {
    await expectRefused(db, 'contacts', file({ contact_name: name }), `contacts.csv:2: contact_name: ${message}`);
  });

  it.each(['maybe', '2'])('refuses active %j', async (active) => {
    await expectRefused(db, 'contacts', file({ active }), `contacts.csv:2: active: "${active}" must be true or false`);
  });
});

describe('contacts: idempotency and updates', () => {
  it('imports the same file twice: inserted N, then unchanged N with the same data', async () => {
    const text = file({}, { email: 'second@example.com', active: 'no' }, { tenant_name: 'T2' });
    expect(await importText(db, 'contacts', text)).toMatchObject({ rows: 3, inserted: 3, updated: 0, unchanged: 0 });
    const before = snapshot(db);
    expect(await importText(db, 'contacts', text)).toMatchObject({ rows: 3, inserted: 0, updated: 0, unchanged: 3 });
    const after = snapshot(db);
    expect(dataOnly(after)).toEqual(dataOnly(before));
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });

  it('keeps the stored name and active flag when their cells are empty or their columns absent', async () => {
    await importText(db, 'contacts', file({ contact_name: 'Billing', active: 'false' }));
    const before = dataOnly(snapshot(db));
    expect(await importText(db, 'contacts', file({ contact_name: '', active: '' }))).toMatchObject({
      unchanged: 1,
      updated: 0,
    });
    expect(await importText(db, 'contacts', 'tenant_name,email\nT1,billing@example.com\n')).toMatchObject({
      unchanged: 1,
      updated: 0,
    });
    expect(dataOnly(snapshot(db))).toEqual(before);
    expect(contacts()).toEqual([
      { tenant_name: 'T1', email: 'billing@example.com', contact_name: 'Billing', active: 0 },
    ]);
  });

  it('counts a changed name, a deactivation and a change of case as updated', async () => {
    await importText(db, 'contacts', file({}, { email: 'second@example.com' }, { email: 'third@example.com' }));
    const result = await importText(
      db,
      'contacts',
      file(
        { contact_name: 'Billing desk' },
        { email: 'second@example.com', active: 'false' },
        { email: 'Third@Example.com' },
      ),
    );
    expect(result).toMatchObject({ rows: 3, inserted: 0, updated: 3, unchanged: 0 });
    expect(contacts()).toEqual([
      { tenant_name: 'T1', email: 'billing@example.com', contact_name: 'Billing desk', active: 1 },
      { tenant_name: 'T1', email: 'second@example.com', contact_name: 'Billing', active: 0 },
      { tenant_name: 'T1', email: 'Third@Example.com', contact_name: 'Billing', active: 1 },
    ]);
  });
});

describe('contacts: all or nothing', () => {
  it('writes nothing when the last of many lines names an unknown tenant', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ email: `c${i}@example.com` }));
    await expectRefused(
      db,
      'contacts',
      file(...many, { tenant_name: 'T9' }),
      'contacts.csv:42: tenant_name: tenant "T9" does not exist (import tenants first)',
    );
    expect(contacts()).toEqual([]);
  });
});

describe('contacts: files longer than a batch (PostgreSQL applies them BATCH_ROWS rows at a time)', () => {
  it("adds them in the file's order, then updates across batches what a second file changes", async () => {
    const n = 2 * BATCH_ROWS + 3;
    const many = Array.from({ length: n }, (_, i) => ({
      tenant_name: i % 2 === 0 ? 'T1' : 'T2',
      email: `c${i}@example.com`,
    }));
    expect(await importText(db, 'contacts', file(...many))).toMatchObject({ rows: n, inserted: n });
    expect(contacts().map((c) => c.email)).toEqual(many.map((m) => m.email));
    const changed = many.map((m, i) =>
      i === 1 ? { ...m, active: 'false' } : i === n - 1 ? { ...m, email: m.email.toUpperCase() } : m,
    );
    const result = await importText(db, 'contacts', file(...changed, { tenant_name: 'T2', email: 'c0@example.com' }));
    expect(result).toMatchObject({ rows: n + 1, inserted: 1, updated: 2, unchanged: n - 2 });
    const after = contacts();
    expect(after[1]).toMatchObject({ tenant_name: 'T2', email: 'c1@example.com', active: 0 });
    expect(after[n - 1]).toMatchObject({ email: `C${n - 1}@EXAMPLE.COM` });
    expect(after[n]).toMatchObject({ tenant_name: 'T2', email: 'c0@example.com' });
  });
});
