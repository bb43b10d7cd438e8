/** `usage-charges import <kind> FILE.csv [--as-adjustment]`: one all-or-nothing import of a CSV file. */
import type { Command } from 'commander';
import {
  IMPORT_KIND_NAMES,
  IMPORT_KINDS,
  importFile,
  type ImportKindName,
  type ImportResult,
} from '../ingest/index.ts';
import { InputError } from '../domain/errors.ts';
import type { AnyImportKind } from '../ingest/import-kind.ts';
import type { CliContext } from './context.ts';
import { IMPORT_ENCODINGS, type ImportEncoding } from '../ingest/csv-source.ts';
import { importProgress } from './progress.ts';
import { operator } from './options.ts';

/** One line saying what an import did. */
export function describeImport(r: ImportResult): string {
  return `${r.kind}: ${r.file}: ${r.rows} row${r.rows === 1 ? '' : 's'}: ${r.inserted} added, ${r.updated} updated, ${r.unchanged} unchanged`;
}

export function registerImport(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .argument('<kind>', `what the file holds: ${IMPORT_KIND_NAMES.join(', ')}`)
    .argument('<file>', 'the CSV file')
    .option(
      '--encoding <encoding>',
      `the file's encoding: ${IMPORT_ENCODINGS.join(' or ')} (Shift_JIS as Excel saves it)`,
      'utf8',
    )
    .option(
      '--as-adjustment',
      'usage only: book records that fall in a finalized month into the next open month, as adjustment lines naming their month',
    )
    .addHelpText('after', '\nColumns of each kind: docs/formats.md. Examples: data/demo/*.csv.')
    .action(async (kind: string, file: string, opts: { asAdjustment?: boolean; encoding: string }) => {
      if (!(IMPORT_KIND_NAMES as string[]).includes(kind)) {
        throw new InputError(`import: unknown kind "${kind}" (one of ${IMPORT_KIND_NAMES.join(', ')})`);
      }
      if (!(IMPORT_ENCODINGS as readonly string[]).includes(opts.encoding))
        throw new InputError(`--encoding: "${opts.encoding}" must be ${IMPORT_ENCODINGS.join(' or ')}`);
      if (opts.asAdjustment && kind !== 'usage')
        throw new InputError(`--as-adjustment: only for kind usage, not ${kind}`);
      const config = ctx.config();
      const progress = importProgress(kind, ctx.output.progress);
      let result: ImportResult;
      try {
        result = await importFile(
          IMPORT_KINDS[kind as ImportKindName] as AnyImportKind,
          { path: file },
          {
            db: ctx.db(),
            now: new Date().toISOString(),
            defaultCurrency: config.defaultCurrency,
            defaultLocale: config.defaultLocale,
            csvEncoding: config.csvEncoding,
            billingTimeZone: config.billingTimeZone,
            asAdjustment: opts.asAdjustment === true,
            by: operator(),
          },
          {
            maxErrors: config.importMaxErrors,
            encoding: opts.encoding as ImportEncoding,
            onRow: (n) => progress.row(n),
          },
        );
      } finally {
        progress.stop();
      }
      ctx.output.out(describeImport(result));
    });
}
