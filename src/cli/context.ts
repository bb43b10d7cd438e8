/** What every verb needs: the validated configuration and the open store, loaded once on first use. */
import { loadConfig, type Config } from '../config.ts';
import { openStore, type Db } from '../store/db.ts';
import type { Output } from './output.ts';

/** The verbs' shared context; the store opens lazily so that `--help` needs neither. */
export interface CliContext {
  output: Output;
  /** Set by a verb that did all it could but had failures to report (exit code 1). */
  failed: boolean;
  config(): Config;
  db(): Db;
  close(): void;
}

/** Builds a context over the given environment and output. */
export function createContext(output: Output, env: NodeJS.ProcessEnv = process.env): CliContext {
  let config: Config | undefined;
  let db: Db | undefined;
  return {
    output,
    failed: false,
    config: () => (config ??= loadConfig({ env })),
    db() {
      db ??= openStore(this.config().dataDir);
      return db;
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}
