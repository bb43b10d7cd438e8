/** Builders for rating inputs: short, readable cases with every other field defaulted. */
import { dec, type Decimal } from '../../src/domain/money.ts';
import type { CatalogVersion, Coupon, RatingInput, RatingPolicy, UsageRecord } from '../../src/rating/types.ts';

/** Epoch milliseconds of an ISO instant. */
export const at = (iso: string): number => Date.parse(iso);

/** A catalog version; prices and caps are given as text. */
export function version(
  p: Partial<Omit<CatalogVersion, 'unitPrice' | 'monthlyCap' | 'ruleParams'>> & {
    productId: string;
    unitPrice: string;
    monthlyCap?: string;
    ruleParams?: Record<string, string>;
  },
): CatalogVersion {
  return {
    priority: 0,
    from: at('2000-01-01T00:00:00Z'),
    to: null,
    category: 'other',
    resourceIdentifier: p.productId,
    unitCode: 'minute',
    productName: p.productId,
    chargeType: 'metered',
    timeBasis: 'deployed',
    planGroup: '',
    rule: '',
    currency: 'JPY',
    display: { description: '', service: '', menu: '', submenu: '', plan: '', usageLabel: '' },
    ...p,
    unitPrice: dec(p.unitPrice),
    monthlyCap: p.monthlyCap === undefined ? null : dec(p.monthlyCap),
    ruleParams: Object.fromEntries(Object.entries(p.ruleParams ?? {}).map(([k, v]) => [k, dec(v)])),
  };
}

let counter = 0;
/** A usage interval (or a quantity when `end` is null); instants as ISO text. */
export function usage(
  p: Partial<Omit<UsageRecord, 'start' | 'end' | 'quantity' | 'clockGhz' | 'sizeGb'>> & {
    productId: string;
    start: string;
    end: string | null;
    quantity?: string;
    clockGhz?: string;
    sizeGb?: string;
  },
): UsageRecord {
  counter++;
  return {
    recordId: `r${String(counter).padStart(6, '0')}`,
    lplatformId: 'LP1',
    resourceId: 'res-1',
    resourceName: 'res-1',
    resourceKind: 'virtual_server',
    component: '',
    timeKind: p.end === null ? 'quantity' : 'deployed',
    cpuCount: null,
    vmCount: null,
    vcpu: null,
    ...p,
    start: at(p.start),
    end: p.end === null ? null : at(p.end),
    quantity: dec(p.quantity ?? '1'),
    clockGhz: p.clockGhz === undefined ? null : dec(p.clockGhz),
    sizeGb: p.sizeGb === undefined ? null : dec(p.sizeGb),
  };
}

/** A coupon. */
export function coupon(
  p: Partial<Omit<Coupon, 'registeredAt' | 'discountValue'>> & { registeredAt: string; discountValue: string },
): Coupon {
  return {
    code: 'ABCDEFGHJK12',
    discountType: 'amount',
    validMonths: 3,
    validUntil: null,
    ...p,
    registeredAt: at(p.registeredAt),
    discountValue: dec(p.discountValue),
  };
}

export const ECL: RatingPolicy = {
  preset: 'ecl',
  roundingMode: 'half-up',
  taxEnabled: true,
  taxRates: [
    { from: at('2014-04-01T00:00:00Z'), percent: dec(8) },
    { from: at('2019-10-01T00:00:00Z'), percent: dec(10) },
  ],
};
export const ROR: RatingPolicy = { preset: 'ror', roundingMode: 'half-up', taxEnabled: false, taxRates: ECL.taxRates };

/** A rating input for October 2026 (UTC) unless told otherwise. */
export function input(p: Partial<RatingInput> & { catalog: CatalogVersion[]; usage: UsageRecord[] }): RatingInput {
  return {
    tenantName: 'T1',
    currency: 'JPY',
    period: {
      start: at('2026-10-01T00:00:00Z'),
      end: at('2026-11-01T00:00:00Z'),
      billingMonth: '2026-10',
      timeZone: 'UTC',
    },
    coupons: [],
    adjustments: [],
    lplatforms: [{ id: 'LP1', name: 'platform one', returnedAt: null }],
    policy: ECL,
    ...p,
  };
}

/** Text of a decimal, for exact comparisons. */
export const t = (d: Decimal): string => d.toFixed();
