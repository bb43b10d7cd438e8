/**
 * What the statement CSVs (ROR and ECL) share: cells quoted and formula-neutralized, checked
 * against cp932, CRLF lines, the amount format and the line order of an L-Platform. Pure.
 */
import iconv from 'iconv-lite';
import { UsageChargesError } from '../domain/errors.ts';
import type { Decimal } from '../domain/money.ts';
import type { ChargeLine, LplatformCharges } from '../rating/types.ts';
import type { Locale } from '../domain/vocabulary.ts';

/** A statement file (ROR or ECL) that cannot be written: an unencodable character (with its place) or clashing file names. */
export class StatementFileError extends UsageChargesError {
  readonly file: string;
  readonly row: number | null;
  readonly column: string | null;
  constructor(
    code: 'E_ENCODING' | 'E_FILE_NAME',
    message: string,
    where: { file: string; row?: number; column?: string },
  ) {
    super(code, message);
    this.file = where.file;
    this.row = where.row ?? null;
    this.column = where.column ?? null;
  }
}

/** A cell: text (quoted, formula-neutralized), text in quotes as it is (`"-278.349105"`), or written bare. */
export type CsvCell = string | { quoted: string } | { bare: string };

const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/u;

/**
 * A text cell as a spreadsheet will not run it: a leading `'` before a cell that starts with
 * `=`, `+`, `-`, `@`, a tab or a CR (or their full-width forms); a cell that is exactly `-` stays.
 */
export function neutralizeFormula(text: string): string {
  return text !== '-' && FORMULA_START.test(text) ? `'${text}` : text;
}

/** An amount: at least the currency's minor digits, more when the exact value has more. */
export function money(value: Decimal, digits: number): string {
  return value.decimalPlaces() > digits ? value.toFixed() : value.toFixed(digits);
}

/** Every line of an L-Platform in statement order: its resources' lines in order, then its own. */
export function linesOf(lp: LplatformCharges): ChargeLine[] {
  return [...lp.resources.flatMap((r) => r.lines), ...lp.lines];
}

/**
 * How a statement CSV is written: `utf8` (no BOM), `utf8-bom` (UTF-8 after the byte order mark
 * EF BB BF, which Excel needs to read UTF-8) or `cp932` (Shift_JIS as Windows and Excel read it).
 */
export type CsvEncoding = 'utf8' | 'utf8-bom' | 'cp932';
export const CSV_ENCODINGS: readonly CsvEncoding[] = ['utf8', 'utf8-bom', 'cp932'];

/** The CSV_ENCODING setting: an encoding for every tenant without its own, or `auto` (by locale). */
export type CsvEncodingSetting = CsvEncoding | 'auto';

/**
 * The encoding a tenant's statements are written in: its own `csv_encoding` when it has one, else
 * the CSV_ENCODING setting, else (`auto`) by its locale: cp932 for `ja` (what Japanese Excel opens
 * by double-click), UTF-8 with a BOM otherwise.
 */
