/**
 * The store on PostgreSQL, through the same store functions as on SQLite: the demo's imports (every
 * import kind, in one transaction) leave the same rows on both engines, and a refused import leaves
 * PostgreSQL as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { loadConfig } from '../../../src/config.ts';
import { seedDemo } from '../../../src/ingest/demo.ts';
import { closeStore, connection, openPostgresStore, type Db } from '../../../src/store/db.ts';
import { latestVersion, migrations, POSTGRES_BASELINE_VERSION } from '../../../src/store/migrations/index.ts';
import { pgDatabase } from '../../helpers/pg-cluster.ts';
import { importText, tempStore } from '../../helpers/store.ts';

const CTX = {
  now: '2026-11-01T00:00:00.000Z',
  defaultCurrency: 'JPY',
  defaultLocale: 'ja',
  csvEncoding: 'auto',
} as const;
const AS_OF = new Date('2026-11-02T00:00:00Z');

/** Every row of every table but the migrations' record, each table by its first column. */
function rowsOf(db: Db, tables: readonly string[]): Record<string, unknown[]> {
  return Object.fromEntries(tables.map((t) => [t, connection(db).prepare(`SELECT * FROM ${t} ORDER BY 1`).all()]));
}

const TABLES = [
  'tenants',
  'contacts',
  'lplatforms',
  'catalog_products',
  'usage_records',
  'coupons',
  'coupon_offers',
  'adjustments',
  'audit_log',
  'tenant_changes',
] as const;

let pg: Db;
let lite: ReturnType<typeof tempStore>;
beforeAll(() => {
  pg = openPostgresStore(pgDatabase('store'));
  lite = tempStore();
});
afterAll(() => {
  closeStore(pg);
  lite.close();
});

describe('the store on PostgreSQL', () => {
  it('makes its schema in an empty database once, and opens it again as it is', () => {
    const conninfo = pgDatabase('twice');
    const first = openPostgresStore(conninfo);
    closeStore(first);
    const again = openPostgresStore(conninfo);
    expect(connection(again).prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(latestVersion);
    closeStore(again);
  });

  it('upgrades a store at the baseline with the PostgreSQL form of each later migration, recorded as on SQLite', () => {
    const conninfo = pgDatabase('upgrade');
    const old = openPostgresStore(conninfo, { targetVersion: POSTGRES_BASELINE_VERSION });
    const versions = (db: Db): unknown[] =>
      connection(db).prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(versions(old)).toEqual(
      migrations
        .filter((m) => m.version <= POSTGRES_BASELINE_VERSION)
        .map((m) => ({ version: m.version, name: m.name })),
    );
    const hasArchive = (db: Db): unknown =>
      connection(db).prepare("SELECT to_regclass('archived_zips') IS NOT NULL").pluck().get();
    expect(hasArchive(old)).toBe(0);
    closeStore(old);
    const upgraded = openPostgresStore(conninfo);
    expect(versions(upgraded)).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    expect(hasArchive(upgraded)).toBe(1);
    closeStore(upgraded);
    // Opened again: nothing more to apply.
    const again = openPostgresStore(conninfo);
    expect(versions(again)).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    closeStore(again);
  });

  it("imports the demo's files (every kind, one transaction) to the same rows as SQLite", async () => {
    const onPg = await seedDemo(pg, CTX, AS_OF, 'Asia/Tokyo');
    const onLite = await seedDemo(lite.db, CTX, AS_OF, 'Asia/Tokyo');
    expect(onPg).toEqual(onLite);
    const pgRows = rowsOf(pg, TABLES);
    const liteRows = rowsOf(lite.db, TABLES);
    for (const t of TABLES) expect(pgRows[t], t).toEqual(liteRows[t]);
    expect(pgRows.usage_records!.length).toBeGreaterThan(10);
  });

  it("closes the demo's month to the same statements, frozen lines and audit entries as SQLite", () => {
    const config = loadConfig({ env: { DATA_DIR: lite.dir, BILLING_TZ: 'Asia/Tokyo' }, cwd: lite.dir });
    const close = (db: Db) =>
      closeDue(jobContext(db, config, { now: () => new Date('2026-11-02T01:00:00Z') }), {
        asOf: new Date('2026-11-02T00:00:00Z'),
      });
    const onPg = close(pg);
    const onLite = close(lite.db);
    expect(onPg.failed).toEqual([]);
    expect(onPg.closed.length).toBe(5);
    expect(onPg).toEqual(onLite);
    const tables = ['statements', 'charge_lines', 'audit_log', 'tenant_changes'] as const;
    const pgRows = rowsOf(pg, tables);
    const liteRows = rowsOf(lite.db, tables);
    for (const t of tables) expect(pgRows[t], t).toEqual(liteRows[t]);
    expect(pgRows.charge_lines!.length).toBeGreaterThan(40);
  });

  it("answers SQLite's functions, NOCASE and LIKE in the store's queries as SQLite does", () => {
    const doc = '{"a":{"b":"x"},"n":5,"tenants":["TNT1","TNT2"]}';
    const one = (db: Db, sql: string, ...params: string[]): unknown =>
      connection(db)
        .prepare(sql)
        .pluck()
        .get(...params);
    for (const db of [pg, lite.db]) {
      expect(one(db, "SELECT json_extract(?, '$.a.b')", doc)).toBe('x');
      expect(one(db, "SELECT json_extract(?, '$.missing')", doc)).toBeNull();
      expect(connection(db).prepare("SELECT value FROM json_each(?, '$.tenants')").pluck().all(doc)).toEqual([
        'TNT1',
        'TNT2',
      ]);
      expect(connection(db).prepare("SELECT value FROM json_each(?, '$.missing')").pluck().all(doc)).toEqual([]);
      expect(
        one(db, 'SELECT julianday(?) - julianday(?)', '2026-11-01T12:00:00.000Z', '2026-10-31T00:00:00.000Z'),
      ).toBe(1.5);
      expect(one(db, "SELECT CASE WHEN 'TNT00003' = ? COLLATE NOCASE THEN 1 ELSE 0 END", 'tnt00003')).toBe(1);
      expect(one(db, 'SELECT CASE WHEN ? LIKE ? THEN 1 ELSE 0 END', 'Tenant One', 'tenant%')).toBe(1);
    }
    expect(() => one(pg, "SELECT json_extract(?, '$[0]')", '[1]')).toThrow(/not one of the object paths/);
  });

  it('refuses a bad file with the same errors, and changes nothing', async () => {
    const before = rowsOf(pg, TABLES);
    const bad = 'tenant_name,display_name,cutoff_day,locale,currency\nNEW1,New,31,ja,JPY\nNEW2,New two,32,ja,JPY\n';
    const errorOf = async (db: Db): Promise<string> => {
      try {
        await importText(db, 'tenants', bad);
        return 'imported';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const pgError = await errorOf(pg);
    expect(pgError).toMatch(/^tenants\.csv: refused, 1 problem/);
    expect(pgError).toBe(await errorOf(lite.db));
    expect(rowsOf(pg, TABLES)).toEqual(before);
  });
});
