/** What every charge rule shares: the group it prices, its context, and how a line is made. */
import { Decimal, ZERO, dec } from '../domain/money.ts';
import type { Catalog } from './catalog.ts';
import type { Rounding } from './rounding.ts';
import type { CatalogVersion, ChargeLine, LineKind, LineMeasure, Period, TaxRate, UsageRecord } from './types.ts';

/** The records of one resource (and component) that one rule prices together, in start order. */
export interface ChargeGroup {
  lplatformId: string;
  resourceId: string;
  resourceName: string;
  resourceKind: string;
  component: string;
  /** The product, or the plan group for rules that price several products together. */
  key: string;
  records: UsageRecord[];
}

/** What a rule may consult besides its group. */
export interface PricingContext {
  catalog: Catalog;
  period: Period;
  /** The tax percent in force at an instant. */
  taxAt(t: number): Decimal;
  /** The instants inside (start, end) at which the tax percent changes (none when tax is off). */
  taxCuts(start: number, end: number): number[];
  /** The policy's rounding: rules that correct charged lines round through it, and only through it. */
  rounding: Rounding;
}

/** The one signature every charge type and group rule has. */
export type ChargeFunction = (group: ChargeGroup, ctx: PricingContext) => ChargeLine[];

/**
 * The exact amount of a time at `price` per `unit` (multiply first, divide last: pass the whole
 * price): `minutes` for hours and minutes, `seconds` for a price per second.
 */
export function timeAmount(price: Decimal, unit: string, time: { minutes: number; seconds: number }): Decimal {
  const m = dec(time.minutes);
  switch (unit) {
    case 'hour':
      return price.times(m).div(60);
    case 'minute':
      return price.times(m);
    case 'second':
      return price.times(time.seconds);
    default:
      throw new Error(`unit ${unit} is not a unit of time`);
  }
}

/**
 * The monthly fee of a product priced per month or per year (a year's price over 12), `times`
 * over `per`: multiplied first and divided once, so that whole amounts stay whole.
 */
export function monthlyFee(v: CatalogVersion, times: Decimal = dec(1), per: Decimal = dec(1)): Decimal {
  return v.unitPrice.times(times).div(v.unitCode === 'year' ? per.times(12) : per);
}

/** What a record's usage is multiplied by besides time: its quantity, and its GB for memory and disks. */
export function multiplierOf(v: CatalogVersion, r: UsageRecord): Decimal {
  const size = (v.category === 'memory' || v.category === 'disk') && r.sizeGb !== null ? r.sizeGb : dec(1);
  return r.quantity.times(size);
}

/** A line for a group and a version, with every descriptive field filled in. */
export function makeLine(
  group: ChargeGroup,
  v: CatalogVersion,
  record: UsageRecord | null,
  fields: {
    kind: LineKind;
    measure: LineMeasure;
    multiplier?: Decimal;
    amount: Decimal;
    taxPercent: Decimal;
    note?: string;
    clockPrice?: Decimal | null;
    /** The price shown, when it is not the version's unit price (a fixed fee, a flat price). */
    unitPrice?: Decimal;
  },
): ChargeLine {
  return {
    kind: fields.kind,
    lplatformId: group.lplatformId,
    resourceId: group.resourceId,
    resourceName: group.resourceName,
    resourceKind: group.resourceKind,
    component: group.component,
    productId: v.productId,
    productName: v.productName,
    priority: v.priority,
    category: v.category,
    resourceIdentifier: v.resourceIdentifier,
    unitCode: v.unitCode,
    chargeType: v.chargeType,
    unitPrice: fields.unitPrice ?? v.unitPrice,
    clockPrice: fields.clockPrice ?? null,
    cpuCount: record?.cpuCount ?? null,
    clockGhz: record?.clockGhz ?? null,
    sizeGb: record?.sizeGb ?? null,
    vmCount: record?.vmCount ?? null,
    vcpu: record?.vcpu ?? null,
    measure: fields.measure,
    multiplier: fields.multiplier ?? dec(1),
    taxPercent: fields.taxPercent,
    note: fields.note ?? '',
    display: v.display,
    amount: fields.amount,
    charged: fields.amount,
  };
}

/**
 * A line that corrects a group's charged lines (a cap, a free link, an allowance): descriptive
 * fields copied from `like`; the amount is already on the policy's grid, so charged = amount.
 */
export function correctionLine(
  like: ChargeLine,
  kind: LineKind,
  amount: Decimal,
  note: string,
  measure: LineMeasure = {},
): ChargeLine {
  return { ...like, kind, amount, charged: amount, note, measure, multiplier: dec(1) };
}

/** The records of a group that overlap the period (intervals) or lie in it (quantities). */
export function inPeriod(records: readonly UsageRecord[], period: Period): UsageRecord[] {
  return records.filter((r) =>
    r.end === null ? r.start >= period.start && r.start < period.end : r.start < period.end && r.end > period.start,
  );
}

/** The largest of a value over records (quantity, VM count). */
export function largest(records: readonly UsageRecord[], pick: (r: UsageRecord) => Decimal): Decimal {
  return records.reduce((m, r) => Decimal.max(m, pick(r)), pick(records[0]!));
}

/** Tax rates as a look-up: the percent in force at an instant (0 before the first). */
export function taxLookup(rates: readonly TaxRate[]): (t: number) => Decimal {
  const sorted = [...rates].sort((a, b) => a.from - b.from);
  return (t) => {
    let percent = ZERO;
    for (const r of sorted) if (r.from <= t) percent = r.percent;
    return percent;
  };
}

/** The instants at which the tax rate changes inside [start, end). */
export function taxChanges(rates: readonly TaxRate[], start: number, end: number): number[] {
  return rates.map((r) => r.from).filter((t) => t > start && t < end);
}

/** A line that belongs to no product (an adjustment, a coupon). */
export function bareLine(
  kind: LineKind,
  lplatformId: string | null,
  amount: Decimal,
  note: string,
  taxPercent: Decimal,
): ChargeLine {
  return {
    kind,
    lplatformId,
    resourceId: '',
    resourceName: '',
    resourceKind: '',
    component: '',
    productId: '',
    productName: '',
    priority: null,
    category: '',
    resourceIdentifier: '',
    unitCode: '',
    chargeType: '',
    unitPrice: null,
    clockPrice: null,
    cpuCount: null,
    clockGhz: null,
    sizeGb: null,
    vmCount: null,
    vcpu: null,
    measure: {},
    multiplier: dec(1),
    taxPercent,
    note,
    amount,
    charged: amount,
    display: { description: '', service: '', menu: '', submenu: '', plan: '', usageLabel: '' },
  };
}
