/** Long-running `usage-charges` child processes a test can watch, signal and kill (all killed by `killChildren`). */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { ROOT, type CliRun } from './cli.ts';
import { withStoreEngine } from './store-engine.ts';

const BIN = path.join(ROOT, 'bin', 'usage-charges.js');

/** A started child: its output so far, and its end. */
export interface CliChild {
  child: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited (with the signal that ended it, if any). */
  exited: Promise<CliRun & { signal: NodeJS.Signals | null }>;
  /** Resolves when stdout matches `pattern` (rejects if the process exits or `timeoutMs` passes first). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when stderr matches `pattern` (rejects if the process exits or `timeoutMs` passes first). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const started = new Set<ChildProcessWithoutNullStreams>();

/** Starts `node <args>` (default: the usage-charges command) with only `env` plus PATH and HOME. */
export function startChild(
  args: string[],
  env: Record<string, string>,
  options: { command?: string[]; cwd?: string } = {},
): CliChild {
  const argv = options.command ?? [BIN];
  const child = spawn(process.execPath, [...argv, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...withStoreEngine(env) },
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const l of listeners) l();
  });
  const exited = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      started.delete(child);
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    });
  });
  let done = false;
  const waitFor = (
    stream: 'stdout' | 'stderr',
    text: () => string,
    pattern: RegExp,
    timeoutMs = 5 * 60_000,
  ): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(text())) finish(null);
        else if (done)
          finish(new Error(`the process exited before its ${stream} matched ${pattern}:\n${stdout}\n${stderr}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`no ${stream} matching ${pattern} after ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
        timeoutMs,
      );
      const finish = (err: Error | null): void => {
        clearTimeout(timer);
        listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      listeners.add(check);
      check();
    });
  void exited.then(
    () => (done = true),
    () => (done = true),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitForStdout(pattern, timeoutMs) {
      return waitFor('stdout', () => stdout, pattern, timeoutMs);
    },
    waitForStderr(pattern, timeoutMs) {
      return waitFor('stderr', () => stderr, pattern, timeoutMs);
    },
  };
}

/** Kills (SIGKILL) every child still running and waits until they are gone; for afterEach. */
export async function killChildren(): Promise<void> {
  const running = [...started];
  await Promise.all(
    running.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) {
            started.delete(c);
            resolve();
            return;
          }
          c.once('close', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined (or `timeoutMs` passes). */
export async function until<T>(
  check: () => T | undefined,
  what: string,
  timeoutMs = 5 * 60_000,
  intervalMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
