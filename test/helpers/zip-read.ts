/**
 * Reads a zip's entries straight from its central directory, names as the raw bytes say (no
 * library that cleans or refuses odd names), and a minimal CSV reader that keeps whether each
 * cell was quoted: what the security scenarios need to look at statement zips as a user's unzip
 * and spreadsheet would.
 */
import zlib from 'node:zlib';

/** One entry of a zip. */
export interface ZipEntry {
  /** The name as stored, decoded as UTF-8. */
  name: string;
  /** The name's bytes as stored. */
  nameBytes: Buffer;
  data: Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Every entry of a zip (no zip64; deflate or stored), in central directory order. */
export function readZip(zip: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw new Error(`central directory entry ${n} has a bad signature`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const nameBytes = Buffer.from(zip.subarray(at + 46, at + 46 + nameLength));
    if (zip.readUInt32LE(local) !== LOCAL) throw new Error(`local header of entry ${n} has a bad signature`);
    const localName = zip.subarray(local + 30, local + 30 + zip.readUInt16LE(local + 26));
    if (!localName.equals(nameBytes)) throw new Error(`entry ${n}: the local header names another file`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? zlib.inflateRawSync(raw) : null;
    if (data === null) throw new Error(`entry ${n}: compression method ${method}`);
    if (data.length !== size) throw new Error(`entry ${n}: ${data.length} bytes, the directory says ${size}`);
    entries.push({ name: nameBytes.toString('utf8'), nameBytes, data });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A CSV cell: its value, and whether it was written in double quotes (text) or bare (an amount). */
export interface CsvCell {
  value: string;
  quoted: boolean;
}

/** The rows of a CSV text (RFC 4180: `""` inside quotes, CR and LF kept inside quotes, CRLF or LF between rows). */
export function parseCsv(text: string): CsvCell[][] {
  const rows: CsvCell[][] = [];
  let row: CsvCell[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw new Error('a quoted cell is not closed');
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') value += text[i++];
    }
    row.push({ value, quoted });
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
    else if (text[i] === '\n') i++;
    else if (i < n) throw new Error(`unexpected ${JSON.stringify(text[i])} after a cell at ${i}`);
    rows.push(row);
    row = [];
  }
  return rows;
}
