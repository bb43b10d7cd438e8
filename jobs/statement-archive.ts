/**
 * Where the statements' zips are archived, by the store's engine. On SQLite, the folder
 * `DATA_DIR/statements/YYYYMM/` (and its `revision-N/` folders): a zip is written atomically
 * before it is recorded. On PostgreSQL, the store itself (`archived_zips`): a zip's bytes are
 * inserted with its record, in the same transaction, so that every worker and web server sharing
 * the database reads them, and no crash leaves a record without its bytes or bytes without a
 * record. Either way the record (statement_files) names the zip by its path relative to DATA_DIR
 * and holds its SHA-256: the same bytes on both engines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../src/archive/zip.ts';
import type { Config } from '../src/config.ts';
import { UsageChargesError } from '../src/domain/errors.ts';
import { inTransaction, storeEngine, type Db } from '../src/store/db.ts';
import { ensureFolder, notWritable } from '../src/store/folders.ts';
import {
  deleteStoredZip,
  markPruned,
  replaceStoredZip,
  storedZip,
  type ArchivedFile,
} from '../src/store/statements.ts';

/** The archive of a store's statement zips. */
export interface StatementArchive {
  /** Whether it is made of folders, where a killed writer may have left temporary files. */
  readonly folders: boolean;
  /** Makes ready the place of a zip to be kept at `relative` (its month's folder); throws when it cannot be. */
  makeRoom(relative: string): void;
  /**
   * Keeps a new zip before it is recorded. The folder writes it (atomically, fsynced); the store
   * returns the bytes, to be inserted with the record (recordStatementFiles).
   */
  keep(relative: string, bytes: Buffer): Promise<Uint8Array | undefined>;
  /** The archived bytes of a recorded zip, or null when they are missing; an E_ARCHIVE error when they cannot be read. */
  read(f: ArchivedFile): Buffer | null;
  /** Puts back the bytes of a recorded zip found missing or damaged, and records `audit` with them. */
  repair(f: ArchivedFile, bytes: Buffer, audit: () => void): Promise<void>;
  /** Deletes a recorded zip's bytes as the retention prunes it, and marks its record pruned. */
  prune(f: { filePk: number; zipPath: string }, at: string): void;
}

/** The archive of the store `db`: the folder under DATA_DIR on SQLite, the database on PostgreSQL. */
export function statementArchive(db: Db, config: Config): StatementArchive {
  return storeEngine(db) === 'postgres' ? storeArchive(db) : folderArchive(db, config);
}

/** The folder's name for messages: `DATA_DIR/statements/YYYYMM`. */
function folderLabel(relative: string): string {
  return `DATA_DIR/${path.dirname(relative).split(path.sep).join('/')}`;
}

/** The zips as files under DATA_DIR (SQLite). */
function folderArchive(db: Db, config: Config): StatementArchive {
  const fileOf = (relative: string): string => path.join(config.dataDir, relative);
  return {
    folders: true,
    makeRoom(relative) {
      ensureFolder(path.dirname(fileOf(relative)), folderLabel(relative));
    },
    async keep(relative, bytes) {
      try {
        await writeFileAtomic(fileOf(relative), bytes);
      } catch (err) {
        throw notWritable(folderLabel(relative), err) ?? err;
      }
      return undefined;
    },
    read(f) {
      try {
        return fs.readFileSync(fileOf(f.zipPath));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new UsageChargesError('E_ARCHIVE', `${f.zipPath} cannot be read: ${(err as Error).message}`);
      }
    },
    async repair(f, bytes, audit) {
      const file = fileOf(f.zipPath);
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, bytes);
      audit();
    },
    prune(f, at) {
      fs.rmSync(fileOf(f.zipPath), { force: true });
      markPruned(db, f.filePk, at);
    },
  };
}

/** The zips in the database, with their records (PostgreSQL). */
function storeArchive(db: Db): StatementArchive {
  return {
    folders: false,
    makeRoom() {},
    keep(_relative, bytes) {
      return Promise.resolve(bytes);
    },
    read(f) {
      return storedZip(db, f.filePk) ?? null;
    },
    repair(f, bytes, audit) {
      inTransaction(db, () => {
        replaceStoredZip(db, f.filePk, bytes);
        audit();
      });
      return Promise.resolve();
    },
    prune(f, at) {
      inTransaction(db, () => {
        deleteStoredZip(db, f.filePk);
        markPruned(db, f.filePk, at);
      });
    },
  };
}
