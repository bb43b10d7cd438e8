/**
 * writeTogetherWhenFree: the writes of web requests that find another process holding the store's
 * write lock wait together and are made in one transaction once it is free, each in its own
 * savepoint. computedWhileUnchanged: a value read from the store is read again only once the store
 * has changed, by this connection or another.
 */
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computedWhileUnchanged, connection, writeTogetherWhenFree } from '../../../src/store/db.ts';
import { isBusy } from '../../../src/store/errors.ts';
import { otherConnection, tempStore } from '../../helpers/store.ts';

let store: ReturnType<typeof tempStore>;
let other: Database.Database;
beforeEach(() => {
  store = tempStore();
  connection(store.db).exec('CREATE TABLE probe (n INTEGER NOT NULL)');
  // Another process's pass, as far as the store can tell: a second connection to the same store.
  other = otherConnection(store);
});
afterEach(() => {
  if (other.inTransaction) other.exec('ROLLBACK');
  other.close();
  store.close();
});

const insert = (n: number | null) => (): void =>
  void connection(store.db).prepare('INSERT INTO probe (n) VALUES (?)').run(n);
const probe = (): number[] => connection(store.db).prepare('SELECT n FROM probe ORDER BY n').pluck().all() as number[];

describe('writeTogetherWhenFree', () => {
  it('writes at once when the lock is free', async () => {
    await writeTogetherWhenFree(store.db, insert(1));
    expect(probe()).toEqual([1]);
  });

  it('waits while another connection holds the lock, then makes every waiting write; a failing one alone is undone', async () => {
    connection(store.db).pragma('busy_timeout = 60000');
    other.exec('BEGIN IMMEDIATE');
    const waiting = [
      writeTogetherWhenFree(store.db, insert(1)),
      writeTogetherWhenFree(store.db, insert(null)), // NOT NULL: fails
      writeTogetherWhenFree(store.db, insert(3)),
    ];
    const settled = Promise.allSettled(waiting);
    // Nothing is written while the lock is held; the event loop goes on meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(other.prepare('SELECT COUNT(*) FROM probe').pluck().get()).toBe(0);
    other.exec('COMMIT');
    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // SQLite's NOT NULL constraint, or PostgreSQL's (SQLSTATE 23502).
    expect(['SQLITE_CONSTRAINT_NOTNULL', '23502']).toContain((outcomes[1] as PromiseRejectedResult).reason.code);
    expect(probe()).toEqual([1, 3]);
  });

  it("gives up with the busy error once the connection's busy timeout has passed, nothing written", async () => {
    connection(store.db).pragma('busy_timeout = 100');
    other.exec('BEGIN IMMEDIATE');
    await expect(writeTogetherWhenFree(store.db, insert(1))).rejects.toSatisfy(isBusy);
    other.exec('ROLLBACK');
    expect(probe()).toEqual([]);
    // The next write is not held up by the one that gave up.
    await writeTogetherWhenFree(store.db, insert(2));
    expect(probe()).toEqual([2]);
  });
});

describe('computedWhileUnchanged', () => {
  it('computes once while the store is unchanged, and again after a write of this connection or of another', () => {
    // A table of the store's own (its writes are what the store's version follows on either engine).
    const audit = (c: Database.Database): void =>
      void c
        .prepare('INSERT INTO audit_log (at, action, subject, detail) VALUES (?, ?, ?, ?)')
        .run('2026-11-02T00:00:00.000Z', 'probe', '*', '{}');
    let computed = 0;
    const count = (): number =>
      computedWhileUnchanged(store.db, 'probe count', () => {
        computed++;
        return connection(store.db)
          .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'probe'")
          .pluck()
          .get() as number;
      });
    expect(count()).toBe(0);
    expect(count()).toBe(0);
    expect(computed).toBe(1);

    audit(connection(store.db));
    expect(count()).toBe(1);
    expect(computed).toBe(2);

    audit(other);
    expect(count()).toBe(2);
    expect(count()).toBe(2);
    expect(computed).toBe(3);

    // Another key is computed on its own.
    expect(computedWhileUnchanged(store.db, 'other', () => 'x')).toBe('x');
    expect(count()).toBe(2);
    expect(computed).toBe(3);

    // A write of this connection's own open transaction is seen inside it.
    connection(store.db).transaction(() => {
      audit(connection(store.db));
      expect(count()).toBe(3);
    })();
    expect(computed).toBe(4);
  });
});
