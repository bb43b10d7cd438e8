/**
 * What the statement CSVs (ROR and ECL) share: cells quoted and formula-neutralized, checked
 * against cp932, CRLF lines, the amount format and the line order of an L-Platform. Pure.
 */
import iconv from 'iconv-lite';
import { UsageChargesError } from '../domain/errors.ts';
import type { Decimal } from '../domain/money.ts';
import type { ChargeLine, LplatformCharges } from '../rating/types.ts';

/** A file that cannot be written: an unencodable character (with its place) or clashing file names. */
export class RorFileError extends UsageChargesError {
  readonly file: string;
  readonly row: number | null;
  readonly column: string | null;
  constructor(code: 'E_ENCODING' | 'E_FILE_NAME', message: string, where: { file: string; row?: number; column?: string }) {
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
 * A file's bytes: the header line (if any), then its rows, CRLF after every line; in cp932 each
 * quoted cell is checked first, named by its line number and `columns` (or its position).
 */
export function encodeCsv(file: string, encoding: 'utf8' | 'cp932', header: string | null, columns: readonly string[], rows: readonly CsvCell[][]): Buffer {
  const lines: string[] = header === null ? [] : [header];
  for (const row of rows) {
    const at = lines.length + 1;
    lines.push(row.map((cell, c) => {
      if (typeof cell === 'object' && 'bare' in cell) return cell.bare;
      const value = typeof cell === 'string' ? neutralizeFormula(cell) : cell.quoted;
      const text = `"${value.replaceAll('"', '""')}"`;
      if (encoding === 'cp932') checkCp932(text, { file, row: at, column: columns[c] ?? String(c + 1) });
      return text;
    }).join(','));
  }
  const text = lines.map((l) => `${l}\r\n`).join('');
  return encoding === 'cp932' ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
}

/** Refuses text that cp932 cannot hold (iconv-lite would write `?`), naming the first such character. */
export function checkCp932(text: string, where: { file: string; row: number; column: string }): void {
  if (iconv.decode(iconv.encode(text, 'cp932'), 'cp932') === text) return;
  const bad = [...text].find((ch) => iconv.decode(iconv.encode(ch, 'cp932'), 'cp932') !== ch) ?? text;
  const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  throw new RorFileError('E_ENCODING', `${where.file}: row ${where.row}, column ${where.column}: "${bad}" (${code}) cannot be written in cp932`, where);
}
