/**
 * Runs the `usage-charges` command line in the test process through `main()`: the same program as
 * bin/usage-charges.js, its output collected instead of written to the streams. What a child process
 * would have seen is rebuilt for the run: the settings given (and nothing else of the test process's
 * environment), the fault hooks (which read process.env), standard error that is not a terminal; and
 * what a child's streams would have held is collected: the log lines the program writes to file
 * descriptor 2 (apart in `log`, and in order with the program's other lines in `stderrWithLog`), and
 * whatever it writes to process.stdout, process.stderr or the console. What cannot be rebuilt is
 * refused: a crash hook (it kills the process) and runs that overlap. The umask is left as the test
 * process has it (bin/usage-charges.js sets 0o077; tests of file modes run the real program in a
 * child, so that no mode passes here by the umask alone).
 */
import fs from 'node:fs';
import { format } from 'node:util';
import { main } from '../../src/main.ts';
import { withStoreEngine } from './store-engine.ts';
import type { Output } from '../../src/cli/output.ts';
import { resetFaultCounts } from '../../src/testing/faults.ts';

/** What one in-process run printed and returned. */
export interface MainRun {
  code: number;
  stdout: string;
  /** The lines the program wrote to its error output (log lines apart). */
  stderr: string;
  /** What the logger wrote (to file descriptor 2). */
  log: string;
  /** Standard error as a child process's: the program's lines and the log lines, in order. */
  stderrWithLog: string;
  /** What went to the progress stream (a fake terminal), when one was given. */
  progress: string;
}

/** A stream that says it is a terminal and keeps what is written to it (for progress bars). */
export function fakeTerminal(): NodeJS.WriteStream & { written: string } {
  const chunks: string[] = [];
  const stream = {
    isTTY: true,
    columns: 100,
    rows: 40,
    get written() {
      return chunks.join('');
    },
    write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    },
    cursorTo: (_x: number, _y?: unknown, callback?: () => void) => (callback?.(), true),
    moveCursor: (_x: number, _y: number, callback?: () => void) => (callback?.(), true),
    clearLine: (_dir: number, callback?: () => void) => (callback?.(), true),
    clearScreenDown: (callback?: () => void) => (callback?.(), true),
    getWindowSize: () => [100, 40],
    on: () => stream,
    once: () => stream,
    off: () => stream,
    removeListener: () => stream,
    emit: () => false,
  };
  return stream as unknown as NodeJS.WriteStream & { written: string };
}

/** Standard error of a child process started by the tests: a pipe, not a terminal. */
const PIPE = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;

/**
 * The variables the program reads from process.env itself rather than from the settings main() is
 * given (the fault hooks, and the operator's name a resend records).
 */
const PROCESS_KEYS = ['USAGE_CHARGES_TEST_NOW', 'USAGE_CHARGES_FAIL_AT', 'USER', 'LOGNAME'] as const;

let running = false;

/** Sets process.env's PROCESS_KEYS to what `env` holds (absent when it holds none); returns the undo. */
function processEnvFrom(env: Record<string, string>): () => void {
  const saved = PROCESS_KEYS.map((k) => [k, process.env[k]] as const);
  const put = (k: string, v: string | undefined): void => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  for (const k of PROCESS_KEYS) put(k, env[k]);
  return () => {
    for (const [k, v] of saved) put(k, v);
  };
}

/** Sends what is written to file descriptor 2 (the logger's destination) to `sink` instead; returns the undo. */
function captureFd2(sink: (text: string) => void): () => void {
  const writeSync = fs.writeSync;
  const patched = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (fd !== 2) return (writeSync as (...args: unknown[]) => number).call(fs, fd, data, ...rest);
    const bytes =
      typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    sink(bytes.toString('utf8'));
    return bytes.length;
  };
  fs.writeSync = patched as typeof fs.writeSync;
  const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true, writable: true });
  return () => {
    fs.writeSync = writeSync;
    if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  };
}

/**
 * Sends what is written to process.stdout, process.stderr and the console during the run to `out` and
 * `err` (a child's streams would have it); returns the undo.
 */
function captureStreams(out: (text: string) => void, err: (text: string) => void): () => void {
  const text = (chunk: unknown): string =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  const writer =
    (sink: (text: string) => void) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      sink(text(chunk));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  const stdoutWrite = Object.getOwnPropertyDescriptor(process.stdout, 'write');
  const stderrWrite = Object.getOwnPropertyDescriptor(process.stderr, 'write');
  process.stdout.write = writer(out) as typeof process.stdout.write;
  process.stderr.write = writer(err) as typeof process.stderr.write;
  const methods = ['log', 'info', 'debug', 'warn', 'error', 'trace'] as const;
  const saved = methods.map((m) => [m, Object.getOwnPropertyDescriptor(console, m)] as const);
  for (const m of methods) {
    const sink = m === 'log' || m === 'info' || m === 'debug' ? out : err;
    console[m] = (...args: unknown[]) => sink(`${format(...args)}\n`);
  }
  const put = (target: object, key: string, d: PropertyDescriptor | undefined): void => {
    if (d) Object.defineProperty(target, key, d);
    else delete (target as Record<string, unknown>)[key];
  };
  return () => {
    put(process.stdout, 'write', stdoutWrite);
    put(process.stderr, 'write', stderrWrite);
    for (const [m, d] of saved) put(console, m, d);
  };
}

/** Runs `usage-charges ...args` in this process with exactly these settings. */
export async function runMain(
  args: string[],
  env: Record<string, string>,
  options: { progress?: NodeJS.WriteStream & { written?: string } } = {},
): Promise<MainRun> {
  env = withStoreEngine(env);
  if ((env.USAGE_CHARGES_CRASH_AT ?? '') !== '')
    throw new Error('USAGE_CHARGES_CRASH_AT kills the process: run the program in a child (cli, cliAsync, startChild)');
  if (running) throw new Error('in-process runs cannot overlap: start runs at once as child processes (cliAsync)');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const log: string[] = [];
  const both: string[] = [];
  const output: Output = {
    out: (line) => void out.push(`${line}\n`),
    err: (line) => {
      err.push(`${line}\n`);
      both.push(`${line}\n`);
    },
    progress: options.progress ?? PIPE,
  };
  resetFaultCounts();
  const restoreEnv = processEnvFrom(env);
  const restoreFd2 = captureFd2((text) => {
    log.push(text);
    both.push(text);
  });
  const restoreStreams = captureStreams(
    (text) => void out.push(text),
    (text) => {
      err.push(text);
      both.push(text);
    },
  );
  let code: number;
  try {
    code = await main(['node', 'usage-charges', ...args], output, env);
  } finally {
    restoreStreams();
    restoreFd2();
    restoreEnv();
    running = false;
  }
  return {
    code,
    stdout: out.join(''),
    stderr: err.join(''),
    log: log.join(''),
    stderrWithLog: both.join(''),
    progress: options.progress?.written ?? '',
  };
}
