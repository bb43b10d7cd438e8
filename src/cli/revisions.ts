/**
 * `usage-charges void --tenant T --month YYYY-MM --reason TEXT` and
 * `usage-charges reissue --tenant T --month YYYY-MM --reason TEXT [--adjustments FILE] [--dry-run]`: correcting a
 * finalized statement before (void) or after (re-issue) it was mailed.
 */
import type { Command } from 'commander';
import {
  previewReissue,
  reissueChanges,
  reissueStatement,
  voidStatement,
  type ReissueOutcome,
  type ReissuePlan,
} from '../../jobs/revisions.ts';
import { IMPORT_ENCODINGS, type ImportEncoding } from '../ingest/csv-source.ts';
import { describeImport } from './import.ts';
import { InputError } from '../domain/errors.ts';
import { createMailer } from '../mail/transport.ts';
import { setBusyTimeout } from '../store/db.ts';
import { PASS_BUSY_TIMEOUT_MS, type CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { operator, parseMonth, parseReason } from './options.ts';
import { shown } from './output.ts';

/** A required `--reason`: one line, not empty. */
function requiredReason(value: string): string {
  const reason = parseReason(value.trim());
  if (reason === '') throw new InputError('--reason: say why (it is recorded, and a re-issue tells the tenant)');
  return reason;
}

/** A signed amount: `+120`, `-1345.5`, `0`. */
function signed(amount: string): string {
  return amount.startsWith('-') || /^0(\.0+)?$/.test(amount) ? amount : `+${amount}`;
}

/** `void`: a finalized statement nobody received is withdrawn; its month is closed again by the next pass. */
export function registerVoid(program: Command, ctx: CliContext): void {
  program
    .command('void')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .requiredOption('--reason <text>', 'why (recorded in the audit log and shown by history)')
    .action((opts: { tenant: string; month: string; reason: string }) => {
      const month = parseMonth(opts.month);
      const reason = requiredReason(opts.reason);
      const { voided, withdrawn, currentAgain, restored } = voidStatement(verbJobContext(ctx), {
        tenantName: opts.tenant,
        billingMonth: month,
        by: operator(),
        reason,
      });
      const { output } = ctx;
      output.out(
        `voided ${shown(voided.tenantName)} ${month} revision ${voided.revision} (total ${voided.total} ${voided.currency}): ` +
          `kept with its files${voided.zipPath === null ? '' : ` (${voided.zipPath})`}, never sent`,
      );
      if (withdrawn > 0) output.out(`  ${withdrawn} mail(s) of it that had not gone are withdrawn`);
      output.out(
        currentAgain !== null
          ? `  revision ${currentAgain}, which it corrected, is current again (the tenant has that one)` +
              (restored > 0 ? `; ${restored} of its mail(s) that had not gone are given back to the queue` : '')
          : `  ${month} is open again: the next pass closes it afresh from the catalog, usage and adjustments as they are then (\`usage-charges run\`)`,
      );
    });
}

/** The lines that show what a re-issue changes: both totals, the difference, the L-Platforms that differ, late usage. */
function planLines(ctx: CliContext, plan: ReissuePlan): string[] {
  const { current, currency } = plan;
  const lines = [
    `  revision ${current.revision} (current, finalized ${current.finalizedAt}, ${current.mailsSent} mail(s) sent): ${plan.previousTotal} ${currency}`,
    `  revision ${plan.revision} (rated now from today's data): ${plan.total} ${currency}`,
    `  difference: ${signed(plan.difference)} ${currency}`,
  ];
  for (const c of reissueChanges({ store: ctx.db() }, plan))
    lines.push(`    L-Platform ${shown(c.lplatformId)}: ${c.before} -> ${c.after} ${currency}`);
  for (const b of plan.bookedElsewhere)
    lines.push(
      `  ${b.records} usage record(s) of this period were booked late into ${b.bookedMonth} (import usage --as-adjustment): they stay billed there and are not counted again in revision ${plan.revision}`,
    );
  return lines;
}

/** What a re-issue did, line by line: totals, files, mails (failures on stderr, `ctx.failed` set). */
function printReissue(ctx: CliContext, r: ReissueOutcome, at: { tenant: string; month: string; eml: boolean }): void {
  const { plan } = r;
  const { tenant, month, eml } = at;
  const { output } = ctx;
  output.out(
    `re-issued ${shown(tenant)} ${month} as revision ${plan.revision}: ${plan.total} ${plan.currency} (revision ${plan.current.revision}: ${plan.previousTotal} ${plan.currency}, difference ${signed(plan.difference)} ${plan.currency})`,
  );
  if (r.imported !== null) output.out(`  with ${describeImport(r.imported)}`);
  for (const line of planLines(ctx, plan).slice(3)) output.out(line);
  if (r.withdrawn > 0)
    output.out(`  ${r.withdrawn} mail(s) of revision ${plan.current.revision} that had not gone are withdrawn`);
  for (const w of r.files.written) output.out(`  wrote ${shown(w.zip)}`);
  for (const f of r.files.failed) {
    output.err(`  its files could not be written: ${shown(f.reason)}; the next pass writes them and sends its mails`);
    ctx.failed = true;
  }
  if (r.recipients === 0) output.out(`  ${shown(tenant)} has no active contact: no mail is sent`);
  else if (r.held)
    output.out(
      `  held for review (REVIEW_HOLD): its ${r.recipients} mail(s) wait for usage-charges release --month ${month} --tenant ${tenant}`,
    );
  const d = r.delivery;
  if (d !== null) {
    for (const s of d.sent)
      output.out(
        eml
          ? `  wrote the corrected mail to ${shown(s.recipient)} to the outbox: ${shown(s.response.replace(/^written /, ''))}`
          : `  sent the corrected mail to ${shown(s.recipient)}: ${shown(s.response)}`,
      );
    for (const w of d.retrying)
      output.out(
        `  not sent yet to ${shown(w.recipient)}: ${shown(w.lastError)}; the next pass retries at ${w.nextAttemptAt}`,
      );
    for (const f of d.failed) output.err(`  failed to send to ${shown(f.recipient)}: ${shown(f.reason)}`);
    if (d.stopped !== null) output.err(`  the mail server is unusable: ${d.stopped}; the next pass retries`);
    if (d.failed.length > 0 || d.stopped !== null) ctx.failed = true;
  }
}

interface ReissueOptions {
  tenant: string;
  month: string;
  reason: string;
  adjustments?: string;
  encoding: string;
  dryRun?: boolean;
}

/** `reissue`: a mailed statement rated again from today's data as its next revision, and mailed as corrected. */
export function registerReissue(program: Command, ctx: CliContext): void {
  program
    .command('reissue')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .requiredOption('--reason <text>', 'why (recorded, and told to the tenant in the corrected mail)')
    .option(
      '--adjustments <file>',
      'an adjustments file (as `import adjustments`) of this tenant and month: billed in the new revision, imported with it',
    )
    .option('--encoding <encoding>', `the --adjustments file's encoding: ${IMPORT_ENCODINGS.join(' or ')}`, 'utf8')
    .option('--dry-run', 'show the new totals and the difference; store and send nothing')
    .action(async (opts: ReissueOptions) => {
      const month = parseMonth(opts.month);
      const reason = requiredReason(opts.reason);
      if (!(IMPORT_ENCODINGS as readonly string[]).includes(opts.encoding))
        throw new InputError(`--encoding: "${opts.encoding}" must be ${IMPORT_ENCODINGS.join(' or ')}`);
      const adjustments =
        opts.adjustments === undefined
          ? {}
          : { adjustments: { file: opts.adjustments, encoding: opts.encoding as ImportEncoding } };
      const { output } = ctx;
      if (opts.dryRun === true) {
        const { plan, imported } = await previewReissue(verbJobContext(ctx), {
          tenantName: opts.tenant,
          billingMonth: month,
          ...adjustments,
        });
        output.out(`re-issue of ${shown(opts.tenant)} ${month} (dry run: nothing is stored or sent)`);
        if (imported !== null) output.out(`  with ${describeImport(imported)}`);
        for (const line of planLines(ctx, plan)) output.out(line);
        if (plan.unchanged)
          output.out(
            `  nothing would change: rated from today's data the month comes out exactly as revision ${plan.current.revision}, so a re-issue is refused`,
          );
        return;
      }
      const db = ctx.db();
      // Like a pass, its writes wait out an import (the result of a message already sent must be recorded).
      setBusyTimeout(db, PASS_BUSY_TIMEOUT_MS);
      const jobs = verbJobContext(ctx, { log: ctx.logger() });
      const mailer = createMailer(ctx.config());
      try {
        const r = await reissueStatement(
          jobs,
          { tenantName: opts.tenant, billingMonth: month, by: operator(), reason, ...adjustments },
          { mailer, onWait: (holder) => output.out(`waiting for the pass of ${holder} to finish`) },
        );
        printReissue(ctx, r, { tenant: opts.tenant, month, eml: mailer.kind === 'eml' });
      } finally {
        mailer.close();
      }
    });
}
