/** The ROR usage-charge files (seed 003): the list CSV, one detail CSV per L-Platform, their names and bytes. Pure. */
import { createHash } from 'node:crypto';
import { localDate, localParts } from '../domain/calendar.ts';
import { Decimal, minorDigits } from '../domain/money.ts';
import type { Currency } from '../domain/vocabulary.ts';
import type { ChargeLine } from '../rating/types.ts';
import { StatementFileError, encodeCsv, linesOf, money, type CsvEncoding } from './csv.ts';
import { fileLayout, type StatementView } from './view.ts';

/** How the files are written. */
export interface RorFileOptions {
  /** `utf8` (no BOM), `utf8-bom` or `cp932` (Shift_JIS as Windows and Excel read it). */
  encoding: CsvEncoding;
  /** Put before every unit price, e.g. `\` for yen as in the seed. */
  currencySymbol: string;
  /** The statement's file layout (absent: 1, the bytes of statements frozen before layouts were numbered). */
  layout?: number;
}

/** One file: its name inside the zip and its bytes. */
export interface RorFile {
  name: string;
  bytes: Buffer;
}

/** A tenant's ROR files for one billing month. */
export interface RorFiles {
  zipName: string;
  listFile: RorFile;
  detailFiles: RorFile[];
}

export const LIST_HEADER =
  '#TenantName,TenantDisplayName,TenantDeletedDate,Date,TotalChargeAmount,FileVersion,LplatformId,LplatformName,LplatformDeletedDate,ChargeAmount';
/** The seed's header, with its spelling `LplatformDeleteDate`. */
export const DETAIL_HEADER =
  '#TenantName,TenantDisplayName,TenantDeletedDate,LplatformId,LplatformName,LplatformDeleteDate,Date,ChargeAmount,FileVersion,ItemColumn1,ItemColumn2,ItemColumn3,ItemColumn4,UnitPrice,UsedFrequency,ItemAmount';
export const FILE_VERSION = '1.0';

/** The symbol shown before prices when none is configured: `\` for yen as in the seed. */
export function defaultCurrencySymbol(currency: Currency): string {
  return { JPY: '\\', USD: '$', EUR: '€', SGD: 'S$' }[currency];
}

/** A cell: text (quoted), an amount (bare), or null (an empty amount: nothing at all). */
type Cell = string | Decimal | null;

const SAFE_PART = /^[A-Za-z0-9_-]+$/;
// A kept name may not end like a changed one (`-` + 8 hex digits) nor like a deletion date
// (`_` + 8 digits), so that `ACME` deleted on 2026-11-20 and a tenant named `ACME_20261120` differ.
const LOOKS_CHANGED = /(-[0-9a-f]{8}|_\d{8})$/;
const RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$/i;
const MAX_PART = 100;

/**
 * A tenant name or L-Platform ID as a safe part of a file name. A part is kept as it is when it is
 * 1-100 characters of [A-Za-z0-9_-], is not a reserved device name (CON, PRN, AUX, NUL, COM0-9,
 * LPT0-9, any case) and does not end like a changed part (`-` and 8 lowercase hex digits). Any other
 * part is changed: every character outside the set becomes `_`, a reserved name gets a leading `_`,
 * the result is cut to 100 characters, and `-` + the first 8 hex digits of the SHA-256 of the
 * original (UTF-8) are appended. Kept and changed parts can never be equal, and two changed parts
 * only if their hashes are; no part contains a path separator or a dot.
 */
export function safeFileName(part: string): string {
  if (SAFE_PART.test(part) && part.length <= MAX_PART && !RESERVED.test(part) && !LOOKS_CHANGED.test(part)) return part;
  return changedName(part, part);
}

/** A part changed as safeFileName changes it, with the hash of `hashed`. */
function changedName(part: string, hashed: string): string {
  let stem = part.replace(/[^A-Za-z0-9_-]/gu, '_');
  if (RESERVED.test(stem)) stem = `_${stem}`;
  const hash = createHash('sha256').update(hashed, 'utf8').digest('hex').slice(0, 8);
  return `${stem.slice(0, MAX_PART)}-${hash}`;
}

/**
 * The name part of a detail file whose usual name another file of the zip has (in any letter
 * case): the L-Platform ID changed as safeFileName changes a part, with the hash of
 * `L-Platform <ID>` instead of the ID, so that it differs from every kept part and from the
 * changed part of any tenant name or ID.
 */
