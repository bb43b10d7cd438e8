/** Statements and their archived files, as the files step, resend, export and set-file-encoding find and record them. */
import type { StatementFileOptions } from '../statements/view.ts';
import { cachedStatement, inTransaction, type Db } from './db.ts';

/** A fixed statement whose zip is to be written. */
export interface PendingStatement {
  statementPk: number;
  billingMonth: string;
  tenantName: string;
  /** 1 for a month's first statement; 2, 3, ... after a void or for a re-issue (archived apart). */
  revision: number;
}

/** A zip written to the archive, to be recorded in the store. */
export interface WrittenZip {
  statementPk: number;
  name: string;
  /** Its path relative to DATA_DIR. */
  relative: string;
  sha256: string;
  bytes: number;
  /**
   * The zip itself, when the store keeps the archive (PostgreSQL): inserted with the record, in its
   * transaction. None when the archive is the folder (the file is written before it is recorded).
   */
  content?: Uint8Array;
}

/** The record of a statement's archived zip. */
export interface ArchivedFile {
  filePk: number;
  zipName: string;
  /** Its path relative to DATA_DIR. */
  zipPath: string;
  sha256: string;
  prunedAt: string | null;
  tenantName: string;
  billingMonth: string;
}

/**
 * A tenant's statement of a month as it stands: `fixed` for its current revision; when it has none,
 * `estimated` for the open one (a close that failed) or `void` for the latest voided one.
 */
export interface StatementRef {
  statementPk: number;
  status: 'estimated' | 'fixed' | 'void';
  revision: number;
}

/** The finalized statements without files, but for voided ones, oldest month first. */
export function pendingStatements(db: Db): PendingStatement[] {
  return cachedStatement(
    db,
    `SELECT s.statement_pk AS statementPk, s.billing_month AS billingMonth, t.tenant_name AS tenantName, s.revision
    FROM statements s JOIN tenants t USING (tenant_pk)
    WHERE s.status = 'fixed' AND NOT EXISTS (SELECT 1 FROM statement_files f WHERE f.statement_pk = s.statement_pk)
      AND NOT EXISTS (SELECT 1 FROM statement_voids v WHERE v.statement_pk = s.statement_pk)
    ORDER BY s.billing_month, t.tenant_name, s.revision`,
  ).all() as PendingStatement[];
}

/** The statement whose files are recorded at `zipPath` (relative to DATA_DIR), if any. */
export function statementAtZipPath(db: Db, zipPath: string): number | undefined {
  return cachedStatement(db, 'SELECT statement_pk FROM statement_files WHERE zip_path = ?').pluck().get(zipPath) as
    number | undefined;
}

/**
 * Records written zips (one transaction); a statement already recorded keeps its record. A zip's
 * `content` (PostgreSQL's archive) is kept with its record, in the same transaction: never a record
 * without its bytes, nor bytes without their record.
 */
export function recordStatementFiles(db: Db, zips: readonly WrittenZip[], at: string): void {
  const record = cachedStatement(
    db,
    `INSERT INTO statement_files (statement_pk, zip_name, zip_path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (statement_pk) DO NOTHING`,
  );
  inTransaction(db, () => {
    for (const z of zips) {
      record.run(z.statementPk, z.name, z.relative, z.sha256, z.bytes, at);
      if (z.content !== undefined) keepZipWithRecord(db, z);
    }
  });
}

/**
 * Keeps a zip's bytes with the record of its statement's file (archived_zips, PostgreSQL), when
 * that record is the zip's (the same SHA-256) and has no bytes yet: a statement already recorded
 * keeps what it has. A zip that crossed threads is a plain Uint8Array: it is bound as a Buffer.
 */
function keepZipWithRecord(db: Db, z: WrittenZip): void {
  const content = Buffer.from(z.content!.buffer, z.content!.byteOffset, z.content!.byteLength);
  cachedStatement(
    db,
    `INSERT INTO archived_zips (file_pk, bytes)
    SELECT file_pk, CAST(? AS bytea) FROM statement_files WHERE statement_pk = ? AND sha256 = ? AND pruned_at IS NULL
    ON CONFLICT (file_pk) DO NOTHING`,
  ).run(content, z.statementPk, z.sha256);
}

/** The archived bytes of a recorded file kept in the store (PostgreSQL), if they are there. */
export function storedZip(db: Db, filePk: number): Buffer | undefined {
  return cachedStatement(db, 'SELECT bytes FROM archived_zips WHERE file_pk = ?').pluck().get(filePk) as
    Buffer | undefined;
}

/** Keeps (or replaces) the archived bytes of a recorded file in the store (PostgreSQL): a repair. */
export function replaceStoredZip(db: Db, filePk: number, bytes: Buffer): void {
  cachedStatement(
    db,
    `INSERT INTO archived_zips (file_pk, bytes) VALUES (?, ?)
    ON CONFLICT (file_pk) DO UPDATE SET bytes = excluded.bytes`,
  ).run(filePk, bytes);
}

/** Deletes the archived bytes of a recorded file kept in the store (PostgreSQL), as the retention prunes it. */
export function deleteStoredZip(db: Db, filePk: number): void {
  cachedStatement(db, 'DELETE FROM archived_zips WHERE file_pk = ?').run(filePk);
}

