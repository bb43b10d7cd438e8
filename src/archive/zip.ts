/** Deterministic zips of statement files, and atomic writes of their bytes. */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { localParts } from '../domain/calendar.ts';
import { byText } from '../domain/text.ts';
import { processGone } from '../process.ts';
import { crashPoint, failPoint, type FailPoint } from '../testing/faults.ts';

/** One file of a zip: a plain name (no folders) and its bytes. */
export interface ZipEntry {
  name: string;
  bytes: Buffer;
}

/** The deflate level of every entry: fixed, so that the same input always gives the same bytes. */
export const ZIP_LEVEL = 9;

// The layout is the one the zip files of this product have always had (they were first written
// with archiver 8, and an archived zip rebuilt from its frozen lines must give the same bytes):
// every entry has the data-descriptor flag, zeros for its CRC and sizes in the local header and a
// descriptor after its data; an empty entry is stored, any other deflated; made by Unix, version
// 4.5; version needed 2.0; mode 0644 as a regular file plus the DOS archive bit; no extra fields,
// no comments, no zip64. test/unit/archive/zip-layout.test.ts checks it byte for byte.
const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION_NEEDED = 20;
const VERSION_MADE_BY = (3 << 8) | 45;
const EXTERNAL_ATTRIBUTES = ((0o100644 << 16) | 0x20) >>> 0;
const MAX_32 = 0xffffffff;

/**
 * A date as DOS date and time: its wall time in `timeZone` (UTC by default), to the even second
 * below (1980-2043; outside, the nearest end).
 */
function dosTime(d: Date, timeZone: string): number {
  const p =
    timeZone === 'UTC'
      ? {
          year: d.getUTCFullYear(),
          month: d.getUTCMonth() + 1,
          day: d.getUTCDate(),
          hour: d.getUTCHours(),
          minute: d.getUTCMinutes(),
          second: d.getUTCSeconds(),
        }
      : localParts(d.getTime(), timeZone);
  if (p.year < 1980) return 2162688;
  if (p.year >= 2044) return 2141175677;
  return (
    (((p.year - 1980) << 25) | (p.month << 21) | (p.day << 16) | (p.hour << 11) | (p.minute << 5) | (p.second >> 1)) >>>
    0
  );
}

/** What the local header and the central directory header of an entry both hold. */
interface EntryFields {
  flags: number;
  method: number;
  time: number;
  crc: number;
  compressed: number;
  size: number;
  nameLength: number;
}

/**
 * The run of fields the two headers of an entry share, in the same order (version needed, flags,
 * method, DOS time, CRC, compressed and uncompressed size, name length): from offset 4 of a local
 * header, from offset 6 of a central one. The extra-field length after them stays zero.
 */
function writeEntryFields(b: Buffer, at: number, f: EntryFields): void {
  b.writeUInt16LE(VERSION_NEEDED, at);
  b.writeUInt16LE(f.flags, at + 2);
  b.writeUInt16LE(f.method, at + 4);
  b.writeUInt32LE(f.time, at + 6);
  b.writeUInt32LE(f.crc, at + 10);
  b.writeUInt32LE(f.compressed, at + 14);
  b.writeUInt32LE(f.size, at + 18);
  b.writeUInt16LE(f.nameLength, at + 22);
}

/**
 * Refuses names a zip may not hold: a name that is not a plain file name (empty, `.`, `..`, a
 * folder or drive part, a NUL), or one that appears twice.
 */
export function checkEntryNames(names: readonly string[]): void {
  const sorted = [...names].sort(byText);
  sorted.forEach((name, i) => {
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name) || /^\w+:/.test(name))
      throw new Error(`zip entry name "${name}" is not a plain file name`);
    if (i > 0 && sorted[i - 1] === name) throw new Error(`zip entry name "${name}" appears twice`);
  });
}

/**
 * A zip of the entries, sorted by name, each dated `date` (stored as DOS time: its wall time in
 * `timeZone`, UTC unless given, to the even second below), mode 0644, deflated at level 9, no comment and no extra fields: the same entries
 * and date give the same bytes on any machine and in any time zone (with the same zlib).
 * Names must be plain file names; two entries may not share a name. Synchronous: a statement's
 * zip is a few hundred kilobytes at most, and deflating it at once is far cheaper than a stream.
 */
export function buildZip(entries: readonly ZipEntry[], date: Date, timeZone = 'UTC'): Buffer {
  if (Number.isNaN(date.getTime())) throw new Error('the zip date is not a valid date');
  const sorted = [...entries].sort((a, b) => byText(a.name, b.name));
  checkEntryNames(sorted.map((e) => e.name));
  if (sorted.length > 0xffff) throw new Error('a zip holds at most 65,535 entries');
  const time = dosTime(date, timeZone);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of sorted) {
    const name = Buffer.from(e.name, 'utf8');
    const flags = FLAG_DESCRIPTOR | (name.length !== e.name.length ? FLAG_UTF8 : 0);
    const method = e.bytes.length === 0 ? 0 : 8;
    const data = method === 0 ? e.bytes : deflateRawSync(e.bytes, { level: ZIP_LEVEL });
    const crc = e.bytes.length === 0 ? 0 : crc32(e.bytes);
    if (e.bytes.length > MAX_32 || data.length > MAX_32 || offset > MAX_32)
      throw new Error('a zip larger than 4 GB is not supported');
    const fields = { flags, method, time, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(SIG_LOCAL, 0);
    // CRC and sizes are zeros here; they are in the descriptor after the data.
    writeEntryFields(local, 4, { ...fields, crc: 0, compressed: 0, size: 0 });
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(data.length, 8);
    descriptor.writeUInt32LE(e.bytes.length, 12);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(SIG_CENTRAL, 0);
    header.writeUInt16LE(VERSION_MADE_BY, 4);
    writeEntryFields(header, 6, { ...fields, crc, compressed: data.length, size: e.bytes.length });
    header.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
    header.writeUInt32LE(offset, 42);
    parts.push(local, name, data, descriptor);
    central.push(header, name);
    offset += local.length + name.length + data.length + descriptor.length;
  }
  const centralLength = central.reduce((n, b) => n + b.length, 0);
  if (offset + centralLength > MAX_32) throw new Error('a zip larger than 4 GB is not supported');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_END, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralLength, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

/**
 * Writes bytes to `path` so that it holds either its old content or all of the new: a temporary
 * file in the same folder (mode 0600), fsync, rename over `path`, then fsync of the folder.
 * `failAt` names the write for the test fault hook USAGE_CHARGES_FAIL_AT (src/testing/faults.ts).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, failAt: FailPoint = 'zip-write'): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // (TEMP_NAME below reads this name back; keep the two in step.)
  const file = await open(temp, 'wx', 0o600);
  try {
    try {
      await file.chmod(0o600);
      failPoint(failAt);
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    crashPoint('zip-before-rename');
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncFolder(dir);
}

/** The temporary name writeFileAtomic gives a file while it writes it: `.<name>.<pid>.<12 hex digits>.tmp`. */
const TEMP_NAME = /^\..+\.(\d{1,10})\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temporary files writeFileAtomic left in `dir` when its process was killed while
 * writing (SIGKILL, OOM, a power cut: no chance to unlink them). A temporary file whose process
 * still exists (this one, or another that is still writing) is left; so is one whose pid was given
 * to a new process since, until that process ends. Returns the names removed; a missing folder has
 * none. Call it only while holding the month-end lease: every writer of the statements folders and
 * the outbox (a pass, a resend) holds it, so no temporary file there can be another live writer's.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null || !processGone(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed.sort(byText);
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
