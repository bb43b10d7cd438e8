/**
 * `usage-charges resend --tenant T --month YYYY-MM [--to ADDR] [--reason TEXT]`: a new delivery of
 * the archived zip (the same bytes, checked against the stored SHA-256), audited; and
 * `usage-charges retry --failed [--month YYYY-MM]`: failed deliveries back in the queue.
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { resendStatement, resendTarget, retryFailed } from '../../jobs/resend.ts';
import { InputError } from '../domain/errors.ts';
import { createMailer } from '../mail/transport.ts';
import { setBusyTimeout } from '../store/db.ts';
import { PASS_BUSY_TIMEOUT_MS, type CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { operator, parseMonth, parseReason } from './options.ts';
import { shown } from './output.ts';

const ADDRESS = z.email();

/** `resend --tenant --month [--to] [--reason]`: a finalized statement sent again. */
export function registerResend(program: Command, ctx: CliContext): void {
  program
    .command('resend')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .option('--to <address>', 'send to this address instead of the contacts')
    .option('--reason <text>', 'why (recorded in the audit log and shown by status)', '')
    .action(async (opts: { tenant: string; month: string; to?: string; reason: string }) => {
      const month = parseMonth(opts.month);
      if (opts.to !== undefined && (/[\r\n]/.test(opts.to) || !ADDRESS.safeParse(opts.to).success))
        throw new InputError(`--to: ${JSON.stringify(opts.to)} is not an e-mail address`);
      parseReason(opts.reason);
      const db = ctx.db();
      // A pass's writes wait out an import (the result of a message already sent must be recorded).
      setBusyTimeout(db, PASS_BUSY_TIMEOUT_MS);
      const jobs = verbJobContext(ctx, { log: ctx.logger() });
      const target = resendTarget(jobs, { tenant: opts.tenant, billingMonth: month, to: opts.to });
      const mailer = createMailer(ctx.config());
      try {
        const summary = await resendStatement(jobs, target, {
          mailer,
          reason: opts.reason,
          by: operator(),
          onWait: (holder) => ctx.output.out(`waiting for the pass of ${holder} to finish`),
        });
        for (const s of summary.sent) {
          ctx.output.out(
            mailer.kind === 'eml'
              ? `wrote the resend of ${opts.tenant} ${month} to ${shown(s.recipient)} to the outbox: ${shown(s.response.replace(/^written /, ''))} (Message-ID ${s.messageId})`
              : `resent ${opts.tenant} ${month} to ${shown(s.recipient)}: ${shown(s.response)} (Message-ID ${s.messageId})`,
          );
        }
        for (const w of summary.retrying)
          ctx.output.out(
            `not sent yet to ${shown(w.recipient)}: ${shown(w.lastError)}; the next pass retries at ${w.nextAttemptAt}`,
          );
        for (const f of summary.failed)
          ctx.output.err(`failed to resend ${opts.tenant} ${month} to ${shown(f.recipient)}: ${shown(f.reason)}`);
        if (summary.stopped !== null)
          ctx.output.err(`the mail server is unusable: ${summary.stopped}; the next pass retries`);
        if (summary.failed.length > 0 || summary.stopped !== null) ctx.failed = true;
      } finally {
        mailer.close();
      }
    });
}

/** `retry --failed [--month]`: failed deliveries back in the queue. */
export function registerRetry(program: Command, ctx: CliContext): void {
  program
    .command('retry')
    .requiredOption('--failed', 'the failed deliveries')
    .option('--month <YYYY-MM>', 'only those of this billing month')
    .action((opts: { failed: boolean; month?: string }) => {
      const month = opts.month === undefined ? null : parseMonth(opts.month);
      const { failed, requeued: n } = retryFailed(verbJobContext(ctx), { billingMonth: month, by: operator() });
      for (const f of failed)
        ctx.output.out(
          `  requeued ${shown(f.tenantName)} ${f.billingMonth} to ${shown(f.recipient)} (was: ${shown(f.lastError)})`,
        );
      ctx.output.out(
        n === 0
          ? `no failed deliveries${month ? ` of ${month}` : ''}`
          : `${n} deliveries requeued; the next pass sends them (\`usage-charges run\` to send them now)`,
      );
    });
}
