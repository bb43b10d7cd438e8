/** The `usage-charges` command line: one commander program, one module per verb. */
import fs from 'node:fs';
import { Command, Help, type Option } from 'commander';
import type { CliContext } from './context.ts';
import { registerExport } from './export.ts';
import { registerImport } from './import.ts';
import { registerSeedDemo } from './seed-demo.ts';
import { registerHistory, registerStatus } from './status.ts';
import { registerRun } from './run.ts';
import { registerEstimate } from './estimate.ts';
import { registerSchedule } from './schedule.ts';
import { registerResend } from './resend.ts';
import { registerBackup } from './backup.ts';
import { registerFileEncoding } from './file-encoding.ts';

/** The verbs that create the data dir and the store when there is none. */
export const STORE_CREATORS: ReadonlySet<string> = new Set(['import', 'seed-demo', 'run', 'schedule']);

/** The version of this program, as package.json gives it. */
export function programVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** Builds the program; verbs throw, and `main` maps what they throw to exit codes. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('usage-charges')
    .description(
      "Closes a cloud's month: rates metered usage per tenant, finalizes statements, writes and mails the usage-charge files.",
    )
    .version(programVersion(), '-V, --version', 'print the version of usage-charges')
    // Every verb's help marks the options it cannot run without (set before the verbs: they inherit it).
    .configureHelp({
      optionDescription(this: Help, option: Option): string {
        const text = Help.prototype.optionDescription.call(this, option);
        return option.mandatory ? `${text} (required)` : text;
      },
    })
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => ctx.output.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.output.err(s.replace(/\n$/, '')),
    })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure, 2 bad input or usage, 3 a pass delivered nothing (every mail due was deferred).\nSettings come from the environment or .env (see .env.example).',
    );
  registerImport(program, ctx);
  registerSeedDemo(program, ctx);
  registerStatus(program, ctx);
  registerRun(program, ctx);
  registerSchedule(program, ctx);
  registerResend(program, ctx);
  registerEstimate(program, ctx);
  registerHistory(program, ctx);
  registerExport(program, ctx);
  registerBackup(program, ctx);
  registerFileEncoding(program, ctx);
  for (const command of program.commands) command.exitOverride();
  // Only these verbs make a store where there is none; the others read one that exists.
  program.hook('preAction', (_program, verb) => {
    ctx.createsStore = STORE_CREATORS.has(verb.name());
  });
  return program;
}
