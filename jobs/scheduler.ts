/**
 * The scheduler: cron is only a trigger. One pass runs at start (catching up on missed nights),
 * node-cron fires the same pass on CRON_SCHEDULE in CRON_TZ, and a timer fires it again when the
 * soonest delivery retry is due. Passes never overlap in this process: a trigger during a pass
 * runs one more pass after it (across processes, the month-end lease keeps them apart).
 */
import cron from 'node-cron';
import type { JobContext } from './context.ts';

/** Why a pass was started. */
export type Trigger = 'start' | 'schedule' | 'retry';

/** What the scheduler needs from a pass it ran: when to fire again for the retries it left (or null). */
export interface NextRetry {
  nextRetryAt: Date | null;
}

export interface SchedulerOptions {
  /** node-cron expression (five fields, or six with seconds). */
  expression: string;
  timeZone: string;
  /** Runs one pass; its errors are logged, and the scheduler goes on. */
  runPass: (trigger: Trigger) => Promise<NextRetry>;
}

/** A running scheduler. */
export interface Scheduler {
  /** Stops firing, waits for the pass in progress (which the caller tells to stop early), and resolves. */
  stop(): Promise<void>;
  /** The next time the cron expression fires, or null. */
  nextRun(): Date | null;
  /** Resolves when the pass in progress (if any) and any queued one have finished. */
  idle(): Promise<void>;
  /** How many passes have finished. */
  readonly passes: number;
}

/** The wait before another pass after a pass that threw. */
const FAILED_PASS_RETRY_MS = 5 * 60 * 1000;

/** The shortest wait before a retry pass. */
const MIN_RETRY_DELAY_MS = 1000;

/** setTimeout's largest delay; a later retry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Starts the scheduler (its clock and log from the context): one pass now, then on every cron tick and retry time. */
export function startScheduler(ctx: Pick<JobContext, 'now' | 'log'>, options: SchedulerOptions): Scheduler {
  const { now, log } = ctx;
  let running: Promise<void> | null = null;
  let queued: Trigger | null = null;
  let stopping = false;
  let passes = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let idleWaiters: (() => void)[] = [];

  const armRetry = (at: Date | null): void => {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    if (at === null || stopping) return;
    // At least a second: a retry time already past (a clock step) must not spin passes back to back.
    const delay = Math.max(MIN_RETRY_DELAY_MS, at.getTime() - now().getTime());
    retryTimer = setTimeout(
      () => {
        retryTimer = null;
        if (delay > MAX_TIMER_MS) armRetry(at);
        else trigger('retry');
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  };

  const trigger = (why: Trigger): void => {
    if (stopping) return;
    if (running !== null) {
      // Never two passes at once: one more pass after this one covers every trigger meanwhile.
      if (queued === null) log.info({ trigger: why }, 'a pass is running; another will follow it');
      queued ??= why;
      return;
    }
    log.info({ trigger: why }, 'pass triggered');
    running = (async () => {
      try {
        const outcome = await options.runPass(why);
        armRetry(outcome.nextRetryAt);
      } catch (err) {
        // A pass that threw still leaves retries to make: try again after a while, not next night.
        log.error({ trigger: why, error: (err as Error).message }, 'pass failed; trying again later');
        armRetry(new Date(now().getTime() + FAILED_PASS_RETRY_MS));
      } finally {
        passes += 1;
        running = null;
        const next = queued;
        queued = null;
        if (next !== null && !stopping) trigger(next);
        else {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    })();
  };

  // node-cron's own messages (a missed tick while a long close held the event loop) go to our log, not to stdout.
  const cronLog = {
    info: (m: string) => log.debug({ source: 'node-cron' }, m),
    warn: (m: string) => log.warn({ source: 'node-cron' }, m),
    error: (m: string | Error, err?: Error) =>
      log.error({ source: 'node-cron', error: err?.message }, String(m instanceof Error ? m.message : m)),
    debug: (m: string | Error) => log.debug({ source: 'node-cron' }, String(m instanceof Error ? m.message : m)),
  };
  const task = cron.schedule(expressionOk(options.expression), () => trigger('schedule'), {
    timezone: options.timeZone,
    name: 'usage-charges month-end pass',
    logger: cronLog,
  });
  trigger('start');

  return {
    async stop() {
      stopping = true;
      queued = null;
      await task.stop();
      await task.destroy();
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      while (running !== null) await running;
    },
    nextRun: () => (stopping ? null : task.getNextRun()),
    idle: () => (running === null ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    get passes() {
      return passes;
    },
  };
}

/**
 * The next time CRON_SCHEDULE fires in CRON_TZ after the wall clock's now, as a running
 * scheduler's `nextRun()` gives it (for a page that shows when the next pass comes), or null.
 */
export function nextCronRun(expression: string, timeZone: string): Date | null {
  // A task never started: it only reads the expression, and is dropped at once.
  const task = cron.createTask(expressionOk(expression), () => undefined, { timezone: timeZone });
  try {
    return task.getNextRuns(1)[0] ?? null;
  } finally {
    void task.destroy();
  }
}

function expressionOk(expression: string): string {
  if (!cron.validate(expression)) throw new RangeError(`not a cron expression: ${expression}`);
  return expression;
}
