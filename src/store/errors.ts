/** The store's failures that callers tell apart, without loading the database driver. */

/**
 * Whether an error is "another connection holds the lock": SQLite's busy or locked, or
 * PostgreSQL's lock not available (SQLSTATE 55P03, the store's write lock not got in time).
 */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === '55P03';
}
