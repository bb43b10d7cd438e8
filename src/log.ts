/**
 * Logs: pino, to stderr, at LOG_LEVEL; JSON lines for journald and log collectors, or readable
 * lines on a terminal (LOG_FORMAT). Nothing secret and no message body is ever logged: callers log
 * ids, names, counts and reasons, and keys that could hold a secret are redacted all the same.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Config } from './config.ts';

// pino and pino-pretty load when a logger is made, not with this module: the verbs that log
// nothing (status, --help) start without them.
const require = createRequire(import.meta.url);
const pinoModule = (): typeof import('pino') => require('pino') as typeof import('pino');

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear. */
export const REDACTED_KEYS = [
  'password',
  'pass',
  'auth',
  'smtpUrl',
  'databaseUrl',
  'privateKey',
  'text',
  'html',
  'content',
] as const;

/** The logger of a process, per the configuration; `stream` replaces stderr (tests). */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  stream?: NodeJS.WritableStream,
  isTerminal = process.stderr.isTTY === true,
): Logger {
  const options = {
    level: config.logLevel,
    base: { pid: process.pid },
    redact: { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]), censor: '[redacted]' },
  };
  const { pino } = pinoModule();
  const wantPretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && isTerminal && stream === undefined);
  if (wantPretty)
    return pino(
      options,
      (require('pino-pretty') as typeof PinoPretty)({
        destination: stream ?? 2,
        sync: true,
        colorize: stream === undefined && isTerminal,
        ignore: 'pid,hostname',
      }),
    );
  return pino(options, stream ?? pino.destination({ dest: 2, sync: true }));
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pinoModule().pino({ level: 'silent' });
}
