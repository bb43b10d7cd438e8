/**
 * Runs a month-end pass under the run lock (DESIGN invariant 6): the lease `month-end` is taken
 * first (or waited for), renewed on a timer while the pass works, and released at the end; the
 * pass is recorded in `runs`. A lease whose holder died is taken over once it has expired, or at
 * once when the holder was a process of this host that no longer exists (a pass killed outright).
 */
import { UsageChargesError } from '../src/domain/errors.ts';
import { storeEngine, WRITE_TRY_BLOCK_MS, withBusyTimeout, type Db } from '../src/store/db.ts';
import {
  acquireLease,
  newOwnerId,
  releaseLease,
  removeDeadLeases,
  renewLease,
  leasesOf,
  ownerProcessGone,
  type Lease,
  type TakeOverReason,
} from '../src/store/leases.ts';
import { finishRun, startRun, type RunKind } from '../src/store/runs.ts';
import type { JobContext } from './context.ts';

/** The lease every month-end pass takes. */
export const MONTH_END_LEASE = 'month-end';

/** How long `--wait` waits for another pass at most, by default. */
export const DEFAULT_WAIT_LIMIT_MS = 60 * 60 * 1000;

/** What a job under the lease reports when it ends (recorded in `runs`): `failed` when it did all it could but had failures. */
export interface LeasedRunOutcome<T> {
  result: T;
  /** `interrupted`: it stopped early on request (a shutdown); the next pass goes on from there. */
  status: 'ok' | 'failed' | 'interrupted';
  summary: unknown;
}

/** What the pass is handed: its lease, and a check to call between steps. */
export interface HeldLease {
  readonly owner: string;
  readonly lease: Lease;
  /** True once a renewal found the lease taken by another process: stop before the next message. */
  readonly lost: boolean;
  /**
   * Renews the lease now; throws E_LEASE_LOST when it is no longer ours (it expired and another
   * process took it over), so that the pass stops before its next step.
   */
  heartbeat(): void;
}

