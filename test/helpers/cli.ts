/** Runs the real `usage-charges` command as a child process. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { runMain } from './main.ts';
import { withStoreEngine } from './store-engine.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'usage-charges.js');

/** What a run of the command printed and returned. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `usage-charges ...args` with the given settings (and nothing inherited but PATH and HOME). */
export function cli(args: string[], env: Record<string, string>, cwd = ROOT): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...withStoreEngine(env) },
    encoding: 'utf8',
    // Only a hang: a slow machine must not fail a run that is merely slow.
    timeout: 10 * 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** True when the text looks like a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(text) || /^\s+at .+:\d+:\d+$/m.test(text);
}

/** Starts `usage-charges ...args` without waiting (several can run at once); resolves when it exits. */
export function cliAsync(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...withStoreEngine(env) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 10 * 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** In-process runs of the command line (through main()) live in main.ts. */
export { runMain } from './main.ts';

/** The end of the last in-process run asked for (runCli runs them one after the other). */
let queue: Promise<void> = Promise.resolve();

/**
 * Runs `usage-charges ...args` in this process (through main(), see main.ts) with the settings `cli`
 * would give the child (`env` plus PATH and HOME, in the working directory `cwd`): the same output
 * and exit code, without a process start. Use `cli`/`cliAsync` where the process is the point
 * (signals, kills, file modes, runs at once).
 */
export function runCli(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliRun> {
  // One run at a time (runs asked for at once wait for their turn): the process has one env and cwd.
  const run = queue.then(async () => {
    const before = process.cwd();
    process.chdir(cwd);
    try {
      const r = await runMain(args, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env });
      return { code: r.code, stdout: r.stdout, stderr: r.stderrWithLog };
    } finally {
      process.chdir(before);
    }
  });
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
