/**
 * `usage-charges run` under the month-end lease (DESIGN invariant 6): two runs at once never both
 * close; the second exits 1 with a message, or with `--wait` waits and closes nothing; a lease whose
 * holder died is taken over once it expires, or at once when it was a process of this host that is gone; every pass is recorded in `runs`.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connection, openStore } from '../../src/store/db.ts';
import { acquireLease, getLease } from '../../src/store/leases.ts';
import { listRuns, type RunRecord } from '../../src/store/runs.ts';
import { cliAsync, hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

const AS_OF = '2026-11-03T00:00:00Z';
const LEASE_MESSAGE =
  /^error: another usage-charges pass \(owner \S+:\d+:[0-9a-f]{8}\) holds the month-end lease until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z; try again later or use --wait$/m;

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-run-lock-');
});
afterAll(() => work.cleanup());

/** A fresh data dir with the demo seeded; returns its settings. */
async function seeded(name: string): Promise<Record<string, string>> {
  const env = { DATA_DIR: path.join(work.dir, name), BILLING_TZ: 'UTC', LOG_LEVEL: 'error' };
  const seed = await runCli(['seed-demo', '--as-of', AS_OF], env);
  expect(seed.code).toBe(0);
  return env;
}

function closedCount(r: CliRun): number {
  const m = /: (\d+) statements? closed, /.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}

/** Reads the store of a data dir from this process. */
function inStore<T>(env: Record<string, string>, read: (db: ReturnType<typeof openStore>) => T): T {
  const db = openStore(env.DATA_DIR!);
  try {
    return read(db);
  } finally {
    connection(db).close();
  }
}

function fixedStatements(env: Record<string, string>): number {
  return inStore(
    env,
    (db) => connection(db).prepare("SELECT COUNT(*) FROM statements WHERE status = 'fixed'").pluck().get() as number,
  );
}

describe('usage-charges run: one pass at a time', () => {
  it('two runs at once: exactly one closes the five statements; the other exits 1 with the lease message or (if it came after) closes nothing', async () => {
    const env = await seeded('race');
    const [a, b] = await Promise.all([
      cliAsync(['run', '--as-of', AS_OF], env),
      cliAsync(['run', '--as-of', AS_OF], env),
    ]);
    const runs = [a, b];
    const winner = runs.filter((r) => closedCount(r) === 5);
    expect(winner).toHaveLength(1);
    expect(winner[0]!.code).toBe(0);
    expect(winner[0]!.stderr).toBe('');
    const other = runs.find((r) => r !== winner[0])!;
    if (other.code === 1) {
      expect(other.stderr).toMatch(LEASE_MESSAGE);
      expect(other.stdout).not.toMatch(/closed/);
    } else {
      expect(other.code).toBe(0);
      expect(closedCount(other)).toBe(0);
    }
    for (const r of runs) expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    expect(fixedStatements(env)).toBe(5);
    // The lease is released; the passes that ran are recorded, none left running.
    const recorded = inStore(env, (db) => {
      expect(getLease(db, 'month-end')).toBeUndefined();
      return listRuns(db);
    });
    expect(recorded.length).toBe(other.code === 1 ? 1 : 2);
    expect(
      recorded.every((r) => r.status === 'ok' && r.finishedAt !== null && r.asOf === '2026-11-03T00:00:00.000Z'),
    ).toBe(true);
    expect(
      recorded
        .map((r) => JSON.parse(r.summary) as { closed: number })
        .map((s) => s.closed)
        .sort(),
    ).toEqual(other.code === 1 ? [5] : [0, 5]);
  });

  it('two runs at once with --wait: both exit 0, one closes the five statements and the other closes nothing', async () => {
    const env = await seeded('race-wait');
    const runs = await Promise.all([
      cliAsync(['run', '--as-of', AS_OF, '--wait'], env),
      cliAsync(['run', '--as-of', AS_OF, '--wait'], env),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    }
    expect(runs.map(closedCount).sort()).toEqual([0, 5]);
    expect(fixedStatements(env)).toBe(5);
    const recorded = inStore(env, (db) => listRuns(db));
    expect(recorded.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(new Set(recorded.map((r) => r.owner)).size).toBe(2);
  });

  it('while a live pass holds the lease, run exits 1 with the message and changes nothing', async () => {
    const env = await seeded('held');
    const holder = 'other-host:4242:0badcafe';
    const until = inStore(env, (db) => {
      const r = acquireLease(db, 'month-end', holder, 600_000, new Date());
      if (!r.acquired) throw new Error('expected to take the lease');
      return r.lease.expiresAt;
    });
    const r = await runCli(['run', '--as-of', AS_OF], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: another usage-charges pass (owner ${holder}) holds the month-end lease until ${until}; try again later or use --wait\n`,
    );
    expect(fixedStatements(env)).toBe(0);
    expect(inStore(env, (db) => listRuns(db))).toEqual([]);
  });

  it('a lease whose holder died is taken over once it expires (run --wait), and its pass is marked interrupted', async () => {
    const env = await seeded('dead');
    const dead = 'other-host:4243:deadbeef';
    inStore(env, (db) => {
      connection(db)
        .prepare("INSERT INTO runs (started_at, as_of, owner, status) VALUES (?, ?, ?, 'running')")
        .run(new Date().toISOString(), '2026-11-03T00:00:00.000Z', dead);
      // Its last heartbeat gave it 1.5 s more; it will never renew it.
      acquireLease(db, 'month-end', dead, 1500, new Date());
    });
    const r = await runCli(['run', '--as-of', AS_OF, '--wait'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`took over the month-end lease of ${dead}, which expired`);
    expect(closedCount(r)).toBe(5);
    const recorded: RunRecord[] = inStore(env, (db) => listRuns(db));
    expect(recorded.map((x) => [x.owner === dead, x.status])).toEqual([
      [false, 'ok'],
      [true, 'interrupted'],
    ]);
    expect(JSON.parse(recorded[0]!.summary)).toMatchObject({ closed: 5, closeFailed: 0, filesFailed: 0 });
  });

  it('a live lease of a process of this host that no longer exists is taken over at once (no --wait), and says why', async () => {
    const env = await seeded('gone');
    // The pid of a process that has exited: the holder is gone although its lease has an hour left.
    const exited = spawnSync(process.execPath, ['-e', '0']);
    expect(exited.status).toBe(0);
    const gone = `${os.hostname()}:${exited.pid}:0badf00d`;
    inStore(env, (db) => {
      connection(db)
        .prepare("INSERT INTO runs (started_at, as_of, owner, status) VALUES (?, ?, ?, 'running')")
        .run(new Date().toISOString(), '2026-11-03T00:00:00.000Z', gone);
      acquireLease(db, 'month-end', gone, 3_600_000, new Date());
    });
    const r = await runCli(['run', '--as-of', AS_OF], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `took over the month-end lease of ${gone}, whose process is no longer running on this host (its pass did not finish)\n`,
    );
    expect(r.stdout).not.toContain('which expired');
    expect(closedCount(r)).toBe(5);
    expect(inStore(env, (db) => listRuns(db)).map((x) => [x.owner === gone, x.status])).toEqual([
      [false, 'ok'],
      [true, 'interrupted'],
    ]);
  });
});
