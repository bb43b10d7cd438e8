/** What every verb needs: the validated configuration and the open store, loaded once on first use. */
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { Logger } from '../log.ts';
import type { Output } from './output.ts';

/** The modules behind the context, loaded when a verb runs (`--help` needs none of them). */
type Modules = {
  config: typeof import('../config.ts');
  db: typeof import('../store/db.ts');
  log: typeof import('../log.ts');
};

/**
 * How long a month-end pass waits for another process's write (an import) before a store write
 * fails: long enough for a large import, short of the lease's time to live.
 */
export const PASS_BUSY_TIMEOUT_MS = 60_000;

/** The verbs' shared context; the store opens lazily so that `--help` needs neither. */
export interface CliContext {
  output: Output;
  /** Set by a verb that did all it could but had failures to report (exit code 1). */
  failed: boolean;
  /**
   * Whether db() may create the data dir and the store: set for the verbs that fill or run the
   * store (import, seed-demo, run, schedule). The others, on a data dir without a store, stop with
   * exit code 2 and create nothing.
   */
  createsStore: boolean;
  /** Set by a pass that delivered nothing because the server deferred every mail (exit code 3, unless it also failed). */
  nothingDelivered: boolean;
  /** Loads what config(), db() and logger() need; the program does it before every verb's action. */
  load(): Promise<void>;
  config(): Config;
  db(): Db;
  /** The process's logger (pino, stderr, LOG_LEVEL). */
  logger(): Logger;
  close(): void;
}

/** Builds a context over the given environment and output. */
export function createContext(output: Output, env: NodeJS.ProcessEnv = process.env): CliContext {
  let config: Config | undefined;
  let db: Db | undefined;
  let logger: Logger | undefined;
  let modules: Modules | undefined;
  const loaded = (): Modules => {
    if (modules === undefined) throw new Error('the command line context is used before it was loaded');
    return modules;
  };
  return {
    output,
    failed: false,
    createsStore: false,
    nothingDelivered: false,
    async load() {
      if (modules !== undefined) return;
      const [configModule, dbModule, logModule] = await Promise.all([
        import('../config.ts'),
        import('../store/db.ts'),
        import('../log.ts'),
      ]);
      modules = { config: configModule, db: dbModule, log: logModule };
    },
    config: () => (config ??= loaded().config.loadConfig({ env })),
    db() {
      db ??= loaded().db.openConfiguredStore(this.config(), { create: this.createsStore });
      return db;
    },
    logger() {
      if (logger === undefined) {
        const settings = this.config();
        logger = loaded().log.createLogger(settings);
        // Said once, where the service's log shows it: settings that came from a file, not the environment.
        if (settings.dotEnv)
          logger.info(
            { file: settings.dotEnv.file, settings: settings.dotEnv.settings },
            'settings read from .env in the working directory (the environment did not set them)',
          );
      }
      return logger;
    },
    close() {
      if (db !== undefined) loaded().db.closeStore(db);
      db = undefined;
    },
  };
}
