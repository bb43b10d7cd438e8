/**
 * The planner's statistics of a PostgreSQL store taken again after a step that added many rows
 * (refreshStatistics): after a large import, and not after a small one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStore, connection, openPostgresStore, refreshStatistics, type Db } from '../../../src/store/db.ts';
import { pgDatabase } from '../../helpers/pg-cluster.ts';
import { csv, importText } from '../../helpers/store.ts';

let db: Db;
beforeAll(() => {
  db = openPostgresStore(pgDatabase('statistics'));
});
afterAll(() => closeStore(db));

/** How many rows the planner believes `table` holds (-1: it never looked). */
function believed(table: string): number {
  return connection(db)
    .prepare('SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)')
    .pluck()
    .get(table) as number;
}

const tenants = (from: number, count: number): string =>
  csv(
    'tenant_name,display_name,cutoff_day',
    ...Array.from({ length: count }, (_, i) => `T${from + i},Tenant ${from + i},31`),
  );

describe('refreshStatistics (PostgreSQL)', () => {
  it('takes them after an import that adds many rows to a table never analyzed, not after a few more', async () => {
    expect(believed('tenants')).toBe(-1);
    await importText(db, 'tenants', tenants(1, 300));
    expect(believed('tenants')).toBe(300);
    // 150 more: under the threshold (200 rows), the planner keeps what it had.
    await importText(db, 'tenants', tenants(301, 150));
    expect(believed('tenants')).toBe(300);
  });

  it('takes them again once the rows added are more than a fifth of what the planner believes', () => {
    const add = (from: number, count: number): void => {
      connection(db)
        .prepare(
          `INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at)
          SELECT 'X' || n, 'x', 31, 'ja', 'JPY', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'
          FROM generate_series(?::integer, ?::integer) AS n`,
        )
        .run(from, from + count - 1);
    };
    add(1, 1000);
    // 1,000 added to the 300 it believes: taken again (1,450 rows now).
    refreshStatistics(db, ['tenants'], 1000);
    expect(believed('tenants')).toBe(1450);
    add(1001, 250);
    // 250 is under a fifth of 1,450: left to the server's own autovacuum.
    refreshStatistics(db, ['tenants'], 250);
    expect(believed('tenants')).toBe(1450);
    add(1251, 400);
    refreshStatistics(db, ['tenants', 'contacts'], 400);
    expect(believed('tenants')).toBe(2100);
    // The other tables named are taken with it.
    expect(believed('contacts')).toBe(0);
  });
});
