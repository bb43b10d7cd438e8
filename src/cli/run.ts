/** `usage-charges run [--as-of ISO] [--wait] [--dry-run]`: one month-end pass, as the scheduler runs it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { leasedPass, monthEndPass } from '../../jobs/pass.ts';
import { mailSettingWarnings } from '../config.ts';
import { createMailer } from '../mail/transport.ts';
import { backupToFile } from '../store/copy-store.ts';
import { closeStore, DB_FILE_NAME, openStore, setBusyTimeout, storePlace, type Db } from '../store/db.ts';
import { jobContext, type JobStage } from '../../jobs/context.ts';
import { PASS_BUSY_TIMEOUT_MS, type CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { parseAsOf } from './options.ts';
import { printPass, type PassVerdict } from './pass-report.ts';
import { InputError } from '../domain/errors.ts';
import { deliveryBacklog } from '../store/summary.ts';
import { openHolds } from '../store/holds.ts';
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
      '--keep',
      'with --dry-run: keep the temporary folder (the copy of the store, the zips and the .eml files) to look at; by default it is removed',
    )
    .option(
      '--verbose',
      'list every statement closed, file written and mail sent (the report shows counts and every failure)',
    )
    .action(async (opts: { asOf?: string; wait?: boolean; dryRun?: boolean; keep?: boolean; verbose?: boolean }) => {
      const asOf = parseAsOf(opts.asOf);
      if (opts.keep === true && opts.dryRun !== true) throw new InputError('--keep: only with --dry-run');
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
        await dryRun(ctx, db, asOf, { keep: opts.keep === true, verbose, onProgress, verdict, progress });
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
          printPass(ctx.output, result, {
            dataDir: config.dataDir,
            zipsInDatabase: config.databaseUrl !== null,
            mailer,
            verbose,
            backlog: deliveryBacklog(db),
            held: openHolds(db),
          }),
        );
      } finally {
        stop.dispose();
        progress.stop();
        mailer.close();
      }
    });
}

/**
 * `run --dry-run`: the same pass on a copy of the store in a temporary folder (readable by the owner
 * only), mails written there as .eml: what it would close, write and send, without touching the
 * store, the archive or the mail server. The folder is removed at the end unless `keep`.
 */
async function dryRun(
  ctx: CliContext,
  db: Db,
  asOf: Date,
  o: {
    keep: boolean;
    verbose: boolean;
    onProgress: (stage: JobStage, done: number, total: number) => void;
    verdict: (v: PassVerdict) => void;
    progress: ReturnType<typeof progressBar>;
  },
): Promise<void> {
  const config = ctx.config();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-dry-run-'));
  try {
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, DB_FILE_NAME);
    await backupToFile(db, file);
    fs.chmodSync(file, 0o600);
    const copy = openStore(dir);
    const dryConfig = { ...config, dataDir: dir, databaseUrl: null, smtpUrl: null };
    const mailer = createMailer(dryConfig);
    try {
      const result = await monthEndPass(
        jobContext(copy, dryConfig, { log: ctx.logger().child({ dryRun: true }), progress: o.onProgress }),
        { mailer, asOf },
      );
      o.progress.stop();
      o.verdict(
        printPass(ctx.output, result, {
          dataDir: o.keep ? dir : null,
          mailer,
          label: 'dry run',
          verbose: o.verbose,
          backlog: deliveryBacklog(copy),
          held: openHolds(copy),
        }),
      );
      ctx.output.out(
        o.keep
          ? `dry run: nothing in ${config.databaseUrl === null ? config.dataDir : storePlace(config)} was changed and nothing was sent; what the pass would write and send is in ${dir}`
          : `dry run: nothing in ${config.databaseUrl === null ? config.dataDir : storePlace(config)} was changed and nothing was sent; its temporary copy is removed (--keep keeps it, with the files and mails the pass would write)`,
      );
    } finally {
      o.progress.stop();
      mailer.close();
      closeStore(copy);
    }
  } finally {
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
