/** What every import kind provides: its columns, a row schema, and how a valid row is applied. */
import type * as z from 'zod';
import type { Db } from '../store/db.ts';
import type { Currency, Locale } from '../domain/vocabulary.ts';
import type { ColumnSpec } from './csv-source.ts';
import type { CsvEncodingSetting } from '../statements/csv.ts';

/** The outcome of applying one row to the store. */
export type ApplyOutcome = 'inserted' | 'updated' | 'unchanged' | 'rejected';

/** Reports a problem with the row being applied; the import will then write nothing. */
export type Report = (field: string, message: string) => void;

/** Facts an import needs besides the file: the time it runs and the configured defaults. */
export interface ImportContext {
  db: Db;
  /** Canonical UTC instant of the import (recorded as created/updated time). */
  now: string;
  defaultCurrency: Currency;
  defaultLocale: Locale;
  /**
   * The CSV_ENCODING setting (default `auto`): with a tenant's own `csv_encoding` and locale it
   * decides whether the tenant's statements are written in cp932, and so which characters its
   * names may hold.
   */
  csvEncoding?: CsvEncodingSetting;
  /** The billing time zone (BILLING_TZ; default UTC): where an adjustment's next open month is found. */
  billingTimeZone?: string;
  /** `import usage --as-adjustment`: records of a finalized month are booked in the next open month. */
  asAdjustment?: boolean;
  /**
   * `reissue --adjustments`: adjustments of this tenant's finalized month, billed in the revision
   * the re-issue makes of it (every row must be of that tenant and month).
   */
  reissueOf?: { tenantName: string; billingMonth: string };
  /** Who imports (user@host), recorded with the import in the audit log. */
  by?: string;
}

/** Applies one valid row inside the import's transaction. */
export type Applier<Row> = (row: Row, report: Report) => ApplyOutcome;

/** One kind of import file; `Cells` is a row whose cells are each valid, `Row` one ready to apply. */
export interface ImportKind<Row, Cells = Row> {
  name: string;
  columns: ColumnSpec;
  /** Validates each cell of one row on its own (all columns present, empty cells as `''`). */
  schema(ctx: ImportContext): z.ZodType<Cells, Record<string, string>>;
  /**
   * The rules that combine cells (end after start, a cap for a capped type, ...); runs only when
   * every cell is valid, so that each problem is reported once, where it is.
   */
  combine?(cells: Cells, issue: Report): Row;
  /**
   * The row's identity within the file; two rows with one key are an error. Omitted where the
   * store's own uniqueness already decides (usage records, which may be millions).
   */
  key?(row: Row): string;
  /** The column a duplicate key is reported under. */
  keyField?: string;
  /**
   * The tables its rows are added to, the first the one each row adds a row to: after an import
   * that added many, their planner statistics are taken again on PostgreSQL (refreshStatistics).
   */
  tables?: readonly [string, ...string[]];
  /** Returns the per-row applier of one import (made once, inside the import's transaction). */
  applier(ctx: ImportContext): Applier<Row>;
  /**
   * On PostgreSQL, where each statement is a round trip to the server: the applier of batches of
   * rows, used instead of `applier` when the kind has one (made once, inside the import's
   * transaction). Its kind's `schema` and `combine` read nothing of the store (they run on a row
   * before the rows ahead of it in its batch are applied).
   */
  batchApplier?(ctx: ImportContext): BatchApplier<Row>;
}

/** A valid row to apply, with where its problems are reported. */
export interface RowToApply<Row> {
  row: Row;
  report: Report;
}

/**
 * Applies valid rows, in order, as the kind's per-row applier would apply them one after another
 * (each row's checks see the rows before it, its outcome and problems are the same), in a few
 * round trips to the store for the whole batch; returns each row's outcome.
 */
export type BatchApplier<Row> = (rows: readonly RowToApply<Row>[]) => ApplyOutcome[];

/** Any import kind, whatever its row type (for registries and the CLI). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyImportKind = ImportKind<any, any>;
