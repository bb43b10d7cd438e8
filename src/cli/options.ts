/** What several verbs share: parsing the `--as-of`, `--month` and `--reason` options, who asks, and writing an `--out` file. */
import os from 'node:os';
import { InputError, UsageChargesError } from '../domain/errors.ts';
import { parseInstant } from '../domain/instant.ts';

/** Parses an `--as-of` option: an ISO 8601 instant with its zone. */
export function parseAsOf(value: string | undefined, option = '--as-of'): Date {
  if (value === undefined) return new Date();
  const r = parseInstant(value);
  if (!r.ok) throw new InputError(`${option}: ${r.error}`);
  return new Date(r.value);
}

/** Parses a `YYYY-MM` option. */
export function parseMonth(value: string, option = '--month'): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InputError(`${option}: "${value}" is not a month YYYY-MM`);
  return value;
}

/** Parses a `--reason` option: one line of at most 500 characters (it goes to the audit log). */
export function parseReason(value: string): string {
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) || value.length > 500)
    throw new InputError('--reason: must be one line of at most 500 characters');
  return value;
}

/**
 * Writes a verb's `--out` file atomically. A path that cannot be written to (a missing folder, a
 * folder in its place) is an input error; any other failure of the write is `E_WRITE`.
 */
export async function writeOutput(file: string, bytes: Uint8Array): Promise<void> {
  // Loaded here: the verbs that only parse options start without the archive module (zlib, crypto).
  const { writeFileAtomic } = await import('../archive/zip.ts');
  try {
    await writeFileAtomic(file, bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
      throw new InputError(`--out: cannot write ${file} (${code})`);
    throw new UsageChargesError('E_WRITE', `cannot write ${file} (${code})`, { cause: err });
  }
}

/** Who asked, as the audit log records it: the user and host of the process. */
export function operator(): string {
  let user = process.env.USER ?? process.env.LOGNAME ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container): keep the environment's name.
  }
  return `${user || 'unknown'}@${os.hostname()}`;
}
