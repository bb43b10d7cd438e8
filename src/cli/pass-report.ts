/** The summary a month-end pass prints: what was closed, written, sent, retried and failed, and why. */
import path from 'node:path';
import { passFailed, type PassResult } from '../../jobs/pass.ts';
import { mailerUnusable, type Mailer } from '../mail/transport.ts';
import { shown, type Output } from './output.ts';

/** Prints a pass's summary; failures go to stderr. Returns whether the pass had failures. */
export function printPass(output: Output, r: PassResult, where: { dataDir: string; mailer: Pick<Mailer, 'kind' | 'target'>; label?: string }): boolean {
  const out = output.out;
  const d = r.deliveries;
  out(`${where.label ?? 'run'} as of ${r.asOf}: ${r.close.closed.length} closed, ${r.close.failed.length} failed to close; `
    + `${r.files.written.length} files written, ${r.files.failed.length} failed; `
    + `${d.sent.length} mails sent, ${d.retrying.length} retrying, ${d.failed.length} failed`
    + `${r.noRecipient.length ? `; ${r.noRecipient.length} without recipient` : ''}${r.pruned ? `; ${r.pruned} old files pruned` : ''}`);
  if (r.removedTemps.length > 0) out(`  removed ${r.removedTemps.length} temporary files a killed pass left while writing`);
  for (const c of r.close.closed) out(`  closed ${shown(c.tenant)} ${c.billingMonth}: total ${c.total} ${c.currency}`);
  for (const n of r.noRecipient) out(`  no recipient: ${shown(n.tenant)} ${n.billingMonth} has no active contact; its statement is archived, not mailed (resend --to ADDR sends it)`);
  for (const w of r.files.written) out(`  wrote ${shown(w.zip)} (${w.bytes} bytes)`);
  if (d.recovered > 0) out(`  ${d.recovered} deliveries a stopped pass left unfinished were sent again with their Message-ID`);
  for (const s of d.sent) out(`  sent ${shown(s.tenant)} ${s.billingMonth} to ${shown(s.recipient)}${s.kind === 'resend' ? ' (resend)' : ''}: ${shown(s.response)}`);
  for (const w of d.retrying) out(`  retrying ${shown(w.tenantName)} ${w.billingMonth} to ${shown(w.recipient)} at ${w.nextAttemptAt} (after ${w.attempts} attempts): ${shown(w.lastError)}`);
  if (d.waitingForFiles > 0) out(`  ${d.waitingForFiles} deliveries wait for their statement's files`);
  for (const f of r.close.failed) output.err(`  failed to close ${shown(f.tenant)} ${f.billingMonth}: ${shown(f.reason)}`);
  for (const f of r.files.failed) output.err(`  failed to write the files of ${shown(f.tenant)} ${f.billingMonth}: ${shown(f.reason)}`);
  for (const f of d.failed) output.err(`  failed to send ${shown(f.tenant)} ${f.billingMonth} to ${shown(f.recipient)}: ${shown(f.reason)}`);
  if (d.stopped !== null) {
    output.err(`  sending stopped, ${mailerUnusable(where.mailer)}: ${shown(d.stopped)}; ${d.notAttempted} deliveries wait for the next pass`);
  }
  if (r.interrupted) out('  stopped early on request; the next pass goes on from here');
  out(`statements: ${path.join(where.dataDir, 'statements')}`);
  out(`mails: ${where.mailer.target}`);
  return passFailed(r);
}
