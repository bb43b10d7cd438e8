/** Look-ups the import kinds share: tenants and L-Platforms by their names. */
import type { Db } from '../../store/db.ts';
import type { Report } from '../import-kind.ts';
import type { Locale } from '../../domain/vocabulary.ts';
import {
  codePoint,
  firstNonCp932,
  statementEncoding,
  type CsvEncoding,
  type CsvEncodingSetting,
} from '../../statements/csv.ts';
import { quoted } from '../../domain/text.ts';

/** The stored facts about a tenant that imports check against. */
export interface TenantRef {
  tenant_pk: number;
  tenant_name: string;
  deleted_at: string | null;
  currency: string;
  locale: Locale;
  csv_encoding: CsvEncoding | null;
}

/** Returns a function finding a tenant by name (prepared once). */
export function tenantFinder(db: Db): (name: string) => TenantRef | undefined {
  const stmt = db.prepare(
    'SELECT tenant_pk, tenant_name, deleted_at, currency, locale, csv_encoding FROM tenants WHERE tenant_name = ?',
  );
  return (name) => stmt.get(name) as TenantRef | undefined;
}

/**
 * Reports a text cell that the tenant's statement files cannot hold: in cp932, a character that
 * stays unwritable after the usual mapping (CP932_MAP), named with its code point. Returns
 * whether the cell is fine. Names that reach a statement file are checked at import, so that no
 * accepted data can leave a month whose files cannot be written.
 */
export function checkWritable(
  encoding: CsvEncoding,
  value: string,
  field: string,
  whose: string,
  report: Report,
): boolean {
  if (encoding !== 'cp932') return true;
  const bad = firstNonCp932(value);
  if (bad === null) return true;
  report(
    field,
    `"${bad}" (${codePoint(bad)}) cannot be written in cp932, the encoding of ${whose} statement files; use another character`,
  );
  return false;
}

/** The encoding a stored tenant's statements are written in. */
export function tenantEncoding(
  t: { locale: Locale; csv_encoding: CsvEncoding | null },
  setting: CsvEncodingSetting | undefined,
): CsvEncoding {
  return statementEncoding(t.csv_encoding, t.locale, setting ?? 'auto');
}

/** The first field in which an incoming row differs from the stored one, and how. */
export interface Difference {
  field: string;
  /** `field: "old" -> "new"`, for messages. */
  text: string;
}

/** Compares a stored row with incoming values and names the first field that differs. */
export function firstDifference(stored: Record<string, unknown>, incoming: Record<string, unknown>): Difference | null {
  for (const [field, value] of Object.entries(incoming)) {
    const old = stored[field] ?? null;
    const now = value ?? null;
    if (old !== now) return { field, text: `${field}: ${shownValue(old)} -> ${shownValue(now)}` };
  }
  return null;
}

/** A stored or incoming value in a message: text quoted (bounded, escaped), anything else as JSON. */
function shownValue(value: unknown): string {
  return typeof value === 'string' ? quoted(value) : JSON.stringify(value);
}

/** Finds the tenant a row names, or reports that it does not exist. */
export function requireTenant(
  find: (name: string) => TenantRef | undefined,
  name: string,
  report: Report,
): TenantRef | undefined {
  const tenant = find(name);
  if (!tenant) report('tenant_name', `tenant "${name}" does not exist (import tenants first)`);
  return tenant;
}
