/**
 * `usage-charges estimate --tenant T [--as-of ISO] [--out PATH] [--format ror]`: the open month so
 * far as statement files with status `estimated`; stores and sends nothing.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { zipOf } from '../../jobs/build-files.ts';
import { estimate } from '../../jobs/estimate.ts';
import { ECL_FORMATS, buildEclFile, type EclFormat } from '../statements/ecl-files.ts';
import { safeFileName } from '../statements/ror-files.ts';
import { localDate } from '../domain/calendar.ts';
import { InputError } from '../domain/errors.ts';
import type { CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { parseAsOf, writeOutput } from './options.ts';
import { shown } from './output.ts';
import { requireTenant } from '../../jobs/request.ts';

/** The formats an estimate is written in: the ROR zip, or one of the ECL exports. */
export const ESTIMATE_FORMATS = ['ror', ...ECL_FORMATS] as const;

export function registerEstimate(program: Command, ctx: CliContext): void {
  program
    .command('estimate')
    .requiredOption('--tenant <name>', 'the tenant')
    .option(
      '--as-of <instant>',
      'ISO 8601 instant with zone (default: now): the open period containing it, usage before the start of its day',
    )
    .option(
      '--out <path>',
      'where to write the file (default: ./<zip name>_estimate.zip, or ./<YYYYMM>_<tenant>_<format>.csv for an ECL format)',
    )
    .option(
      '--format <format>',
      `file format: ${ESTIMATE_FORMATS.join(', ')} (ror: the ROR list and detail CSVs, zipped)`,
      'ror',
    )
    .action(async (opts: { tenant: string; asOf?: string; out?: string; format: string }) => {
      const asOf = parseAsOf(opts.asOf);
      if (!(ESTIMATE_FORMATS as readonly string[]).includes(opts.format)) {
        throw new InputError(
          `--format: "${opts.format}" is not a format estimate writes (${ESTIMATE_FORMATS.join(', ')})`,
        );
      }
      const config = ctx.config();
      requireTenant(ctx.db(), opts.tenant);
      const result = estimate(verbJobContext(ctx), { tenant: opts.tenant, asOf });
      if (!result.ok) throw new InputError(`estimate: ${result.reason}`);
      const { view, period, usedUntil } = result;
      let zip: { name: string; bytes: Buffer };
      if (opts.format === 'ror') {
        zip = zipOf(view, config);
        // An estimate's file is never mistaken for the statement of the same month.
        zip = { ...zip, name: zip.name.replace(/\.zip$/, '_estimate.zip') };
      } else {
        const name = `${period.billingMonth.replace('-', '')}_${safeFileName(view.tenant.name)}_${opts.format}.csv`;
        zip = {
          name,
          bytes: buildEclFile(opts.format as EclFormat, [view], { encoding: view.files!.encoding, fileName: name }),
        };
      }
      const file = path.resolve(opts.out ?? zip.name);
      await writeOutput(file, zip.bytes);
      const tz = config.billingTimeZone;
      const tree = view.tree;
      const out = ctx.output.out;
      out(
        `estimate of ${shown(view.tenant.name)} for ${period.billingMonth} as of ${asOf.toISOString()} (status estimated; nothing stored or sent)`,
      );
      out(`  period: ${localDate(period.start, tz)} .. ${localDate(period.end - 1, tz)} (${tz})`);
      out(
        `  usage counted: ${usedUntil > period.start ? `${localDate(period.start, tz)} .. ${localDate(usedUntil - 1, tz)}` : "none yet (the period's first day)"}`,
      );
      out(`  amount so far: ${tree.total.toFixed()} ${tree.currency}`);
      out(`  file: ${file} (${zip.bytes.length} bytes)`);
    });
}
