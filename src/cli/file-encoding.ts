/**
 * `usage-charges set-file-encoding --tenant T --month YYYY-MM --encoding E`: the remedy for a
 * finalized statement whose files cannot be written (a frozen name its frozen encoding cannot
 * hold): its frozen file encoding is changed, audited, and the next pass writes and mails its files.
 */
import type { Command } from 'commander';
import { filesOf, unfrozenFileOptions } from '../../jobs/build-files.ts';
import { InputError, UsageChargesError } from '../domain/errors.ts';
import { recordAudit } from '../store/audit.ts';
import { loadStatementView } from '../store/billing.ts';
import { CSV_ENCODINGS, type CsvEncoding } from '../statements/csv.ts';
import type { CliContext } from './context.ts';
import { parseMonth } from './options.ts';
import { operator } from './resend.ts';

export function registerFileEncoding(program: Command, ctx: CliContext): void {
  program
    .command('set-file-encoding')
    .description(
      'change the encoding frozen with a finalized statement whose files cannot be written (a name its encoding cannot hold) and that has no files and no mail sent yet; audited; the next pass writes and mails its files',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--month <YYYY-MM>', 'the billing month')
    .requiredOption('--encoding <encoding>', `the new encoding: ${CSV_ENCODINGS.join(', ')}`)
    .option('--reason <text>', 'why (recorded in the audit log)', '')
    .action((opts: { tenant: string; month: string; encoding: string; reason: string }) => {
      const month = parseMonth(opts.month);
      if (!(CSV_ENCODINGS as readonly string[]).includes(opts.encoding))
        throw new InputError(`--encoding: "${opts.encoding}" must be ${CSV_ENCODINGS.join(', ')}`);
      if ([...opts.reason].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) || opts.reason.length > 500)
        throw new InputError('--reason: must be one line of at most 500 characters');
      const encoding = opts.encoding as CsvEncoding;
      const config = ctx.config();
      const db = ctx.db();
      const at = new Date().toISOString();
      const by = operator();
      const from = db
        .transaction(() => {
          const s = db
            .prepare(
              `SELECT s.statement_pk, s.status FROM statements s JOIN tenants t USING (tenant_pk)
          WHERE t.tenant_name = ? AND s.billing_month = ?`,
            )
            .get(opts.tenant, month) as { statement_pk: number; status: string } | undefined;
          if (s?.status !== 'fixed')
            throw new InputError(`--month: ${opts.tenant} has no finalized statement for ${month}`);
          if (db.prepare('SELECT 1 FROM statement_files WHERE statement_pk = ?').get(s.statement_pk) !== undefined) {
            throw new InputError(
              `${opts.tenant} ${month}: its files are written already; the encoding of written files never changes`,
            );
          }
          if (
            db
              .prepare("SELECT 1 FROM deliveries WHERE statement_pk = ? AND status IN ('sending', 'sent')")
              .get(s.statement_pk) !== undefined
          ) {
            throw new InputError(`${opts.tenant} ${month}: a mail of it was sent; its files never change`);
          }
          const view = loadStatementView(db, s.statement_pk);
          const frozen = view.files ?? unfrozenFileOptions(config, view.tenant.currency);
          // Only a statement that cannot be written as frozen: one that can is left to the next pass.
          try {
            filesOf(view, frozen);
            throw new InputError(
              `${opts.tenant} ${month}: its files can be written in ${frozen.encoding}, as frozen; the next pass writes them (nothing changed)`,
            );
          } catch (err) {
            if (err instanceof InputError) throw err;
            if (!(err instanceof UsageChargesError)) throw err;
          }
          const changed = { ...frozen, encoding };
          try {
            filesOf({ ...view, files: changed }, changed);
          } catch (err) {
            if (err instanceof UsageChargesError)
              throw new InputError(`--encoding: its files cannot be written in ${encoding} either: ${err.message}`);
            throw err;
          }
          // The statement stays as it was frozen; its file settings are replaced beside it.
          db.prepare(
            `INSERT INTO statement_file_settings (statement_pk, files, changed_at) VALUES (?, ?, ?)
          ON CONFLICT (statement_pk) DO UPDATE SET files = excluded.files, changed_at = excluded.changed_at`,
          ).run(s.statement_pk, JSON.stringify(changed), at);
          recordAudit(db, at, 'file-encoding-changed', opts.tenant, {
            billingMonth: month,
            from: frozen.encoding,
            to: encoding,
            reason: opts.reason,
            by,
          });
          return frozen.encoding;
        })
        .immediate();
      ctx.output.out(
        `${opts.tenant} ${month}: its files will be written in ${encoding} (was ${from}); the next pass (\`usage-charges run\`) writes and mails them`,
      );
    });
}
