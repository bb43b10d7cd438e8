/**
 * Statement files: for every fixed statement that has none yet, the ROR list and detail files are
 * made from its frozen lines, zipped deterministically and archived under
 * `DATA_DIR/statements/YYYYMM/` with their SHA-256 in the store. Rebuilt, they are the same bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildZip, writeFileAtomic } from '../src/archive/zip.ts';
import type { Config } from '../src/config.ts';
import { UsageChargesError } from '../src/domain/errors.ts';
import { recordAudit } from '../src/store/audit.ts';
import { loadStatementView } from '../src/store/billing.ts';
import { localParts } from '../src/domain/calendar.ts';
import { monthText } from '../src/periods/periods.ts';
import type { Db } from '../src/store/db.ts';
import { buildRorFiles, defaultCurrencySymbol } from '../src/statements/ror-files.ts';
import type { StatementFileOptions, StatementView } from '../src/statements/view.ts';
import type { Currency } from '../src/domain/vocabulary.ts';

/** What a build did. */
export interface FilesSummary {
  written: { tenant: string; billingMonth: string; zip: string; bytes: number }[];
  failed: { tenant: string; billingMonth: string; reason: string }[];
}

/** How many statements' zips are made at once. */
const FILES_IN_FLIGHT = 4;

/** The folder of a month's archived zips. */
export function statementsDir(config: Config, billingMonth: string): string {
  return path.join(config.dataDir, 'statements', billingMonth.replace('-', ''));
}

/** The file settings the configuration asks for, frozen with a statement when it is finalized. */
export function fileOptions(config: Config, currency: Currency): StatementFileOptions {
  return { encoding: config.csvEncoding, currencySymbol: config.currencySymbols[currency] ?? defaultCurrencySymbol(currency) };
}

/** The zip of a statement view, with its name: with the settings frozen with it, else the configured ones. */
export async function zipOf(view: StatementView, config: Config): Promise<{ name: string; bytes: Buffer }> {
  const files = buildRorFiles(view, view.files ?? fileOptions(config, view.tenant.currency));
  const bytes = await buildZip([files.listFile, ...files.detailFiles], new Date(view.madeAt));
  return { name: files.zipName, bytes };
}

