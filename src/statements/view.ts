/**
 * A statement as the file writers see it: the frozen tenant facts, the status, and the charge tree.
 * Built from the store for a finalized month (its frozen lines) or from a fresh rating (an estimate).
 */
import { Decimal } from '../domain/money.ts';
import type { Currency, Locale } from '../domain/vocabulary.ts';
import type { ChargeLine, ChargeTree, LplatformCharges, RatingPreset, TaxLine } from '../rating/types.ts';
import type { CsvEncoding } from './csv.ts';

/** The tenant facts a statement shows, as they were when it was made. */
export interface StatementTenant {
  name: string;
  displayName: string;
  deletedAt: number | null;
  locale: Locale;
  currency: Currency;
}

/** Everything a statement file is made from. */
export interface StatementView {
  tenant: StatementTenant;
  status: 'fixed' | 'estimated';
  /**
   * When it was finalized (fixed) or estimated; also the timestamp of every zip entry: as UTC wall
   * time for layout 1, as wall time in the frozen billing time zone (`tree.period.timeZone`) from
   * layout 2 on.
   */
  madeAt: number;
  tree: ChargeTree;
  /** How its files are written, frozen at finalization so that a rebuild is the same bytes. */
  files?: StatementFileOptions;
}

/** The settings a statement's files depend on. */
export interface StatementFileOptions {
  /** The tenant's encoding when it was finalized (statementEncoding). */
  encoding: CsvEncoding;
  currencySymbol: string;
  /**
   * The layout of the files, frozen with the statement: absent for statements finalized before
   * layouts were numbered (layout 1), so that their archived zips rebuild to the same bytes; new
   * statements are frozen with CURRENT_FILE_LAYOUT. Every change to the bytes that files are made
   * of from the same frozen lines is tied to a layout number.
   */
  layout?: number;
}

/** The layout new statements are frozen with (see StatementFileOptions.layout). */
export const CURRENT_FILE_LAYOUT = 2;

/** The layout of a statement's files: 1 when none was frozen with it. */
export function fileLayout(options: StatementFileOptions | undefined): number {
  return options?.layout ?? 1;
}

/**
 * A line as JSON text: decimals as exact strings (decimal.js's own `toJSON`, plain notation within
 * the money Decimal's exponent range).
 */
export function lineToJson(l: ChargeLine): string {
  return JSON.stringify(l);
}

const LINE_DECIMALS = [
  'unitPrice',
  'clockPrice',
  'clockGhz',
  'sizeGb',
  'multiplier',
  'taxPercent',
  'amount',
  'charged',
] as const;

/** A line from its JSON form. */
export function lineFromJson(j: Record<string, unknown>): ChargeLine {
  const line = { ...j } as Record<string, unknown>;
  for (const k of LINE_DECIMALS)
    line[k] = line[k] === null || line[k] === undefined ? null : new Decimal(line[k] as string);
  const measure = { ...(line.measure as Record<string, unknown>) };
  if (typeof measure.units === 'string') measure.units = new Decimal(measure.units);
  line.measure = measure;
  return line as unknown as ChargeLine;
}

/** The parts of a tree besides its lines, as stored with a statement. */
export interface TreeSummary {
  tenant: StatementTenant;
  preset: RatingPreset;
  period: ChargeTree['period'];
  lplatforms: {
    lplatformId: string;
    lplatformName: string;
    returnedAt: number | null;
    region?: string;
    sum: string;
    amount: string;
    resources: { resourceId: string; resourceName: string; resourceKind: string; amount: string }[];
  }[];
  beforeDiscount: string;
  discount: string;
  subtotal: string;
  taxes: { percent: string; base: string; amount: string }[];
  tax: string;
  total: string;
  files?: StatementFileOptions;
}

/** Splits a view into the summary and the ordered lines the store keeps. */
export function summarize(view: StatementView): { summary: TreeSummary; lines: ChargeLine[] } {
  const t = view.tree;
  const lines: ChargeLine[] = [];
  for (const lp of t.lplatforms) {
    for (const r of lp.resources) lines.push(...r.lines);
    lines.push(...lp.lines);
  }
  lines.push(...t.tenantLines);
  return {
    summary: {
      tenant: view.tenant,
      preset: t.preset,
      period: t.period,
      lplatforms: t.lplatforms.map((lp) => ({
        lplatformId: lp.lplatformId,
        lplatformName: lp.lplatformName,
        returnedAt: lp.returnedAt,
        region: lp.region,
        sum: lp.sum.toFixed(),
        amount: lp.amount.toFixed(),
        resources: lp.resources.map((r) => ({
          resourceId: r.resourceId,
          resourceName: r.resourceName,
          resourceKind: r.resourceKind,
          amount: r.amount.toFixed(),
        })),
      })),
      beforeDiscount: t.beforeDiscount.toFixed(),
      discount: t.discount.toFixed(),
      subtotal: t.subtotal.toFixed(),
      taxes: t.taxes.map((x) => ({ percent: x.percent.toFixed(), base: x.base.toFixed(), amount: x.amount.toFixed() })),
      tax: t.tax.toFixed(),
      total: t.total.toFixed(),
      ...(view.files ? { files: view.files } : {}),
    },
    lines,
  };
}

/** Rebuilds a view from a stored summary and its lines (in their stored order). */
export function rebuild(
  summary: TreeSummary,
  lines: readonly ChargeLine[],
  status: StatementView['status'],
  madeAt: number,
): StatementView {
  const lplatforms: LplatformCharges[] = summary.lplatforms.map((lp) => ({
    lplatformId: lp.lplatformId,
    lplatformName: lp.lplatformName,
    returnedAt: lp.returnedAt,
    region: lp.region ?? '',
    sum: new Decimal(lp.sum),
    amount: new Decimal(lp.amount),
    lines: [],
    resources: lp.resources.map((r) => ({
      resourceId: r.resourceId,
      resourceName: r.resourceName,
      resourceKind: r.resourceKind,
      amount: new Decimal(r.amount),
      lines: [] as ChargeLine[],
    })),
  }));
  const byId = new Map(lplatforms.map((lp) => [lp.lplatformId, lp]));
  const tenantLines: ChargeLine[] = [];
  for (const l of lines) {
    const lp = l.lplatformId === null ? undefined : byId.get(l.lplatformId);
    if (!lp) tenantLines.push(l);
    else if (l.resourceId === '') lp.lines.push(l);
    else lp.resources.find((r) => r.resourceId === l.resourceId)!.lines.push(l);
  }
  const taxes: TaxLine[] = summary.taxes.map((x) => ({
    percent: new Decimal(x.percent),
    base: new Decimal(x.base),
    amount: new Decimal(x.amount),
  }));
  return {
    tenant: summary.tenant,
    status,
    madeAt,
    ...(summary.files ? { files: summary.files } : {}),
    tree: {
      tenantName: summary.tenant.name,
      currency: summary.tenant.currency,
      period: summary.period,
      preset: summary.preset,
      lplatforms,
      tenantLines,
      beforeDiscount: new Decimal(summary.beforeDiscount),
      discount: new Decimal(summary.discount),
      subtotal: new Decimal(summary.subtotal),
      taxes,
      tax: new Decimal(summary.tax),
      total: new Decimal(summary.total),
    },
  };
}
