/**
 * A store write of a web request that may be left out when the store is busy (touching a session):
 * the SQLite driver waits for a lock synchronously, the whole server with it, and a month-end pass
 * in another process holds the write lock for most of its close (one transaction per tenant, back
 * to back). Writes that must be made wait with `writeWhenFree` (src/store/db.ts).
 */
import { withBusyTimeout, type Db } from '../store/db.ts';
import { isBusy } from '../store/errors.ts';

/** Runs `write` if the store's write lock is free now; false, nothing written, when another process holds it. */
export function writeIfFree(db: Db, write: () => void): boolean {
  try {
    withBusyTimeout(db, 0, write);
    return true;
  } catch (err) {
    if (isBusy(err)) return false;
    throw err;
  }
}
