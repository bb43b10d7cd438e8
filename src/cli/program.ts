/** The `usage-charges` command line: one commander program, one module per verb. */
import { Command } from 'commander';
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

/** Builds the program; verbs throw, and `main` maps what they throw to exit codes. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('usage-charges')
    .description('Closes a cloud\'s month: rates metered usage per tenant, finalizes statements, writes and mails the usage-charge files.')
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => ctx.output.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.output.err(s.replace(/\n$/, '')),
    })
    .exitOverride()
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 bad input or usage, 3 a pass delivered nothing (every mail due was deferred).\nSettings come from the environment or .env (see .env.example).');
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
  for (const command of program.commands) command.exitOverride();
  return program;
}
