/** What the import kinds share: the tenant a row names, names its files can hold, stored rows compared. */
import type { Db } from '../../store/db.ts';
import { findTenantRef, type TenantRef } from '../../store/tenants.ts';
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
  t: { locale: Locale; csvEncoding: CsvEncoding | null },
  setting: CsvEncodingSetting | undefined,
): CsvEncoding {
  return statementEncoding(t.csvEncoding, t.locale, setting ?? 'auto');
}

/** The first field in which an incoming row differs from the stored one, and how. */
export interface Difference {
  field: string;
  /** `field: "old" -> "new"`, for messages. */
  text: string;
}

/** A snake_case column name as the camelCase field of a stored record (`unit_code` -> `unitCode`). */
type FieldOf<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<FieldOf<Tail>>}` : S;

/** A stored record holding a field for each of the columns of `Incoming`. */
export type StoredFieldsOf<Incoming> = { [K in keyof Incoming & string as FieldOf<K>]: unknown };

/** The fields of the columns compared so far (a usage file compares the same few millions of times). */
const fields = new Map<string, string>();

/** The camelCase field of a stored record that holds the column `column`. */
function fieldOf(column: string): string {
  let field = fields.get(column);
  if (field === undefined) {
    field = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    fields.set(column, field);
  }
  return field;
}

/**
 * Compares a stored record with incoming values by column (each column's value read from the
 * record's camelCase field) and names the first column that differs.
 */
export function firstDifference<Incoming extends object>(
  stored: StoredFieldsOf<Incoming>,
  incoming: Incoming,
): Difference | null {
  const record = stored as Record<string, unknown>;
  for (const [field, value] of Object.entries(incoming)) {
    const old = record[fieldOf(field)] ?? null;
    const now: unknown = value ?? null;
    if (old !== now) return { field, text: `${field}: ${shownValue(old)} -> ${shownValue(now)}` };
  }
  return null;
}

/** A stored or incoming value in a message: text quoted (bounded, escaped), anything else as JSON. */
function shownValue(value: unknown): string {
  return typeof value === 'string' ? quoted(value) : JSON.stringify(value);
}

/** Finds the tenant a row names, or reports that it does not exist. */
export function requireTenant(db: Db, name: string, report: Report): TenantRef | undefined {
  return reportMissingTenant(findTenantRef(db, name), name, report);
}

/** The tenant `name` found (or not) by the caller; reports that it does not exist. */
export function reportMissingTenant(
  tenant: TenantRef | undefined,
  name: string,
  report: Report,
): TenantRef | undefined {
  if (!tenant) report('tenant_name', `tenant "${name}" does not exist (import tenants first)`);
  return tenant;
}

/** `find`, asked once per key for the whole import (for what the import itself never writes). */
export function readOnce<T>(find: (key: string) => T): (key: string) => T {
  const found = new Map<string, T>();
  return (key) => {
    if (!found.has(key)) found.set(key, find(key));
    return found.get(key)!;
  };
}
