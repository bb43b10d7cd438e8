/** Streams an import file as validated UTF-8 CSV rows keyed by header name, with their line numbers. */
import crypto from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, CsvError } from 'csv-parse';

/** One data row: its first line in the file and its cells by column name. */
export interface CsvRow {
  line: number;
  cells: Record<string, string>;
}

/** A problem with the file's structure (encoding, quoting, header, field count). */
export class CsvStructureError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Passes bytes through unchanged, failing at the first byte sequence that is not UTF-8, and hashes them. */
class Utf8Guard extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private linesBefore = 0;
  /** The bytes of a character the last chunk began but did not finish. */
  private tail: Buffer = Buffer.alloc(0);
  private readonly hash = crypto.createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      done(this.invalidAt(Buffer.concat([this.tail, chunk])));
      return;
    }
    this.tail = Buffer.from(unfinishedTail(Buffer.concat([this.tail, chunk])));
    if (text.includes('\u0000')) {
      done(new CsvStructureError(this.linesBefore + countNewlines(text.slice(0, text.indexOf('\u0000'))) + 1, '(encoding)', 'contains a NUL byte; is this a text file?'));
      return;
    }
    this.linesBefore += countNewlines(text);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.decode();
    } catch {
      done(new CsvStructureError(this.linesBefore + 1, '(encoding)', 'the file ends inside a multi-byte character: it is not valid UTF-8'));
      return;
    }
    done();
  }

  /** The line of the first invalid sequence in `bytes` (a chunk with the unfinished tail before it). */
  private invalidAt(bytes: Buffer): CsvStructureError {
    let line = this.linesBefore + 1;
    const probe = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    while (start <= bytes.length) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      try {
        probe.decode(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = end + 1;
      line++;
    }
    return new CsvStructureError(line, '(encoding)', 'is not valid UTF-8 (save the file as UTF-8; Shift_JIS/cp932 is not accepted for imports)');
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Line breaks inside cells as a reader counts them (CR LF, CR or LF), and csv-parse's surplus. */
function lineBreaks(cells: readonly unknown[]): { human: number; surplus: number } {
  let human = 0;
  let surplus = 0;
  for (const cell of cells) {
    if (typeof cell !== 'string') continue;
    human += (cell.match(/\r\n|\r|\n/g) ?? []).length;
    surplus += (cell.match(/\r\n/g) ?? []).length;
  }
  return { human, surplus };
}

/** The last 1-3 bytes of `bytes` when they begin a UTF-8 character that has not ended yet. */
function unfinishedTail(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(bytes.length - back) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** What the header check needs to know about a kind's columns. */
export interface ColumnSpec {
  required: readonly string[];
  optional: readonly string[];
}

/** A parsed file: its rows as they stream, then its size and SHA-256 once fully read. */
export interface CsvSource {
  rows: AsyncIterable<CsvRow>;
  /** Valid once `rows` is exhausted. */
  summary(): { bytes: number; sha256: string };
}

/**
 * Reads `input` as CSV: UTF-8 (a BOM is accepted), CRLF or LF line ends, a header line naming the
 * columns, blank lines skipped. Structural problems throw CsvStructureError with the line.
 */
export function readCsv(input: Readable, columns: ColumnSpec): CsvSource {
  const guard = new Utf8Guard();
  const parser = parse({
    bom: true,
    info: true,
    raw: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
    max_record_size: 1_000_000,
  });
  input.on('error', (err) => guard.destroy(err));
  guard.on('error', (err) => parser.destroy(err));
  input.pipe(guard).pipe(parser);

  // csv-parse counts CR and LF apart inside quoted cells, so a CR LF there counts twice: `extra`
  // keeps that surplus so far, and a record's first line is its last minus the breaks in its cells.
  let extra = 0;
  const startOf = (cells: readonly unknown[], parserLines: number): number => {
    const { human, surplus } = lineBreaks(cells);
    extra += surplus;
    return parserLines - extra - human;
  };
  /** The line a structural error belongs to: where its record starts, where possible. */
  const errorLine = (e: CsvError & { lines?: number; record?: unknown[]; raw?: string }): number => {
    const lines = e.lines ?? 0;
    if (Array.isArray(e.record)) return startOf(e.record, lines);
    if (e.code === 'CSV_QUOTE_NOT_CLOSED' && typeof e.raw === 'string') {
      // `raw` is everything after the last complete record: blank lines, then the open record.
      const { human, surplus } = lineBreaks([e.raw]);
      const leading = lineBreaks([/^[\r\n]*/.exec(e.raw)![0]]).human;
      return lines - extra - human - surplus + 1 + leading;
    }
    return lines - extra;
  };

  async function* rows(): AsyncGenerator<CsvRow> {
    let header: string[] | null = null;
    try {
      for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        const line = startOf(item.record, item.info.lines);
        if (header === null) {
          header = checkHeader(item.record, columns, line);
          continue;
        }
        const cells: Record<string, string> = {};
        header.forEach((name, i) => {
          cells[name] = item.record[i] ?? '';
        });
        yield { line, cells };
      }
    } catch (err) {
      if (err instanceof CsvStructureError) throw err;
      const code = (err as NodeJS.ErrnoException)?.code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
        throw new CsvStructureError(0, '', `cannot be read (${code})`);
      }
      if (err instanceof CsvError) {
        throw fromCsvError(err, errorLine(err as CsvError & { lines?: number; record?: unknown[]; raw?: string }));
      }
      throw err;
    }
    if (header === null) throw new CsvStructureError(0, '', 'is empty: a header line naming the columns is expected');
  }

  return {
    rows: rows(),
    summary: () => ({ bytes: guard.bytes, sha256: guard.digest() }),
  };
}

function checkHeader(record: string[], columns: ColumnSpec, line: number): string[] {
  if (record.some((name) => name.includes('\r'))) {
    throw new CsvStructureError(1, '(csv)', 'ends its lines with CR alone (an old Mac format); save it with LF or CR LF line ends');
  }
  const names = record.map((name) => name.trim());
  const known = new Set([...columns.required, ...columns.optional]);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) problems.push(`column "${name}" appears twice`);
    seen.add(name);
    if (!known.has(name)) problems.push(`unknown column "${name}"`);
  }
  const missing = columns.required.filter((name) => !seen.has(name));
  if (missing.length > 0) problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`);
  if (problems.length > 0) {
    throw new CsvStructureError(line, '(header)', `${problems.join('; ')} (expected ${[...columns.required, ...columns.optional.map((c) => `[${c}]`)].join(',')})`);
  }
  return names;
}

function fromCsvError(err: CsvError, line: number): CsvStructureError {
  const info = err as CsvError & { record?: unknown[] };
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return new CsvStructureError(line, '(csv)', `has ${Array.isArray(info.record) ? info.record.length : 'a different number of'} fields; the header line has a different number`);
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvStructureError(line, '(csv)', 'a quoted field is not closed before the end of the file');
    case 'CSV_MAX_RECORD_SIZE':
      return new CsvStructureError(line, '(csv)', 'a record is larger than 1,000,000 characters');
    default:
      return new CsvStructureError(line, '(csv)', err.message.replace(/^Invalid /, 'invalid '));
  }
}