/** Every recorded statement file, pruned or not, by key (what migrate-store copies). */
export function everyArchivedFile(db: Db): {
  filePk: number;
  statementPk: number;
  zipName: string;
  zipPath: string;
  sha256: string;
  prunedAt: string | null;
}[] {
  return cachedStatement(
    db,
    'SELECT file_pk AS filePk, statement_pk AS statementPk, zip_name AS zipName, zip_path AS zipPath, sha256, pruned_at AS prunedAt FROM statement_files ORDER BY file_pk',
  ).all() as ReturnType<typeof everyArchivedFile>;
}

/** Whether a statement's files are recorded (written, or written and pruned since). */
export function hasFiles(db: Db, statementPk: number): boolean {
  return cachedStatement(db, 'SELECT 1 FROM statement_files WHERE statement_pk = ?').get(statementPk) !== undefined;
}

/** The record of a statement's archived zip, if its files were written. */
export function archivedFile(db: Db, statementPk: number): ArchivedFile | undefined {
  return cachedStatement(
    db,
    `SELECT f.file_pk AS filePk, f.zip_name AS zipName, f.zip_path AS zipPath, f.sha256, f.pruned_at AS prunedAt, t.tenant_name AS tenantName,
      s.billing_month AS billingMonth
    FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) WHERE f.statement_pk = ?`,
  ).get(statementPk) as ArchivedFile | undefined;
}

/** The archived zips not pruned yet of billing months before `month`. */
export function filesBefore(db: Db, month: string): { filePk: number; zipPath: string }[] {
  return cachedStatement(
    db,
    `SELECT f.file_pk AS filePk, f.zip_path AS zipPath FROM statement_files f JOIN statements s USING (statement_pk)
    WHERE f.pruned_at IS NULL AND s.billing_month < ?`,
  ).all(month) as { filePk: number; zipPath: string }[];
}

/** Marks an archived zip deleted by the retention (its record stays, so it is not written again). */
export function markPruned(db: Db, filePk: number, at: string): void {
  cachedStatement(db, 'UPDATE statement_files SET pruned_at = ? WHERE file_pk = ?').run(at, filePk);
}

/** The statement of a tenant (by name) for a billing month as it stands (see StatementRef), if any. */
export function findStatement(db: Db, tenantName: string, billingMonth: string): StatementRef | undefined {
  return cachedStatement(
    db,
    `SELECT s.statement_pk AS statementPk, s.revision,
      CASE WHEN c.statement_pk IS NOT NULL THEN 'fixed' WHEN s.status = 'estimated' THEN 'estimated' ELSE 'void' END AS status
    FROM statements s JOIN tenants t USING (tenant_pk) LEFT JOIN current_statements c ON c.statement_pk = s.statement_pk
    WHERE t.tenant_name = ? AND s.billing_month = ?
      AND (c.statement_pk IS NOT NULL OR NOT EXISTS (SELECT 1 FROM current_statements o WHERE o.tenant_pk = s.tenant_pk AND o.billing_month = s.billing_month))
    ORDER BY c.statement_pk IS NOT NULL DESC, s.status = 'estimated' DESC, s.revision DESC LIMIT 1`,
  ).get(tenantName, billingMonth) as StatementRef | undefined;
}

/** The key of a tenant's current (finalized, not voided or replaced) statement of a billing month, if any. */
export function fixedStatementPk(db: Db, tenantName: string, billingMonth: string): number | undefined {
  const s = findStatement(db, tenantName, billingMonth);
  return s?.status === 'fixed' ? s.statementPk : undefined;
}

/** Replaces the file settings of a statement (set-file-encoding): the statement stays as frozen, its settings beside it. */
export function replaceFileSettings(db: Db, statementPk: number, files: StatementFileOptions, at: string): void {
  cachedStatement(
    db,
    `INSERT INTO statement_file_settings (statement_pk, files, changed_at) VALUES (?, ?, ?)
    ON CONFLICT (statement_pk) DO UPDATE SET files = excluded.files, changed_at = excluded.changed_at`,
  ).run(statementPk, JSON.stringify(files), at);
}

/** The archived zip of one revision of a tenant's month, as its record says. */
export interface RevisionFile {
  statementPk: number;
  revision: number;
  zipName: string;
  /** Its path relative to DATA_DIR. */
  zipPath: string;
  sha256: string;
  bytes: number;
  /** When it was written. */
  createdAt: string;
  /** When the retention deleted it (it is rebuilt from the frozen lines when asked for), or null. */
  prunedAt: string | null;
}

/** The archived zips of every revision of a tenant's month, by revision. */
export function tenantMonthFiles(db: Db, tenantName: string, billingMonth: string): RevisionFile[] {
  return cachedStatement(
    db,
    `SELECT f.statement_pk AS statementPk, s.revision, f.zip_name AS zipName, f.zip_path AS zipPath, f.sha256, f.bytes,
      f.created_at AS createdAt, f.pruned_at AS prunedAt
    FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    WHERE t.tenant_name = ? AND s.billing_month = ? ORDER BY s.revision`,
  ).all(tenantName, billingMonth) as RevisionFile[];
}
