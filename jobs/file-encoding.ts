/**
 * The remedy for a finalized statement whose files cannot be written (a frozen name its frozen
 * encoding cannot hold): its frozen file encoding is changed, audited, and the next pass writes and
 * mails its files. Only a statement without files and without a mail sent, that cannot be written
 * as frozen and can be in `encoding`. Returns the encoding it had.
 */
import { InputError, UsageChargesError } from '../src/domain/errors.ts';
import type { CsvEncoding } from '../src/statements/csv.ts';
import { recordAudit } from '../src/store/audit.ts';
import { loadStatementView } from '../src/store/billing.ts';
import { inTransaction } from '../src/store/db.ts';
import { hasSentMail } from '../src/store/outbox.ts';
import { findStatement, hasFiles, replaceFileSettings } from '../src/store/statements.ts';
import { filesOf, unfrozenFileOptions } from './build-files.ts';
import type { JobContext } from './context.ts';

/** Changes the file encoding frozen with a tenant's finalized statement of a month (see above). */
export function setFileEncoding(
  ctx: JobContext,
  request: { tenant: string; billingMonth: string; encoding: CsvEncoding; reason: string; by: string },
): CsvEncoding {
  const { store: db, config } = ctx;
  const { tenant, billingMonth: month, encoding, reason, by } = request;
  const at = new Date().toISOString();
  return inTransaction(db, () => {
    const s = findStatement(db, tenant, month);
    if (s?.status !== 'fixed') throw new InputError(`--month: ${tenant} has no finalized statement for ${month}`);
    if (hasFiles(db, s.statementPk)) {
      throw new InputError(
        `${tenant} ${month}: its files are written already; the encoding of written files never changes`,
      );
    }
    if (hasSentMail(db, s.statementPk)) {
      throw new InputError(`${tenant} ${month}: a mail of it was sent; its files never change`);
    }
    const view = loadStatementView(db, s.statementPk);
    const frozen = view.files ?? unfrozenFileOptions(config, view.tenant.currency);
    // Only a statement that cannot be written as frozen: one that can is left to the next pass.
    try {
      filesOf(view, frozen);
      throw new InputError(
        `${tenant} ${month}: its files can be written in ${frozen.encoding}, as frozen; the next pass writes them (nothing changed)`,
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
    replaceFileSettings(db, s.statementPk, changed, at);
    recordAudit(db, at, 'file-encoding-changed', tenant, {
      billingMonth: month,
      from: frozen.encoding,
      to: encoding,
      reason,
      by,
    });
    return frozen.encoding;
  });
}
