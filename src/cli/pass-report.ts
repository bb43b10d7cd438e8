/**
 * The report a month-end pass prints: one summary line, then every failure, then what waits, in a
 * few lines whatever the number of tenants; each statement closed, file written and mail sent only
 * with `--verbose` (the JSON log has them at debug level).
 */
import path from 'node:path';
import { passDeferred, passFailed, type PassResult } from '../../jobs/pass.ts';
import { mailerUnusable, type Mailer } from '../mail/transport.ts';
import { backlogLine, type DeliveryBacklog } from '../store/summary.ts';
import type { OpenHold } from '../store/holds.ts';
import { heldLines, shown, type Output } from './output.ts';

/** `1 mail`, `2 mails`: a count with its noun. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** What a pass's report needs besides the result. */
export interface ReportWhere {
  /** Where the statements and mails are, or null where they are not kept (a dry run without --keep). */
  dataDir: string | null;
  mailer: Pick<Mailer, 'kind' | 'target'>;
  /** The zips are kept in the store's database (PostgreSQL), not under DATA_DIR. */
  zipsInDatabase?: boolean;
  label?: string;
  /** One line per statement closed, file written, mail sent or retrying, statement without recipient. */
  verbose?: boolean;
  /** The mails still waiting after the pass (from the store), for the line about them. */
  backlog?: DeliveryBacklog;
  /** The statements held for review after the pass (their mails wait for `release`). */
  held?: readonly OpenHold[];
}

/** How a pass ended, as its exit code says: 0 ok, 1 failures, 3 nothing delivered (every mail deferred). */
export type PassVerdict = 'ok' | 'failed' | 'deferred';

