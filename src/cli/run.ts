/** `usage-charges run [--as-of ISO]`: one month-end pass: close every due period and write its files. */
import type { Command } from 'commander';
import { buildFiles, pruneFiles } from '../../jobs/build-files.ts';
import { closeDue } from '../../jobs/close.ts';
import type { CliContext } from './context.ts';
import { parseAsOf } from './options.ts';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('one month-end pass: finalize every period whose cut-off day has ended (oldest first) and write its statement files')
    .option('--as-of <instant>', 'ISO 8601 instant with zone (default: now): periods that ended by then are due')
    .action(async (opts: { asOf?: string }) => {
      const asOf = parseAsOf(opts.asOf);
      const config = ctx.config();
      const db = ctx.db();
      const result = closeDue(db, config, asOf);
      const files = await buildFiles(db, config);
      const pruned = pruneFiles(db, config, asOf);
      const out = ctx.output.out;
      out(`run as of ${asOf.toISOString()}: ${result.closed.length} closed, ${result.failed.length} failed; ${files.written.length} files written, ${files.failed.length} failed${pruned ? `; ${pruned} old files pruned` : ''}`);
      for (const c of result.closed) out(`  closed ${c.tenant} ${c.billingMonth}: total ${c.total} ${c.currency}`);
      for (const w of files.written) out(`  wrote ${w.zip} (${w.bytes} bytes)`);
      for (const f of result.failed) ctx.output.err(`  failed to close ${f.tenant} ${f.billingMonth}: ${f.reason}`);
      for (const f of files.failed) ctx.output.err(`  failed to write the files of ${f.tenant} ${f.billingMonth}: ${f.reason}`);
      if (result.failed.length + files.failed.length > 0) ctx.failed = true;
    });
}
