/**
 * The scheduler (jobs/scheduler.ts) on a fake clock: node-cron's own timers run under vitest's
 * fake setTimeout and Date, so the real cron matching (expression, time zone) is what fires the
 * passes; only the pass itself is a recording stand-in.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  startScheduler,
  type NextRetry,
  type Scheduler,
  type SchedulerOptions,
  type Trigger,
} from '../../../jobs/scheduler.ts';
import { createLogger, silentLogger, type Logger } from '../../../src/log.ts';

const TZ = 'Asia/Tokyo';
/** 2026-11-02 01:59:00 in Tokyo (UTC+9). */
const START = new Date('2026-11-01T16:59:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One call of the recording pass. */
interface Call {
  trigger: Trigger;
  at: string;
  /** Ends the pass (manual passes) with this outcome. */
  finish(outcome?: NextRetry): void;
  fail(err: Error): void;
  readonly finished: boolean;
}

/**
 * A recording `runPass`. Automatic passes end at once with what `outcome` says; manual ones run
 * until the test finishes them. Counts how many run at the same time.
 */
function recordingPass(options: { manual?: boolean; outcome?: (trigger: Trigger, index: number) => NextRetry } = {}) {
  const calls: Call[] = [];
  let active = 0;
  let maxActive = 0;
  const runPass = (trigger: Trigger): Promise<NextRetry> => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    const index = calls.length;
    return new Promise<NextRetry>((resolve, reject) => {
      let finished = false;
      const end = (): void => {
        finished = true;
        active -= 1;
      };
      const call: Call = {
        trigger,
        at: new Date().toISOString(),
        finish(outcome) {
          if (finished) throw new Error('pass already finished');
          end();
          resolve(outcome ?? options.outcome?.(trigger, index) ?? { nextRetryAt: null });
        },
        fail(err) {
          if (finished) throw new Error('pass already finished');
          end();
          reject(err);
        },
        get finished() {
          return finished;
        },
      };
      calls.push(call);
      if (!options.manual) call.finish();
    });
  };
  return {
    runPass,
    calls,
    triggers: () => calls.map((c) => [c.trigger, c.at]),
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
  };
}

let schedulers: Scheduler[] = [];
function start(
  options: Omit<SchedulerOptions, 'timeZone' | 'expression'> & Partial<SchedulerOptions> & { log?: Logger },
): Scheduler {
  const { log, ...rest } = options;
  const s = startScheduler(
    { now: () => new Date(), log: log ?? silentLogger() },
    { expression: '0 2 * * *', timeZone: TZ, ...rest },
  );
  schedulers.push(s);
  return s;
}

