/**
 * The demo cloud: the files in `data/demo/` (written for the reference month 2026-10) shifted by
 * whole months so that their usage falls in the month before a given instant, then imported
 * through the ordinary import path, all files in one transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { InputError, UsageChargesError, formatIssue } from '../domain/errors.ts';
import { inTransactionAsync, type Db } from '../store/db.ts';
import { recordAudit } from '../store/audit.ts';
import { seededDemoMonth } from '../store/imports.ts';
import { IMPORT_KINDS, IMPORT_KIND_NAMES, importFile, type ImportResult } from './index.ts';
import type { AnyImportKind, ImportContext } from './import-kind.ts';
import { PACKAGE_ROOT } from '../paths.ts';

/** The folder holding the demo files. */
export const DEMO_DIR = pathToFileURL(path.join(PACKAGE_ROOT, 'data', 'demo') + path.sep);

/** The billing month the demo files are written for. */
export const DEMO_REFERENCE_MONTH = '2026-10';

/** The date and instant columns of each kind, which the shift moves. */
const DATE_COLUMNS: Record<string, readonly string[]> = {
  tenants: ['deleted_at'],
  contacts: [],
  lplatforms: ['returned_at'],
  catalog: ['applicable_from', 'applicable_to'],
  usage: ['start_at', 'end_at'],
  coupons: ['registered_at', 'valid_until'],
  'coupon-offers': ['valid_until', 'redeem_by'],
  adjustments: [],
};

/** `YYYY-MM` plus `months` (may be negative). */
export function addMonths(month: string, months: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Whole months from `from` to `to` (both `YYYY-MM`). */
export function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return ty * 12 + tm - (fy * 12 + fm);
}

/**
 * Moves a date or an instant (as written, zone kept) by whole months; a day the target month
 * lacks becomes its last day.
 */
export function shiftText(value: string, months: number): string {
  const m = /^(\d{4}-\d{2})-(\d{2})(.*)$/.exec(value);
  if (!m || months === 0) return value;
  const month = addMonths(m[1]!, months);
  const [y, mo] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const day = Math.min(Number(m[2]), last);
  return `${month}-${String(day).padStart(2, '0')}${m[3]}`;
}

/** The month before `asOf` in the given time zone, as `YYYY-MM`. */
export function previousMonth(asOf: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(asOf);
  const year = parts.find((p) => p.type === 'year')!.value;
  const month = parts.find((p) => p.type === 'month')!.value;
  return addMonths(`${year}-${month}`, -1);
}

/** The text of one demo file with its dates shifted. */
export function shiftedDemoFile(kind: string, months: number): string {
  const text = fs.readFileSync(new URL(`${kind}.csv`, DEMO_DIR), 'utf8');
  const rows = parse(text, { bom: true, skip_empty_lines: true }) as string[][];
  const header = rows[0] ?? [];
  const shiftAt = header.map((name) => (DATE_COLUMNS[kind] ?? []).includes(name));
  const shifted = rows.map((row, i) =>
    i === 0 ? row : row.map((cell, c) => (shiftAt[c] && cell !== '' ? shiftText(cell, months) : cell)),
  );
  return stringify(shifted, { record_delimiter: '\n' });
}

/** What seeding did: the month the usage lies in, and each file's import result. */
export interface SeedResult {
  month: string;
  results: ImportResult[];
}

/**
 * Imports the demo into the store with its usage in the month before `asOf`. Running it again
 * for the same month changes nothing; a store seeded for another month is refused.
 */
export async function seedDemo(
  db: Db,
  ctx: Omit<ImportContext, 'db'>,
  asOf: Date,
  timeZone: string,
): Promise<SeedResult> {
  const month = previousMonth(asOf, timeZone);
  const earlier = seededDemoMonth(db);
  if (earlier !== undefined && earlier !== month) {
    throw new InputError(
      `seed-demo: this store already holds the demo for ${earlier}; use an empty DATA_DIR for ${month}`,
    );
  }
  const shift = monthsBetween(DEMO_REFERENCE_MONTH, month);
  let results: ImportResult[];
  try {
    results = await inTransactionAsync(db, async () => {
      const imported: ImportResult[] = [];
      for (const kind of IMPORT_KIND_NAMES) {
        const text = shiftedDemoFile(kind, shift);
        imported.push(
          await importFile(
            IMPORT_KINDS[kind] as AnyImportKind,
            { stream: Readable.from([Buffer.from(text)]), name: `data/demo/${kind}.csv (shifted to ${month})` },
            { ...ctx, db },
            { maxErrors: 20 },
          ),
        );
      }
      const changed = imported.some((r) => r.inserted + r.updated > 0);
      if (changed) recordAudit(db, ctx.now, 'seed-demo', '', { month, asOf: asOf.toISOString() });
      return imported;
    });
  } catch (err) {
    if (err instanceof InputError) {
      throw new UsageChargesError(
        'E_DEMO',
        `the demo data does not import for ${month}:\n${err.issues.map(formatIssue).join('\n')}`,
      );
    }
    throw err;
  }
  return { month, results };
}