/** Prints a pass's report; failures go to stderr. Returns how the pass ended. */
export function printPass(output: Output, r: PassResult, where: ReportWhere): PassVerdict {
  const out = output.out;
  const d = r.deliveries;
  const eml = where.mailer.kind === 'eml';
  // `.eml` files are written to the outbox, not sent.
  const sentWord = eml ? 'written to the outbox' : 'sent';
  const waiting =
    d.notAttempted === 0
      ? ''
      : d.stopped !== null
        ? `; ${counted(d.notAttempted, 'mail')} waiting because ${mailerUnusable(where.mailer)}`
        : `; ${counted(d.notAttempted, 'mail')} waiting for the next pass`;
  out(
    `${where.label ?? 'run'} as of ${r.asOf}: ${counted(r.close.closed.length, 'statement')} closed, ${r.close.failed.length} failed to close; ` +
      `${counted(r.files.written.length, 'file')} written, ${r.files.failed.length} failed; ` +
      `${counted(d.sent.length, 'mail')} ${sentWord}, ${d.retrying.length} retrying, ${d.failed.length} failed${waiting}` +
      `${r.noRecipient.length ? `; ${r.noRecipient.length} without recipient` : ''}${r.pruned ? `; ${counted(r.pruned, 'old file')} pruned` : ''}`,
  );

  // Every failure, first.
  for (const f of r.close.failed)
    output.err(`  failed to close ${shown(f.tenant)} ${f.billingMonth}: ${shown(f.reason)}`);
  for (const f of r.files.failed)
    output.err(`  failed to write the files of ${shown(f.tenant)} ${f.billingMonth}: ${shown(f.reason)}`);
  for (const f of d.failed)
    output.err(`  failed to send ${shown(f.tenant)} ${f.billingMonth} to ${shown(f.recipient)}: ${shown(f.reason)}`);
  if (d.stopped !== null) {
    output.err(
      `  sending stopped, ${mailerUnusable(where.mailer)}: ${shown(d.stopped)}; ${counted(d.notAttempted, 'mail')} ${d.notAttempted === 1 ? 'waits' : 'wait'} for the next pass`,
    );
  }
  const deferred = passDeferred(r);
  if (deferred) {
    output.err(
      `  nothing delivered: the mail server deferred every mail it was given (${counted(d.deferred, 'mail')}); they wait for their retry`,
    );
  }
  const backlog = where.backlog ? backlogLine(where.backlog) : null;
  if (backlog !== null && (deferred || d.stopped !== null)) output.err(`  ${shown(backlog)}`);

  // What waits, and what a user should know, in a few lines.
  for (const line of heldLines(where.held ?? [])) out(line);
  if (r.removedTemps.length > 0)
    out(`  removed ${counted(r.removedTemps.length, 'temporary file')} a killed pass left while writing`);
  const failedFiles = new Set(r.files.failed.map((f) => `${f.tenant}\u0000${f.billingMonth}`));
  const noFiles = r.noRecipient.filter((n) => failedFiles.has(`${n.tenant}\u0000${n.billingMonth}`));
  const archived = r.noRecipient.length - noFiles.length;
  if (where.verbose) {
    for (const n of r.noRecipient) {
      out(
        failedFiles.has(`${n.tenant}\u0000${n.billingMonth}`)
          ? `  no recipient: ${shown(n.tenant)} ${n.billingMonth} has no active contact, and its files failed (above): nothing is archived or mailed yet`
          : `  no recipient: ${shown(n.tenant)} ${n.billingMonth} has no active contact; its statement is archived, not mailed (resend --to ADDR sends it)`,
      );
    }
  } else {
    if (archived > 0)
      out(
        `  ${counted(archived, 'statement')} without recipient (no active contact): archived, not mailed (resend --to ADDR sends one)`,
      );
    if (noFiles.length > 0)
      out(
        `  ${counted(noFiles.length, 'statement')} without recipient whose files failed (above): nothing archived or mailed yet`,
      );
  }
  if (d.recovered > 0)
    out(
      `  ${counted(d.recovered, 'delivery', 'deliveries')} a stopped pass left unfinished ${d.recovered === 1 ? 'was' : 'were'} sent again with its Message-ID`,
    );
  if (d.waitingForFiles > 0)
    out(
      `  ${counted(d.waitingForFiles, 'delivery', 'deliveries')} ${d.waitingForFiles === 1 ? 'waits' : 'wait'} for their statement's files`,
    );
  if (!where.verbose && d.retrying.length > 0) {
    const next = d.retrying[0]!;
    out(
      `  ${counted(d.retrying.length, 'mail')} retrying, the next at ${next.nextAttemptAt} (last error: ${shown(next.lastError)})`,
    );
  }
  if (r.interrupted) out('  stopped early on request; the next pass goes on from here');

  if (where.verbose) {
    for (const c of r.close.closed)
      out(`  closed ${shown(c.tenant)} ${c.billingMonth}: total ${c.total} ${c.currency}`);
    for (const w of r.files.written) out(`  wrote ${shown(w.zip)} (${w.bytes} bytes)`);
    for (const s of d.sent) {
      const resend = s.kind === 'resend' ? ' (resend)' : '';
      out(
        eml
          ? `  wrote the mail of ${shown(s.tenant)} ${s.billingMonth} to ${shown(s.recipient)}${resend}: ${shown(s.response.replace(/^written /, ''))}`
          : `  sent ${shown(s.tenant)} ${s.billingMonth} to ${shown(s.recipient)}${resend}: ${shown(s.response)}`,
      );
    }
    for (const w of d.retrying)
      out(
        `  retrying ${shown(w.tenantName)} ${w.billingMonth} to ${shown(w.recipient)} at ${w.nextAttemptAt} (after ${counted(w.attempts, 'attempt')}): ${shown(w.lastError)}`,
      );
  }
  if (where.dataDir !== null) {
    out(
      `statements: ${where.zipsInDatabase === true ? "in the store's database (PostgreSQL)" : path.join(where.dataDir, 'statements')}`,
    );
    out(`mails: ${where.mailer.target}`);
  }
  return passFailed(r) ? 'failed' : deferred ? 'deferred' : 'ok';
}
