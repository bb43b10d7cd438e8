/**
 * The run lock on a real SQLite file: lease functions with explicit times, the take-over of a
 * lease whose holder process is gone (real processes), and a pass under the lease.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import {
  acquireLease,
  getLease,
  leasesOf,
  newOwnerId,
  ownerProcessGone,
  releaseLease,
  removeDeadLeases,
  renewLease,
} from '../../../src/store/leases.ts';
import { listRuns } from '../../../src/store/runs.ts';
import { MONTH_END_LEASE, monthEndLease, withLease } from '../../../jobs/with-lease.ts';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import { otherStore, tempStore } from '../../helpers/store.ts';

const T0 = new Date('2026-11-03T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const TTL = 120_000;
const A = 'host-a:100:aaaa';
const B = 'host-b:200:bbbb';

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});
function store(): { db: Db; dir: string } {
  const s = tempStore();
  closers.push(s.close);
  return s;
}

describe('acquireLease / renewLease / releaseLease', () => {
  it('takes an absent lease, with owner, heartbeat and expiry', () => {
    const { db } = store();
    const r = acquireLease(db, 'month-end', A, TTL, T0);
    expect(r).toEqual({
      acquired: true,
      tookOverFrom: null,
      tookOverBecause: null,
      lease: {
        name: 'month-end',
        owner: A,
        acquiredAt: T0.toISOString(),
        heartbeatAt: T0.toISOString(),
        expiresAt: at(120).toISOString(),
      },
    });
  });

  it('refuses it to another owner while it is held, saying who holds it until when', () => {
    const { db } = store();
    acquireLease(db, 'month-end', A, TTL, T0);
    expect(acquireLease(db, 'month-end', B, TTL, at(60))).toEqual({
      acquired: false,
      holder: A,
      expiresAt: at(120).toISOString(),
    });
    expect(acquireLease(db, 'month-end', B, TTL, at(119.999))).toMatchObject({ acquired: false, holder: A });
    expect(getLease(db, 'month-end')!.owner).toBe(A);
    // Another name is another lease.
    expect(acquireLease(db, 'other', B, TTL, at(60)).acquired).toBe(true);
  });

  it('extends it for its owner, keeping when it was taken', () => {
    const { db } = store();
    acquireLease(db, 'month-end', A, TTL, T0);
    const r = acquireLease(db, 'month-end', A, TTL, at(30));
    expect(r).toMatchObject({
      acquired: true,
      tookOverFrom: null,
      tookOverBecause: null,
      lease: { acquiredAt: T0.toISOString(), heartbeatAt: at(30).toISOString(), expiresAt: at(150).toISOString() },
    });
  });

  it('is taken over once it has expired (its holder died)', () => {
    const { db } = store();
    acquireLease(db, 'month-end', A, TTL, T0);
    const r = acquireLease(db, 'month-end', B, TTL, at(120));
    expect(r).toEqual({
      acquired: true,
      tookOverFrom: A,
      tookOverBecause: 'expired',
      lease: {
        name: 'month-end',
        owner: B,
        acquiredAt: at(120).toISOString(),
        heartbeatAt: at(120).toISOString(),
        expiresAt: at(240).toISOString(),
      },
    });
    // The dead holder, back, can neither renew nor release it.
    expect(renewLease(db, 'month-end', A, TTL, at(121))).toBe(false);
    expect(releaseLease(db, 'month-end', A)).toBe(false);
    expect(getLease(db, 'month-end')!.owner).toBe(B);
  });

  it('renews only while it is ours, and a renewed lease holds past its first expiry', () => {
    const { db } = store();
    acquireLease(db, 'month-end', A, TTL, T0);
    expect(renewLease(db, 'month-end', B, TTL, at(40))).toBe(false);
    expect(getLease(db, 'month-end')!.expiresAt).toBe(at(120).toISOString());
    expect(renewLease(db, 'month-end', A, TTL, at(100))).toBe(true);
    expect(getLease(db, 'month-end')).toMatchObject({
      heartbeatAt: at(100).toISOString(),
      expiresAt: at(220).toISOString(),
    });
    expect(acquireLease(db, 'month-end', B, TTL, at(150))).toEqual({
      acquired: false,
      holder: A,
      expiresAt: at(220).toISOString(),
    });
    expect(renewLease(db, 'absent', A, TTL, at(100))).toBe(false);
  });

  it('releases only for its owner; released, it is free at once', () => {
    const { db } = store();
    acquireLease(db, 'month-end', A, TTL, T0);
    expect(releaseLease(db, 'month-end', B)).toBe(false);
    expect(getLease(db, 'month-end')!.owner).toBe(A);
    expect(releaseLease(db, 'month-end', A)).toBe(true);
    expect(getLease(db, 'month-end')).toBeUndefined();
    expect(acquireLease(db, 'month-end', B, TTL, at(1))).toMatchObject({ acquired: true, tookOverFrom: null });
  });

  it('two connections to one file: only one takes it', () => {
    const opened = store();
    const { db } = opened;
    const other = otherStore(opened);
    closers.push(() => connection(other).close());
    const first = acquireLease(db, 'month-end', A, TTL, T0);
    const second = acquireLease(other, 'month-end', B, TTL, T0);
    expect([first.acquired, second.acquired]).toEqual([true, false]);
  });

  it('owner ids name the host and the process, and differ each time', () => {
    const id = newOwnerId();
    expect(id).toMatch(new RegExp(`^.+:${process.pid}:[0-9a-f]{8}$`));
    expect(newOwnerId()).not.toBe(id);
  });
});

/** The pid of a process that has surely ended: a short child, already reaped by spawnSync. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  expect(r.status).toBe(0);
  expect(r.pid).toBeGreaterThan(0);
  return r.pid!;
}

/** A child that lives until it is killed; `end()` kills it and resolves once it has been reaped. */
function liveChild(): { pid: number; end: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  closers.push(() => child.kill('SIGKILL'));
  return {
    pid: child.pid!,
    end: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const HOST = os.hostname();

describe('a lease whose holder process is gone', () => {
  it('is taken over at once, before it expires, when its holder was a process of this host that has ended', () => {
    const { db } = store();
    const dead = `${HOST}:${deadPid()}:deadbeef`;
    acquireLease(db, 'month-end', dead, TTL, T0);
    const r = acquireLease(db, 'month-end', B, TTL, at(1));
    expect(r).toEqual({
      acquired: true,
      tookOverFrom: dead,
      tookOverBecause: 'holder-gone',
      lease: {
        name: 'month-end',
        owner: B,
        acquiredAt: at(1).toISOString(),
        heartbeatAt: at(1).toISOString(),
        expiresAt: at(121).toISOString(),
      },
    });
    // The dead holder can neither renew nor release it.
    expect(renewLease(db, 'month-end', dead, TTL, at(2))).toBe(false);
    expect(releaseLease(db, 'month-end', dead)).toBe(false);
    expect(getLease(db, 'month-end')!.owner).toBe(B);
  });

  it('is left to its holder while that process lives, and taken over as soon as it has ended', async () => {
    const { db } = store();
    const child = liveChild();
    const holder = `${HOST}:${child.pid}:0badcafe`;
    acquireLease(db, 'month-end', holder, TTL, T0);
    expect(acquireLease(db, 'month-end', B, TTL, at(1))).toEqual({
      acquired: false,
      holder,
      expiresAt: at(120).toISOString(),
    });
    await child.end();
    expect(acquireLease(db, 'month-end', B, TTL, at(2))).toMatchObject({
      acquired: true,
      tookOverFrom: holder,
      tookOverBecause: 'holder-gone',
    });
  });

  it('is not taken before it expires when its pid is alive: this process under another owner id, or a process of another user', () => {
    const { db } = store();
    // Another owner id of this very process (a second lease user in one process).
    const self = `${HOST}:${process.pid}:0badcafe`;
    acquireLease(db, 'month-end', self, TTL, T0);
    expect(acquireLease(db, 'month-end', B, TTL, at(119))).toEqual({
      acquired: false,
      holder: self,
      expiresAt: at(120).toISOString(),
    });
    expect(acquireLease(db, 'month-end', B, TTL, at(120))).toMatchObject({
      acquired: true,
      tookOverFrom: self,
      tookOverBecause: 'expired',
    });
    // Pid 1 always exists: signal 0 to it succeeds (as root) or fails with EPERM, both "alive".
    const init = `${HOST}:1:0badcafe`;
    acquireLease(db, 'other', init, TTL, T0);
    expect(acquireLease(db, 'other', B, TTL, at(119))).toMatchObject({ acquired: false, holder: init });
  });

  it('is not taken before it expires when its holder is on another host, even with a pid that does not exist here', () => {
    const { db } = store();
    const pid = deadPid();
    const elsewhere = `not-${HOST}:${pid}:deadbeef`;
    acquireLease(db, 'month-end', elsewhere, TTL, T0);
    expect(acquireLease(db, 'month-end', B, TTL, at(119))).toEqual({
      acquired: false,
      holder: elsewhere,
      expiresAt: at(120).toISOString(),
    });
    expect(acquireLease(db, 'month-end', B, TTL, at(120))).toMatchObject({
      acquired: true,
      tookOverFrom: elsewhere,
      tookOverBecause: 'expired',
    });
    // An owner id that does not name a pid is never taken before it expires either.
    acquireLease(db, 'other', `${HOST}:not-a-pid`, TTL, T0);
    expect(acquireLease(db, 'other', B, TTL, at(60)).acquired).toBe(false);
    expect(acquireLease(db, 'other', B, TTL, at(120))).toMatchObject({ acquired: true, tookOverBecause: 'expired' });
  });

  it('ownerProcessGone: only a pid of this host that signal 0 finds missing (ESRCH)', () => {
    const pid = deadPid();
    expect(ownerProcessGone(`${HOST}:${pid}:deadbeef`)).toBe(true);
    expect(ownerProcessGone(`${HOST}:${process.pid}:deadbeef`)).toBe(false);
    expect(ownerProcessGone(newOwnerId())).toBe(false);
    expect(ownerProcessGone(`${HOST}:1:deadbeef`)).toBe(false);
    expect(ownerProcessGone(`other-host:${pid}:deadbeef`)).toBe(false);
    // The host is compared whole; the pid must be a positive whole number.
    expect(ownerProcessGone(`${HOST}:${pid}:deadbeef`, `${HOST}x`)).toBe(false);
    expect(ownerProcessGone(`${HOST}:0:deadbeef`)).toBe(false);
    expect(ownerProcessGone(`${HOST}:-${pid}:deadbeef`)).toBe(false);
    expect(ownerProcessGone(`${HOST}:${pid}`)).toBe(false);
    expect(ownerProcessGone('')).toBe(false);
  });
});

/** What withLease needs of a job context: the store, and a stop check that never stops. */
function leaseContext(db: Db): { store: Db; shouldStop: () => boolean } {
  return { store: db, shouldStop: () => false };
}

describe('withLease', () => {
  const asOf = new Date('2026-11-03T00:00:00Z');

  it('holds the lease during the pass, releases it after, and records the pass in runs', async () => {
    const { db } = store();
    const value = await withLease(leaseContext(db), { ttlMs: 60_000, asOf, owner: A }, async (held) => {
      expect(getLease(db, MONTH_END_LEASE)!.owner).toBe(A);
      expect(held.owner).toBe(A);
      held.heartbeat();
      expect(listRuns(db)[0]).toMatchObject({ status: 'running', owner: A, finishedAt: null });
      return { result: 42, status: 'ok', summary: { closed: 5 } };
    });
    expect(value).toBe(42);
    expect(getLease(db, MONTH_END_LEASE)).toBeUndefined();
    const [run] = listRuns(db);
    expect(run).toMatchObject({ owner: A, status: 'ok', asOf: asOf.toISOString(), summary: '{"closed":5}' });
    expect(run!.finishedAt! >= run!.startedAt).toBe(true);
  });

  it('releases the lease and records a failed pass when the pass throws', async () => {
    const { db } = store();
    await expect(
      withLease(leaseContext(db), { ttlMs: 60_000, asOf, owner: A }, () => Promise.reject(new Error('disk full'))),
    ).rejects.toThrow('disk full');
    expect(getLease(db, MONTH_END_LEASE)).toBeUndefined();
    expect(listRuns(db)[0]).toMatchObject({ status: 'failed', summary: '{"error":"disk full"}' });
  });

  it('fails with a clear message while another live owner holds it, and runs nothing', async () => {
    const { db } = store();
    const until = new Date(Date.now() + 60_000);
    acquireLease(db, MONTH_END_LEASE, B, 60_000, new Date(until.getTime() - 60_000));
    let ran = false;
    const err = await withLease(leaseContext(db), { ttlMs: 60_000, asOf }, () => {
      ran = true;
      return Promise.resolve({ result: null, status: 'ok', summary: {} });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageChargesError);
    expect((err as UsageChargesError).code).toBe('E_LOCKED');
    expect((err as Error).message).toBe(
      `another usage-charges pass (owner ${B}) holds the month-end lease until ${getLease(db, MONTH_END_LEASE)!.expiresAt}; try again later or use --wait`,
    );
    expect(ran).toBe(false);
    expect(listRuns(db)).toEqual([]);
  });

  it('with wait, polls until the holder releases it', async () => {
    const { db } = store();
    acquireLease(db, MONTH_END_LEASE, B, 60_000, new Date());
    const waits: string[] = [];
    setTimeout(() => releaseLease(db, MONTH_END_LEASE, B), 150);
    const value = await withLease(
      leaseContext(db),
      { ttlMs: 60_000, asOf, owner: A, wait: true, pollMs: 20, onWait: (h) => waits.push(h) },
      () => Promise.resolve({ result: 'done', status: 'ok', summary: {} }),
    );
    expect(value).toBe('done');
    expect(waits).toEqual([B]);
  });

  it('with wait, takes over the lease of a holder that died once it expires, marking its pass interrupted', async () => {
    const { db } = store();
    // A pass of B started, then B died: its lease expires in 200 ms and is never renewed.
    connection(db)
      .prepare("INSERT INTO runs (started_at, as_of, owner, status) VALUES (?, ?, ?, 'running')")
      .run(new Date().toISOString(), asOf.toISOString(), B);
    acquireLease(db, MONTH_END_LEASE, B, 200, new Date());
    const took: [string, string][] = [];
    await withLease(
      leaseContext(db),
      { ttlMs: 60_000, asOf, owner: A, wait: true, pollMs: 20, onTakeOver: (p, because) => took.push([p, because]) },
      () => Promise.resolve({ result: null, status: 'ok', summary: {} }),
    );
    expect(took).toEqual([[B, 'expired']]);
    expect(listRuns(db).map((r) => [r.owner, r.status])).toEqual([
      [A, 'ok'],
      [B, 'interrupted'],
    ]);
  });

  it('without wait, takes over at once the lease of a holder process of this host that has ended, marking its pass interrupted', async () => {
    const { db } = store();
    const dead = `${HOST}:${deadPid()}:deadbeef`;
    connection(db)
      .prepare("INSERT INTO runs (started_at, as_of, owner, status) VALUES (?, ?, ?, 'running')")
      .run(new Date().toISOString(), asOf.toISOString(), dead);
    acquireLease(db, MONTH_END_LEASE, dead, 600_000, new Date());
    const took: [string, string][] = [];
    const value = await withLease(
      leaseContext(db),
      { ttlMs: 60_000, asOf, owner: A, onTakeOver: (p, because) => took.push([p, because]) },
      () => Promise.resolve({ result: 'done', status: 'ok', summary: {} }),
    );
    expect(value).toBe('done');
    expect(took).toEqual([[dead, 'holder-gone']]);
    expect(listRuns(db).map((r) => [r.owner, r.status])).toEqual([
      [A, 'ok'],
      [dead, 'interrupted'],
    ]);
    expect(getLease(db, MONTH_END_LEASE)).toBeUndefined();
  });

  it('with wait, takes over as soon as the holder process ends, long before its lease would expire', async () => {
    const { db } = store();
    const child = liveChild();
    const holder = `${HOST}:${child.pid}:0badcafe`;
    acquireLease(db, MONTH_END_LEASE, holder, 600_000, new Date());
    const waits: string[] = [];
    const took: [string, string][] = [];
    const pass = withLease(
      leaseContext(db),
      {
        ttlMs: 60_000,
        asOf,
        owner: A,
        wait: true,
        pollMs: 20,
        onWait: (h) => waits.push(h),
        onTakeOver: (p, because) => took.push([p, because]),
      },
      () => Promise.resolve({ result: 'done', status: 'ok', summary: {} }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(waits).toEqual([holder]);
    expect(took).toEqual([]);
    await child.end();
    expect(await pass).toBe('done');
    expect(took).toEqual([[holder, 'holder-gone']]);
  });

  it('with wait, gives up after the wait limit with a message', async () => {
    const { db } = store();
    acquireLease(db, MONTH_END_LEASE, B, 60_000, new Date());
    await expect(
      withLease(leaseContext(db), { ttlMs: 60_000, asOf, wait: true, waitLimitMs: 100, pollMs: 20 }, () =>
        Promise.resolve({ result: null, status: 'ok', summary: {} }),
      ),
    ).rejects.toThrow(`another usage-charges pass (owner ${B}) still holds the month-end lease`);
  });

  it('renews the lease on a timer while the pass runs', async () => {
    const { db } = store();
    const seen: string[] = [];
    await withLease(leaseContext(db), { ttlMs: 90, asOf, owner: A }, async () => {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen.push(getLease(db, MONTH_END_LEASE)!.heartbeatAt);
      }
      // Renewed every 30 ms: never expired, never taken.
      expect(acquireLease(db, MONTH_END_LEASE, B, 90, new Date()).acquired).toBe(false);
      return { result: null, status: 'ok', summary: {} };
    });
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it('a pass that lost its lease stops at its next heartbeat', async () => {
    const { db } = store();
    const err = await withLease(leaseContext(db), { ttlMs: 60_000, asOf, owner: A }, (held) => {
      // Another process took it over (as if it had expired).
      connection(db).prepare('UPDATE run_lock SET owner = ? WHERE name = ?').run(B, MONTH_END_LEASE);
      held.heartbeat();
      return Promise.resolve({ result: null, status: 'ok', summary: {} });
    }).catch((e: unknown) => e);
    expect((err as UsageChargesError).code).toBe('E_LEASE_LOST');
    // Its lease is not released by it: B still holds it.
    expect(getLease(db, MONTH_END_LEASE)!.owner).toBe(B);
    expect(listRuns(db)[0]!.status).toBe('failed');
  });
});

describe("the month-end leases of several workers (PostgreSQL's per-worker names)", () => {
  it('tells a live one as the pass running, else the last to beat; a pass clears those long expired', () => {
    const { db } = store();
    expect(monthEndLease(db, T0)).toBeUndefined();
    acquireLease(db, `${MONTH_END_LEASE}:${A}`, A, TTL, at(0));
    acquireLease(db, `${MONTH_END_LEASE}:${B}`, B, TTL, at(60));
    acquireLease(db, 'retention', A, TTL, at(0));
    expect(leasesOf(db, MONTH_END_LEASE).map((l) => l.owner)).toEqual([A, B]);
    // Both live: the earliest taken.
    expect(monthEndLease(db, at(90))?.owner).toBe(A);
    // A's expired (at 120 s), B's live until 180 s.
    expect(monthEndLease(db, at(150))?.owner).toBe(B);
    // Both expired: the last to beat.
    expect(monthEndLease(db, at(200))).toMatchObject({ owner: B, expiresAt: at(180).toISOString() });
    // A's expired 30 s ago: a worker only slow to renew keeps its lease.
    expect(removeDeadLeases(db, MONTH_END_LEASE, at(150))).toBe(0);
    // No heartbeat for two lease lengths (A's expired at 120 s + 120 s): a dead worker's. B's
    // (expired at 180 s) is kept until 300 s.
    expect(removeDeadLeases(db, MONTH_END_LEASE, at(240))).toBe(1);
    expect(leasesOf(db, MONTH_END_LEASE).map((l) => l.owner)).toEqual([B]);
    expect(removeDeadLeases(db, MONTH_END_LEASE, at(299))).toBe(0);
    expect(removeDeadLeases(db, MONTH_END_LEASE, at(300))).toBe(1);
    // Another lease's name is never taken for one of them.
    expect(getLease(db, 'retention')?.owner).toBe(A);
  });
});