/** Moves the fake clock on by `ms`, running every timer due and the promises they start. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Lets pending promise callbacks run without moving the clock. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(START);
});

afterEach(async () => {
  // A test that left a manual pass running has already checked what it wanted.
  const left = schedulers;
  schedulers = [];
  await Promise.all(left.map((s) => Promise.race([s.stop(), Promise.resolve()])));
  vi.useRealTimers();
});

describe('startScheduler', () => {
  it('runs a catch-up pass at once, then fires at 02:00 in CRON_TZ (not at 02:00 UTC), once a day', async () => {
    const pass = recordingPass();
    const s = start({ runPass: pass.runPass });
    // The catch-up pass starts synchronously with the scheduler.
    expect(pass.triggers()).toEqual([['start', '2026-11-01T16:59:00.000Z']]);
    expect(s.nextRun()?.toISOString()).toBe('2026-11-01T17:00:00.000Z');
    await settle();
    expect(s.passes).toBe(1);

    await advance(MINUTE - 1);
    expect(pass.calls).toHaveLength(1);
    await advance(1);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['schedule', '2026-11-01T17:00:00.000Z'],
    ]);
    expect(s.nextRun()?.toISOString()).toBe('2026-11-02T17:00:00.000Z');

    // 02:00 UTC (11:00 in Tokyo) is not a tick; the next 02:00 in Tokyo is.
    await advance(Date.parse('2026-11-02T02:00:00.000Z') - Date.now());
    await advance(HOUR);
    expect(pass.calls).toHaveLength(2);
    await advance(Date.parse('2026-11-02T17:00:00.000Z') - Date.now());
    expect(pass.triggers().slice(2)).toEqual([['schedule', '2026-11-02T17:00:00.000Z']]);
    await advance(DAY - 1);
    expect(pass.calls).toHaveLength(3);
    await advance(1);
    expect(pass.triggers().slice(3)).toEqual([['schedule', '2026-11-03T17:00:00.000Z']]);
    expect(pass.maxActive).toBe(1);
    expect(s.passes).toBe(4);
  });

  it('never runs two passes at once: triggers during a pass are queued into one pass after it', async () => {
    const pass = recordingPass({ manual: true });
    const s = start({ runPass: pass.runPass });
    expect(pass.calls).toHaveLength(1);

    // Two cron ticks while the catch-up pass runs: neither starts a pass now.
    await advance(MINUTE);
    await advance(DAY);
    expect(pass.calls).toHaveLength(1);
    expect(pass.active).toBe(1);

    pass.calls[0]!.finish();
    await settle();
    // One pass after it covers both triggers.
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['schedule', '2026-11-02T17:00:00.000Z'],
    ]);
    expect(pass.active).toBe(1);

    // A tick during that pass is queued as well, and runs when it ends.
    await advance(DAY);
    expect(pass.calls).toHaveLength(2);
    pass.calls[1]!.finish();
    await settle();
    expect(pass.triggers().slice(2)).toEqual([['schedule', '2026-11-03T17:00:00.000Z']]);
    pass.calls[2]!.finish();
    await settle();
    expect(pass.calls).toHaveLength(3);
    expect(pass.maxActive).toBe(1);
    expect(s.passes).toBe(3);
    await s.idle();
  });

  it('goes on after a pass that fails, and logs why', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== ''),
        );
        cb();
      },
    });
    const log = createLogger({ logLevel: 'info', logFormat: 'json' }, stream, false);
    const pass = recordingPass({ manual: true });
    const s = start({ runPass: pass.runPass, log });
    pass.calls[0]!.fail(new Error('the store is busy'));
    await settle();
    expect(s.passes).toBe(1);
    const failed = lines
      .map((l) => JSON.parse(l) as { msg: string; level: number; trigger?: string; error?: string })
      .filter((e) => e.msg === 'pass failed; trying again later');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 50, trigger: 'start', error: 'the store is busy' });

    // The 02:00 tick comes before the retry 5 minutes after the failure; the pass it runs returns no
    // retry time, which cancels that retry (the latest pass's retry time wins).
    await advance(MINUTE);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['schedule', '2026-11-01T17:00:00.000Z'],
    ]);
    pass.calls[1]!.finish();
    await settle();
    await advance(HOUR);
    expect(pass.calls).toHaveLength(2);
    expect(s.passes).toBe(2);
  });

  it('after a pass that throws, a retry pass follows 5 minutes later, and again after each one that throws', async () => {
    const pass = recordingPass({ manual: true });
    // An expression that does not fire for months, so that only the retry timer can.
    const s = start({ runPass: pass.runPass, expression: '0 2 1 1 *' });
    pass.calls[0]!.fail(new Error('the store is busy'));
    await settle();
    expect(s.passes).toBe(1);

    await advance(5 * MINUTE - 1);
    expect(pass.calls).toHaveLength(1);
    await advance(1);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['retry', '2026-11-01T17:04:00.000Z'],
    ]);

    // The retry pass throws too: another one 5 minutes after it ended.
    await advance(30_000);
    pass.calls[1]!.fail(new Error('E_LOCKED: another pass holds the lease'));
    await settle();
    await advance(5 * MINUTE - 1);
    expect(pass.calls).toHaveLength(2);
    await advance(1);
    expect(pass.triggers().slice(2)).toEqual([['retry', '2026-11-01T17:09:30.000Z']]);

    // That one succeeds with nothing left to retry: no further pass before the next cron tick.
    pass.calls[2]!.finish({ nextRetryAt: null });
    await settle();
    await advance(DAY);
    expect(pass.calls).toHaveLength(3);
    expect(s.passes).toBe(3);
    expect(pass.maxActive).toBe(1);
  });

  it('fires a retry pass when the nextRetryAt a pass returned comes', async () => {
    const retryAt = new Date(START.getTime() + 30_000);
    const pass = recordingPass({ outcome: (_t, i) => ({ nextRetryAt: i === 0 ? retryAt : null }) });
    start({ runPass: pass.runPass });
    await settle();
    await advance(30_000 - 1);
    expect(pass.calls).toHaveLength(1);
    await advance(1);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['retry', '2026-11-01T16:59:30.000Z'],
    ]);
    // The retry pass returned no retry time: only the cron tick follows.
    await advance(30_000);
    expect(pass.triggers().slice(2)).toEqual([['schedule', '2026-11-01T17:00:00.000Z']]);
    await advance(DAY - 1);
    expect(pass.calls).toHaveLength(3);
  });

  it('the retry time of the latest pass wins: a later pass that returns none cancels an earlier one', async () => {
    // The catch-up pass asks for a retry at 02:30; the 02:00 pass finds nothing waiting any more.
    const pass = recordingPass({
      outcome: (t) => ({ nextRetryAt: t === 'start' ? new Date('2026-11-01T17:30:00.000Z') : null }),
    });
    start({ runPass: pass.runPass });
    await advance(2 * HOUR);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['schedule', '2026-11-01T17:00:00.000Z'],
    ]);
  });

  it('a retry time already past fires after a second, not at once', async () => {
    const pass = recordingPass({
      outcome: (t) => ({ nextRetryAt: t === 'start' ? new Date(START.getTime() - HOUR) : null }),
    });
    start({ runPass: pass.runPass });
    await settle();
    expect(pass.calls).toHaveLength(1);
    await advance(999);
    expect(pass.calls).toHaveLength(1);
    await advance(1);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['retry', '2026-11-01T16:59:01.000Z'],
    ]);
  });

  it("a retry time beyond setTimeout's range fires at that time", async () => {
    // An expression that does not fire in the next 30 days, so that only the retry timer can.
    const retryAt = new Date(START.getTime() + 30 * DAY);
    const pass = recordingPass({ outcome: (t) => ({ nextRetryAt: t === 'start' ? retryAt : null }) });
    start({ runPass: pass.runPass, expression: '0 2 1 1 *' });
    await settle();
    await advance(30 * DAY - 1);
    expect(pass.calls).toHaveLength(1);
    await advance(1);
    expect(pass.triggers()).toEqual([
      ['start', '2026-11-01T16:59:00.000Z'],
      ['retry', retryAt.toISOString()],
    ]);
  });

  it('stop() waits for the pass in progress, drops the queued trigger and the retry, and nothing fires afterwards', async () => {
    const pass = recordingPass({ manual: true });
    const s = start({ runPass: pass.runPass });
    await advance(MINUTE);
    // The 02:00 tick is queued behind the catch-up pass.
    expect(pass.calls).toHaveLength(1);

    expect(s.nextRun()?.toISOString()).toBe('2026-11-02T17:00:00.000Z');
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await advance(HOUR);
    expect(stopped).toBe(false);
    pass.calls[0]!.finish({ nextRetryAt: new Date(Date.now() + MINUTE) });
    await stopping;
    expect(stopped).toBe(true);
    expect(s.passes).toBe(1);
    // A stopped scheduler has no next run to report.
    expect(s.nextRun()).toBeNull();

    await advance(3 * DAY);
    expect(pass.triggers()).toEqual([['start', '2026-11-01T16:59:00.000Z']]);
    // No timer of the scheduler or of node-cron is left.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses an expression that is not cron', () => {
    const pass = recordingPass();
    expect(() =>
      startScheduler(
        { now: () => new Date(), log: silentLogger() },
        { expression: 'every night', timeZone: TZ, runPass: pass.runPass },
      ),
    ).toThrow('not a cron expression: every night');
    expect(pass.calls).toHaveLength(0);
  });
});
