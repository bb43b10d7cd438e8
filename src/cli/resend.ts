/**
 * `usage-charges resend --tenant T --month YYYY-MM [--to ADDR] [--reason TEXT]`: a new delivery of
 * the archived zip (the same bytes, checked against the stored SHA-256), audited; and
 * `usage-charges retry --failed [--month YYYY-MM]`: failed deliveries back in the queue.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { sendDue } from '../../jobs/deliver.ts';
import { archivedZip } from '../../jobs/build-files.ts';
import { withLease } from '../../jobs/with-lease.ts';
import { InputError, UsageChargesError } from '../domain/errors.ts';
import { newMessageId } from '../mail/compose.ts';
import { createMailer } from '../mail/transport.ts';
import { recordAudit } from '../store/audit.ts';
import { createResendDeliveries, failedDeliveries, requeueFailed } from '../store/outbox.ts';
import { lastFilesFailure } from '../store/summary.ts';
import { PASS_BUSY_TIMEOUT_MS, type CliContext } from './context.ts';
import { parseMonth } from './options.ts';
import { shown } from './output.ts';

/** Who asked, as the audit log records it: the user and host of the process. */
export function operator(): string {
  let user = process.env.USER ?? process.env.LOGNAME ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container): keep the environment's name.
  }
  return `${user || 'unknown'}@${os.hostname()}`;
}

const ADDRESS = z.email();

export function registerResend(program: Command, ctx: CliContext): void {
  program
    .command('resend')
    .description(
      "send a finalized statement again: its archived zip (the same bytes, checked against the stored SHA-256) to the tenant's active contacts or to --to; audited",
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .option('--to <address>', 'send to this address instead of the contacts')
    .option('--reason <text>', 'why (recorded in the audit log and shown by status)', '')
    .action(async (opts: { tenant: string; month: string; to?: string; reason: string }) => {
      const month = parseMonth(opts.month);
      if (opts.to !== undefined && (/[\r\n]/.test(opts.to) || !ADDRESS.safeParse(opts.to).success))
        throw new InputError(`--to: ${JSON.stringify(opts.to)} is not an e-mail address`);
      if ([...opts.reason].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) || opts.reason.length > 500)
        throw new InputError('--reason: must be one line of at most 500 characters');
      const config = ctx.config();
      const db = ctx.db();
      // A pass's writes wait out an import (the result of a message already sent must be recorded).
      db.pragma(`busy_timeout = ${PASS_BUSY_TIMEOUT_MS}`);
      const log = ctx.logger();
      const tenant = db.prepare('SELECT tenant_pk FROM tenants WHERE tenant_name = ?').get(opts.tenant) as
        { tenant_pk: number } | undefined;
      if (tenant === undefined) throw new InputError(`--tenant: tenant ${JSON.stringify(opts.tenant)} does not exist`);
      const statement = db
        .prepare('SELECT statement_pk, status FROM statements WHERE tenant_pk = ? AND billing_month = ?')
        .get(tenant.tenant_pk, month) as { statement_pk: number; status: string } | undefined;
      if (statement?.status !== 'fixed')
        throw new InputError(
          `--month: ${opts.tenant} has no finalized statement for ${month} (only a finalized statement is sent)`,
        );
      if (
        db.prepare('SELECT 1 FROM statement_files WHERE statement_pk = ?').get(statement.statement_pk) === undefined
      ) {
        // Not written yet: either no pass has come to them, or writing them failed (and says why).
        const failure = lastFilesFailure(db, opts.tenant, month);
        if (failure === null)
          throw new UsageChargesError(
            'E_ARCHIVE',
            `the files of ${opts.tenant} ${month} are not written yet; \`usage-charges run\` writes them, then resend sends them`,
          );
        throw new UsageChargesError(
          'E_ARCHIVE',
          `the files of ${opts.tenant} ${month} could not be written (last tried ${failure.at}): ${shown(failure.reason)}; ` +
            'nothing can be sent before they are: fix that cause (docs/operations.md "When a statement\'s files fail"), run `usage-charges run`, which writes them, then resend',
        );
      }
      const recipients =
        opts.to !== undefined
          ? [{ contactPk: null, email: opts.to }]
          : (db
              .prepare(
                'SELECT contact_pk AS contactPk, email FROM contacts WHERE tenant_pk = ? AND active = 1 ORDER BY email',
              )
              .all(tenant.tenant_pk) as { contactPk: number; email: string }[]);
      if (recipients.length === 0)
        throw new InputError(`--to: ${opts.tenant} has no active contact; give the address with --to`);

      const mailer = createMailer(config);
      try {
        const jobs = ctx.jobContext();
        const summary = await withLease(
          jobs,
          {
            ttlMs: config.lockTtlSeconds * 1000,
            asOf: new Date(),
            wait: true,
            kind: 'resend',
            onWait: (holder) => ctx.output.out(`waiting for the pass of ${holder} to finish`),
          },
          async (held) => {
            // The archived zip must be the statement (or be rebuilt to it) before anything is queued:
            // a resend that cannot send the recorded bytes says so now and leaves no delivery behind.
            await archivedZip(db, config, statement.statement_pk);
            const at = new Date().toISOString();
            const by = operator();
            const pks = db
              .transaction(() => {
                const created = createResendDeliveries(
                  db,
                  statement.statement_pk,
                  recipients,
                  opts.reason,
                  by,
                  () => newMessageId(config.mailFrom),
                  at,
                );
                recordAudit(db, at, 'resend', opts.tenant, {
                  billingMonth: month,
                  to: recipients.map((r) => r.email),
                  reason: opts.reason,
                  by,
                  deliveries: created,
                });
                return created;
              })
              .immediate();
            log.info({ tenant: opts.tenant, billingMonth: month, deliveries: pks.length, by }, 'resend requested');
            // A lease lost meanwhile (a resend that ran longer than LOCK_TTL_SECONDS without a renewal)
            // stops it before its next message; what it did not send is sent by the next pass.
            const s = await sendDue({ ...jobs, shouldStop: () => held.lost }, mailer, { only: pks });
            return {
              result: s,
              status: s.failed.length > 0 || s.stopped !== null ? 'failed' : 'ok',
              summary: { resend: pks.length, sent: s.sent.length, failed: s.failed.length },
            };
          },
        );
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

  program
    .command('retry')
    .description(
      'put failed deliveries back in the queue (attempts counted afresh, same Message-ID); the next pass (`usage-charges run`) sends them',
    )
    .requiredOption('--failed', 'the failed deliveries')
    .option('--month <YYYY-MM>', 'only those of this billing month')
    .action((opts: { failed: boolean; month?: string }) => {
      const month = opts.month === undefined ? null : parseMonth(opts.month);
      const db = ctx.db();
      const at = new Date().toISOString();
      const by = operator();
      const failed = failedDeliveries(db, month);
      const n = db
        .transaction(() => {
          const count = requeueFailed(
            db,
            failed.map((f) => f.deliveryPk),
            at,
          );
          if (count > 0)
            recordAudit(db, at, 'retry', month ?? '*', {
              billingMonth: month,
              deliveries: failed.map((f) => f.deliveryPk),
              by,
            });
          return count;
        })
        .immediate();
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
