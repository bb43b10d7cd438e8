/**
 * The machine's own limit on the benchmark's data: reading every usage row with one plain SQLite
 * query, and deflating the statement files the run wrote, with nothing else around either.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import yauzl from 'yauzl';
import { ZIP_LEVEL } from '../src/archive/zip.ts';

/** Reading every usage row: `SELECT * FROM usage_records`, iterated. */
export interface ReadLimit {
  seconds: number;
  rows: number;
}

/** Times one plain better-sqlite3 iteration over every usage record of the store file (read-only connection). */
export function timeUsageScan(dbFile: string): ReadLimit {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const statement = db.prepare('SELECT * FROM usage_records');
    let rows = 0;
    const started = process.hrtime.bigint();
    for (const row of statement.iterate()) {
      if (row !== undefined) rows++;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, rows };
  } finally {
    db.close();
  }
}

/** The uncompressed entries of one zip, read with yauzl. */
export function readZipEntries(file: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries: Buffer[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push(Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** Every `.zip` under a folder, sorted. */
export function zipsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...zipsUnder(full));
    else if (e.isFile() && e.name.endsWith('.zip')) out.push(full);
  }
  return out.sort();
}

/** Deflating the run's output: every entry at ZIP_LEVEL, nothing else. */
export interface DeflateLimit {
  seconds: number;
  zips: number;
  entries: number;
  /** Bytes in (the uncompressed CSV files) and out (raw deflate). */
  bytesIn: number;
  bytesOut: number;
}

/**
 * Times zlib deflateRaw at ZIP_LEVEL over every entry of the zips. Each zip's entries are read
 * (and inflated) before its timing starts; only the deflate calls are timed, zip by zip, so that
 * the entries of a large run need not all be held at once.
 */
export async function timeDeflateOfZips(files: readonly string[]): Promise<DeflateLimit> {
  const out: DeflateLimit = { seconds: 0, zips: 0, entries: 0, bytesIn: 0, bytesOut: 0 };
  for (const file of files) {
    const entries = await readZipEntries(file);
    const started = process.hrtime.bigint();
    for (const e of entries) out.bytesOut += zlib.deflateRawSync(e, { level: ZIP_LEVEL }).length;
    out.seconds += Number(process.hrtime.bigint() - started) / 1e9;
    out.zips++;
    out.entries += entries.length;
    for (const e of entries) out.bytesIn += e.length;
  }
  return out;
}