export function distinctFileName(lplatformId: string): string {
  return changedName(lplatformId, `L-Platform ${lplatformId}`);
}

/** `YYYY-MM-DD HH:mm:ss.SSS` of an instant in a time zone. */
export function formatTimestamp(epoch: number, timeZone: string): string {
  const p = localParts(epoch, timeZone);
  const two = (n: number): string => String(n).padStart(2, '0');
  const ms = String(((epoch % 1000) + 1000) % 1000).padStart(3, '0');
  return `${localDate(epoch, timeZone)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}.${ms}`;
}

const UNIT_SUFFIX: Record<string, string> = {
  hour: '/h',
  month: '/month',
  year: '/year',
  minute: '/min',
  second: '/s',
  unit: '/unit',
};
const CORRECTIONS = new Set(['cap', 'allowance', 'free_link', 'adjustment', 'coupon']);
/** Layout 2: the corrections that show no price (what they take off is no price times a use). */
const PRICELESS = new Set(['cap', 'adjustment', 'coupon']);
const TIME_UNITS = new Set(['hour', 'minute', 'second']);

/** A price with at least 4 decimals (more when it has more, as ECL's 6-decimal prices). */
function price(p: Decimal): string {
  return p.decimalPlaces() > 4 ? p.toFixed() : p.toFixed(4);
}

/**
 * The UnitPrice of a line: symbol + price + `/h`, `/month`, `/year`, `/min`, `/s` or `/unit`; a CPU
 * shows its core price and its clock price (per 0.1 GHz), `\1.6667,\0.5560/h`.
 * Layout 1 (statements frozen before layouts were numbered): corrections show none, and a fee of a
 * product priced per unit of time (Oracle's monthly fee) shows the product's unit.
 * Layout 2: a fee is per `/month` (or `/year`) whatever the product's unit; a free link shows the
 * link's monthly price and a free allowance the product's price (what they waive); caps,
 * adjustments and coupons show none.
 */
export function formatUnitPrice(line: ChargeLine, symbol: string, layout = 1): string {
  if (line.unitPrice === null) return '';
  if (layout < 2 ? CORRECTIONS.has(line.kind) : PRICELESS.has(line.kind)) return '';
  const unit =
    layout >= 2 && (line.kind === 'fee' || line.kind === 'free_link') && TIME_UNITS.has(line.unitCode)
      ? 'month'
      : line.unitCode;
  const suffix = UNIT_SUFFIX[unit] ?? (unit ? `/${unit}` : '');
  const clock = line.clockPrice === null ? '' : `,${symbol}${price(line.clockPrice)}`;
  return `${symbol}${price(line.unitPrice)}${clock}${suffix}`;
}

/** A length of time in minutes as a product of `unit` counts it: `18h`, `18h3m`, `3739min`, `120s`. */
function duration(minutes: Decimal, unit: string): string {
  if (unit === 'second') return `${minutes.times(60).toFixed()}s`;
  if (unit === 'hour') {
    const hours = minutes.div(60).floor();
    const rest = minutes.minus(hours.times(60));
    return rest.isZero() ? `${hours.toFixed()}h` : `${hours.toFixed()}h${rest.toFixed()}m`;
  }
  return `${minutes.toFixed()}min`;
}

/** `1 month`, `2 months` of a monthly price; `1/12 year`, `2/12 year` of a yearly one. */
function months(runs: number, unit: string): string {
  if (unit === 'year') return `${runs}/12 year`;
  return `${runs} ${runs === 1 ? 'month' : 'months'}`;
}

/**
 * The UsedFrequency of a line: `18h` (whole hours) or `18h3m` for hourly products, `3739min` per
 * minute, `90s` per second, `1 month`/`2 months` for monthly fees (each run of use), `10/31 days`
 * prorated by day, `1 unit`/`3 units` for quantities. Layout 1: corrections show none, a yearly fee
 * counts `1 month`. Layout 2: a yearly fee counts `1/12 year` (a day-prorated one
 * `10/31 days x 1/12 year`), a free link the month it waives and a free allowance the time it made
 * free; caps, adjustments and coupons show none.
 */
