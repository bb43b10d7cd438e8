/** What the rating engine takes and gives: plain data, no store, no clock. */
import type { Decimal, RoundingMode } from '../domain/money.ts';
import type { Category, ChargeType, Currency, RuleScope, TimeBasis, TimeKind, UnitCode } from '../domain/vocabulary.ts';
import type { RuleName } from './rules/registry.ts';

/** One version of a priced product (a catalog row). Instants are epoch milliseconds. */
export interface CatalogVersion {
  productId: string;
  priority: number;
  from: number;
  /** Inclusive end of the applicable period, or null for open-ended. */
  to: number | null;
  category: Category;
  resourceIdentifier: string;
  unitCode: UnitCode;
  unitPrice: Decimal;
  productName: string;
  chargeType: ChargeType;
  timeBasis: TimeBasis;
  monthlyCap: Decimal | null;
  planGroup: string;
  rule: RuleName | '';
  /** The rule's parameters: whole numbers and decimals, as the catalog import validated them. */
  ruleParams: Record<string, Decimal>;
  /** What a scoped rule (`network_allowance`, `first_link_free`) counts over; absent means `lplatform`. */
  ruleScope?: RuleScope;
  currency: Currency;
  /** How the ECL exports show it: service, menu, sub-menu, plan and usage label (empty: not shown). */
  display: ProductDisplay;
}

/** The names a product is shown under in the ECL exports and tiered statement. */
export interface ProductDisplay {
  description: string;
  service: string;
  menu: string;
  submenu: string;
  plan: string;
  usageLabel: string;
}

/** One usage record: an interval of one kind of time, or a quantity at an instant. */
export interface UsageRecord {
  recordId: string;
  lplatformId: string;
  resourceId: string;
  resourceName: string;
  resourceKind: string;
  component: string;
  productId: string;
  timeKind: TimeKind;
  start: number;
  /** Exclusive end; null for a quantity. */
  end: number | null;
  quantity: Decimal;
  cpuCount: number | null;
  clockGhz: Decimal | null;
  sizeGb: Decimal | null;
  vmCount: number | null;
  vcpu: number | null;
}

/** A coupon as registered. */
export interface Coupon {
  code: string;
  registeredAt: number;
  discountType: 'amount' | 'percent';
  discountValue: Decimal;
  validMonths: number | null;
  /** Last day (YYYY-MM-DD, billing time zone) on which a period may start for the coupon to apply. */
  validUntil: string | null;
}

/** A manual or booked adjustment: a credit (negative) or debit (positive) line with its reason. */
export interface Adjustment {
  id: string;
  /** The L-Platform it belongs to, or null for the tenant as a whole. */
  lplatformId: string | null;
  amount: Decimal;
  reason: string;
  /** For usage booked late: the billing month it was used in. */
  originalMonth: string | null;
  /** Whether consumption tax applies to it (absent: taxed, at the rate of the period's end). */
  taxed?: boolean;
}

/** The half-open period [start, end) being rated, with its billing month and calendar. */
export interface Period {
  start: number;
  end: number;
  billingMonth: string;
  timeZone: string;
}

/** A consumption-tax rate in force from an instant. */
export interface TaxRate {
  from: number;
  /** Percent, e.g. 10. */
  percent: Decimal;
}

/** The named presets of rounding and tax. */
export const RATING_PRESETS = ['ror', 'ecl'] as const;
export type RatingPreset = (typeof RATING_PRESETS)[number];

/** How amounts are rounded and taxed. */
export interface RatingPolicy {
  preset: RatingPreset;
  /** `ror` only: how each item is rounded to the currency's minor unit. */
  roundingMode: RoundingMode;
  /** Whether consumption tax is added (the `ecl` preset taxes by default, `ror` does not). */
  taxEnabled: boolean;
  taxRates: TaxRate[];
}

/** Everything one tenant's period is rated from. */
export interface RatingInput {
  tenantName: string;
  currency: Currency;
  period: Period;
  catalog: CatalogVersion[];
  usage: UsageRecord[];
  coupons: Coupon[];
  adjustments: Adjustment[];
  lplatforms: { id: string; name: string; returnedAt: number | null; region?: string }[];
  policy: RatingPolicy;
}

/** What a line is. */
export const LINE_KINDS = ['usage', 'fee', 'cap', 'allowance', 'free_link', 'adjustment', 'coupon'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/** How much of something a line charges for. */
export interface LineMeasure {
  minutes?: number;
  /** Whole seconds, for a product priced per `second` (lines of statements before it had none: minutes). */
  seconds?: number;
  runs?: number;
  days?: number;
  daysInPeriod?: number;
  units?: Decimal;
}

/** One line of a statement. `amount` is exact; `charged` is after the policy's line rounding. */
export interface ChargeLine {
  kind: LineKind;
  lplatformId: string | null;
  resourceId: string;
  resourceName: string;
  resourceKind: string;
  component: string;
  productId: string;
  productName: string;
  /** The catalog version (priority) that priced the line. */
  priority: number | null;
  category: string;
  resourceIdentifier: string;
  unitCode: string;
  chargeType: string;
  /** Price per unit of `unitCode`, and for a CPU the clock price per 0.1 GHz. */
  unitPrice: Decimal | null;
  clockPrice: Decimal | null;
  cpuCount: number | null;
  clockGhz: Decimal | null;
  sizeGb: Decimal | null;
  vmCount: number | null;
  vcpu: number | null;
  measure: LineMeasure;
  /** The multiplier applied besides time (quantity x GB, VM count, ...). */
  multiplier: Decimal;
  taxPercent: Decimal;
  /** Why the line exists, for the lines that are not plain usage (a cap, a coupon code, a reason). */
  note: string;
  /** How its product is shown in the ECL exports (empty names for lines of no product). */
  display: ProductDisplay;
  amount: Decimal;
  charged: Decimal;
}

/** A resource's lines. */
export interface ResourceCharges {
  resourceId: string;
  resourceName: string;
  resourceKind: string;
  lines: ChargeLine[];
  amount: Decimal;
}

/** An L-Platform's resources and its own lines (allowances, adjustments). */
export interface LplatformCharges {
  lplatformId: string;
  lplatformName: string;
  returnedAt: number | null;
  region: string;
  resources: ResourceCharges[];
  lines: ChargeLine[];
  /** Sum of every charged line below. */
  sum: Decimal;
  /** The L-Platform's charge amount: `sum`, truncated to the currency unit under `ecl`. */
  amount: Decimal;
}

/** Tax at one rate. */
export interface TaxLine {
  percent: Decimal;
  base: Decimal;
  amount: Decimal;
}

/** One tenant's rated period. */
export interface ChargeTree {
  tenantName: string;
  currency: Currency;
  period: Period;
  preset: RatingPreset;
  lplatforms: LplatformCharges[];
  /** Tenant-level lines: adjustments without an L-Platform, then coupons. */
  tenantLines: ChargeLine[];
  /** Sum of the L-Platform amounts and tenant-level adjustments, before coupons. */
  beforeDiscount: Decimal;
  discount: Decimal;
  subtotal: Decimal;
  taxes: TaxLine[];
  tax: Decimal;
  total: Decimal;
}
