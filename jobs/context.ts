/**
 * The job context: what every job function is handed first (the store, the settings, the clock,
 * the log, the stop signal, progress and the test knobs). The CLI builds it once per verb; a job
 * that narrows it for a step (a stop that also watches the lease) passes a copy with that part replaced.
 */
import type { Config } from '../src/config.ts';
import { silentLogger, type Logger } from '../src/log.ts';
import type { Db } from '../src/store/db.ts';

/** The steps of a month-end pass whose progress is reported, in order. */
export type JobStage = 'close' | 'files' | 'send';

/** Knobs of the files thread that tests and the benchmark set (never the configuration). */
interface JobFaults {
  /** The statements a close finalizes before their files go to a second thread (default FILES_THREAD_FROM). */
  filesThreadFrom?: number;
  /** The thread's entry module (tests of a thread that fails). */
  filesThreadEntry?: URL;
}

/** What every job is handed first. */
export interface JobContext {
  store: Db;
  config: Config;
  /** The clock of the job (a fixed one in tests). */
  now: () => Date;
  log: Logger;
  /** Asked between tenants, statements and messages: true ends the job after the one in flight. */
  shouldStop: () => boolean;
  /** Told of each step's progress (done of total). */
  progress: (stage: JobStage, done: number, total: number) => void;
  faults: JobFaults;
}

/** The parts of a job context that have a default. */
export type JobContextParts = Partial<Omit<JobContext, 'store' | 'config'>>;

/**
 * A job context over a store and settings: the real clock, a silent log, never stopped, no
 * progress and no test knobs unless `parts` gives them.
 */
export function jobContext(store: Db, config: Config, parts: JobContextParts = {}): JobContext {
  return {
    store,
    config,
    now: parts.now ?? ((): Date => new Date()),
    log: parts.log ?? silentLogger(),
    shouldStop: parts.shouldStop ?? ((): boolean => false),
    progress: parts.progress ?? ((): void => undefined),
    faults: parts.faults ?? {},
  };
}
