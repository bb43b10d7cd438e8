/**
 * Runs the `usage-charges` command line in the test process through `main()`: the same program as
 * bin/usage-charges.js, its output collected line by line instead of written to the streams.
 */
import { main } from '../../src/main.ts';
import type { Output } from '../../src/cli/output.ts';

/** What one in-process run printed and returned. */
export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
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

/** Runs `usage-charges ...args` in this process with exactly these settings. */
export async function runMain(
  args: string[],
  env: Record<string, string>,
  options: { progress?: NodeJS.WriteStream & { written?: string } } = {},
): Promise<MainRun> {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = {
    out: (line) => void out.push(line),
    err: (line) => void err.push(line),
    ...(options.progress ? { progress: options.progress } : {}),
  };
  const code = await main(['node', 'usage-charges', ...args], output, env);
  const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
  return { code, stdout: text(out), stderr: text(err), progress: options.progress?.written ?? '' };
}