export function statementEncoding(own: CsvEncoding | null, locale: Locale, setting: CsvEncodingSetting): CsvEncoding {
  if (own !== null) return own;
  if (setting !== 'auto') return setting;
  return locale === 'ja' ? 'cp932' : 'utf8-bom';
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A file's bytes: the header line (if any), then its rows, CRLF after every line; in cp932 each
 * quoted cell is mapped (CP932_MAP) and checked first, named by its line number and `columns` (or
 * its position).
 */
export function encodeCsv(
  file: string,
  encoding: CsvEncoding,
  header: string | null,
  columns: readonly string[],
  rows: readonly CsvCell[][],
): Buffer {
  const lines: string[] = header === null ? [] : [header];
  for (const row of rows) {
    const at = lines.length + 1;
    lines.push(
      row
        .map((cell, c) => {
          if (typeof cell === 'object' && 'bare' in cell) return cell.bare;
          const value = typeof cell === 'string' ? neutralizeFormula(cell) : cell.quoted;
          let text = `"${value.replaceAll('"', '""')}"`;
          if (encoding === 'cp932' && BEYOND_ASCII.test(text)) {
            text = toCp932Text(text);
            checkCp932(text, { file, row: at, column: columns[c] ?? String(c + 1) });
          }
          return text;
        })
        .join(','),
    );
  }
  const text = lines.map((l) => `${l}\r\n`).join('');
  if (encoding === 'cp932') return iconv.encode(text, 'cp932');
  return encoding === 'utf8-bom' ? Buffer.concat([UTF8_BOM, Buffer.from(text, 'utf8')]) : Buffer.from(text, 'utf8');
}

/**
 * The characters Unicode and cp932 disagree on, mapped the way Japanese systems (Windows, Java's
 * MS932, PHP's SJIS-win) do: the character a Mac, Linux or a JIS-based converter produces, to the
 * one cp932 holds and shows the same. Each key is a character cp932 cannot hold (iconv-lite would
 * write `?` or another character), each value one it round-trips; so the map changes only text
 * that would otherwise be refused. docs/statements.md lists it.
 */
export const CP932_MAP: ReadonlyMap<string, string> = new Map([
  ['\u301C', '\uFF5E'], // WAVE DASH -> FULLWIDTH TILDE
  ['\u2212', '\uFF0D'], // MINUS SIGN -> FULLWIDTH HYPHEN-MINUS
  ['\u2016', '\u2225'], // DOUBLE VERTICAL LINE -> PARALLEL TO
  ['\u2014', '\u2015'], // EM DASH -> HORIZONTAL BAR
  ['\u00A2', '\uFFE0'], // CENT SIGN -> FULLWIDTH CENT SIGN
  ['\u00A3', '\uFFE1'], // POUND SIGN -> FULLWIDTH POUND SIGN
  ['\u00AC', '\uFFE2'], // NOT SIGN -> FULLWIDTH NOT SIGN
  ['\u00A6', '\uFFE4'], // BROKEN BAR -> FULLWIDTH BROKEN BAR
  ['\u00A5', '\uFFE5'], // YEN SIGN -> FULLWIDTH YEN SIGN (cp932 0x5C reads back as a backslash)
  ['\u203E', '\uFFE3'], // OVERLINE -> FULLWIDTH MACRON (cp932 0x7E reads back as a tilde)
]);
const CP932_MAPPED = new RegExp(`[${[...CP932_MAP.keys()].join('')}]`, 'gu');

/** Text with the characters of CP932_MAP replaced (every other character as it is). */
export function toCp932Text(text: string): string {
  return text.replace(CP932_MAPPED, (ch) => CP932_MAP.get(ch)!);
}

/** Whether cp932 holds a character as it is. */
function cp932Holds(ch: string): boolean {
  return iconv.decode(iconv.encode(ch, 'cp932'), 'cp932') === ch;
}

/** Any character beyond ASCII (every UTF-16 unit above U+007F, surrogates included). */
const BEYOND_ASCII = /[\u0080-\uFFFF]/;
/** Texts beyond ASCII already found to round-trip (names and labels repeat on every statement). */
const HELD = new Set<string>();
const HELD_MAX = 50_000;

/**
 * Whether cp932 holds every character of `text` as it is. ASCII always round-trips, so only other
 * text is encoded and decoded, and each such text once (a bounded cache).
 */
function cp932HoldsText(text: string): boolean {
  if (!BEYOND_ASCII.test(text) || HELD.has(text)) return true;
  if (iconv.decode(iconv.encode(text, 'cp932'), 'cp932') !== text) return false;
  if (HELD.size >= HELD_MAX) HELD.clear();
  HELD.add(text);
  return true;
}

/**
 * The first character of `text` that cp932 cannot hold even after CP932_MAP, or null: what an
 * import refuses for a tenant whose statements are written in cp932.
 */
export function firstNonCp932(text: string): string | null {
  if (cp932HoldsText(toCp932Text(text))) return null;
  return [...text].find((ch) => !cp932Holds(toCp932Text(ch))) ?? null;
}

/** `U+301C`: a character's code point as Unicode writes it. */
export function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Refuses text that cp932 cannot hold (iconv-lite would write `?`), naming the first such character. */
export function checkCp932(text: string, where: { file: string; row: number; column: string }): void {
  // The text is mapped already; mapping it again changes nothing (no mapped-to character is a key).
  const bad = firstNonCp932(text);
  if (bad === null) return;
  throw new StatementFileError(
    'E_ENCODING',
    `${where.file}: row ${where.row}, column ${where.column}: "${bad}" (${codePoint(bad)}) cannot be written in cp932`,
    where,
  );
}
