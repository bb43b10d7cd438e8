/**
 * Migration 14: the store raises a tenant's number of changes (tenantChanges) on every write to what
 * the pages show of it, whoever writes, and only that tenant's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStore, connection } from '../../../src/store/db.ts';
import { tenantChanges } from '../../../src/store/tenants.ts';
import { AS_OF, copyOf, seedTemplate } from '../../helpers/demo-store.ts';
import { openStoreOf } from '../../helpers/store-engine.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;
beforeAll(async () => {
  work = tempDir('uc-tenant-changes-');
  template = await seedTemplate(work.dir);
  const run = await runCli(['run', '--as-of', AS_OF], template);
  expect(run.code, run.stderr).toBe(0);
});
afterAll(() => work.cleanup());

describe('tenant_changes', () => {
  it("every write to a tenant's rows raises its number (by one a row), and no other tenant's", () => {
    const env = copyOf(template, work.dir, 'writes');
    // The store's own connection on its engine (another process's, as far as the store can tell).
    const db = connection(openStoreOf(env.DATA_DIR!));
    const statementOf = (tenant: string): number =>
      db
        .prepare(
          "SELECT s.statement_pk FROM statements s JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = ? AND s.status = 'fixed'",
        )
        .pluck()
        .get(tenant) as number;
    const tenantPk = (tenant: string): number =>
      db.prepare('SELECT tenant_pk FROM tenants WHERE tenant_name = ?').pluck().get(tenant) as number;
    const numbers = (): Record<string, number> => {
      const store = openStoreOf(env.DATA_DIR!);
      try {
        return Object.fromEntries(['TNT00003', 'TNT00004', 'TNT00005'].map((t) => [t, tenantChanges(store, t)!]));
      } finally {
        closeStore(store);
      }
    };
    const now = '2026-11-20T00:00:00.000Z';
    const writes: [string, string[], () => void][] = [
      [
        'tenant renamed',
        ['TNT00003'],
        () => db.prepare("UPDATE tenants SET display_name = 'X' WHERE tenant_pk = ?").run(tenantPk('TNT00003')),
      ],
      [
        'contact added',
        ['TNT00003'],
        () =>
          db
            .prepare(
              "INSERT INTO contacts (tenant_pk, email, contact_name, active, created_at, updated_at) VALUES (?, 'new@example.com', '', 1, ?, ?)",
            )
            .run(tenantPk('TNT00003'), now, now),
      ],
      [
        'contact deactivated',
        ['TNT00003'],
        () => db.prepare("UPDATE contacts SET active = 0 WHERE email = 'new@example.com'").run(),
      ],
      ['contact removed', ['TNT00003'], () => db.prepare("DELETE FROM contacts WHERE email = 'new@example.com'").run()],
      [
        'statement held',
        ['TNT00005'],
        () =>
          db
            .prepare(
              "INSERT INTO statement_holds (statement_pk, kind, held_at, held_by, reason) VALUES (?, 'operator', ?, 'ops', '')",
            )
            .run(statementOf('TNT00005'), now),
      ],
      [
        'hold released',
        ['TNT00005'],
        () => db.prepare('UPDATE statement_holds SET released_at = ?, released_by = ?').run(now, 'ops'),
      ],
      [
        'zip pruned',
        ['TNT00004'],
        () =>
          db
            .prepare('UPDATE statement_files SET pruned_at = ? WHERE statement_pk = ?')
            .run(now, statementOf('TNT00004')),
      ],
      [
        'mail attempted',
        ['TNT00003'],
        () =>
          db
            .prepare('UPDATE deliveries SET attempts = attempts + 1 WHERE statement_pk = ?')
            .run(statementOf('TNT00003')),
      ],
      [
        'own audit entry',
        ['TNT00004'],
        () =>
          db
            .prepare("INSERT INTO audit_log (at, action, subject, detail) VALUES (?, 'download', 'TNT00004', '{}')")
            .run(now),
      ],
      [
        'entry of several tenants',
        ['TNT00003', 'TNT00005'],
        () =>
          db
            .prepare(
              'INSERT INTO audit_log (at, action, subject, detail) VALUES (?, \'release\', \'*\', \'{"tenants":["TNT00003","TNT00005"]}\')',
            )
            .run(now),
      ],
      [
        "an import's entry",
        [],
        () =>
          db
            .prepare("INSERT INTO audit_log (at, action, subject, detail) VALUES (?, 'import', 'usage', '{}')")
            .run(now),
      ],
    ];
    // TNT00003's statement has two mails: an update of both raises its number twice.
    const rows = (what: string): number => (what === 'mail attempted' ? 2 : 1);
    let before = numbers();
    for (const [what, raised, write] of writes) {
      write();
      const after = numbers();
      for (const t of Object.keys(before))
        expect(after[t]! - before[t]!, `${what}: ${t}`).toBe(raised.includes(t) ? rows(what) : 0);
      before = after;
    }
    db.close();
  });

  it('a tenant that does not exist has no number', () => {
    const store = openStoreOf(template.DATA_DIR!);
    try {
      expect(tenantChanges(store, 'TNT99999')).toBeUndefined();
      expect(tenantChanges(store, 'TNT00003')).toBeGreaterThan(0);
    } finally {
      closeStore(store);
    }
  });
});
