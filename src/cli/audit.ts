/**
 * `usage-charges audit [--tenant T] [--month YYYY-MM] [--action A] [--limit N] [--json]`: what was
 * done to the store, by whom, when and why (imports, closes, holds, releases, voids, re-issues,
 * resends, ...), newest first.
 */
import type { Command } from 'commander';
import { InputError } from '../domain/errors.ts';
import { auditEntries, type AuditEntry } from '../store/audit.ts';
import type { CliContext } from './context.ts';
import { parseMonth } from './options.ts';
import { shown, table } from './output.ts';

/** The keys the table shows in columns of their own; the rest go in `detail`. */
const COLUMNS = new Set(['billingMonth', 'by', 'reason']);

/** A detail value in one short cell: text as it is, anything else as JSON. */
function cell(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function detailText(e: AuditEntry): string {
  return Object.entries(e.detail)
    .filter(([k]) => !COLUMNS.has(k))
    .map(([k, v]) => `${k}=${cell(v)}`)
    .join(' ');
}

export function registerAudit(program: Command, ctx: CliContext): void {
  program
    .command('audit')
    .option('--tenant <name>', "only this tenant's entries (or an import kind's: tenants, usage, adjustments, ...)")
    .option('--month <YYYY-MM>', 'only entries of this billing month')
    .option('--action <action>', 'only this action (import, close, hold, release, void, reissue, resend, retry, ...)')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print them as JSON')
    .action((opts: { tenant?: string; month?: string; action?: string; limit: string; json?: boolean }) => {
      if (!/^\d{1,6}$/.test(opts.limit) || Number(opts.limit) < 1)
        throw new InputError(`--limit: "${opts.limit}" must be a whole number from 1`);
      const entries = auditEntries(ctx.db(), {
        action: opts.action ?? null,
        subject: opts.tenant ?? null,
        billingMonth: opts.month === undefined ? null : parseMonth(opts.month),
        limit: Number(opts.limit),
      });
      if (opts.json === true) {
        ctx.output.out(JSON.stringify(entries, null, 2));
        return;
      }
      ctx.output.out(`audit log: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, newest first`);
      for (const line of table(
        ['at', 'action', 'subject', 'month', 'by', 'reason', 'detail'],
        entries.map((e) => [
          e.at,
          e.action,
          shown(e.subject),
          cell(e.detail.billingMonth ?? ''),
          shown(cell(e.detail.by ?? '')),
          shown(cell(e.detail.reason ?? '')),
          shown(detailText(e)),
        ]),
      ))
        ctx.output.out(line);
    });
}
