/** The ECL usage-fee exports (seed 000): the Detail CSV, the Summary CSV and the older tiered CSV. Pure. */
import { Decimal, ZERO, minorDigits, sum, truncate } from '../domain/money.ts';
import { CATEGORIES, type Locale } from '../domain/vocabulary.ts';
import type { ChargeLine, ChargeTree, LplatformCharges } from '../rating/types.ts';
import { encodeCsv, linesOf, money, type CsvCell, type CsvEncoding } from './csv.ts';
import { KIND_LABELS, formatTimestamp } from './ror-files.ts';
import type { StatementView } from './view.ts';

/** The three ECL formats. */
export const ECL_FORMATS = ['ecl-detail', 'ecl-summary', 'ecl-tiered'] as const;
export type EclFormat = (typeof ECL_FORMATS)[number];

/** How a file is written. */
export interface EclFileOptions {
  /** `utf8` (no BOM), `utf8-bom` or `cp932`, where a character cp932 cannot hold is an `E_ENCODING` error. */
  encoding: CsvEncoding;
  /** The name an encoding error names (default `<format>.csv`). */
  fileName?: string;
}

/** Who the contract is: the ECL contract ID and external contract ID of a statement's tenant. */
export interface EclContract {
  contractId: string;
  externalContractId: string;
}

/** The default contract of a view: contract ID = tenant name, external contract ID = its display name. */
export function eclContract(view: StatementView): EclContract {
  return { contractId: view.tenant.name, externalContractId: view.tenant.displayName };
}

/** The service shown for a product that names none. */
export const DEFAULT_SERVICE = 'Enterprise Cloud 2.0';

export const DETAIL_COLUMNS = [
  'ChargeType',
  'ContractId',
  'ExternalContractId',
  'WorkspaceId',
  'WorkspaceName',
  'TenantId',
  'CalculationUnitId',
  'Category',
  'Subcategory',
  'Menu',
  'DetailedMenu',
  'Plan',
  'Region',
  'Description',
  'ResourceId',
  'Usage',
  'Unit',
  'Amount',
  'Currency',
  'TaxClassification',
  'TargetMonth',
  'Status',
] as const;
export const SUMMARY_COLUMNS = [
  'RowType',
  'ContractId',
  'ExternalContractId',
  'WorkspaceId',
  'WorkspaceName',
  'TenantId',
  'Region',
  'Description',
  'Amount',
  'Currency',
  'TargetMonth',
  'Status',
] as const;
const TIERED_COLUMNS = ['1', '2', '3', '4', '5', '6', '7'];

/** The words of the tiered statement (and the tax rows) in the tenant's locale. */
const LABELS: Record<
  Locale,
  {
    total: string;
    tenant: string;
    free: string;
    tax: string;
    taxDetail: (percent: string) => string;
    adjustment: string;
    coupon: string;
  }
> = {
  ja: {
    total: '合計',
    tenant: 'テナント',
    free: '無料利用分',
    tax: '消費税相当額',
    taxDetail: (p) => `税区分:合算 消費税率:${p}%`,
    adjustment: '調整額',
    coupon: 'クーポン割引',
  },
  en: {
    total: 'Total',
    tenant: 'Tenant',
    free: 'Free allowance',
    tax: 'Consumption tax',
    taxDetail: (p) => `Tax classification:Total Tax rate:${p}%`,
    adjustment: 'Adjustment',
    coupon: 'Coupon discount',
  },
};

/** A cell: text (quoted, formula-neutralized), a number in quotes (not neutralized: `"-278.349105"`), or a bare number. */
export type Cell = CsvCell;
const bare = (v: string | number): Cell => ({ bare: String(v) });
const quoted = (v: string): Cell => ({ quoted: v });

/** A line-level amount with 6 decimals (the ECL per-minute grid), or more when it has more. */
function six(value: Decimal): string {
  const v = value.isZero() ? ZERO : value;
  return v.decimalPlaces() > 6 ? v.toFixed() : v.toFixed(6);
}

const PRODUCT_KINDS = new Set(['usage', 'fee']);
const FREE_KINDS = new Set(['allowance', 'free_link']);

/** The names a product line is shown under; empty display names fall back to the service default, the product name and the resource kind's label. */
const serviceOf = (l: ChargeLine): string => l.display.service || DEFAULT_SERVICE;
const menuOf = (l: ChargeLine): string => l.display.menu || l.productName;
const submenuOf = (l: ChargeLine): string =>
  l.display.submenu || (KIND_LABELS[l.resourceKind] ?? l.resourceKind) || l.productName;

