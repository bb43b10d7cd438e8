/**
 * `usage-charges export --format ecl-detail|ecl-summary|ecl-tiered --month YYYY-MM [--tenant T [--revision N]] [--out FILE]`:
 * a month's statements in an ECL format, fixed (the current revision) when finalized, otherwise
 * estimated afresh; with --revision, that finalized revision of the tenant's month. Stores nothing.
 */
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Command } from 'commander';
import { monthStatements, revisionStatement } from '../../jobs/export.ts';
import { InputError } from '../domain/errors.ts';
import { ECL_FORMATS, buildEclFile, type EclFormat } from '../statements/ecl-files.ts';
import type { CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { CSV_ENCODINGS, type CsvEncoding } from '../statements/csv.ts';
import type { StatementView } from '../statements/view.ts';

/**
 * The encoding of an export without --encoding: the one its statements' files are written in
 * (frozen with a fixed statement, the tenant's for an estimate) when they all share it, else
 * utf8-bom, which holds every character.
 */
export function exportEncoding(views: readonly StatementView[]): CsvEncoding {
  const used = new Set(views.map((v) => v.files?.encoding ?? 'utf8'));
  return used.size === 1 ? [...used][0]! : 'utf8-bom';
}
import { processOutput, shown } from './output.ts';
import { parseMonth, writeOutput } from './options.ts';
import { requireTenant } from '../../jobs/request.ts';

export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .requiredOption('--format <format>', `${ECL_FORMATS.join(', ')}`)
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .option('--tenant <name>', 'only this tenant (default: every tenant with a statement for the month, in name order)')
    .option(
      '--revision <n>',
      "with --tenant: that finalized revision of the tenant's month (default: the current one); a voided or replaced one too",
    )
    .option('--out <file>', 'write the file here (default: standard output)')
    .option(
      '--encoding <encoding>',
      "utf8, utf8-bom or cp932 (default: the encoding of the tenants' statement files; utf8-bom when they differ)",
    )
    .action(
      async (opts: {
        format: string;
        month: string;
        tenant?: string;
        revision?: string;
        out?: string;
        encoding?: string;
      }) => {
        if (!(ECL_FORMATS as readonly string[]).includes(opts.format))
          throw new InputError(`--format: "${opts.format}" is not one of ${ECL_FORMATS.join(', ')}`);
        const format = opts.format as EclFormat;
        const month = parseMonth(opts.month);
        if (opts.encoding !== undefined && !(CSV_ENCODINGS as readonly string[]).includes(opts.encoding))
          throw new InputError(`--encoding: "${opts.encoding}" must be ${CSV_ENCODINGS.join(', ')}`);
        if (opts.revision !== undefined) {
          if (opts.tenant === undefined)
            throw new InputError("--revision: give --tenant too (a revision is of one tenant's month)");
          if (!/^\d{1,6}$/.test(opts.revision) || Number(opts.revision) < 1)
            throw new InputError(`--revision: "${opts.revision}" must be a whole number from 1`);
        }
        if (opts.tenant !== undefined) requireTenant(ctx.db(), opts.tenant);
        const { views, skipped } =
          opts.revision !== undefined && opts.tenant !== undefined
            ? {
                views: [
                  revisionStatement(verbJobContext(ctx), {
                    tenant: opts.tenant,
                    month,
                    revision: Number(opts.revision),
                  }),
                ],
                skipped: [],
              }
            : monthStatements(verbJobContext(ctx), { month, tenant: opts.tenant ?? null });
        if (opts.tenant !== undefined && views.length === 0)
          throw new InputError(
            `--tenant: tenant "${opts.tenant}" has no statement for ${month} (${skipped[0]?.reason ?? 'none'})`,
          );
        if (skipped.some((s) => s.failed)) ctx.failed = true;
        const encoding = (opts.encoding as CsvEncoding | undefined) ?? exportEncoding(views);
        const file = opts.out === undefined ? null : path.resolve(opts.out);
        const bytes = buildEclFile(format, views, {
          encoding,
          fileName: file === null ? `${format}.csv` : path.basename(file),
        });

        const fixed = views.filter((v) => v.status === 'fixed').length;
        const summary = `export ${format} ${month}: ${views.length} statement(s), ${fixed} fixed, ${views.length - fixed} estimated`;
        if (file === null) {
          // The file itself goes to standard output, as bytes (cp932 stays cp932); notes go to stderr.
          if (ctx.output === processOutput) process.stdout.write(bytes);
          else ctx.output.out(iconv.decode(bytes, encoding === 'cp932' ? 'cp932' : 'utf8').replace(/\r\n$/, ''));
          for (const s of skipped) ctx.output.err(`  skipped ${shown(s.tenant)}: ${shown(s.reason)}`);
          return;
        }
        await writeOutput(file, bytes);
        ctx.output.out(`${summary}; wrote ${file} (${bytes.length} bytes)`);
        for (const s of skipped) ctx.output.out(`  skipped ${shown(s.tenant)}: ${shown(s.reason)}`);
      },
    );
}
