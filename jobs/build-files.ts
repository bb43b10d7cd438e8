/**
 * Statement files: for every fixed statement that has none yet, the ROR list and detail files are
 * made from its frozen lines, zipped deterministically and archived (jobs/statement-archive.ts:
 * under `DATA_DIR/statements/YYYYMM/` on SQLite, in the database on PostgreSQL) with their SHA-256
 * in the store. Rebuilt, they are the same bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildZip } from '../src/archive/zip.ts';
import type { Config } from '../src/config.ts';
import { forEachConcurrently } from '../src/domain/concurrency.ts';
import { UsageChargesError } from '../src/domain/errors.ts';
import { recordAudit } from '../src/store/audit.ts';
import { diskFullReason } from '../src/store/folders.ts';
import { loadStatementView } from '../src/store/billing.ts';
import { localParts } from '../src/domain/calendar.ts';
import { monthText } from '../src/periods/periods.ts';
import { inTransaction, releaseClaim, storeEngine, takeClaim, type Db } from '../src/store/db.ts';
import { byText } from '../src/domain/text.ts';
import { crashPoint } from '../src/testing/faults.ts';
import type { JobContext } from './context.ts';
import { statementArchive } from './statement-archive.ts';
import { buildRorFiles, defaultCurrencySymbol, type RorFiles } from '../src/statements/ror-files.ts';
import {
  CURRENT_FILE_LAYOUT,
  fileLayout,
  type StatementFileOptions,
  type StatementView,
} from '../src/statements/view.ts';
import { firstNonCp932, statementEncoding, type CsvEncoding } from '../src/statements/csv.ts';
import type { Currency, Locale } from '../src/domain/vocabulary.ts';
import type { BillingTenant } from '../src/store/billing.ts';
import {
  archivedFile,
  filesBefore,
  pendingStatements,
  everyArchivedFile,
  hasFiles,
  replaceStoredZip,
  storedZip,
  recordStatementFiles,
  statementAtZipPath,
  type PendingStatement,
  type WrittenZip,
} from '../src/store/statements.ts';

/** What a build did. */
export interface FilesSummary {
  written: { tenant: string; billingMonth: string; zip: string; bytes: number }[];
  failed: { tenant: string; billingMonth: string; reason: string }[];
}

/** How many statements' zips are made at once (the fsync of one overlaps the building of the next). */
export const FILES_IN_FLIGHT = 4;

/** The folder of a month's archived zips. */
export function statementsDir(config: Config, billingMonth: string): string {
  return path.join(config.dataDir, 'statements', billingMonth.replace('-', ''));
}

/** What the file settings of a tenant's statements depend on. */
export interface FileTenant {
  currency: Currency;
  locale: Locale;
  /** The tenant's own encoding (the tenants file's `csv_encoding`), or null. */
  csvEncoding: CsvEncoding | null;
}

/**
 * The file settings the configuration and the tenant ask for, frozen with a statement when it is
 * finalized: the tenant's encoding (statementEncoding), the currency symbol, the current layout.
 */
export function fileOptions(config: Config, tenant: FileTenant): StatementFileOptions {
  const encoding = statementEncoding(tenant.csvEncoding, tenant.locale, config.csvEncoding);
  const symbol = config.currencySymbols[tenant.currency] ?? defaultCurrencySymbol(tenant.currency);
  // A symbol cp932 cannot hold (the euro sign, or a configured one) would leave every statement of
  // the tenant unwritable: cp932 files show the currency code instead (`EUR 12.5000/h`).
  const currencySymbol = encoding === 'cp932' && firstNonCp932(symbol) !== null ? `${tenant.currency} ` : symbol;
  return { encoding, currencySymbol, layout: CURRENT_FILE_LAYOUT };
}

/** The file settings of a tenant's statements. */
export function tenantFileOptions(config: Config, t: BillingTenant): StatementFileOptions {
  return fileOptions(config, { currency: t.currency, locale: t.locale, csvEncoding: t.csvEncoding ?? null });
}

