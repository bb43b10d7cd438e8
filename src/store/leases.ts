/**
 * The month-end lease (DESIGN invariant 6): a lease row in `run_lock` that a pass takes before it works,
 * renews while it works and deletes when it is done. A lease whose holder died is taken over once
 * it has expired, or at once when its holder was a process of this host that no longer exists.
 * Every function takes "now" as a parameter: the store has no clock.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { processGone } from '../process.ts';
import { connection, type Db } from './db.ts';

/** A lease as stored: who holds it, since when, and until when it holds without a heartbeat. */
export interface Lease {
  name: string;
  owner: string;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
}

/**
 * Why a lease of another owner was taken over: it had expired, or its holder was a process of this
 * host that no longer exists.
 */
export type TakeOverReason = 'expired' | 'holder-gone';

/** What an attempt to take a lease found: the lease taken, or who holds it and until when. */
export type AcquireResult =
  | {
      acquired: true;
      lease: Lease;
      /** The owner of the lease taken over (expired, or its process gone), if any. */
      tookOverFrom: string | null;
      /** Why it was taken over (null when nothing was). */
      tookOverBecause: TakeOverReason | null;
    }
  | { acquired: false; holder: string; expiresAt: string };

/** An owner id that names this process: `hostname:pid:random`. */
export function newOwnerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
}

/** The host and pid an owner id names, or null when it is not of the form `hostname:pid:random`. */
function ownerProcess(owner: string): { host: string; pid: number } | null {
  const m = /^(.+):(\d{1,10}):[0-9a-f]+$/.exec(owner);
  if (m === null) return null;
  const pid = Number(m[2]);
  return pid > 0 && Number.isSafeInteger(pid) ? { host: m[1]!, pid } : null;
}

/**
 * True only when `owner` names a process of this host (the same host name) that no longer exists:
 * signal 0 to its pid fails with ESRCH. Anything else counts as alive: another host, this very
 * process, a pid that exists (EPERM: it belongs to another user), an owner id of another form.
 * A pid reused by an unrelated process looks alive too: the lease is then left to expire.
 */
export function ownerProcessGone(owner: string, host: string = os.hostname()): boolean {
  const p = ownerProcess(owner);
  return p !== null && p.host === host && processGone(p.pid);
}

function iso(at: Date, plusMs = 0): string {
  return new Date(at.getTime() + plusMs).toISOString();
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`lease ttl must be a positive number of milliseconds, not ${ttlMs}`);
}

function readLease(db: Db, name: string): Lease | undefined {
  return connection(db)
    .prepare(
      'SELECT name, owner, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt, expires_at AS expiresAt FROM run_lock WHERE name = ?',
    )
    .get(name) as Lease | undefined;
}

/**
 * Takes the lease `name` for `owner` until `now + ttlMs` when it is absent, expired (its
 * `expires_at` is at or before `now`), held by a process of this host that no longer exists
 * (ownerProcessGone: a pass killed without a chance to release it) or already held by `owner`
 * (then it is extended, keeping its `acquired_at`). One upsert under an IMMEDIATE transaction, so
 * two processes never both take it.
 */
export function acquireLease(db: Db, name: string, owner: string, ttlMs: number, now: Date): AcquireResult {
  checkTtl(ttlMs);
  const at = iso(now);
  const until = iso(now, ttlMs);
  return connection(db)
    .transaction((): AcquireResult => {
      const before = readLease(db, name);
      const expired = before !== undefined && before.expiresAt <= at;
      // Asked only of a live lease of another owner: its process is looked up under the write lock,
      // so the row cannot change between the look and the take-over.
      const gone =
        before !== undefined && before.owner !== owner && !expired && ownerProcessGone(before.owner)
          ? before.owner
          : null;
      const r = connection(db)
        .prepare(
          `INSERT INTO run_lock (name, owner, acquired_at, heartbeat_at, expires_at) VALUES (@name, @owner, @at, @at, @until)
         ON CONFLICT (name) DO UPDATE SET
           acquired_at = CASE WHEN run_lock.owner = excluded.owner THEN run_lock.acquired_at ELSE excluded.acquired_at END,
           owner = excluded.owner,
           heartbeat_at = excluded.heartbeat_at,
           expires_at = excluded.expires_at
         WHERE run_lock.owner = excluded.owner OR run_lock.expires_at <= excluded.heartbeat_at OR run_lock.owner = @gone`,
        )
        .run({ name, owner, at, until, gone });
      if (r.changes === 1) {
        const lease = readLease(db, name)!;
        const tookOverFrom = before !== undefined && before.owner !== owner ? before.owner : null;
        const tookOverBecause: TakeOverReason | null =
          tookOverFrom === null ? null : gone !== null ? 'holder-gone' : 'expired';
        return { acquired: true, lease, tookOverFrom, tookOverBecause };
      }
      const holder = readLease(db, name)!;
      return { acquired: false, holder: holder.owner, expiresAt: holder.expiresAt };
    })
    .immediate();
}

/**
 * The heartbeat: extends the lease to `now + ttlMs`, only while `owner` still holds it. False when
 * it does not (another process took it over after it expired, or it was released).
 */
export function renewLease(db: Db, name: string, owner: string, ttlMs: number, now: Date): boolean {
  checkTtl(ttlMs);
  const r = connection(db)
    .prepare('UPDATE run_lock SET heartbeat_at = ?, expires_at = ? WHERE name = ? AND owner = ?')
    .run(iso(now), iso(now, ttlMs), name, owner);
  return r.changes === 1;
}

/** Gives the lease up, only if `owner` holds it; false when it did not. */
export function releaseLease(db: Db, name: string, owner: string): boolean {
  return connection(db).prepare('DELETE FROM run_lock WHERE name = ? AND owner = ?').run(name, owner).changes === 1;
}

/**
 * The leases of the passes that take the lease `base`: `base` itself (SQLite: one pass at a time)
 * and `base:<owner>` (PostgreSQL: each worker's own), expired or not, the earliest taken first.
 */
export function leasesOf(db: Db, base: string): Lease[] {
  return connection(db)
    .prepare(
      `SELECT name, owner, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt, expires_at AS expiresAt FROM run_lock
      WHERE name = ? OR substr(name, 1, ?) = ? ORDER BY acquired_at, name`,
    )
    .all(base, base.length + 1, `${base}:`) as Lease[];
}

/**
 * Removes the leases `base:<owner>` (PostgreSQL's per-worker leases) of workers that died before
 * they could release theirs: expired for at least a lease's own length (no heartbeat for two of
 * them: a worker only slow to renew keeps its own), or held by a process of this host that no
 * longer exists. Each is removed only as it was read (the same heartbeat), so a renewal in
 * between keeps it. Returns how many.
 */
export function removeDeadLeases(db: Db, base: string, now: Date): number {
  let removed = 0;
  const remove = connection(db).prepare('DELETE FROM run_lock WHERE name = ? AND owner = ? AND heartbeat_at = ?');
  for (const l of leasesOf(db, base)) {
    if (l.name === base) continue;
    const length = Date.parse(l.expiresAt) - Date.parse(l.heartbeatAt);
    const longExpired = Date.parse(l.expiresAt) + Math.max(0, length) <= now.getTime();
    if (!longExpired && !ownerProcessGone(l.owner)) continue;
    if (remove.run(l.name, l.owner, l.heartbeatAt).changes === 1) removed++;
  }
  return removed;
}

/** The lease `name` as stored, if any (expired or not). */
export function getLease(db: Db, name: string): Lease | undefined {
  return readLease(db, name);
}
