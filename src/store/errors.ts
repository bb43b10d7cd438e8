/** The store's failures that callers tell apart, without loading the database driver. */

/** Whether an error is SQLite's "another connection holds the lock". */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
