/**
 * The zip writer keeps the exact layout the archived zips were first written in (archiver 8): a
 * zip rebuilt from a statement's frozen lines must give the recorded bytes (DESIGN invariant 3),
 * whichever version of this product wrote it. Checked against archiver itself on random entries,
 * and against zips archiver wrote for the demo statements (test/fixtures/zip).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ZipArchive } from 'archiver';
import { describe, expect, it } from 'vitest';
import { buildZip, ZIP_LEVEL, type ZipEntry } from '../../../src/archive/zip.ts';
import { byText } from '../../../src/domain/text.ts';

/** The zip archiver 8 writes for the entries, as the product's writer did before. */
async function archiverZip(entries: readonly ZipEntry[], date: Date): Promise<Buffer> {
  const zip = new ZipArchive({ zlib: { level: ZIP_LEVEL }, forceLocalTime: false });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.on('error', reject);
    zip.on('end', () => resolve(Buffer.concat(chunks)));
  });
  for (const e of [...entries].sort((a, b) => byText(a.name, b.name)))
    zip.append(e.bytes, { name: e.name, date, mode: 0o644 });
  await zip.finalize();
  return done;
}

/** mulberry32: the same seed gives the same cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'TNT00001',
  'サーバ',
  '従量',
  '"quoted, cell"',
  '\\1,234',
  '2026/10/31',
  '\r\n',
  'image001',
  '€',
  '0.5',
  '',
];

/** Random entries: empty, tiny, CSV-like text (Japanese too) and incompressible bytes, some over 64 KiB. */
function randomEntries(random: () => number): ZipEntry[] {
  const count = 1 + Math.floor(random() * 25);
  const names = new Set<string>();
  while (names.size < count) {
    const base = `${Math.floor(random() * 1e6)}`;
    names.add(random() < 0.2 ? `明細_${base}.csv` : `202610_TNT${base}.csv`);
  }
  return [...names].map((name) => {
    const kind = random();
    let bytes: Buffer;
    if (kind < 0.1) bytes = Buffer.alloc(0);
    else if (kind < 0.2) bytes = Buffer.from(String.fromCharCode(65 + Math.floor(random() * 26)));
    else if (kind < 0.3)
      bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 70000) }, () => Math.floor(random() * 256)));
    else {
      const rows = Math.floor(random() * (random() < 0.1 ? 3000 : 200));
      bytes = Buffer.from(
        Array.from({ length: rows }, () =>
          Array.from({ length: 16 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(','),
        ).join('\r\n'),
      );
    }
    return { name, bytes };
  });
}

describe('zip layout', () => {
  it('gives the same bytes as archiver 8 for 60 random sets of entries and dates', async () => {
    const random = prng(20261101);
    for (let i = 0; i < 60; i++) {
      const entries = randomEntries(random);
      // Dates across the DOS range, its ends and odd seconds.
      const date = new Date(
        Date.UTC(
          1975 + Math.floor(random() * 75),
          Math.floor(random() * 12),
          1 + Math.floor(random() * 28),
          Math.floor(random() * 24),
          Math.floor(random() * 60),
          Math.floor(random() * 60),
          Math.floor(random() * 1000),
        ),
      );
      const ours = buildZip(entries, date);
      const theirs = await archiverZip(entries, date);
      expect(ours.equals(theirs), `case ${i}: ${entries.length} entries dated ${date.toISOString()}`).toBe(true);
    }
  });

  it('rebuilds the zips archiver wrote for the demo statements byte for byte', async () => {
    const dir = path.join(import.meta.dirname, '../../fixtures/zip');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.zip'));
    expect(files.length).toBe(5);
    for (const f of files) {
      const archived = fs.readFileSync(path.join(dir, f));
      const entries = await readEntries(archived);
      // Every entry of these zips carries the statement's finalization time.
      const date = new Date('2026-11-03T00:05:00Z');
      expect(buildZip(entries, date).equals(archived), f).toBe(true);
    }
  });
});

/** The entries of a zip, read with yauzl. */
async function readEntries(zip: Buffer): Promise<ZipEntry[]> {
  const { default: yauzl } = await import('yauzl');
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const out: ZipEntry[] = [];
  for await (const entry of file.eachEntry()) {
    const stream = await file.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    out.push({ name: entry.fileName, bytes: Buffer.concat(chunks) });
  }
  if (file.isOpen) file.close();
  return out;
}