/** Writes the files of every fixed statement that has none; one failure does not stop the others. */
export async function buildFiles(
  db: Db,
  config: Config,
  now: () => Date = () => new Date(),
  hooks: { shouldStop?: () => boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<FilesSummary> {
  const summary: FilesSummary = { written: [], failed: [] };
  const pending = db.prepare(`SELECT s.statement_pk, s.billing_month, t.tenant_name FROM statements s JOIN tenants t USING (tenant_pk)
    WHERE s.status = 'fixed' AND NOT EXISTS (SELECT 1 FROM statement_files f WHERE f.statement_pk = s.statement_pk)
    ORDER BY s.billing_month, t.tenant_name`).all() as { statement_pk: number; billing_month: string; tenant_name: string }[];
  const record = db.prepare(`INSERT INTO statement_files (statement_pk, zip_name, zip_path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (statement_pk) DO NOTHING`);
  const owner = db.prepare('SELECT statement_pk FROM statement_files WHERE zip_path = ?').pluck();
  // Zips are made a few at a time: archiver's stream pipeline waits on itself, and the fsync of
  // one file overlaps the deflating of the next. The paths being written are claimed here, so
  // that two statements can never write one file even while both are in flight.
  const inFlight = new Set<string>();
  let next = 0;
  let done = 0;
  const writeOne = async (s: (typeof pending)[number]): Promise<void> => {
    let claimed: string | null = null;
    try {
      const zip = await zipOf(loadStatementView(db, s.statement_pk), config);
      const dir = statementsDir(config, s.billing_month);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, zip.name);
      const relative = path.relative(config.dataDir, file);
      // Never overwrite the archived zip of another statement (file names are unique by
      // construction; this guards the archive itself).
      const taken = owner.get(relative) as number | undefined;
      if ((taken !== undefined && taken !== s.statement_pk) || inFlight.has(relative)) {
        throw new UsageChargesError('E_FILE_NAME', `${relative} already holds another statement's files`);
      }
      inFlight.add(relative);
      claimed = relative;
      await writeFileAtomic(file, zip.bytes);
      const sha256 = sha256Of(zip.bytes);
      db.transaction(() => record.run(s.statement_pk, zip.name, relative, sha256, zip.bytes.length, now().toISOString())).immediate();
      summary.written.push({ tenant: s.tenant_name, billingMonth: s.billing_month, zip: relative, bytes: zip.bytes.length });
    } catch (err) {
      // One statement that cannot be written does not stop the others; it is retried next run.
      const reason = err instanceof UsageChargesError || (err as NodeJS.ErrnoException).code ? (err as Error).message : `unexpected: ${(err as Error).message}`;
      recordAudit(db, now().toISOString(), 'files-failed', s.tenant_name, { billingMonth: s.billing_month, reason });
      summary.failed.push({ tenant: s.tenant_name, billingMonth: s.billing_month, reason });
    } finally {
      if (claimed !== null) inFlight.delete(claimed);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < pending.length && !hooks.shouldStop?.()) {
      const s = pending[next++]!;
      await writeOne(s);
      hooks.onProgress?.(++done, pending.length);
    }
  };
  hooks.onProgress?.(0, pending.length);
  await Promise.all(Array.from({ length: Math.min(FILES_IN_FLIGHT, pending.length) }, worker));
  // Reported in statement order, whatever order the zips finished in.
  const order = new Map(pending.map((s, i) => [`${s.billing_month}/${s.tenant_name}`, i]));
  const rank = (x: { tenant: string; billingMonth: string }): number => order.get(`${x.billingMonth}/${x.tenant}`) ?? 0;
  summary.written.sort((a, b) => rank(a) - rank(b));
  summary.failed.sort((a, b) => rank(a) - rank(b));
  return summary;
}

/**
 * Deletes archived zips of billing months older than the retention (whole months before the month
 * of `asOf` in the billing time zone). The file record stays, marked pruned, so the zip is not
 * written again; the statement and its lines stay in the store.
 */
export function pruneFiles(db: Db, config: Config, asOf: Date, now: () => Date = () => new Date()): number {
  const local = localParts(asOf.getTime(), config.billingTimeZone);
  const oldest = monthText(local.year * 12 + local.month - 1 - config.retentionMonths);
  const old = db.prepare(`SELECT f.file_pk, f.zip_path FROM statement_files f JOIN statements s USING (statement_pk)
    WHERE f.pruned_at IS NULL AND s.billing_month < ?`).all(oldest) as { file_pk: number; zip_path: string }[];
  const mark = db.prepare('UPDATE statement_files SET pruned_at = ? WHERE file_pk = ?');
  for (const f of old) {
    fs.rmSync(path.join(config.dataDir, f.zip_path), { force: true });
    mark.run(now().toISOString(), f.file_pk);
  }
  return old.length;
}

/**
 * The archived zip of a fixed statement, checked against the SHA-256 recorded when it was written
 * (DESIGN invariant 3: a resend sends the archived bytes). A missing (pruned) or damaged file is
 * rebuilt from the frozen lines; the rebuild must give the recorded bytes, and a damaged file is
 * then replaced. Anything else is an E_ARCHIVE error: nothing is sent that is not the statement.
 */
export async function archivedZip(db: Db, config: Config, statementPk: number): Promise<{ name: string; bytes: Buffer; repaired: boolean }> {
  const f = db.prepare('SELECT zip_name, zip_path, sha256, pruned_at FROM statement_files WHERE statement_pk = ?').get(statementPk) as
    { zip_name: string; zip_path: string; sha256: string; pruned_at: string | null } | undefined;
  if (f === undefined) throw new UsageChargesError('E_ARCHIVE', 'the statement has no files yet (the next run writes them)');
  const file = path.join(config.dataDir, f.zip_path);
  let bytes: Buffer | null = null;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageChargesError('E_ARCHIVE', `${f.zip_path} cannot be read: ${(err as Error).message}`);
  }
  if (bytes !== null && sha256Of(bytes) === f.sha256) return { name: f.zip_name, bytes, repaired: false };
  const rebuilt = await zipOf(loadStatementView(db, statementPk), config);
  if (sha256Of(rebuilt.bytes) !== f.sha256 || rebuilt.name !== f.zip_name) {
    throw new UsageChargesError('E_ARCHIVE', `${f.zip_path} ${bytes === null ? 'is missing' : 'does not match its recorded SHA-256'}, and the rebuild from the frozen lines does not give the recorded bytes either; nothing was sent`);
  }
  if (f.pruned_at === null) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, rebuilt.bytes);
  }
  return { name: f.zip_name, bytes: rebuilt.bytes, repaired: bytes !== null || f.pruned_at === null };
}

function sha256Of(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
