/**
 * `usage-charges hold --tenant T --month YYYY-MM [--reason TEXT]` and
 * `usage-charges release --month YYYY-MM [--tenant T] [--reason TEXT]`: the month-end review.
 */
import type { Command } from 'commander';
import { holdForReview, releaseHeld } from '../../jobs/review.ts';
import type { CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { operator, parseMonth, parseReason } from './options.ts';
import { shown } from './output.ts';

/** `hold`: one finalized statement waits for `release` before its mails go. */
export function registerHold(program: Command, ctx: CliContext): void {
  program
    .command('hold')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .option('--reason <text>', 'why (recorded in the audit log and shown by status)', '')
    .action((opts: { tenant: string; month: string; reason: string }) => {
      const month = parseMonth(opts.month);
      const reason = parseReason(opts.reason);
      const held = holdForReview(verbJobContext(ctx), {
        tenantName: opts.tenant,
        billingMonth: month,
        by: operator(),
        reason,
      });
      ctx.output.out(
        `held ${shown(held.tenantName)} ${held.billingMonth} since ${held.heldAt}: none of its mails is sent until usage-charges release --month ${month} --tenant ${held.tenantName}`,
      );
    });
}

/** `release`: the held statements of a month (or of one tenant) go with the next pass. */
export function registerRelease(program: Command, ctx: CliContext): void {
  program
    .command('release')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .option('--tenant <name>', 'only this tenant')
    .option('--reason <text>', 'why (recorded in the audit log)', '')
    .action((opts: { month: string; tenant?: string; reason: string }) => {
      const month = parseMonth(opts.month);
      const reason = parseReason(opts.reason);
      const released = releaseHeld(verbJobContext(ctx), {
        billingMonth: month,
        tenantName: opts.tenant ?? null,
        by: operator(),
        reason,
      });
      for (const h of released)
        ctx.output.out(`  released ${shown(h.tenantName)} ${h.billingMonth} (held since ${h.heldAt})`);
      ctx.output.out(
        released.length === 0
          ? `no statement of ${month}${opts.tenant === undefined ? '' : ` of ${opts.tenant}`} is held`
          : `${released.length} statement(s) released; the next pass sends their mails (\`usage-charges run\` to send them now)`,
      );
    });
}
