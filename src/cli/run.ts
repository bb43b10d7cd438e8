/** `usage-charges run [--as-of ISO] [--wait]`: one month-end pass: close every due period and write its files. */
import type { Command } from 'commander';
import { buildFiles, pruneFiles } from '../../jobs/build-files.ts';
import { closeDue } from '../../jobs/close.ts';
import { withLease } from '../../jobs/with-lease.ts';
import type { CliContext } from './context.ts';
import { parseAsOf } from './options.ts';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('one month-end pass: finalize every period whose cut-off day has ended (oldest first) and write its statement files; one pass at a time (the month-end lease)')
    .option('--as-of <instant>', 'ISO 8601 instant with zone (default: now): periods that ended by then are due')
    .option('--wait', 'when another pass is running, wait for it to finish (up to an hour) instead of exiting with code 1')
    .action(async (opts: { asOf?: string; wait?: boolean }) => {
      const asOf = parseAsOf(opts.asOf);
      const config = ctx.config();
      const db = ctx.db();
      const out = ctx.output.out;
      const leaseOptions = {
        ttlMs: config.lockTtlSeconds * 1000,
        asOf,
        wait: opts.wait === true,
        onWait: (holder: string, until: string) => out(`waiting for another usage-charges pass (owner ${holder}, lease until ${until}) to finish`),
        onTakeOver: (previous: string) => out(`took over the month-end lease of ${previous}, which expired (its pass did not finish)`),
      };
      const { result, files, pruned } = await withLease(db, leaseOptions, async (held) => {
        const result = closeDue(db, config, asOf);
        held.heartbeat();
        const files = await buildFiles(db, config);
        held.heartbeat();
        const pruned = pruneFiles(db, config, asOf);
        const failures = result.failed.length + files.failed.length;
        return {
          result: { result, files, pruned },
          status: failures > 0 ? 'failed' : 'ok',
          summary: {
            closed: result.closed.length,
            failed: result.failed.length,
            filesWritten: files.written.length,
            filesFailed: files.failed.length,
            pruned,
          },
        };
      });
      out(`run as of ${asOf.toISOString()}: ${result.closed.length} closed, ${result.failed.length} failed; ${files.written.length} files written, ${files.failed.length} failed${pruned ? `; ${pruned} old files pruned` : ''}`);
      for (const c of result.closed) out(`  closed ${c.tenant} ${c.billingMonth}: total ${c.total} ${c.currency}`);
      for (const w of files.written) out(`  wrote ${w.zip} (${w.bytes} bytes)`);
      for (const f of result.failed) ctx.output.err(`  failed to close ${f.tenant} ${f.billingMonth}: ${f.reason}`);
      for (const f of files.failed) ctx.output.err(`  failed to write the files of ${f.tenant} ${f.billingMonth}: ${f.reason}`);
      if (result.failed.length + files.failed.length > 0) ctx.failed = true;
    });
}
