/**
 * writeWhenFree: a store write that finds another connection holding the write lock waits on a
 * timer (the event loop goes on); it gives up after the connection's busy timeout, except a write
 * that must not be lost (`untilWritten`: the record of a message the server accepted).
 */
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connection, writeWhenFree } from '../../../src/store/db.ts';
import { isBusy } from '../../../src/store/errors.ts';
import { otherConnection, tempStore } from '../../helpers/store.ts';

let store: ReturnType<typeof tempStore>;
let other: Database.Database;
beforeEach(() => {
  store = tempStore();
  connection(store.db).exec('CREATE TABLE probe (n INTEGER)');
  // Another process's import, as far as the store can tell: a second connection holding the write lock.
  other = otherConnection(store);
  other.exec('BEGIN IMMEDIATE');
  connection(store.db).pragma('busy_timeout = 100');
});
afterEach(() => {
  if (other.inTransaction) other.exec('ROLLBACK');
  other.close();
  store.close();
});

const write = (): void => void connection(store.db).prepare('INSERT INTO probe (n) VALUES (1)').run();

describe('writeWhenFree', () => {
  it("gives up with the busy error once the connection's busy timeout has passed", async () => {
    await expect(writeWhenFree(store.db, write)).rejects.toSatisfy(isBusy);
    expect(connection(store.db).prepare('SELECT COUNT(*) FROM probe').pluck().get()).toBe(0);
  });

  it('with untilWritten, waits past the busy timeout for as long as the lock is held, then writes once', async () => {
    let released = false;
    // Released well after the 100 ms the connection would wait otherwise (later still on a busy machine).
    const timer = setTimeout(() => {
      other.exec('COMMIT');
      released = true;
    }, 600);
    await writeWhenFree(store.db, write, { untilWritten: true });
    clearTimeout(timer);
    expect(released).toBe(true);
    expect(connection(store.db).prepare('SELECT COUNT(*) FROM probe').pluck().get()).toBe(1);
  });
});