/**
 * The settings of a statement frozen without any (before they were frozen): layout 1, and the
 * encoding they were written in: `cp932` when CSV_ENCODING says so, else `utf8` (the only two
 * encodings before settings were frozen; `auto` and `utf8-bom` came later).
 */
export function unfrozenFileOptions(config: Config, currency: Currency): StatementFileOptions {
  return {
    encoding: config.csvEncoding === 'cp932' ? 'cp932' : 'utf8',
    currencySymbol: config.currencySymbols[currency] ?? defaultCurrencySymbol(currency),
  };
}

/**
 * The ROR files of a statement view and the time zone of its zip entries' dates, with the
 * settings frozen with it (`fallback` when none were). Layout 1 dates the entries with the UTC
 * wall time of `madeAt`; from layout 2 on with its wall time in the statement's billing time zone
 * (frozen with its period), as a clerk's unzip shows them.
 */
export function filesOf(view: StatementView, fallback: StatementFileOptions): { files: RorFiles; zipTimeZone: string } {
  const frozen = view.files ?? fallback;
  return {
    files: buildRorFiles(view, frozen),
    zipTimeZone: fileLayout(frozen) >= 2 ? view.tree.period.timeZone : 'UTC',
  };
}

/** The zip of a statement view (a fixed one or an estimate), with its name. */
export function zipOf(view: StatementView, config: Config): { name: string; bytes: Buffer } {
  const { files, zipTimeZone } = filesOf(view, unfrozenFileOptions(config, view.tenant.currency));
  const bytes = buildZip([files.listFile, ...files.detailFiles], new Date(view.madeAt), zipTimeZone);
  return { name: files.zipName, bytes };
}

/**
 * Builds a statement's zip from its frozen lines and keeps it in the archive: written atomically
 * under the month's folder (SQLite), or returned as the WrittenZip's `content`, to be inserted with
 * its record (PostgreSQL). Its path relative to DATA_DIR names it on both engines. `claimed` holds the paths being written or written but not yet recorded (by this
 * writer): a path is claimed before it is written, so that two statements can never write one
 * file, and stays claimed until the caller has recorded it or given up. Never overwrites the
 * archived zip of another statement.
 */
export async function writeStatementZip(
  db: Db,
  config: Config,
  s: PendingStatement,
  claimed: Set<string>,
): Promise<WrittenZip> {
  const zip = zipOf(loadStatementView(db, s.statementPk), config);
  // A later revision of a month (a re-issue, a close after a void) is archived apart: every
  // revision's zip keeps its own bytes, under the name the ROR format gives it.
  const monthDir = statementsDir(config, s.billingMonth);
  const dir = s.revision > 1 ? path.join(monthDir, `revision-${s.revision}`) : monthDir;
  const relative = path.relative(config.dataDir, path.join(dir, zip.name));
  const archive = statementArchive(db, config);
  archive.makeRoom(relative);
  const taken = statementAtZipPath(db, relative);
  if ((taken !== undefined && taken !== s.statementPk) || claimed.has(relative)) {
    throw new UsageChargesError('E_FILE_NAME', `${relative} already holds another statement's files`);
  }
  claimed.add(relative);
  let content: Uint8Array | undefined;
  try {
    content = await archive.keep(relative, zip.bytes);
  } catch (err) {
    claimed.delete(relative);
    throw err;
  }
  return {
    statementPk: s.statementPk,
    name: zip.name,
    relative,
    sha256: sha256Of(zip.bytes),
    bytes: zip.bytes.length,
    ...(content === undefined ? {} : { content }),
  };
}

/** Why a statement's files could not be written, as reported. */
export function filesFailure(err: unknown): string {
  return (
    diskFullReason(err) ??
    (err instanceof UsageChargesError || (err as NodeJS.ErrnoException).code
      ? (err as Error).message
      : `unexpected: ${(err as Error).message}`)
  );
}

/** Records written zips in the store (one transaction); a statement already recorded keeps its record. */
export function recordWrittenZips(db: Db, zips: readonly WrittenZip[], at: string): void {
  if (zips.length === 0) return;
  crashPoint('files-before-record');
  recordStatementFiles(db, zips, at);
}

