/** The composition root: runs one command line and turns every outcome into an exit code. */
import { CommanderError } from 'commander';
import { ConfigError, InputError, UsageChargesError, formatIssue } from './domain/errors.ts';
import { createContext, type CliContext } from './cli/context.ts';
import { processOutput, type Output } from './cli/output.ts';
import { buildProgram } from './cli/program.ts';
import { isBusy } from './store/errors.ts';
import { fullDisk, isDiskFull, withCode } from './store/folders.ts';

/** Exit codes: 0 ok, 1 failure, 2 bad input or usage, 3 a pass delivered nothing (every mail due was deferred). */
export const EXIT = { ok: 0, failure: 1, input: 2, deferred: 3 } as const;

/** Runs `argv` (as in process.argv) and returns the exit code; never throws. */
export async function main(
  argv: string[],
  output: Output = processOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const ctx = createContext(output, env);
  try {
    await (await buildProgram(ctx, argv)).parseAsync(argv);
    return ctx.failed ? EXIT.failure : ctx.nothingDelivered ? EXIT.deferred : EXIT.ok;
  } catch (err) {
    return report(err, output, debugWanted(ctx, env), dataDirOf(ctx));
  } finally {
    ctx.close();
  }
}

/** Whether the log level (from the configuration, or the raw environment if it did not load) asks for detail. */
function debugWanted(ctx: CliContext, env: NodeJS.ProcessEnv): boolean {
  let level: string | undefined;
  try {
    level = ctx.config().logLevel;
  } catch {
    level = env.LOG_LEVEL;
  }
  return level === 'debug' || level === 'trace';
}

/** The data dir, when the configuration loaded. */
function dataDirOf(ctx: CliContext): string | null {
  try {
    return ctx.config().dataDir;
  } catch {
    return null;
  }
}

function report(err: unknown, output: Output, debug: boolean, dataDir: string | null): number {
  if (err instanceof CommanderError) {
    // `--help` asked for is fine; help shown because no verb was given is a usage error.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    return EXIT.input;
  }
  if (err instanceof InputError) {
    output.err(`error: ${err.message}`);
    for (const issue of err.issues) output.err(formatIssue(issue));
    if (err.truncated) output.err(`... more problems not shown (the first ${err.issues.length} are listed)`);
    return EXIT.input;
  }
  if (err instanceof ConfigError) {
    output.err(`error: ${err.message}`);
    return EXIT.input;
  }
  if (err instanceof UsageChargesError) {
    output.err(`error: ${err.message}`);
    return EXIT.failure;
  }
  if (isBusy(err)) {
    output.err(
      'error: the store is busy: another usage-charges process is writing to it; nothing was changed, try again when it has finished',
    );
    return EXIT.failure;
  }
  if (isDiskFull(err)) {
    output.err(
      `error: ${fullDisk(err, dataDir)} is full (${withCode(err)}); ` +
        'what was being written was not kept: free some space, then run the command again',
    );
    return EXIT.failure;
  }
  const e = err as Error;
  output.err(`error: ${e?.message ?? String(err)}`);
  if (debug) output.err(String(e?.stack ?? ''));
  else output.err('(an unexpected failure; run with LOG_LEVEL=debug to see where it happened)');
  return EXIT.failure;
}
