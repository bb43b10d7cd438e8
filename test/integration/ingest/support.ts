/** Shared pieces of the ingest tests: CSV rows from objects, refusals that leave the store untouched. */
import { afterEach, beforeEach, expect } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import type { ImportKindName } from '../../../src/ingest/index.ts';
import { refused, seedBase, snapshot, tempStore } from '../../helpers/store.ts';

/** One CSV cell, quoted when it holds a comma, a quote or a line break. */
export function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A CSV file of `columns` whose rows are `base` with each override applied in turn
 * (first data row is line 2).
 */
export function rows<C extends string>(
  columns: readonly C[],
  base: Record<C, string>,
  ...overrides: Partial<Record<C, string>>[]
): string {
  const lines = overrides.map((o) => columns.map((c) => cell(o[c] ?? base[c])).join(','));
  return [columns.join(','), ...lines].join('\n') + '\n';
}

/**
 * Imports `text`, expects it to be refused with exactly the `expected` issues (a string must match
 * the whole `file:line: field: message`, a RegExp part of it) and the store to be unchanged.
 */
export async function expectRefused(
  db: Db,
  kind: ImportKindName,
  text: string | Buffer,
  ...expected: (string | RegExp)[]
): Promise<string[]> {
  const before = snapshot(db);
  const issues = await refused(db, kind, text);
  expect(issues).toHaveLength(expected.length);
  expected.forEach((e, i) => {
    if (typeof e === 'string') expect(issues[i]).toBe(e);
    else expect(issues[i]).toMatch(e);
  });
  expect(snapshot(db)).toEqual(before);
  return issues;
}

/** The data tables of a snapshot, without the audit log (every successful import appends to it). */
export function dataOnly(snap: Record<string, unknown[]>): Record<string, unknown[]> {
  const { audit_log: _audit, ...rest } = snap;
  return rest;
}

/** Inserts a finalized (fixed) statement for `tenantName` and `month` directly into the store. */
export function insertFixedStatement(
  db: Db,
  tenantName: string,
  month = '2026-10',
  periodStart = '2026-10-01T00:00:00.000Z',
  periodEnd = '2026-11-01T00:00:00.000Z',
): void {
  const tenantPk = connection(db)
    .prepare('SELECT tenant_pk FROM tenants WHERE tenant_name = ?')
    .pluck()
    .get(tenantName);
  // Made open and finalized by an update, as the close does (the store refuses a statement inserted fixed).
  const pk = connection(db)
    .prepare(
      `INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, created_at, updated_at)
    VALUES (?, ?, ?, ?, 'estimated', 'JPY', ?, ?) RETURNING statement_pk`,
    )
    .pluck()
    .get(tenantPk, month, periodStart, periodEnd, periodEnd, periodEnd);
  connection(db)
    .prepare(
      "UPDATE statements SET status = 'fixed', subtotal = '0', tax = '0', total = '0', finalized_at = ? WHERE statement_pk = ?",
    )
    .run(periodEnd, pk);
}

/**
 * Gives every test a fresh store on a real SQLite file (seeded with the base tenants, L-Platforms
 * and products when `seeded`), handed to `use`; closed and deleted after the test.
 */
export function useStore(seeded: boolean, use: (store: ReturnType<typeof tempStore>) => void): void {
  let store: ReturnType<typeof tempStore>;
  beforeEach(async () => {
    store = tempStore();
    use(store);
    if (seeded) await seedBase(store.db);
  });
  afterEach(() => store.close());
}