/**
 * Writes the files of every fixed statement that has none (but those in `skip`; or only those in
 * `only`); one failure does not stop the others.
 */
export async function buildFiles(
  ctx: JobContext,
  options: { skip?: ReadonlySet<number>; only?: ReadonlySet<number> } = {},
): Promise<FilesSummary> {
  const { store: db, config, now } = ctx;
  const summary: FilesSummary = { written: [], failed: [] };
  const pending = pendingStatements(db).filter(
    (s) => options.skip?.has(s.statementPk) !== true && (options.only?.has(s.statementPk) ?? true),
  );
  // Zips are made a few at a time, so that the write and fsync of one (on libuv's threads)
  // overlaps the building of the next.
  const claimed = new Set<string>();
  let next = 0;
  let done = 0;
  // Several workers (PostgreSQL): a statement's zip is written by the one that claims it; the
  // others pass it over (and one written meanwhile is not written again).
  const several = storeEngine(db) === 'postgres';
  const writeOne = async (s: PendingStatement): Promise<void> => {
    if (several) {
      if (!takeClaim(db, 'files', s.statementPk)) return;
      try {
        if (!hasFiles(db, s.statementPk)) await writeClaimed(s);
      } finally {
        releaseClaim(db, 'files', s.statementPk);
      }
    } else await writeClaimed(s);
  };
  const writeClaimed = async (s: PendingStatement): Promise<void> => {
    let written: WrittenZip | null = null;
    try {
      written = await writeStatementZip(db, config, s, claimed);
      recordWrittenZips(db, [written], now().toISOString());
      summary.written.push({
        tenant: s.tenantName,
        billingMonth: s.billingMonth,
        zip: written.relative,
        bytes: written.bytes,
      });
    } catch (err) {
      // One statement that cannot be written does not stop the others; it is retried next run.
      const reason = filesFailure(err);
      recordAudit(db, now().toISOString(), 'files-failed', s.tenantName, { billingMonth: s.billingMonth, reason });
      summary.failed.push({ tenant: s.tenantName, billingMonth: s.billingMonth, reason });
    } finally {
      if (written !== null) claimed.delete(written.relative);
    }
  };
  // The next statement, unless all are taken or a shutdown was asked for.
  const nextStatement = (): PendingStatement | undefined =>
    next < pending.length && !ctx.shouldStop() ? pending[next++] : undefined;
  ctx.progress('files', 0, pending.length);
  await forEachConcurrently(nextStatement, Math.min(FILES_IN_FLIGHT, pending.length), async (s) => {
    await writeOne(s);
    ctx.progress('files', ++done, pending.length);
  });
  sortByStatement(summary);
  return summary;
}

/** Orders what a build reports in statement order (month, tenant), whatever order the zips finished in. */
export function sortByStatement(summary: FilesSummary): void {
  const byStatement = (
    a: { tenant: string; billingMonth: string },
    b: { tenant: string; billingMonth: string },
  ): number =>
    a.billingMonth === b.billingMonth ? byText(a.tenant, b.tenant) : byText(a.billingMonth, b.billingMonth);
  summary.written.sort(byStatement);
  summary.failed.sort(byStatement);
}

/**
 * Deletes archived zips of billing months older than the retention (whole months before the month
 * of `asOf` in the billing time zone). The file record stays, marked pruned, so the zip is not
 * written again; the statement and its lines stay in the store.
 */
export function pruneFiles(ctx: JobContext, asOf: Date): number {
  const { store: db, config, now } = ctx;
  const local = localParts(asOf.getTime(), config.billingTimeZone);
  const oldest = monthText(local.year * 12 + local.month - 1 - config.retentionMonths);
  const old = filesBefore(db, oldest);
  const archive = statementArchive(db, config);
  for (const f of old) archive.prune(f, now().toISOString());
  return old.length;
}

