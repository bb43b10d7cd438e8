import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { connection, DB_FILE_NAME, appliedVersions, migrate, openStore } from '../../../src/store/db.ts';
import { latestVersion, migrations, POSTGRES_BASELINE_VERSION } from '../../../src/store/migrations/index.ts';
import { tempDir } from '../../helpers/store.ts';

/** The schema as SQLite describes it, without the migration bookkeeping times. */
function schemaOf(db: Database.Database): string[] {
  return db
    .prepare(
      "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .pluck()
    .all() as string[];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('migrations', () => {
  it('bring an empty file to the latest version and record each one', () => {
    const d = dir();
    const db = openStore(d);
    expect(appliedVersions(db)).toEqual(migrations.map((m) => m.version));
    expect(connection(db).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(connection(db).pragma('foreign_keys', { simple: true })).toBe(1);
    const names = connection(db).prepare('SELECT name FROM schema_migrations ORDER BY version').pluck().all();
    expect(names).toEqual(migrations.map((m) => m.name));
    for (const table of [
      'tenants',
      'contacts',
      'lplatforms',
      'catalog_products',
      'usage_records',
      'coupons',
      'statements',
      'charge_lines',
      'deliveries',
      'runs',
      'run_lock',
      'audit_log',
    ]) {
      expect(
        connection(db)
          .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
          .pluck()
          .get(table),
      ).toBe(1);
    }
    connection(db).close();
  });

  it('are versioned without gaps, in order', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(latestVersion).toBe(migrations.length);
  });

  it('after the PostgreSQL baseline, each carries its PostgreSQL form (before it, none does)', () => {
    for (const m of migrations) {
      if (m.version > POSTGRES_BASELINE_VERSION) expect(m.postgres?.trim(), `migration ${m.version}`).toBeTruthy();
      else expect(m.postgres, `migration ${m.version}`).toBeUndefined();
    }
  });

  it('opening a migrated store again applies nothing', () => {
    const d = dir();
    connection(openStore(d)).close();
    const db = openStore(d);
    expect(migrate(db)).toEqual([]);
    connection(db).close();
  });

  it.each(migrations.slice(0, -1).map((m) => m.version))(
    'upgrade from version %i keeps the data and ends with the same schema as a new store',
    (from) => {
      const fresh = openStore(dir());
      const expected = schemaOf(connection(fresh));
      connection(fresh).close();

      const d = dir();
      const old = openStore(d, { targetVersion: from });
      expect(appliedVersions(old)).toEqual(migrations.filter((m) => m.version <= from).map((m) => m.version));
      connection(old)
        .prepare(
          "INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at) VALUES ('T1', 'One', 31, 'ja', 'JPY', 'x', 'x')",
        )
        .run();
      connection(old).close();

      const upgraded = openStore(d);
      expect(schemaOf(connection(upgraded))).toEqual(expected);
      expect(connection(upgraded).prepare('SELECT tenant_name FROM tenants').pluck().all()).toEqual(['T1']);
      expect(appliedVersions(upgraded)).toEqual(migrations.map((m) => m.version));
      connection(upgraded).close();
    },
  );

  it('a failing migration leaves the store at the version before it', () => {
    const d = dir();
    const db = openStore(d, { targetVersion: 1 });
    const broken = [
      ...migrations.slice(0, 1),
      { version: 2, name: 'broken', sql: 'CREATE TABLE ok_part (x INTEGER); SELECT * FROM no_such_table;' },
    ];
    expect(() => migrate(db, 2, broken)).toThrow(/no_such_table/);
    expect(appliedVersions(db)).toEqual([1]);
    expect(connection(db).prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ok_part'").pluck().get()).toBe(0);
    connection(db).close();
  });

  it('refuses a store written by a newer version of the program', () => {
    const d = dir();
    connection(openStore(d)).close();
    const raw = new Database(path.join(d, DB_FILE_NAME));
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    raw.close();
    expect(() => openStore(d)).toThrow(/newer than this program knows/);
  });

  it('creates the data dir and database readable by the owner only', () => {
    const d = path.join(dir(), 'nested', 'data');
    connection(openStore(d)).close();
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(d, DB_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('enforces foreign keys and the one-statement-per-tenant-and-month rule', () => {
    const db = openStore(dir());
    expect(() =>
      connection(db)
        .prepare(
          "INSERT INTO contacts (tenant_pk, email, created_at, updated_at) VALUES (42, 'a@example.com', 'x', 'x')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    connection(db)
      .prepare(
        "INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at) VALUES ('T1', 'One', 31, 'ja', 'JPY', 'x', 'x')",
      )
      .run();
    const insert = connection(db)
      .prepare(`INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, created_at, updated_at)
      VALUES (1, '2026-10', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 'estimated', 'JPY', 'x', 'x')`);
    insert.run();
    expect(() => insert.run()).toThrow(/UNIQUE/);
    connection(db).close();
  });
});

describe('the database guards a finalized statement', () => {
  it('refuses to change, delete or add lines to a fixed statement, but not an estimated one', () => {
    const db = openStore(dir());
    connection(db)
      .prepare(
        "INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at) VALUES ('T1', 'One', 31, 'ja', 'JPY', 'x', 'x')",
      )
      .run();
    const statement = connection(db)
      .prepare(`INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, created_at, updated_at)
      VALUES (1, ?, '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 'estimated', 'JPY', 'x', 'x')`);
    const line = connection(db).prepare(
      "INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (?, ?, 'usage', '10')",
    );
    statement.run('2026-10');
    line.run(1, 1);
    connection(db)
      .prepare("UPDATE statements SET status = 'fixed', total = '10', finalized_at = 'x' WHERE statement_pk = 1")
      .run();
    expect(() => connection(db).prepare("UPDATE statements SET total = '11' WHERE statement_pk = 1").run()).toThrow(
      'a fixed statement never changes',
    );
    expect(() => connection(db).prepare('DELETE FROM statements WHERE statement_pk = 1').run()).toThrow(
      'a fixed statement is never deleted',
    );
    expect(() => connection(db).prepare("UPDATE charge_lines SET amount = '11'").run()).toThrow(
      'charge lines never change',
    );
    expect(() => connection(db).prepare('DELETE FROM charge_lines').run()).toThrow(
      'the lines of a fixed statement are never deleted',
    );
    expect(() => line.run(1, 2)).toThrow('a fixed statement takes no new lines');
    statement.run('2026-11');
    line.run(2, 1);
    connection(db).prepare('DELETE FROM charge_lines WHERE statement_pk = 2').run();
    connection(db).prepare('DELETE FROM statements WHERE statement_pk = 2').run();
    expect(connection(db).prepare('SELECT COUNT(*) FROM statements').pluck().get()).toBe(1);
    connection(db).close();
  });
});