export function formatUsedFrequency(line: ChargeLine, layout = 1): string {
  const m = line.measure;
  if (layout < 2 ? CORRECTIONS.has(line.kind) : PRICELESS.has(line.kind)) return '';
  if (m.minutes !== undefined) {
    if (layout < 2 && line.unitCode === 'second') return `${m.minutes * 60}s`;
    return duration(new Decimal(m.minutes), line.unitCode);
  }
  if (m.seconds !== undefined) return `${m.seconds}s`;
  const year = layout >= 2 && line.unitCode === 'year';
  if (m.days !== undefined && m.daysInPeriod !== undefined)
    return `${m.days}/${m.daysInPeriod} days${year ? ' x 1/12 year' : ''}`;
  if (m.runs !== undefined)
    return layout >= 2 ? months(m.runs, line.unitCode) : `${m.runs} ${m.runs === 1 ? 'month' : 'months'}`;
  if (m.units !== undefined) {
    if (line.kind === 'allowance') return duration(m.units, line.unitCode);
    return `${m.units.toFixed()} ${m.units.equals(1) ? 'unit' : 'units'}`;
  }
  return '';
}

export const KIND_LABELS: Record<string, string> = {
  virtual_server: 'Virtual server',
  physical_server: 'Physical server',
  disk: 'Disk',
  volume: 'Volume',
  network: 'Network',
  firewall: 'Firewall',
  load_balancer: 'Load balancer',
  cic: 'CIC',
  guest_image: 'Guest image',
  license: 'License',
  monitoring: 'Monitoring',
  vpn: 'VPN',
  storage: 'Storage',
  other: 'Other',
};
const CATEGORY_LABELS: Record<string, string> = {
  cpu: 'CPU',
  cpu_clock: 'CPU clock',
  memory: 'Memory capacity',
  disk: 'Disk Capacity',
  vm: '',
  pm: '',
  template: '',
};
const CORRECTION_LABELS: Record<string, string> = {
  cap: 'Monthly cap',
  allowance: 'Free allowance',
  free_link: 'Free link',
  adjustment: 'Adjustment',
  coupon: 'Coupon',
};
/** Layout 2: the corrections whose note already says what they are (`monthly cap 7000`, `free link: …`). */
const SELF_NAMED = new Set(['cap', 'allowance', 'free_link', 'coupon']);

/** ItemColumn2 of a correction: its label and its note, the label said once. */
function correctionText(line: ChargeLine, label: string, layout: number): string {
  if (!line.note) return label;
  if (layout >= 2 && SELF_NAMED.has(line.kind)) return `${line.note.charAt(0).toUpperCase()}${line.note.slice(1)}`;
  return `${label}: ${line.note}`;
}

/**
 * ItemColumn1-4 of a line: what, which part, which pool/image/template, which configuration.
 * Layout 2 shows a correction whose note names it (a cap, an allowance, a free link, a coupon) by
 * its note alone, so that the label is not said twice (`Free link: the first 1 link(s) …`).
 */
export function itemColumns(line: ChargeLine, layout = 1): [string, string, string, string] {
  const item1 =
    line.resourceKind === 'template' || line.category === 'template'
      ? 'Template'
      : line.resourceId === ''
        ? 'L-Platform'
        : `${KIND_LABELS[line.resourceKind] ?? line.resourceKind}(${line.resourceName || line.resourceId})`;
  const correction = CORRECTION_LABELS[line.kind];
  const category = CATEGORY_LABELS[line.category];
  const item2 =
    correction !== undefined
      ? correctionText(line, correction, layout)
      : (category ?? (line.note ? `${line.productName}: ${line.note}` : line.productName));
  return [item1, item2, line.resourceIdentifier, configuration(line)];
}

/** `1core,10GHz`, `10GB`, `8vCPU`, then `xN` when the line is for N of it; `-` when there is nothing to say. */
function configuration(line: ChargeLine): string {
  const parts: string[] = [];
  if (line.cpuCount !== null && line.clockGhz !== null)
    parts.push(`${line.cpuCount}core,${line.clockGhz.toFixed()}GHz`);
  if (line.sizeGb !== null) parts.push(`${line.sizeGb.toFixed()}GB`);
  if (line.vcpu !== null) parts.push(`${line.vcpu}vCPU`);
  if (!CORRECTIONS.has(line.kind) && line.unitCode !== 'unit') {
    // The multiplier holds the GB of memory and disks and the CPU count; what is left is a quantity.
    let quantity = line.multiplier;
    if ((line.category === 'memory' || line.category === 'disk') && line.sizeGb !== null && !line.sizeGb.isZero())
      quantity = quantity.div(line.sizeGb);
    if (line.clockPrice !== null && line.cpuCount) quantity = quantity.div(line.cpuCount);
    if (!quantity.equals(1)) parts.push(`x${quantity.toFixed()}`);
  }
  return parts.length === 0 ? '-' : parts.join(' ');
}

