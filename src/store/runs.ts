/**
 * The record of every job that held the month-end lease (a pass, a resend or a re-issue): when it started and
 * ended, how, and its counts (`status` and `history` show them). Times are given: the store has no clock.
 */
import { connection, type Db } from './db.ts';
import { ownerProcessGone } from './leases.ts';

/** How a recorded pass ended. */
export type RunStatus = 'running' | 'ok' | 'failed' | 'interrupted';

/** What holds the lease and is recorded in `runs`: a month-end pass, a resend or a re-issue. */
export type RunKind = 'pass' | 'resend' | 'reissue';

/** One row of `runs`. */
export interface RunRecord {
  runPk: number;
  kind: RunKind;
  startedAt: string;
  finishedAt: string | null;
  asOf: string;
  owner: string;
  status: RunStatus;
  summary: string;
}

/**
 * Records the start of a pass (status `running`). Passes of other owners still marked `running`
 * whose owner holds no live lease, or is a process of this host that no longer exists, are ones
 * whose holder died: they are marked `interrupted` (on SQLite the caller holds the month-end lease,
 * so that is every other one; on PostgreSQL the workers passing at the same time keep theirs).
 */
export function startRun(db: Db, owner: string, asOf: Date, now: Date, kind: RunKind = 'pass'): number {
  return connection(db)
    .transaction(() => {
      const others = connection(db)
        .prepare(
          `SELECT run_pk AS runPk, owner,
            EXISTS (SELECT 1 FROM run_lock l WHERE l.owner = runs.owner AND l.expires_at > ?) AS leased
          FROM runs WHERE status = 'running' AND owner <> ?`,
        )
        .all(now.toISOString(), owner) as { runPk: number; owner: string; leased: number }[];
      const interrupt = connection(db).prepare("UPDATE runs SET status = 'interrupted' WHERE run_pk = ?");
      for (const r of others) if (r.leased !== 1 || ownerProcessGone(r.owner)) interrupt.run(r.runPk);
      return connection(db)
        .prepare(
          "INSERT INTO runs (started_at, as_of, owner, status, kind) VALUES (?, ?, ?, 'running', ?) RETURNING run_pk",
        )
        .pluck()
        .get(now.toISOString(), asOf.toISOString(), owner, kind) as number;
    })
    .immediate();
}

/** Records how a pass ended, with its summary. */
export function finishRun(
  db: Db,
  runPk: number,
  status: 'ok' | 'failed' | 'interrupted',
  summary: unknown,
  now: Date,
): void {
  connection(db)
    .prepare('UPDATE runs SET status = ?, summary = ?, finished_at = ? WHERE run_pk = ?')
    .run(status, JSON.stringify(summary ?? {}), now.toISOString(), runPk);
}

/** The recorded passes, newest first. */
export function listRuns(db: Db, limit = 20, kind?: RunKind): RunRecord[] {
  return connection(db)
    .prepare(
      `SELECT run_pk AS runPk, kind, started_at AS startedAt, finished_at AS finishedAt, as_of AS asOf, owner, status, summary FROM runs
       ${kind === undefined ? '' : 'WHERE kind = @kind'} ORDER BY run_pk DESC LIMIT @limit`,
    )
    .all({ limit, ...(kind === undefined ? {} : { kind }) }) as RunRecord[];
}
