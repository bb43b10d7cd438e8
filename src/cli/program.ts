/** The `usage-charges` command line: one commander program, one module per verb. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Help, type Option } from 'commander';
import type { CliContext } from './context.ts';
import { PACKAGE_ROOT } from '../paths.ts';

/** The verbs that create the data dir and the store when there is none. */
export const STORE_CREATORS: ReadonlySet<string> = new Set(['import', 'seed-demo', 'run', 'schedule']);

/** The version of this program, as package.json gives it. */
export function programVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** A verb of the command line: its module is loaded only when the verb runs (or its help is shown). */
interface Verb {
  name: string;
  /** What the verb does, as the help lists it. */
  description: string;
  /** Loads the verb's module and defines the verb (with its options and action) on the program. */
  define: () => Promise<(program: Command, ctx: CliContext) => void>;
}

/** Every verb, in the order the help lists them. */
const VERBS: readonly Verb[] = [
  {
    name: 'import',
    description:
      'import a CSV file (UTF-8, or cp932 with --encoding cp932; header line); every row is checked and the file is imported whole or not at all',
    define: async () => (await import('./import.ts')).registerImport,
  },
  {
    name: 'seed-demo',
    description:
      'load the demo tenants, contacts, L-Platforms, catalog, usage and coupons, with usage in the month before --as-of',
    define: async () => (await import('./seed-demo.ts')).registerSeedDemo,
  },
  {
    name: 'status',
    description: 'show what the store holds: counts of every record kind and the tenants',
    define: async () => (await import('./status.ts')).registerStatus,
  },
  {
    name: 'run',
    description:
      'one month-end pass: finalize every period whose cut-off day has ended (oldest first), write its statement files, ' +
      'send every mail that is due (new statements and retries); one pass at a time on SQLite (the month-end lease), any number of workers at once on PostgreSQL',
    define: async () => (await import('./run.ts')).registerRun,
  },
  {
    name: 'schedule',
    description:
      'run as a service: one pass now (catching up on missed nights), then every night on CRON_SCHEDULE in CRON_TZ, ' +
      'and again when a delivery retry is due; SIGINT/SIGTERM finish the message in flight and exit 0',
    define: async () => (await import('./schedule.ts')).registerSchedule,
  },
  {
    name: 'resend',
    description:
      "send a finalized statement again: its archived zip (the same bytes, checked against the stored SHA-256) to the tenant's active contacts or to --to; audited",
    define: async () => (await import('./resend.ts')).registerResend,
  },
  {
    name: 'retry',
    description:
      'put failed deliveries back in the queue (attempts counted afresh, same Message-ID); the next pass (`usage-charges run`) sends them',
    define: async () => (await import('./resend.ts')).registerRetry,
  },
  {
    name: 'hold',
    description:
      'hold a finalized statement none of whose mails was sent: its mails wait for release (REVIEW_HOLD_HOURS does not release it); audited',
    define: async () => (await import('./review.ts')).registerHold,
  },
  {
    name: 'release',
    description:
      'release the statements of a month held for review (all, or one tenant): the next pass sends their mails; audited',
    define: async () => (await import('./review.ts')).registerRelease,
  },
  {
    name: 'void',
    description:
      'void a finalized statement none of whose mails was sent (it may be held): kept with its files, never sent; its month is closed afresh by the next pass; audited',
    define: async () => (await import('./revisions.ts')).registerVoid,
  },
  {
    name: 'reissue',
    description:
      "correct a statement that was mailed: rate its month again from today's data as its next revision, archive it beside the earlier one and mail it marked as corrected; --dry-run shows the difference; audited",
    define: async () => (await import('./revisions.ts')).registerReissue,
  },
  {
    name: 'estimate',
    description:
      "rate a tenant's open period with its usage up to the end of the previous day and write its statement files, status estimated; stores and sends nothing",
    define: async () => (await import('./estimate.ts')).registerEstimate,
  },
  {
    name: 'history',
    description: "show a tenant's statements, newest first (24 months by default)",
    define: async () => (await import('./status.ts')).registerHistory,
  },
  {
    name: 'export',
    description:
      "write a billing month's statements in an ECL format: fixed for a finalized month, otherwise rated afresh as estimated; stores nothing",
    define: async () => (await import('./export.ts')).registerExport,
  },
  {
    name: 'user',
    description:
      'the people of the web console and the tenant portal: user add EMAIL --role operator|viewer, user add EMAIL --tenant T --role owner|admin, user list, user disable EMAIL; audited',
    define: async () => (await import('./users.ts')).registerUser,
  },
  {
    name: 'serve',
    description:
      'run the web server on WEB_HOST:WEB_PORT (default 127.0.0.1:8080) until SIGINT/SIGTERM: /healthz and /metrics (Prometheus) for monitoring',
    define: async () => (await import('./serve.ts')).registerServe,
  },
  {
    name: 'audit',
    description:
      'show the audit log, newest first: imports, closes, holds, releases, voids, re-issues, resends, with who, when and why',
    define: async () => (await import('./audit.ts')).registerAudit,
  },
  {
    name: 'backup',
    description:
      'copy the store to FILE, a SQLite store file, while it is in use (SQLite online backup; a PostgreSQL store read in one snapshot); FILE must not exist; readable by the owner only',
    define: async () => (await import('./backup.ts')).registerBackup,
  },
  {
    name: 'migrate-store',
    description:
      "copy the SQLite store of DATA_DIR and its archived zips into an empty PostgreSQL database (--to postgres://…), then verify the rows of every table and every zip's SHA-256 there",
    define: async () => (await import('./migrate-store.ts')).registerMigrateStore,
  },
  {
    name: 'set-file-encoding',
    description:
      'change the encoding frozen with a finalized statement whose files cannot be written (a name its encoding cannot hold) and that has no files and no mail sent yet; audited; the next pass writes and mails its files',
    define: async () => (await import('./file-encoding.ts')).registerFileEncoding,
  },
];

/**
 * The verb a command line runs (or asks the help of): the first word that is not an option, the
 * word after `help`. Undefined for `usage-charges`, `--help` and `--version` alone.
 */
export function verbOf(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * Builds the program; verbs throw, and `main` maps what they throw to exit codes. Only the module of
 * the verb `argv` runs is loaded (every verb's with `all`, for the tests of every verb's help): the
 * others are listed by name and description.
 */
export async function buildProgram(ctx: CliContext, argv: readonly string[] | 'all'): Promise<Command> {
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
  const wanted = argv === 'all' ? null : verbOf(argv);
  for (const verb of VERBS) {
    if (wanted !== null && verb.name !== wanted) continue;
    (await verb.define())(program, ctx);
    program.commands.at(-1)!.description(verb.description);
  }
  // The other verbs, for the help's list and the suggestions after a mistyped verb; never run.
  for (const verb of VERBS) {
    if (program.commands.some((c) => c.name() === verb.name)) continue;
    program
      .command(verb.name)
      .description(verb.description)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new Error(`the verb ${verb.name} was not loaded`);
      });
  }
  for (const command of program.commands) command.exitOverride();
  // Only these verbs make a store where there is none; the others read one that exists.
  program.hook('preAction', async (_program, verb) => {
    ctx.createsStore = STORE_CREATORS.has(verb.name());
    await ctx.load();
  });
  return program;
}