/** Builds the list file, the detail files and the zip name of a statement. */
export function buildRorFiles(view: StatementView, options: RorFileOptions): RorFiles {
  const { tenant, tree } = view;
  const tz = tree.period.timeZone;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(tree.period.billingMonth))
    throw new Error(`billing month "${tree.period.billingMonth}" is not YYYY-MM`);
  const month = tree.period.billingMonth;
  const yyyymm = month.replace('-', '');
  const deleted = tenant.deletedAt === null ? '' : formatTimestamp(tenant.deletedAt, tz);
  const base = `${yyyymm}_${safeFileName(tenant.name)}${tenant.deletedAt === null ? '' : `_${localDate(tenant.deletedAt, tz).replaceAll('-', '')}`}`;
  const digits = minorDigits(tree.currency);
  const writer = { encoding: options.encoding, digits };
  const layout = fileLayout(options);
  const when = (t: number | null): string => (t === null ? '' : formatTimestamp(t, tz));

  const listRows: Cell[][] = [
    [tenant.name, tenant.displayName, deleted, month, tree.total, FILE_VERSION, '', '', '', null],
  ];
  for (const lp of tree.lplatforms)
    listRows.push(['', '', '', '', null, '', lp.lplatformId, lp.lplatformName, when(lp.returnedAt), lp.amount]);
  const listFile = { name: `${base}.csv`, bytes: encodeFile(`${base}.csv`, LIST_HEADER, listRows, writer) };

  // Names that differ only by case would overwrite each other on Windows or macOS when unzipped.
  const seen = new Map<string, string>([[listFile.name.toLowerCase(), listFile.name]]);
  const detailFiles = tree.lplatforms.map((lp) => {
    let name = `${yyyymm}_${safeFileName(lp.lplatformId)}.csv`;
    // A detail name another file already has in some letter case (an L-Platform ID equal to its
    // tenant's name, which imports refuse) takes its distinct form. Such files could never be
    // written before, so no archived zip changes.
    if (seen.has(name.toLowerCase())) name = `${yyyymm}_${distinctFileName(lp.lplatformId)}.csv`;
    const other = seen.get(name.toLowerCase());
    if (other !== undefined)
      throw new StatementFileError(
        'E_FILE_NAME',
        `${base}.zip: the files ${other} and ${name} would have the same name`,
        {
          file: name,
        },
      );
    seen.set(name.toLowerCase(), name);
    const rows: Cell[][] = [
      [
        tenant.name,
        tenant.displayName,
        deleted,
        lp.lplatformId,
        lp.lplatformName,
        when(lp.returnedAt),
        month,
        lp.amount,
        FILE_VERSION,
        '',
        '',
        '',
        '',
        '',
        '',
        null,
      ],
    ];
    for (const line of linesOf(lp)) {
      rows.push([
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        null,
        '',
        ...itemColumns(line, layout),
        formatUnitPrice(line, options.currencySymbol, layout),
        formatUsedFrequency(line, layout),
        line.charged,
      ]);
    }
    return { name, bytes: encodeFile(name, DETAIL_HEADER, rows, writer) };
  });
  return { zipName: `${base}.zip`, listFile, detailFiles };
}

/** A file's bytes: the header, then its rows (amounts bare with the currency's digits, empty amounts as nothing). */
function encodeFile(
  file: string,
  header: string,
  rows: readonly Cell[][],
  w: { encoding: RorFileOptions['encoding']; digits: number },
): Buffer {
  const cells = rows.map((row) =>
    row.map((cell) =>
      cell === null ? { bare: '' } : typeof cell === 'string' ? cell : { bare: money(cell, w.digits) },
    ),
  );
  return encodeCsv(file, w.encoding, header, header.slice(1).split(','), cells);
}