export interface WithLeaseOptions {
  /** How long the lease holds without a heartbeat. */
  ttlMs: number;
  /** The instant the pass works as of (recorded in `runs`). */
  asOf: Date;
  /** Wait for a pass that holds the lease instead of failing. */
  wait?: boolean;
  /** With `wait`: how long to wait at most (default one hour). */
  waitLimitMs?: number;
  /** With `wait`: how often to look again (default ttl/3, at most 1 s). */
  pollMs?: number;
  /** Told once when the pass has to wait for another one. */
  onWait?: (holder: string, expiresAt: string) => void;
  /**
   * Told when the lease of a holder that died is taken over: `expired` once its lease ran out,
   * `holder-gone` at once because it was a process of this host that no longer exists.
   */
  onTakeOver?: (previousOwner: string, because: TakeOverReason) => void;
  /** What is recorded in `runs` (default `pass`). */
  kind?: RunKind;
  name?: string;
  owner?: string;
  /** The lease's clock: the wall clock by default (never a job's test clock, which other processes do not share). */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The message a second pass gets while a live one holds the lease. */
export function leaseHeldMessage(holder: string, expiresAt: string): string {
  return `another usage-charges pass (owner ${holder}) holds the ${MONTH_END_LEASE} lease until ${expiresAt}; try again later or use --wait`;
}

/**
 * Takes the lease, renews it while `pass` runs, records the pass in `runs`, and releases it. With
 * `wait`, the context's `shouldStop` is asked while waiting; true gives up (a shutdown) with E_STOPPED.
 */
export async function withLease<T>(
  ctx: Pick<JobContext, 'store' | 'shouldStop'>,
  options: WithLeaseOptions,
  pass: (held: HeldLease) => Promise<LeasedRunOutcome<T>>,
): Promise<T> {
  const db = ctx.store;
  const owner = options.owner ?? newOwnerId();
  // PostgreSQL: any number of workers work at once, each under its own lease (what they share is
  // claimed per tenant and per delivery); the lease still records the pass and its heartbeat.
  const name =
    storeEngine(db) === 'postgres' ? `${options.name ?? MONTH_END_LEASE}:${owner}` : (options.name ?? MONTH_END_LEASE);
  const now = options.now ?? ((): Date => new Date());
  const sleep = options.sleep ?? realSleep;
  const { ttlMs } = options;
  const waitLimitMs = options.waitLimitMs ?? DEFAULT_WAIT_LIMIT_MS;
  const pollMs = options.pollMs ?? Math.max(10, Math.min(1000, Math.floor(ttlMs / 3)));

  const started = now().getTime();
  let told = false;
  let taken = acquireLease(db, name, owner, ttlMs, now());
  while (!taken.acquired) {
    if (!options.wait) throw new UsageChargesError('E_LOCKED', leaseHeldMessage(taken.holder, taken.expiresAt));
    if (ctx.shouldStop()) throw new UsageChargesError('E_STOPPED', `stopped while waiting for the ${name} lease`);
    if (now().getTime() - started >= waitLimitMs) {
      throw new UsageChargesError(
        'E_LOCKED',
        `another usage-charges pass (owner ${taken.holder}) still holds the ${name} lease (until ${taken.expiresAt}) after waiting ${Math.round(waitLimitMs / 1000)} s; try again later`,
      );
    }
    if (!told) {
      options.onWait?.(taken.holder, taken.expiresAt);
      told = true;
    }
    await sleep(pollMs);
    taken = acquireLease(db, name, owner, ttlMs, now());
  }
  if (taken.tookOverFrom !== null) options.onTakeOver?.(taken.tookOverFrom, taken.tookOverBecause ?? 'expired');
  const ownLease = name !== (options.name ?? MONTH_END_LEASE);

  let lost = false;
  const renew = (): boolean => {
    if (lost) return false;
    if (renewLease(db, name, owner, ttlMs, now())) return true;
    // A worker's own lease (PostgreSQL) is no other's to take: one removed while this worker was
    // slow to renew it (taken for a dead one's) is put back; what the worker holds is claimed
    // per tenant and per delivery, which no lease decides.
    if (ownLease && acquireLease(db, name, owner, ttlMs, now()).acquired) return true;
    lost = true;
    return false;
  };
  const timer = setInterval(
    () => {
      try {
        // Never held up by an import's lock (the sockets of the send step share this thread).
        withBusyTimeout(db, WRITE_TRY_BLOCK_MS, renew);
      } catch {
        // A busy store: the next heartbeat tries again; the lease lasts ttl, three heartbeats.
      }
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();

  const held: HeldLease = {
    owner,
    lease: taken.lease,
    get lost() {
      return lost;
    },
    heartbeat() {
      if (!renew()) {
        throw new UsageChargesError(
          'E_LEASE_LOST',
          `the ${name} lease was lost (it expired and another pass took it over); this pass stopped`,
        );
      }
    },
  };
  try {
    // The leases of workers that died are cleared by the next pass (each worker's has its own
    // name): a clean-up of what the console shows, which never stops the pass.
    if (ownLease) {
      try {
        removeDeadLeases(db, options.name ?? MONTH_END_LEASE, now());
      } catch {
        // A busy or failing store: the next pass clears them.
      }
    }
    const runPk = startRun(db, owner, options.asOf, now(), options.kind ?? 'pass');
    try {
      const outcome = await pass(held);
      finishRun(db, runPk, outcome.status, outcome.summary, now());
      return outcome.result;
    } catch (err) {
      try {
        finishRun(db, runPk, 'failed', { error: err instanceof Error ? err.message : String(err) }, now());
      } catch {
        // The pass's own error is the one to report.
      }
      throw err;
    }
  } finally {
    clearInterval(timer);
    releaseLease(db, name, owner);
  }
}

/**
 * Runs `fn`, a step that one worker at a time may run (retention: the pruning of old zips). On
 * SQLite the month-end lease the pass holds already makes it so. On PostgreSQL, where several
 * workers pass at once, under the lease `name`, taken without waiting: null, without running
 * `fn`, while another worker holds it.
 */
export function oneWorkerAtATime<T>(ctx: Pick<JobContext, 'store' | 'config'>, name: string, fn: () => T): T | null {
  const db = ctx.store;
  if (storeEngine(db) === 'sqlite') return fn();
  const owner = newOwnerId();
  const taken = acquireLease(db, name, owner, ctx.config.lockTtlSeconds * 1000, new Date());
  if (!taken.acquired) return null;
  try {
    return fn();
  } finally {
    releaseLease(db, name, owner);
  }
}

/**
 * The month-end lease as people are told of it (the console, /healthz): on SQLite the one lease;
 * on PostgreSQL, where each worker has its own, a live one (the earliest taken), else the last to
 * beat. Undefined when no pass has one.
 */
export function monthEndLease(db: Db, now: Date): Lease | undefined {
  const all = leasesOf(db, MONTH_END_LEASE);
  const at = now.toISOString();
  return (
    all.find((l) => l.expiresAt > at && !ownerProcessGone(l.owner)) ??
    all.find((l) => l.expiresAt > at) ??
    [...all].sort((a, b) => b.heartbeatAt.localeCompare(a.heartbeatAt))[0]
  );
}
