/** Deterministic zips of statement files, and atomic writes of their bytes. */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ZipArchive } from 'archiver';
import { byText } from '../domain/text.ts';

/** One file of a zip: a plain name (no folders) and its bytes. */
export interface ZipEntry {
  name: string;
  bytes: Buffer;
}

/** The deflate level of every entry: fixed, so that the same input always gives the same bytes. */
export const ZIP_LEVEL = 9;

/**
 * A zip of the entries, sorted by name, each dated `date` (stored as UTC DOS time, to the even
 * second below), mode 0644, deflated at level 9, no comment and no extra fields: the same entries
 * and date give the same bytes on any machine and in any time zone (with the same zlib).
 * Names must be plain file names; two entries may not share a name.
 */
export async function buildZip(entries: readonly ZipEntry[], date: Date): Promise<Buffer> {
  if (Number.isNaN(date.getTime())) throw new Error('the zip date is not a valid date');
  const sorted = [...entries].sort((a, b) => byText(a.name, b.name));
  sorted.forEach((e, i) => {
    if (e.name === '' || e.name === '.' || e.name === '..' || /[/\\\0]/.test(e.name)) throw new Error(`zip entry name "${e.name}" is not a plain file name`);
    if (i > 0 && sorted[i - 1]!.name === e.name) throw new Error(`zip entry name "${e.name}" appears twice`);
  });
  const zip = new ZipArchive({ zlib: { level: ZIP_LEVEL }, forceLocalTime: false });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.on('error', reject);
    zip.on('warning', reject);
    zip.on('end', () => resolve(Buffer.concat(chunks)));
  });
  for (const e of sorted) zip.append(e.bytes, { name: e.name, date, mode: 0o644 });
  await zip.finalize();
  return done;
}

/**
 * Writes bytes to `path` so that it holds either its old content or all of the new: a temporary
 * file in the same folder (mode 0600), fsync, rename over `path`, then fsync of the folder.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', 0o600);
  try {
    try {
      await file.chmod(0o600);
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncFolder(dir);
}

/** Makes a rename durable. Windows cannot open a folder for fsync; there the rename stands as it is. */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
