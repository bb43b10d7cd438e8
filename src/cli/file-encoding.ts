/**
 * `usage-charges set-file-encoding --tenant T --month YYYY-MM --encoding E`: the remedy for a
 * finalized statement whose files cannot be written (a frozen name its frozen encoding cannot
 * hold): its frozen file encoding is changed, audited, and the next pass writes and mails its files.
 */
import type { Command } from 'commander';
import { setFileEncoding } from '../../jobs/file-encoding.ts';
import { InputError } from '../domain/errors.ts';
import { CSV_ENCODINGS, type CsvEncoding } from '../statements/csv.ts';
import type { CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { operator, parseMonth, parseReason } from './options.ts';

export function registerFileEncoding(program: Command, ctx: CliContext): void {
  program
    .command('set-file-encoding')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .requiredOption('--encoding <encoding>', `the new encoding: ${CSV_ENCODINGS.join(', ')}`)
    .option('--reason <text>', 'why (recorded in the audit log)', '')
    .action((opts: { tenant: string; month: string; encoding: string; reason: string }) => {
      const month = parseMonth(opts.month);
      if (!(CSV_ENCODINGS as readonly string[]).includes(opts.encoding))
        throw new InputError(`--encoding: "${opts.encoding}" must be ${CSV_ENCODINGS.join(', ')}`);
      parseReason(opts.reason);
      const encoding = opts.encoding as CsvEncoding;
      const from = setFileEncoding(verbJobContext(ctx), {
        tenant: opts.tenant,
        billingMonth: month,
        encoding,
        reason: opts.reason,
        by: operator(),
      });
      ctx.output.out(
        `${opts.tenant} ${month}: its files will be written in ${encoding} (was ${from}); the next pass (\`usage-charges run\`) writes and mails them`,
      );
    });
}
