/**
 * The folders this program makes and writes in (DATA_DIR, DATA_DIR/statements/YYYYMM), and what
 * is said when one cannot be made or written: the folder by its setting, and why, in words.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, UsageChargesError } from '../domain/errors.ts';
import { failPoint } from '../testing/faults.ts';

/**
 * A folder that cannot be made or written, named by its setting (`DATA_DIR`,
 * `DATA_DIR/statements/202610`): the setting names a folder this user cannot use (exit code 2).
 */
export class FolderError extends ConfigError {
  constructor(message: string, cause: unknown) {
    super(message);
    this.cause = cause;
  }
}

/** What the system's error codes of folders and files mean, in words. */
const MEANING: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'a read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'an input/output error of the disk',
};

/** The error's code, or `''`. */
function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** The nearest folder at or above `dir` that exists (the root at worst). */
function nearestExisting(dir: string): string {
  let at = path.resolve(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}

/**
 * Why `dir` could not be made, from the error mkdir gave: `CODE (meaning)`. Node's recursive
 * mkdir reports ENOENT when a parent cannot be made on a read-only file system; then the nearest
 * folder that exists is asked whether it can be written, and that answer is given.
 */
export function whyNotMade(dir: string, err: unknown): string {
  let code = codeOf(err);
  let where = '';
  if (['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS'].includes(code)) {
    const parent = nearestExisting(dir);
    if (!fs.statSync(parent, { throwIfNoEntry: false })?.isDirectory()) {
      code = 'ENOTDIR';
      where = `${parent} is a file, not a folder`;
    } else {
      try {
        fs.accessSync(parent, fs.constants.W_OK);
      } catch (accessErr) {
        code = codeOf(accessErr) || code;
        where = code === 'EROFS' ? `${parent} is on a read-only file system` : `${parent} is not writable by this user`;
      }
    }
  }
  const meaning = where || MEANING[code] || (err as Error).message;
  return code ? `${code} (${meaning})` : meaning;
}

/**
 * Makes `dir` (owner-only) with its missing parents; one that cannot be made is a FolderError
 * naming `label`: `DATA_DIR /var/lib/usage-charges cannot be created: EACCES (...)`.
 */
export function ensureFolder(dir: string, label: string): void {
  try {
    if (!fs.existsSync(dir)) failPoint('folder-create');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // A full disk is not the folder's fault: it is reported as what it is.
    if (isDiskFull(err)) throw err;
    throw new FolderError(`${label} cannot be created: ${whyNotMade(dir, err)}`, err);
  }
}

/** The codes of a write refused because of the folder (not of the disk or the file itself). */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * A FolderError for a file that could not be written in `label`'s folder because the folder
 * cannot be written (`DATA_DIR/statements/202610 is not writable: EROFS (a read-only file system)`),
 * or null for any other error.
 */
export function notWritable(label: string, err: unknown): FolderError | null {
  const code = codeOf(err);
  if (!NOT_WRITABLE.has(code)) return null;
  return new FolderError(`${label} is not writable: ${code} (${MEANING[code]})`, err);
}

/** PostgreSQL's SQLSTATE for a full disk on the database server (class 53, disk_full). */
const PG_DISK_FULL = '53100';

/**
 * True for the errors of a full disk: SQLite's SQLITE_FULL, the system's ENOSPC and EDQUOT, and
 * PostgreSQL's disk_full (SQLSTATE 53100, the database server's disk).
 */
export function isDiskFull(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === PG_DISK_FULL;
}

/**
 * Which disk is full, in words: the PostgreSQL server's (SQLSTATE 53100) or the one holding
 * DATA_DIR (followed by `dataDir` when given).
 */
export function fullDisk(err: unknown, dataDir?: string | null): string {
  return codeOf(err) === PG_DISK_FULL
    ? "the PostgreSQL database server's disk"
    : `the disk holding DATA_DIR${dataDir == null ? '' : ` ${dataDir}`}`;
}

/** `the disk holding DATA_DIR is full (CODE: message)` for a full disk's error, else null. */
export function diskFullReason(err: unknown): string | null {
  return isDiskFull(err) ? `${fullDisk(err)} is full (${withCode(err)})` : null;
}

/** An error's message, led by its code (`SQLITE_FULL: database or disk is full`) when it does not begin with it. */
export function withCode(err: unknown): string {
  const code = codeOf(err);
  const message = (err as Error).message;
  return code === '' || message.startsWith(code) ? message : `${code}: ${message}`;
}

/** Why one item of a pass (a close, a statement's files) failed, as reported and recorded. */
export function failureReason(err: unknown): string {
  return (
    diskFullReason(err) ?? (err instanceof UsageChargesError ? err.message : `unexpected: ${(err as Error).message}`)
  );
}