/**
 * The archived zip of a fixed statement, checked against the SHA-256 recorded when it was written
 * (DESIGN invariant 3: a resend sends the archived bytes). A missing (pruned) or damaged zip is
 * rebuilt from the frozen lines; the rebuild must give the recorded bytes, and a damaged zip is
 * then replaced. Anything else is an E_ARCHIVE error: nothing is sent that is not the statement.
 */
export async function archivedZip(
  db: Db,
  config: Config,
  statementPk: number,
): Promise<{ name: string; bytes: Buffer; repaired: boolean }> {
  const f = archivedFile(db, statementPk);
  if (f === undefined)
    throw new UsageChargesError('E_ARCHIVE', 'the statement has no files yet (the next run writes them)');
  const archive = statementArchive(db, config);
  const bytes = archive.read(f);
  if (bytes !== null && sha256Of(bytes) === f.sha256) return { name: f.zipName, bytes, repaired: false };
  const rebuilt = zipOf(loadStatementView(db, statementPk), config);
  if (sha256Of(rebuilt.bytes) !== f.sha256 || rebuilt.name !== f.zipName) {
    throw new UsageChargesError(
      'E_ARCHIVE',
      `${f.zipPath} ${bytes === null ? 'is missing' : 'does not match its recorded SHA-256'}, and the rebuild from the frozen lines does not give the recorded bytes either; nothing was sent`,
    );
  }
  if (f.prunedAt === null) {
    // An archive that was damaged or lost is worth an operator's look (the disk, a backup restore).
    await archive.repair(f, rebuilt.bytes, () =>
      recordAudit(db, new Date().toISOString(), 'archive-repaired', f.tenantName, {
        billingMonth: f.billingMonth,
        zip: f.zipPath,
        was: bytes === null ? 'missing' : 'damaged',
      }),
    );
  }
  return { name: f.zipName, bytes: rebuilt.bytes, repaired: f.prunedAt === null };
}

export function sha256Of(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** What copying a store's archive did: zips copied (and verified), rebuilt on the way, pruned before. */
export interface ArchiveCopy {
  copied: number;
  rebuilt: number;
  pruned: number;
}

/**
 * Copies the archived zips of the SQLite store `from` (files under DATA_DIR) into the PostgreSQL
 * store `to` whose rows copyStore has just made, in one transaction, then reads every one back
 * from `to` and checks it against its recorded SHA-256. A zip missing or damaged under DATA_DIR is
 * rebuilt from its frozen lines (the same bytes, checked against the record), as a send would; one
 * that cannot be is an E_ARCHIVE error and nothing of the archive is kept.
 */
export function copyArchive(from: Db, to: Db, config: Config): ArchiveCopy {
  const files = everyArchivedFile(from);
  const kept = files.filter((f) => f.prunedAt === null);
  let rebuilt = 0;
  inTransaction(to, () => {
    for (const f of kept) {
      let bytes: Buffer | null;
      try {
        bytes = fs.readFileSync(path.join(config.dataDir, f.zipPath));
      } catch {
        bytes = null;
      }
      if (bytes === null || sha256Of(bytes) !== f.sha256) {
        const zip = zipOf(loadStatementView(from, f.statementPk), config);
        if (sha256Of(zip.bytes) !== f.sha256 || zip.name !== f.zipName)
          throw new UsageChargesError(
            'E_ARCHIVE',
            `${f.zipPath} ${bytes === null ? 'is missing' : 'does not match its recorded SHA-256'}, and the rebuild from the frozen lines does not give the recorded bytes either; nothing was copied`,
          );
        bytes = zip.bytes;
        rebuilt += 1;
      }
      replaceStoredZip(to, f.filePk, bytes);
    }
  });
  for (const f of kept) {
    const back = storedZip(to, f.filePk);
    if (back === undefined || sha256Of(back) !== f.sha256)
      throw new UsageChargesError(
        'E_MIGRATE_VERIFY',
        `${f.zipPath}: the copy read back does not have its recorded SHA-256`,
      );
  }
  return { copied: kept.length, rebuilt, pruned: files.length - kept.length };
}