/** How much of its measure a line charged for, as a number and a unit (`min`, `sec`, `day`, `month`, `unit`). */
function measureOf(line: ChargeLine): { value: string; unit: string } | null {
  const m = line.measure;
  if (m.minutes !== undefined) return { value: String(m.minutes), unit: 'min' };
  if (m.seconds !== undefined) return { value: String(m.seconds), unit: 'sec' };
  if (m.days !== undefined) return { value: String(m.days), unit: 'day' };
  if (m.runs !== undefined) return { value: String(m.runs), unit: 'month' };
  if (m.units !== undefined) return { value: m.units.toFixed(), unit: 'unit' };
  return null;
}

// ---------------------------------------------------------------------------------------------
// Detail

/** The Detail rows of one statement: a row per charge line, then a row per tax rate. */
export function eclDetailRows(view: StatementView): Cell[][] {
  const { tree } = view;
  const contract = eclContract(view);
  const digits = minorDigits(tree.currency);
  const taxClass = tree.taxes.length > 0 ? 'total' : 'none';
  const tail = (amount: string): Cell[] => [
    bare(amount),
    tree.currency,
    taxClass,
    tree.period.billingMonth,
    view.status,
  ];
  const rows: Cell[][] = [];
  const lineRow = (line: ChargeLine, lp: LplatformCharges | null): Cell[] => {
    const d = line.display;
    const product = line.productId !== '';
    const measure = PRODUCT_KINDS.has(line.kind) ? measureOf(line) : null;
    const description = PRODUCT_KINDS.has(line.kind) ? d.description || line.productName : line.note;
    return [
      line.kind,
      contract.contractId,
      contract.externalContractId,
      lp?.lplatformId ?? '',
      lp?.lplatformName ?? '',
      lp?.lplatformId ?? '',
      line.productId,
      product ? serviceOf(line) : '',
      product ? menuOf(line) : '',
      product ? submenuOf(line) : '',
      d.usageLabel,
      d.plan,
      lp?.region ?? '',
      description,
      line.resourceId,
      measure === null ? bare('') : bare(measure.value),
      measure?.unit ?? '',
      ...tail(tree.preset === 'ecl' ? six(line.charged) : money(line.charged, digits)),
    ];
  };
  for (const lp of tree.lplatforms) for (const line of linesOf(lp)) rows.push(lineRow(line, lp));
  for (const line of tree.tenantLines) rows.push(lineRow(line, null));
  const L = LABELS[view.tenant.locale];
  for (const t of tree.taxes) {
    rows.push([
      'tax',
      contract.contractId,
      contract.externalContractId,
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      `${L.tax} ${L.taxDetail(t.percent.toFixed())}`,
      '',
      bare(money(t.base, digits)),
      tree.currency,
      ...tail(money(t.amount, digits)),
    ]);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Summary

/** The Summary rows of one statement: a row per workspace (L-Platform), tenant-level lines, taxes, the total. */
export function eclSummaryRows(view: StatementView): Cell[][] {
  const { tree } = view;
  const contract = eclContract(view);
  const digits = minorDigits(tree.currency);
  const L = LABELS[view.tenant.locale];
  const head = (type: string): Cell[] => [type, contract.contractId, contract.externalContractId];
  const tail = (amount: Decimal): Cell[] => [
    bare(money(amount, digits)),
    tree.currency,
    tree.period.billingMonth,
    view.status,
  ];
  const rows: Cell[][] = tree.lplatforms.map((lp) => [
    ...head('workspace'),
    lp.lplatformId,
    lp.lplatformName,
    lp.lplatformId,
    lp.region,
    '',
    ...tail(lp.amount),
  ]);
  for (const line of tree.tenantLines)
    rows.push([...head(line.kind), '', '', '', '', line.note, ...tail(line.charged)]);
  for (const t of tree.taxes)
    rows.push([...head('tax'), '', '', '', '', L.taxDetail(t.percent.toFixed()), ...tail(t.amount)]);
  rows.push([...head('total'), '', '', '', '', '', ...tail(tree.total)]);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Tiered

/** Lines grouped by a key, groups in the order of their first line. */
function groupBy(lines: readonly ChargeLine[], key: (l: ChargeLine) => string): [string, ChargeLine[]][] {
  const groups = new Map<string, ChargeLine[]>();
  for (const l of lines) {
    const k = key(l);
    const g = groups.get(k);
    if (g) g.push(l);
    else groups.set(k, [l]);
  }
  return [...groups];
}

/** Where a group sorts: the earliest catalog category of its lines (compute, volume, network, firewall, ...). */
function rank(lines: readonly ChargeLine[]): number {
  return Math.min(
    ...lines.map((l) => {
      const i = (CATEGORIES as readonly string[]).indexOf(l.category);
      return i < 0 ? CATEGORIES.length : i;
    }),
  );
}

function byRankThenName(a: [string, ChargeLine[]], b: [string, ChargeLine[]]): number {
  return rank(a[1]) - rank(b[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

const sumOf = (lines: readonly ChargeLine[]): Decimal => sum(lines.map((l) => l.charged));

/** `3739 Min` (or seconds, days, months, units) of the usage and fee lines; empty when they measure nothing. */
function usageText(lines: readonly ChargeLine[]): string {
  const counted = lines.filter((l) => PRODUCT_KINDS.has(l.kind));
  const total = (pick: (l: ChargeLine) => Decimal | undefined): Decimal | null => {
    const values = counted.map(pick).filter((v): v is Decimal => v !== undefined);
    return values.length === 0 ? null : sum(values);
  };
  const num = (n: number | undefined): Decimal | undefined => (n === undefined ? undefined : new Decimal(n));
  const minutes = total((l) => num(l.measure.minutes));
  if (minutes !== null) return `${minutes.toFixed()} Min`;
  const seconds = total((l) => num(l.measure.seconds));
  if (seconds !== null) return `${seconds.toFixed()} Sec`;
  const days = total((l) => num(l.measure.days));
  if (days !== null) return `${days.toFixed()} Day`;
  const runs = total((l) => num(l.measure.runs));
  if (runs !== null) return `${runs.toFixed()} Month`;
  const units = total((l) => l.measure.units);
  return units === null ? '' : `${units.toFixed()} Unit`;
}

/** One billing item: tier, item (indented by the caller), detail, usage, amount. */
interface Item {
  tier: number;
  item: string;
  detail: string;
  usage: string;
  amount: string;
}

/** The items of one menu's resource (tier 5) and its plans and usage labels below it. */
function resourceItems(submenu: string, lines: ChargeLine[]): Item[] {
  const first = lines[0]!;
  const id = first.resourceId === '' ? '' : `Id:${first.resourceId}`;
  const name =
    first.resourceName !== '' && first.resourceName !== first.resourceId
      ? `${id ? ', ' : ''}Name:${first.resourceName}`
      : '';
  const deeper = lines.some((l) => l.display.plan !== '' || l.display.usageLabel !== '');
  const items: Item[] = [
    { tier: 5, item: submenu, detail: id + name, usage: deeper ? '1' : usageText(lines), amount: six(sumOf(lines)) },
  ];
  for (const [plan, planLines] of groupBy(lines, (l) => l.display.plan)) {
    // Without a plan the usage labels come right below the resource: tiers are never skipped.
    const labelTier = plan === '' ? 6 : 7;
    const labelled = planLines.filter((l) => l.display.usageLabel !== '');
    if (plan !== '')
      items.push({
        tier: 6,
        item: plan,
        detail: '',
        usage: labelled.length > 0 ? '' : usageText(planLines),
        amount: six(sumOf(planLines)),
      });
    for (const [label, labelLines] of groupBy(labelled, (l) => l.display.usageLabel)) {
      items.push({
        tier: labelTier,
        item: label,
        detail: '',
        usage: usageText(labelLines),
        amount: six(sumOf(labelLines)),
      });
    }
  }
  return items;
}

/** The items of one L-Platform below its tier-2 line: services (3), menus (4), resources (5), plans (6), usage labels (7). */
function lplatformItems(lp: LplatformCharges, tree: ChargeTree, locale: Locale): Item[] {
  const L = LABELS[locale];
  const digits = minorDigits(tree.currency);
  const items: Item[] = [];
  const services = groupBy(linesOf(lp), serviceOf).sort(byRankThenName);
  for (const [service, serviceLines] of services) {
    // One service: the L-Platform amount; several: each service's sum brought to the currency unit as the L-Platform's is.
    const amount =
      services.length === 1
        ? lp.amount
        : tree.preset === 'ecl'
          ? truncate(sumOf(serviceLines), digits)
          : sumOf(serviceLines);
    items.push({ tier: 3, item: service, detail: '', usage: '', amount: money(amount, digits) });
    const products = serviceLines.filter((l) => l.productId !== '');
    for (const [menu, menuLines] of groupBy(products, menuOf).sort(byRankThenName)) {
      items.push({ tier: 4, item: menu, detail: '', usage: '', amount: six(sumOf(menuLines)) });
      const charged = menuLines.filter((l) => !FREE_KINDS.has(l.kind));
      const entries = groupBy(charged, (l) => `${submenuOf(l)}\u0000${l.resourceId}\u0000${l.resourceName}`).sort(
        (a, b) => rank(a[1]) - rank(b[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
      );
      for (const [key, entryLines] of entries) items.push(...resourceItems(key.split('\u0000')[0]!, entryLines));
      for (const free of menuLines.filter((l) => FREE_KINDS.has(l.kind))) {
        const detail = [free.display.description || free.note, free.resourceId === '' ? '' : `Id:${free.resourceId}`]
          .filter((x) => x !== '')
          .join(', ');
        items.push({ tier: 5, item: L.free, detail, usage: '', amount: six(free.charged) });
      }
    }
    for (const line of serviceLines.filter((l) => l.productId === '')) {
      items.push({
        tier: 4,
        item: line.kind === 'coupon' ? L.coupon : L.adjustment,
        detail: line.note,
        usage: '',
        amount: six(line.charged),
      });
    }
  }
  return items;
}

/** `YYYY-MM-DD hh:mm:ss UTC`. */
function utcStamp(epoch: number): string {
  return `${formatTimestamp(epoch, 'UTC').slice(0, 19)} UTC`;
}

/**
 * The lines of one statement in the tiered format, numbered from 1: billing month (1), contract
 * identifier (5), break (0), billing items (3), billing status (4), break (0), file created (2),
 * end (6, with the total line count). With the seed's example the items are lines 4-22.
 */
export function eclTieredRows(view: StatementView): Cell[][] {
  const { tree, tenant } = view;
  const contract = eclContract(view);
  const L = LABELS[tenant.locale];
  const digits = minorDigits(tree.currency);
  const rows: Cell[][] = [];
  const record = (type: number, ...cells: Cell[]): void => {
    rows.push([bare(rows.length + 1), bare(type), ...cells]);
  };
  const item = (i: Item): void =>
    record(3, bare(i.tier), `${'  '.repeat(i.tier - 1)}${i.item}`, i.detail, quoted(i.usage), quoted(i.amount));

  record(1, 'Billing Month', tree.period.billingMonth, '', '', '');
  record(5, 'Contract Identifier', contract.contractId, contract.contractId, '', '');
  record(0, '', '', '', '', '');
  item({
    tier: 1,
    item: L.total,
    detail: `CustomerNumber:${contract.contractId} [${contract.externalContractId}]`,
    usage: '',
    amount: money(tree.total, digits),
  });
  for (const lp of tree.lplatforms) {
    item({
      tier: 2,
      item: L.tenant,
      detail: `Id:${lp.lplatformId}, Name:${lp.lplatformName}, RegionId:${lp.region}`,
      usage: '',
      amount: money(lp.amount, digits),
    });
    for (const i of lplatformItems(lp, tree, tenant.locale)) item(i);
  }
  for (const line of tree.tenantLines) {
    item({
      tier: 2,
      item: line.kind === 'coupon' ? L.coupon : L.adjustment,
      detail: line.note,
      usage: '',
      amount: money(line.charged, digits),
    });
  }
  for (const t of tree.taxes)
    item({
      tier: 2,
      item: L.tax,
      detail: L.taxDetail(t.percent.toFixed()),
      usage: '',
      amount: money(t.amount, digits),
    });
  record(4, 'Billing Status', view.status, '', '', '');
  record(0, '', '', '', '', '');
  record(2, 'File Create Date', utcStamp(view.madeAt), '', '', '');
  record(6, bare(rows.length + 1), '', '', '', '');
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/**
 * The file of one or more statements in a format: for the Detail and Summary one header line, then
 * every statement's rows in the given order; for the tiered format one block per statement, each
 * numbered from 1. CRLF after every line; text cells quoted and formula-neutralized.
 */
export function buildEclFile(format: EclFormat, views: readonly StatementView[], options: EclFileOptions): Buffer {
  const file = options.fileName ?? `${format}.csv`;
  if (format === 'ecl-tiered')
    return encodeCsv(
      file,
      options.encoding,
      null,
      TIERED_COLUMNS,
      views.flatMap((v) => eclTieredRows(v)),
    );
  const columns = format === 'ecl-detail' ? DETAIL_COLUMNS : SUMMARY_COLUMNS;
  const rows = views.flatMap((v) => (format === 'ecl-detail' ? eclDetailRows(v) : eclSummaryRows(v)));
  return encodeCsv(file, options.encoding, columns.join(','), columns, rows);
}
