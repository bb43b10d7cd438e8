/**
 * A store copied between the engines: the demo, imported and closed on SQLite, copied into an
 * empty PostgreSQL database, and back into a new SQLite file, has every row of every table as it
 * was, keys included; the copy goes on where the original would (the next key follows the copied
 * ones, the triggers work again); a target with rows is refused and left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { loadConfig } from '../../../src/config.ts';
import { seedDemo } from '../../../src/ingest/demo.ts';
import { copyStore, storeTables, tableCounts } from '../../../src/store/copy-store.ts';
import { closeStore, connection, openPostgresStore, openStore, type Db } from '../../../src/store/db.ts';
import { pgDatabase } from '../../helpers/pg-cluster.ts';
import { importText, tempDir } from '../../helpers/store.ts';

const CTX = {
  now: '2026-11-01T00:00:00.000Z',
  defaultCurrency: 'JPY',
  defaultLocale: 'ja',
  csvEncoding: 'auto',
} as const;

/** Every row of every copied table, by its key. */
function everyRow(db: Db, tables: ReturnType<typeof storeTables>): Record<string, unknown[]> {
  return Object.fromEntries(
    tables.map((t) => [
      t.name,
      connection(db)
        .prepare(`SELECT * FROM "${t.name}" ORDER BY ${t.key.map((c) => `"${c}"`).join(', ')}`)
        .all(),
    ]),
  );
}

let folder: ReturnType<typeof tempDir>;
let lite: Db;
let pg: Db;
let back: Db;
let tables: ReturnType<typeof storeTables>;

beforeAll(async () => {
  folder = tempDir();
  lite = openStore(`${folder.dir}/first`);
  await seedDemo(lite, CTX, new Date('2026-11-02T00:00:00Z'), 'Asia/Tokyo');
  const config = loadConfig({ env: { DATA_DIR: folder.dir, BILLING_TZ: 'Asia/Tokyo' }, cwd: folder.dir });
  const closed = closeDue(jobContext(lite, config, { now: () => new Date('2026-11-02T01:00:00Z') }), {
    asOf: new Date('2026-11-02T00:00:00Z'),
  });
  expect(closed.closed.length).toBe(5);
  tables = storeTables(connection(lite));
  pg = openPostgresStore(pgDatabase('copy'));
  back = openStore(`${folder.dir}/back`);
});
afterAll(() => {
  for (const db of [lite, pg, back]) closeStore(db);
  folder.cleanup();
});

describe('copying a store between the engines', () => {
  it('copies every row of SQLite into PostgreSQL, and back into a new SQLite file, as it was', () => {
    const told: string[] = [];
    const copied = copyStore(lite, pg, (t) => told.push(t.name));
    expect(told).toEqual(tables.map((t) => t.name));
    expect(Object.fromEntries(copied.map((t) => [t.name, t.rows]))).toEqual(
      Object.fromEntries(tableCounts(lite, tables)),
    );
    expect(copied.find((t) => t.name === 'charge_lines')!.rows).toBeGreaterThan(40);
    const original = everyRow(lite, tables);
    expect(everyRow(pg, tables)).toEqual(original);
    copyStore(pg, back);
    expect(everyRow(back, tables)).toEqual(original);
  });

  it('goes on from the copied rows: new keys after the copied ones, triggers at work again', async () => {
    for (const db of [pg, back]) {
      const before = tableCounts(db, tables);
      const lastTenant = connection(db).prepare('SELECT max(tenant_pk) FROM tenants').pluck().get() as number;
      await importText(db, 'tenants', 'tenant_name,display_name,cutoff_day\nNEW-AFTER-COPY,New,31\n');
      const pk = connection(db)
        .prepare("SELECT tenant_pk FROM tenants WHERE tenant_name = 'NEW-AFTER-COPY'")
        .pluck()
        .get() as number;
      expect(pk).toBe(lastTenant + 1);
      // The import's audit row raised the list of changes again (the triggers of tenant_changes).
      expect(tableCounts(db, tables).get('audit_log')).toBe(before.get('audit_log')! + 1);
      expect(connection(db).prepare('SELECT count(*) FROM tenant_changes WHERE tenant_pk = ?').pluck().get(pk)).toBe(1);
    }
  });

  it('refuses a target that has rows, and leaves it as it was', () => {
    const before = everyRow(pg, tables);
    expect(() => copyStore(lite, pg)).toThrow(/the target store is not empty \(.*tenants/);
    expect(everyRow(pg, tables)).toEqual(before);
  });
});
