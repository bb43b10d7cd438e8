/** What `/healthz` and `/metrics` report of the store: passes, statements, deliveries and holds. */
import { cachedStatement, type Db } from './db.ts';

/** The facts an unattended operator's monitoring reads. */
export interface MonitoringFacts {
  /** Month-end passes by how they ended (`running` for one going on). */
  passes: Record<string, number>;
  /** Seconds the finished passes took, in all, and how many they are. */
  passSecondsSum: number;
  passesFinished: number;
  /** The last pass: when it started and ended, how, and how long it took (seconds); null when there was none. */
  lastPass: { startedAt: string; finishedAt: string | null; status: string; seconds: number | null } | null;
  /** When the last pass that ended `ok` finished, or null. */
  lastOkPassAt: string | null;
  /** Statements: `current` (the finalized revision of a month), `open` (a close that failed), `void`, `replaced`. */
  statements: Record<'current' | 'open' | 'void' | 'replaced', number>;
  /** Deliveries by status. */
  deliveries: Record<string, number>;
  /** Statements held for review now. */
  held: number;
}

export function monitoringFacts(db: Db): MonitoringFacts {
  const passes: Record<string, number> = {};
  for (const r of cachedStatement(
    db,
    "SELECT status, COUNT(*) AS n FROM runs WHERE kind = 'pass' GROUP BY status",
  ).all() as {
    status: string;
    n: number;
  }[])
    passes[r.status] = r.n;
  const finished = cachedStatement(
    db,
    `SELECT COUNT(*) AS n, COALESCE(SUM((julianday(finished_at) - julianday(started_at)) * 86400.0), 0) AS seconds
    FROM runs WHERE kind = 'pass' AND finished_at IS NOT NULL`,
  ).get() as { n: number; seconds: number };
  const last = cachedStatement(
    db,
    `SELECT started_at AS startedAt, finished_at AS finishedAt, status,
      CASE WHEN finished_at IS NULL THEN NULL ELSE (julianday(finished_at) - julianday(started_at)) * 86400.0 END AS seconds
    FROM runs WHERE kind = 'pass' ORDER BY run_pk DESC LIMIT 1`,
  ).get() as MonitoringFacts['lastPass'] | undefined;
  const lastOkPassAt = cachedStatement(db, "SELECT MAX(finished_at) FROM runs WHERE kind = 'pass' AND status = 'ok'")
    .pluck()
    .get() as string | null;
  const statements = cachedStatement(
    db,
    `SELECT (SELECT COUNT(*) FROM current_statements) AS current,
      (SELECT COUNT(*) FROM statements WHERE status = 'estimated') AS open,
      (SELECT COUNT(*) FROM statement_voids) AS void,
      (SELECT COUNT(*) FROM live_statements) - (SELECT COUNT(*) FROM current_statements) AS replaced`,
  ).get() as MonitoringFacts['statements'];
  const deliveries: Record<string, number> = {};
  for (const r of cachedStatement(db, 'SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status').all() as {
    status: string;
    n: number;
  }[])
    deliveries[r.status] = r.n;
  const held = cachedStatement(db, 'SELECT COUNT(*) FROM statement_holds WHERE released_at IS NULL')
    .pluck()
    .get() as number;
  return {
    passes,
    passSecondsSum: finished.seconds,
    passesFinished: finished.n,
    lastPass: last ?? null,
    lastOkPassAt,
    statements,
    deliveries,
    held,
  };
}
