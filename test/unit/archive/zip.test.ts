/** Deterministic zips (read back with yauzl) and atomic file writes. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { afterEach, describe, expect, it } from 'vitest';
import { buildZip, writeFileAtomic, type ZipEntry } from '../../../src/archive/zip.ts';
import { buildRorFiles } from '../../../src/statements/ror-files.ts';
import { seedListView } from '../statements/support.ts';

const DATE = new Date('2026-11-01T00:05:42.000Z');
const entries: ZipEntry[] = [
  { name: 'b.csv', bytes: Buffer.from('second\r\n') },
  { name: 'a.csv', bytes: Buffer.from('first\r\n'.repeat(100)) },
  { name: 'C.csv', bytes: Buffer.alloc(0) },
];

/** The entries of a zip in their stored order: name, bytes, date (as UTC DOS time) and mode. */
async function readZip(
  zip: Buffer,
): Promise<{ name: string; bytes: Buffer; date: Date; mode: number; compression: number; extra: number }[]> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const out: Awaited<ReturnType<typeof readZip>> = [];
  for await (const entry of file.eachEntry()) {
    const stream = await file.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    out.push({
      name: entry.fileName,
      bytes: Buffer.concat(chunks),
      date: entry.getLastModDate({ timezone: 'UTC' }),
      mode: (entry.externalFileAttributes >>> 16) & 0o777,
      compression: entry.compressionMethod,
      extra: entry.extraFields.length,
    });
  }
  if (file.isOpen) file.close();
  return out;
}

describe('buildZip', () => {
  it('is deterministic: the same entries (in any order) give the same bytes', () => {
    const one = buildZip(entries, DATE);
    const two = buildZip([...entries].reverse(), DATE);
    expect(one.equals(two)).toBe(true);
    expect(buildZip(entries, new Date('2026-11-01T00:05:44.000Z')).equals(one)).toBe(false);
  });

  it('dates its entries with the wall time in the time zone given (UTC by default), as DOS time', () => {
    const dosTime = (zip: Buffer): [number, number] => [zip.readUInt16LE(10), zip.readUInt16LE(12)];
    const at = new Date('2026-10-31T23:30:10.000Z'); // 2026-11-01 08:30:10 in Tokyo
    expect(dosTime(buildZip(entries, at))).toEqual([(23 << 11) | (30 << 5) | 5, ((2026 - 1980) << 9) | (10 << 5) | 31]);
    expect(dosTime(buildZip(entries, at, 'UTC'))).toEqual(dosTime(buildZip(entries, at)));
    expect(dosTime(buildZip(entries, at, 'Asia/Tokyo'))).toEqual([
      (8 << 11) | (30 << 5) | 5,
      ((2026 - 1980) << 9) | (11 << 5) | 1,
    ]);
  });

  it('does not depend on the machine time zone', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'Asia/Tokyo';
      const tokyo = buildZip(entries, DATE);
      process.env.TZ = 'America/Los_Angeles';
      const la = buildZip(entries, DATE);
      expect(tokyo.equals(la)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('reads back sorted by name, with the bytes, the date, mode 0644, deflate and no extra fields', async () => {
    const read = await readZip(buildZip(entries, DATE));
    expect(read.map((e) => e.name)).toEqual(['C.csv', 'a.csv', 'b.csv']);
    expect(read.map((e) => e.bytes.toString())).toEqual(['', 'first\r\n'.repeat(100), 'second\r\n']);
    for (const e of read) {
      expect(e.date.toISOString()).toBe('2026-11-01T00:05:42.000Z');
      expect(e.mode).toBe(0o644);
      expect(e.compression).toBe(e.bytes.length === 0 ? 0 : 8); // an empty file is stored
      expect(e.extra).toBe(0);
    }
  });

  it('stores DOS time: an odd second reads back as the even second below', async () => {
    const [e] = await readZip(buildZip(entries.slice(0, 1), new Date('2026-11-01T00:05:43.999Z')));
    expect(e!.date.toISOString()).toBe('2026-11-01T00:05:42.000Z');
  });

  it('holds a statement: the list and detail files as built', async () => {
    const files = buildRorFiles(seedListView(), { encoding: 'utf8', currencySymbol: '\\' });
    const read = await readZip(buildZip([files.listFile, ...files.detailFiles], DATE));
    expect(read.map((e) => e.name)).toEqual([
      '201202_TNT00001-LPlatform01.csv',
      '201202_TNT00001-LPlatform02.csv',
      '201202_TNT00001_20120201.csv',
    ]);
    expect(read[0]!.bytes.equals(files.detailFiles[0]!.bytes)).toBe(true);
    expect(read[2]!.bytes.equals(files.listFile.bytes)).toBe(true);
  });

  it.each(['', '..', 'a/b.csv', '../x.csv', 'a\\b.csv', 'a\0b', 'C:x.csv'])('refuses the entry name %j', (name) => {
    expect(() => buildZip([{ name, bytes: Buffer.from('x') }], DATE)).toThrow(/not a plain file name/);
  });

  it('refuses two entries of one name, and an invalid date', () => {
    expect(() => buildZip([entries[0]!, entries[0]!], DATE)).toThrow(/appears twice/);
    expect(() => buildZip(entries, new Date(Number.NaN))).toThrow(/not a valid date/);
  });
});

describe('writeFileAtomic', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the bytes with mode 0600, replaces an old file, and leaves no temporary file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zip-atomic-'));
    const path = join(dir, '202610_TNT00001.zip');
    writeFileSync(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, Buffer.from('new bytes'));
    expect(readFileSync(path, 'utf8')).toBe('new bytes');
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['202610_TNT00001.zip']);
  });

  it('fails without leaving anything behind when the folder does not exist', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zip-atomic-'));
    await expect(writeFileAtomic(join(dir, 'missing', 'x.zip'), Buffer.from('x'))).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });
});
