/**
 * A worker's own month-end lease on PostgreSQL (`month-end:<owner>`): the pass that holds it is
 * never stopped because another worker took it for a dead one's; and refreshStatistics, run after
 * committed work, fails quietly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONTH_END_LEASE, withLease } from '../../../jobs/with-lease.ts';
import { closeStore, connection, openPostgresStore, refreshStatistics, type Db } from '../../../src/store/db.ts';
import { getLease, leasesOf, removeDeadLeases } from '../../../src/store/leases.ts';
import { listRuns } from '../../../src/store/runs.ts';
import { pgDatabase } from '../../helpers/pg-cluster.ts';

let db: Db;
let other: Db;
beforeAll(() => {
  const conninfo = pgDatabase('leases');
  db = openPostgresStore(conninfo);
  other = openPostgresStore(conninfo);
});
afterAll(() => {
  closeStore(db);
  closeStore(other);
});

const asOf = new Date('2026-11-03T00:00:00Z');
const A = 'host-a:100:aaaa';

describe("a worker's own month-end lease (PostgreSQL)", () => {
  it('one removed by another worker while the pass runs is put back at the next heartbeat: the pass goes on', async () => {
    const outcome = await withLease(
      { store: db, shouldStop: () => false },
      { ttlMs: 60_000, asOf, owner: A },
      (held) => {
        const name = `${MONTH_END_LEASE}:${A}`;
        expect(getLease(other, name)?.owner).toBe(A);
        // Another worker took it for a dead one's (its clock far ahead) and removed it.
        expect(removeDeadLeases(other, MONTH_END_LEASE, new Date(Date.now() + 10 * 60_000))).toBe(1);
        expect(getLease(other, name)).toBeUndefined();
        held.heartbeat();
        expect(held.lost).toBe(false);
        expect(getLease(other, name)?.owner).toBe(A);
        return Promise.resolve({ result: 'done', status: 'ok', summary: {} });
      },
    );
    expect(outcome).toBe('done');
    expect(listRuns(db)[0]!.status).toBe('ok');
    // Released at the end.
    expect(leasesOf(other, MONTH_END_LEASE)).toEqual([]);
  });
});

describe('refreshStatistics (PostgreSQL)', () => {
  it("a failure of its own is not the step's: false, and the session's messages level is put back", () => {
    const level = (): string => connection(db).prepare('SHOW client_min_messages').pluck().get() as string;
    const before = level();
    expect(refreshStatistics(db, ['no_such_table'], 10_000)).toBe(false);
    expect(level()).toBe(before);
    // The connection is usable after it.
    expect(connection(db).prepare('SELECT 1').pluck().get()).toBe(1);
  });
});
