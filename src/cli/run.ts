/** `usage-charges run [--as-of ISO] [--wait] [--dry-run]`: one month-end pass, as the scheduler runs it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { leasedPass, monthEndPass } from '../../jobs/pass.ts';
import { mailSettingWarnings } from '../config.ts';
import { createMailer } from '../mail/transport.ts';
import { backupStore, closeStore, DB_FILE_NAME, openStore, setBusyTimeout } from '../store/db.ts';
import { jobContext, type JobStage } from '../../jobs/context.ts';
import { PASS_BUSY_TIMEOUT_MS, type CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { parseAsOf } from './options.ts';
import { printPass, type PassVerdict } from './pass-report.ts';
import { deliveryBacklog } from '../store/summary.ts';
import { progressBar } from './progress.ts';
import { onStopSignals } from './signals.ts';
import { activeFaultHooks, testClock } from '../testing/faults.ts';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .option('--as-of <instant>', 'ISO 8601 instant with zone (default: now): periods that ended by then are due')
    .option(
      '--wait',
      'when another pass is running, wait for it to finish (up to an hour) instead of exiting with code 1',
    )
    .option(
      '--dry-run',
      'do the whole pass on a copy of the store in a temporary folder, mails written there as .eml: nothing is changed or sent',
    )
    .option(
      '--verbose',
      'list every statement closed, file written and mail sent (the report shows counts and every failure)',
    )
    .action(async (opts: { asOf?: string; wait?: boolean; dryRun?: boolean; verbose?: boolean }) => {
      const asOf = parseAsOf(opts.asOf);
      const config = ctx.config();
      // A dry run changes nothing: on a data dir without a store it creates none (exit 2, as status).
      if (opts.dryRun === true) ctx.createsStore = false;
      const db = ctx.db();
      // A pass's writes wait out an import (the result of a message already sent must be recorded).
      setBusyTimeout(db, PASS_BUSY_TIMEOUT_MS);
      const log = ctx.logger();
      const out = ctx.output.out;
      const progress = progressBar(ctx.output.progress);
      const verbose = opts.verbose === true;
      const verdict = (v: PassVerdict): void => {
        if (v === 'failed') ctx.failed = true;
        if (v === 'deferred') ctx.nothingDelivered = true;
      };
      const onProgress = (stage: JobStage, done: number, total: number): void => progress.update(stage, done, total);

      if (opts.dryRun) {
        // The same pass, on a snapshot of the store: what it would close, write and send, without
        // touching the store, the archive or the mail server.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-dry-run-'));
        await backupStore(db, path.join(dir, DB_FILE_NAME));
        const copy = openStore(dir);
        const dryConfig = { ...config, dataDir: dir, smtpUrl: null };
        const mailer = createMailer(dryConfig);
        try {
          const result = await monthEndPass(
            jobContext(copy, dryConfig, { log: log.child({ dryRun: true }), progress: onProgress }),
            { mailer, asOf },
          );
          progress.stop();
          verdict(
            printPass(ctx.output, result, {
              dataDir: dir,
              mailer,
              label: 'dry run',
              verbose,
              backlog: deliveryBacklog(copy),
            }),
          );
          out(
            `dry run: nothing in ${config.dataDir} was changed and nothing was sent; what the pass would write and send is in ${dir}`,
          );
        } finally {
          progress.stop();
          mailer.close();
          closeStore(copy);
        }
        return;
      }

      for (const warning of mailSettingWarnings(config)) ctx.output.err(`warning: ${warning}`);
      const mailer = createMailer(config);
      const hooks = activeFaultHooks();
      if (hooks.length > 0) log.warn({ hooks }, 'test fault hooks are set: never in production (docs/reliability.md)');
      const clock = testClock();
      // SIGINT/SIGTERM: finish the message in flight, record it, release the lease, stop.
      const stop = onStopSignals((signal) => log.warn({ signal }, 'stop requested: finishing the message in flight'));
      try {
        const jobs = verbJobContext(ctx, {
          log,
          now: clock ?? undefined,
          progress: onProgress,
          shouldStop: () => stop.requested,
        });
        const result = await leasedPass(jobs, {
          mailer,
          asOf,
          wait: opts.wait === true,
          onWait: (holder, until) =>
            out(`waiting for another usage-charges pass (owner ${holder}, lease until ${until}) to finish`),
          onTakeOver: (previous, because) =>
            out(
              because === 'holder-gone'
                ? `took over the month-end lease of ${previous}, whose process is no longer running on this host (its pass did not finish)`
                : `took over the month-end lease of ${previous}, which expired (its pass did not finish)`,
            ),
        });
        progress.stop();
        verdict(
          printPass(ctx.output, result, { dataDir: config.dataDir, mailer, verbose, backlog: deliveryBacklog(db) }),
        );
      } finally {
        stop.dispose();
        progress.stop();
        mailer.close();
      }
    });
}
