/** Streams an import file (UTF-8, or cp932 when asked) as validated CSV rows keyed by header name, with their line numbers. */
import crypto from 'node:crypto';
import iconv from 'iconv-lite';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, CsvError, type InfoRecord, type Options } from 'csv-parse';
import { quoted } from '../domain/text.ts';

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

  /** The last chunk ended in a CR: a line end, unless the next chunk begins with its LF. */
  private pendingCr = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // A CR the last chunk ended in is a line end of its own unless this chunk begins with LF.
    if (this.pendingCr && chunk.length > 0 && chunk[0] !== 0x0a) this.linesBefore++;
    if (chunk.length > 0) this.pendingCr = false;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      done(this.invalidAt(Buffer.concat([this.tail, chunk])));
      return;
    }
    this.tail = Buffer.from(unfinishedTail(Buffer.concat([this.tail, chunk])));
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
      done(
        new CsvStructureError(
          this.linesBefore + lineEnds(text, nul) + 1,
          '(encoding)',
          'contains a NUL byte; is this a text file?',
        ),
      );
      return;
    }
    if (text.endsWith('\r')) {
      this.pendingCr = true;
      this.linesBefore += lineEnds(text, text.length - 1);
    } else {
      this.linesBefore += lineEnds(text, text.length);
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.decode();
    } catch {
      done(
        new CsvStructureError(
          this.linesBefore + 1,
          '(encoding)',
          'the file ends inside a multi-byte character: it is not valid UTF-8',
        ),
      );
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
      // The next line end: LF, CR LF or a CR alone (CR and LF never occur inside a UTF-8 sequence).
      let end = start;
      while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
      try {
        probe.decode(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? end + 2 : end + 1;
      line++;
    }
    return new CsvStructureError(
      line,
      '(encoding)',
      'is not valid UTF-8 (save the file as UTF-8, or import a Shift_JIS/cp932 file with --encoding cp932)',
    );
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Decodes a cp932 (Shift_JIS as Windows and Excel write it) file to UTF-8 for the CSV reader,
 * failing at the first byte sequence cp932 does not define (named by its line, counted as in a
 * UTF-8 file: CR and LF never occur inside a cp932 character), and hashes the bytes as read.
 */
class Cp932Guard extends Transform {
  private readonly decoder = iconv.getDecoder('cp932');
  private linesBefore = 0;
  /** The text decoded so far ended in a CR: a line end, unless the next text begins with its LF. */
  private pendingCr = false;
  private readonly hash = crypto.createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const problem = this.pass(this.decoder.write(chunk), false);
    done(problem ?? null);
  }

  override _flush(done: TransformCallback): void {
    done(this.pass(this.decoder.end() ?? '', true) ?? undefined);
  }

  /** Checks decoded text and hands it on as UTF-8; returns the problem, if any. */
  private pass(text: string, last: boolean): CsvStructureError | null {
    if (text === '') return null;
    if (this.pendingCr && text[0] !== '\n') this.linesBefore++;
    this.pendingCr = false;
    // iconv-lite decodes a sequence cp932 does not define as U+FFFD, which no cp932 file can hold.
    const bad = text.indexOf('\ufffd');
    if (bad >= 0) {
      const line = this.linesBefore + lineEnds(text, bad) + 1;
      return new CsvStructureError(
        line,
        '(encoding)',
        last && bad === text.length - 1
          ? 'the file ends inside a double-byte character: it is not valid cp932'
          : 'is not valid cp932 (Shift_JIS): a byte sequence cp932 does not define',
      );
    }
    const nul = text.indexOf('\u0000');
    if (nul >= 0)
      return new CsvStructureError(
        this.linesBefore + lineEnds(text, nul) + 1,
        '(encoding)',
        'contains a NUL byte; is this a text file?',
      );
    if (text.endsWith('\r')) {
      this.pendingCr = true;
      this.linesBefore += lineEnds(text, text.length - 1);
    } else {
      this.linesBefore += lineEnds(text, text.length);
    }
    this.push(Buffer.from(text, 'utf8'));
    return null;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The encodings an import file may be read in. */
export const IMPORT_ENCODINGS = ['utf8', 'cp932'] as const;
export type ImportEncoding = (typeof IMPORT_ENCODINGS)[number];

/** Line breaks as a reader counts them: CR LF, CR alone or LF each end one line. */
function lineBreaks(text: string): number {
  return (text.match(/\r\n|\r|\n/g) ?? []).length;
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

/**
 * The line ends in `text` before offset `end`, as an editor counts them: each LF, and each CR not
 * followed by an LF (a CR just before `end` is looked at with the character at `end`).
 */
function lineEnds(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  for (let i = text.indexOf('\r'); i >= 0 && i < end; i = text.indexOf('\r', i + 1))
    if (text.charCodeAt(i + 1) !== 0x0a) n++;
  return n;
}

/** What the header check needs to know about a kind's columns. */
export interface ColumnSpec {
  required: readonly string[];
  optional: readonly string[];
}

/** A record as csv-parse reads it, with the line where it starts. */
interface PlacedRecord {
  record: string[];
  line: number;
}

/** A parsed file: its rows as they stream, then its size and SHA-256 once fully read. */
export interface CsvSource {
  rows: AsyncIterable<CsvRow>;
  /** Valid once `rows` is exhausted. */
  summary(): { bytes: number; sha256: string };
}

/**
 * Reads `input` as CSV: UTF-8 (a BOM is accepted) or, when asked, cp932; CRLF or LF line ends, a
 * header line naming the columns, blank lines skipped. Structural problems throw CsvStructureError
 * with the line.
 */
export function readCsv(input: Readable, columns: ColumnSpec, encoding: ImportEncoding = 'utf8'): CsvSource {
  const guard = encoding === 'cp932' ? new Cp932Guard() : new Utf8Guard();
  // Where each record starts is counted here, not taken from csv-parse's `info.lines`: csv-parse
  // counts the CR and the LF of a CR LF inside a quoted cell as two lines, and at the end of the
  // file counts a last line break or not depending on how the bytes arrived. `on_record` runs as
  // csv-parse reads each record (however far behind the reader of `rows` is), with the record's
  // raw text: the blank lines skipped before it (one CR or LF each: csv-parse leaves out the LF of
  // a CR LF ending a line), then the record itself and its line end (again without that LF).
  /** Line breaks before the record being read: those of every record read and of the blank lines before them. */
  let linesBefore = 0;
  /** csv-parse's count of blank lines skipped, as it was at the last record read. */
  let blankBefore = 0;
  /** The line where the record now being read starts, after the `emptyLines` csv-parse has skipped so far. */
  const recordStart = (emptyLines: number): number => linesBefore + (emptyLines - blankBefore) + 1;
  /** The file's first record (its header) as soon as csv-parse has read it, ahead of the reader of `rows`. */
  let first: PlacedRecord | null = null;
  const placeRecord = ({ record, raw }: { record: string[]; raw: string }, info: InfoRecord): PlacedRecord => {
    const line = recordStart(info.empty_lines);
    linesBefore = line - 1 + lineBreaks(raw.slice(info.empty_lines - blankBefore));
    blankBefore = info.empty_lines;
    first ??= { record, line };
    return { record, line };
  };
  const parser = parse({
    bom: true,
    raw: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
    max_record_size: 1_000_000,
    // With `raw`, csv-parse hands `on_record` { record, raw } (its types do not say so).
    on_record: placeRecord as unknown as Options['on_record'],
  });
  input.on('error', (err) => guard.destroy(err));
  guard.on('error', (err) => parser.destroy(err));
  input.pipe(guard).pipe(parser);

  /** The line a structural error belongs to: where the record it was found in starts. */
  const errorLine = (e: CsvError & { empty_lines?: number }): number => recordStart(e.empty_lines ?? blankBefore);

  async function* rows(): AsyncGenerator<CsvRow> {
    let header: string[] | null = null;
    try {
      for await (const { record, line } of parser as AsyncIterable<PlacedRecord>) {
        if (header === null) {
          header = checkHeader(record, columns, line);
          continue;
        }
        const cells: Record<string, string> = {};
        header.forEach((name, i) => {
          cells[name] = record[i] ?? '';
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
        // csv-parse reads ahead of this loop: a record after the header may fail before the
        // header is looked at here. A header that is not right is the first problem, and until a
        // header is accepted the file may be anything (a settings file holding a password):
        // nothing of its text is shown then.
        const head = first as PlacedRecord | null;
        if (header === null && head !== null && head.line < errorLine(err))
          header = checkHeader(head.record, columns, head.line);
        throw fromCsvError(err, errorLine(err), header !== null);
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

/** A header cell shown by name in a message: it reads as a column name, not as arbitrary text. */
const NAME_LIKE = /^[\p{L}\p{N}_ .()-]{0,64}$/u;

function checkHeader(record: string[], columns: ColumnSpec, line: number): string[] {
  const expected = `(expected ${[...columns.required, ...columns.optional.map((c) => `[${c}]`)].join(',')})`;
  if (record.some((name) => name.includes('\r'))) {
    throw new CsvStructureError(
      line,
      '(csv)',
      'ends its lines with CR alone (an old Mac format); save it with LF or CR LF line ends',
    );
  }
  const names = record.map((name) => name.trim());
  const known = new Set([...columns.required, ...columns.optional]);
  if (!names.some((name) => known.has(name))) {
    // Not a header of this kind at all (another kind's file, a settings file): none of its text
    // is shown, since it may hold anything, a password too.
    throw new CsvStructureError(
      line,
      '(header)',
      `names none of the columns of this kind of file ${expected}; is it the right file?`,
    );
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  names.forEach((name, i) => {
    const shown = NAME_LIKE.test(name) ? `column ${quoted(name)}` : `column ${i + 1}`;
    if (seen.has(name)) problems.push(`${shown} appears twice`);
    seen.add(name);
    if (!known.has(name)) problems.push(NAME_LIKE.test(name) ? `unknown ${shown}` : `${shown} is not a column name`);
  });
  const missing = columns.required.filter((name) => !seen.has(name));
  if (missing.length > 0)
    problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`);
  if (problems.length > 0) {
    throw new CsvStructureError(line, '(header)', `${problems.join('; ')} ${expected}`);
  }
  return names;
}

/** The 1-based column of the cell a csv-parse error is about (csv-parse counts from 0). */
function column(err: CsvError): number {
  const index = (err as CsvError & { index?: unknown }).index;
  return typeof index === 'number' ? index + 1 : 1;
}

/** What a csv-parse error is about, as a message shows it: bounded and escaped, and only once the file is known to be of its kind. */
function fromCsvError(err: CsvError, line: number, headerAccepted: boolean): CsvStructureError {
  const show = (text: string, otherwise: string): string => (headerAccepted ? quoted(text) : otherwise);
  const info = err as CsvError & { record?: unknown[] };
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return new CsvStructureError(
        line,
        '(csv)',
        `has ${Array.isArray(info.record) ? info.record.length : 'a different number of'} fields; the header line has a different number`,
      );
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvStructureError(line, '(csv)', 'a quoted field is not closed before the end of the file');
    case 'CSV_MAX_RECORD_SIZE':
      return new CsvStructureError(line, '(csv)', 'a record is larger than 1,000,000 characters');
    case 'INVALID_OPENING_QUOTE':
      return new CsvStructureError(
        line,
        '(csv)',
        `column ${column(err)}: a quote inside a cell not in quotes${headerAccepted ? ` (after ${show(String((err as CsvError & { field?: unknown }).field ?? ''), '')})` : ''}; put the cell in quotes and write each quote in it as ""`,
      );
    case 'CSV_INVALID_CLOSING_QUOTE': {
      const got = /got "(.*?)"/.exec(err.message);
      // csv-parse names one byte there: shown only when it is a whole character (printable ASCII).
      const after = got && /^[\x21-\x7e]$/.test(got[1]!) ? show(got[1]!, 'text') : 'text';
      return new CsvStructureError(
        line,
        '(csv)',
        `column ${column(err)}: ${after} after the closing quote of a cell; a quote inside a cell in quotes is written as ""`,
      );
    }
    default:
      // csv-parse's own "at line N" counts lines its own way (see readCsv): the line is ours alone.
      return new CsvStructureError(
        line,
        '(csv)',
        err.message.replace(/^Invalid /, 'invalid ').replace(/ (?:at|on) line \d+/g, ''),
      );
  }
}
