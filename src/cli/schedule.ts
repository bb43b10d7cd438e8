/** `usage-charges schedule`: the long-running service: a catch-up pass at start, then the nightly pass and delivery retries. */
import type { Command } from 'commander';
import { retryDelayMs } from '../../jobs/deliver.ts';
import { leasedPass } from '../../jobs/pass.ts';
import { startScheduler, type Scheduler } from '../../jobs/scheduler.ts';
import { UsageChargesError } from '../domain/errors.ts';
import { mailSettingWarnings } from '../config.ts';
import { createMailer } from '../mail/transport.ts';
import { nextAttemptAt } from '../store/outbox.ts';
import { openHolds } from '../store/holds.ts';
import { nextHoldRelease } from '../../jobs/review.ts';
import { deliveryBacklog } from '../store/summary.ts';
import { setBusyTimeout } from '../store/db.ts';
import { PASS_BUSY_TIMEOUT_MS, type CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { printPass } from './pass-report.ts';
import { onStopSignals } from './signals.ts';
import path from 'node:path';
import { signInUser } from '../store/sessions.ts';
import { DEMO_USERS } from './seed-demo.ts';
import { startWeb, type StartedWeb } from './serve.ts';
import { printedSignInLink } from './users.ts';

export function registerSchedule(program: Command, ctx: CliContext): void {
  program
    .command('schedule')
    .option('--web', 'also run the web server (as `serve` does), in this process')
    .action(async (opts: { web?: boolean }) => {
      const config = ctx.config();
      const db = ctx.db();
      // A pass's writes wait out an import (the result of a message already sent must be recorded).
      setBusyTimeout(db, PASS_BUSY_TIMEOUT_MS);
      const log = ctx.logger();
      for (const warning of mailSettingWarnings(config)) ctx.output.err(`warning: ${warning}`);
      const mailer = createMailer(config);
      let outages = 0;
      const stop = onStopSignals((signal) => log.info({ signal }, 'stop requested: finishing the message in flight'));
      const jobs = verbJobContext(ctx, { log, shouldStop: () => stop.requested });
      let scheduler: Scheduler | undefined;
      let web: StartedWeb | null = null;
      if (opts.web === true) {
        try {
          web = await startWeb(ctx);
        } catch (err) {
          stop.dispose();
          mailer.close();
          throw err;
        }
        ctx.output.out(
          `usage-charges web server at ${web.url} (health: ${web.url}/healthz, metrics: ${web.url}/metrics)`,
        );
        for (const line of await demoSignIn(ctx, web.url)) ctx.output.out(line);
      }
      let announced = false;
      const announce = (): void => {
        if (announced || scheduler === undefined) return;
        announced = true;
        ctx.output.out(
          `usage-charges is running: the next pass is at ${scheduler.nextRun()?.toISOString() ?? 'never'} (CRON_SCHEDULE "${config.cronSchedule}" in ${config.cronTimeZone}); stop it with Ctrl-C or SIGTERM`,
        );
      };
      try {
        scheduler = startScheduler(jobs, {
          expression: config.cronSchedule,
          timeZone: config.cronTimeZone,
          runPass: async (trigger) => {
            let stopped: boolean;
            try {
              const result = await leasedPass(jobs, { mailer, asOf: new Date(), wait: true });
              stopped = result.deliveries.stopped !== null;
              const d = result.deliveries;
              // A retry pass that changed nothing says nothing; one whose mails were all deferred again says so.
              if (
                trigger !== 'retry' ||
                d.sent.length + d.failed.length + d.deferred > 0 ||
                result.close.closed.length > 0 ||
                stopped
              ) {
                printPass(ctx.output, result, {
                  dataDir: config.dataDir,
                  zipsInDatabase: config.databaseUrl !== null,
                  mailer,
                  label: trigger === 'start' ? 'catch-up pass' : trigger === 'retry' ? 'retry pass' : 'scheduled pass',
                  backlog: deliveryBacklog(db),
                  held: openHolds(db),
                });
              }
            } catch (err) {
              if (err instanceof UsageChargesError && err.code === 'E_STOPPED') return { nextRetryAt: null };
              // The pass could not run (another held the lease too long, a busy store): try again later.
              stopped = true;
              log.error({ trigger, error: (err as Error).message }, 'pass failed; trying again later');
              ctx.output.err(`pass failed: ${(err as Error).message}`);
            } finally {
              // The service's first line about itself comes after the catch-up pass's report.
              if (trigger === 'start') announce();
            }
            // A mail server that cannot be used is tried again after a growing wait (MAIL_RETRY_BASE_SECONDS
            // doubling, at most 6 hours), not at every due delivery's time.
            outages = stopped ? outages + 1 : 0;
            const now = new Date();
            if (stopped)
              return {
                nextRetryAt: new Date(
                  now.getTime() + Math.max(1000, retryDelayMs(config.mail.retryBaseSeconds, outages)),
                ),
              };
            // The next delivery retry, or the next review hold REVIEW_HOLD_HOURS releases, whichever comes first.
            const next = nextAttemptAt(db, now.toISOString());
            const release = nextHoldRelease(jobs);
            const times = [next === null ? null : new Date(next), release].filter((t): t is Date => t !== null);
            return { nextRetryAt: times.length === 0 ? null : new Date(Math.min(...times.map((t) => t.getTime()))) };
          },
        });
        await stop.whenRequested;
        await scheduler.stop();
        ctx.output.out('usage-charges stopped');
      } finally {
        stop.dispose();
        mailer.close();
        await web?.close();
      }
    });
}

/**
 * On the demo (its operator exists and has set no password yet), a one-time sign-in link for the
 * operator, so that `npm start` shows the console at once; nothing on any other store.
 */
async function demoSignIn(ctx: CliContext, serverUrl: string): Promise<string[]> {
  const operatorEmail = DEMO_USERS[0].email;
  const demo = signInUser(ctx.db(), operatorEmail);
  if (demo === undefined || demo.disabledAt !== null || demo.passwordHash !== null) return [];
  const { url, expiresAt } = await printedSignInLink(ctx, operatorEmail, serverUrl);
  const config = ctx.config();
  return [
    `demo: sign in as ${operatorEmail} with this one-time link (until ${expiresAt}): ${url}`,
    config.smtpUrl === null
      ? `      later links: "send the link" on the sign-in page writes them to ${path.join(config.dataDir, 'outbox')} as .eml files`
      : `      later links: "send the link" on the sign-in page mails them`,
  ];
}
