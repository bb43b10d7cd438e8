/**
 * Properties of the rating engine over generated tenants: the order of usage records does not matter,
 * a capped item never exceeds its cap, every level's amount is the sum of the level below, and rating
 * is linear in the number of records (measured by counting work, never by timing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec, sum } from '../../../src/domain/money.ts';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import type {
  Adjustment,
  CatalogVersion,
  ChargeTree,
  Coupon,
  RatingInput,
  RatingPolicy,
  UsageRecord,
} from '../../../src/rating/types.ts';
import { ECL, ROR, at, input, version } from '../../helpers/rating.ts';

const MINUTE = 60_000;
const PERIOD_START = at('2026-10-01T00:00:00Z');

// One product (or pair of products) per family, covering every charge type and rule.
const plan = { category: 'compute', chargeType: 'capped_plan', planGroup: 'flavor' } as const;
const sql = {
  category: 'license',
  unitCode: 'month',
  chargeType: 'monthly_fixed',
  planGroup: 'sqlserver',
  rule: 'largest_vcpu',
} as const;
const CATALOG: CatalogVersion[] = [
  version({ productId: 'MET', unitPrice: '0.173612' }),
  version({ productId: 'CAP', category: 'volume', unitPrice: '0.014881', chargeType: 'capped', monthlyCap: '600' }),
  version({ productId: 'PLAN-A', unitPrice: '0.173612', monthlyCap: '7000', ...plan }),
  version({ productId: 'PLAN-B', unitPrice: '0.347223', monthlyCap: '14000', ...plan }),
  version({ productId: 'FIX', unitCode: 'month', unitPrice: '10800', chargeType: 'monthly_fixed' }),
  version({ productId: 'YEAR', unitCode: 'year', unitPrice: '100000', chargeType: 'monthly_fixed' }),
  version({ productId: 'PRO', category: 'vpn', unitCode: 'month', unitPrice: '30000', chargeType: 'daily_prorated' }),
  version({
    productId: 'DISK',
    category: 'disk',
    resourceIdentifier: '/StoragePool',
    unitCode: 'hour',
    unitPrice: '9.723',
  }),
  version({ productId: 'CPU', category: 'cpu', resourceIdentifier: '/VMPool', unitCode: 'hour', unitPrice: '1.6667' }),
  version({
    productId: 'CLK',
    category: 'cpu_clock',
    resourceIdentifier: '/VMPool',
    unitCode: 'hour',
    unitPrice: '0.556',
  }),
  version({
    productId: 'NET',
    category: 'network',
    unitPrice: '0.074405',
    rule: 'network_allowance',
    ruleParams: { free_units: '5' },
  }),
  version({
    productId: 'CIC',
    category: 'cic',
    unitCode: 'month',
    unitPrice: '54000',
    chargeType: 'monthly_fixed',
    rule: 'first_link_free',
    ruleParams: { free_links: '1' },
  }),
  version({
    productId: 'GI',
    category: 'guest_image',
    unitCode: 'month',
    unitPrice: '10200',
    chargeType: 'monthly_fixed',
    rule: 'per_vm_flat',
    ruleParams: { max_vms: '7', flat_price: '66000' },
  }),
  version({ productId: 'SQL-4', unitPrice: '21600', ...sql }),
  version({ productId: 'SQL-8', unitPrice: '43200', ...sql }),
  version({
    productId: 'ORA',
    category: 'license',
    unitPrice: '0.138889',
    rule: 'plus_monthly_fixed',
    ruleParams: { fixed_fee: '5000' },
  }),
  version({ productId: 'CAMP', priority: 0, unitPrice: '0.02', from: at('2026-01-01T00:00:00Z') }),
  version({
    productId: 'CAMP',
    priority: 1,
    unitPrice: '0.01',
    from: at('2026-10-15T00:00:00Z'),
    to: at('2026-10-20T23:59:59.999Z'),
  }),
  version({ productId: 'UNIT', unitCode: 'unit', unitPrice: '12.5' }),
];

const FAMILIES = [
  'MET',
  'CAP',
  'PLAN',
  'FIX',
  'YEAR',
  'PRO',
  'DISK',
  'CPU',
  'NET',
  'CIC',
  'GI',
  'SQL',
  'ORA',
  'CAMP',
  'UNIT',
] as const;
type Family = (typeof FAMILIES)[number];
/** Families priced per resource alone (no tenant-wide rule), for the linearity property. */
const LOCAL_FAMILIES = FAMILIES.filter((f) => f !== 'NET' && f !== 'CIC');

/** A generated resource: its family, L-Platform, instants (seconds from the period start) and configuration. */
interface ResourceSpec {
  family: Family;
  lp: string;
  points: number[];
  adjacent: boolean;
  picks: boolean[];
  size: number;
  cpus: number;
  tenthsGhz: number;
  vms: number;
}

const resourceArb = (families: readonly Family[]): fc.Arbitrary<ResourceSpec> =>
  fc.record({
    family: fc.constantFrom(...families),
    lp: fc.constantFrom('LP1', 'LP2'),
    // from 3 days before the period to 3 days after it, to the second
    points: fc.uniqueArray(fc.integer({ min: -3 * 86_400, max: 34 * 86_400 }), { minLength: 2, maxLength: 8 }),
    adjacent: fc.boolean(),
    picks: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    size: fc.integer({ min: 1, max: 64 }),
    cpus: fc.integer({ min: 1, max: 8 }),
    tenthsGhz: fc.integer({ min: 1, max: 40 }),
    vms: fc.integer({ min: 1, max: 12 }),
  });

/** The usage records of one generated resource; intervals of one resource never overlap. */
function recordsOf(spec: ResourceSpec, resourceId: string): UsageRecord[] {
  const points = [...spec.points].sort((a, b) => a - b).map((s) => PERIOD_START + s * 1000);
  const base = {
    lplatformId: spec.lp,
    resourceId,
    resourceName: resourceId,
    resourceKind: 'virtual_server',
    component: '',
    timeKind: 'deployed' as const,
    quantity: dec(1),
    cpuCount: null,
    clockGhz: null,
    sizeGb: null,
    vmCount: null,
    vcpu: null,
  };
  if (spec.family === 'UNIT') {
    return points.map((start, i) => ({
      ...base,
      recordId: `${resourceId}-q${i}`,
      productId: 'UNIT',
      timeKind: 'quantity' as const,
      start,
      end: null,
      quantity: dec(spec.size),
    }));
  }
  const intervals: [number, number][] = [];
  if (spec.adjacent) for (let i = 0; i + 1 < points.length; i++) intervals.push([points[i]!, points[i + 1]!]);
  else for (let i = 0; i + 1 < points.length; i += 2) intervals.push([points[i]!, points[i + 1]!]);
  return intervals.map(([start, end], i) => {
    const r: UsageRecord = { ...base, recordId: `${resourceId}-r${i}`, productId: spec.family, start, end };
    const pick = spec.picks[i] ?? false;
    switch (spec.family) {
      case 'PLAN':
        return { ...r, productId: pick ? 'PLAN-B' : 'PLAN-A' };
      case 'SQL':
        return { ...r, productId: pick ? 'SQL-8' : 'SQL-4', vcpu: pick ? 8 : 4 };
      case 'DISK':
        return { ...r, sizeGb: dec(spec.size) };
      case 'CPU':
        return { ...r, cpuCount: spec.cpus, clockGhz: dec(spec.tenthsGhz).div(10) };
      case 'GI':
        return { ...r, vmCount: pick ? spec.vms : Math.max(1, spec.vms - 5) };
      case 'FIX':
      case 'YEAR':
        return { ...r, quantity: dec(pick ? 2 : 1) };
      default:
        return r;
    }
  });
}

const tenantRecords = (specs: readonly ResourceSpec[], suffix = ''): UsageRecord[] =>
  specs.flatMap((s, i) => recordsOf(s, `res-${String(i).padStart(2, '0')}${suffix}`));

const adjustmentArb: fc.Arbitrary<Adjustment[]> = fc
  .array(
    fc.record({
      lp: fc.constantFrom<string | null>('LP1', 'LP2', null),
      yen: fc.integer({ min: -20_000, max: 20_000 }),
    }),
    { maxLength: 3 },
  )
  .map((list) =>
    list.map((a, i) => ({
      id: `ADJ${i}`,
      lplatformId: a.lp,
      amount: dec(a.yen),
      reason: 'generated',
      originalMonth: null,
    })),
  );

const couponArb: fc.Arbitrary<Coupon[]> = fc
  .array(
    fc.record({
      percent: fc.boolean(),
      value: fc.integer({ min: 1, max: 100_000 }),
      day: fc.integer({ min: -90, max: 40 }),
    }),
    { maxLength: 2 },
  )
  .map((list) =>
    list.map((c, i) => ({
      code: `GENERATED${String(i).padStart(3, '0')}`,
      registeredAt: PERIOD_START + c.day * 86_400_000,
      discountType: c.percent ? ('percent' as const) : ('amount' as const),
      discountValue: c.percent ? dec((c.value % 100) + 1) : dec(c.value),
      validMonths: 3,
      validUntil: null,
    })),
  );

const policyArb: fc.Arbitrary<RatingPolicy> = fc.constantFrom<RatingPolicy>(
  ECL,
  ROR,
  { ...ROR, roundingMode: 'up' },
  { ...ROR, roundingMode: 'down' },
);

const lplatforms = [
  { id: 'LP1', name: 'one', returnedAt: null },
  { id: 'LP2', name: 'two', returnedAt: null },
];
const rateWith = (p: Partial<RatingInput> & { usage: UsageRecord[] }): ChargeTree =>
  ratePeriod(input({ catalog: CATALOG, lplatforms, ...p }));

/** A tree as text: Decimal values serialize as their exact decimal strings. */
const asText = (tree: ChargeTree): string => JSON.stringify(tree);

describe('properties', () => {
  it('the result does not depend on the order of the usage records', () => {
    const arb = fc.tuple(fc.array(resourceArb(FAMILIES), { maxLength: 8 }), policyArb).chain(([specs, policy]) => {
      const records = tenantRecords(specs);
      return fc.tuple(
        fc.constant(records),
        fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }),
        fc.constant(policy),
      );
    });
    fc.assert(
      fc.property(arb, ([records, shuffled, policy]) => {
        expect(asText(rateWith({ usage: shuffled, policy }))).toBe(asText(rateWith({ usage: records, policy })));
      }),
    );
  });

  it('a capped item never exceeds its cap, whatever its price, cap and usage', () => {
    const priceArb = fc.integer({ min: 1, max: 999_999 }).map((n) => dec(n).div(1_000_000).toFixed(6));
    const arb = fc.record({
      price: priceArb,
      cap: fc.integer({ min: 1, max: 20_000 }),
      priceB: priceArb,
      capB: fc.integer({ min: 1, max: 20_000 }),
      capped: resourceArb(['MET']),
      planned: resourceArb(['PLAN']),
    });
    fc.assert(
      fc.property(arb, ({ price, cap, priceB, capB, capped, planned }) => {
        const catalog = [
          version({ productId: 'MET', unitPrice: price, chargeType: 'capped', monthlyCap: String(cap) }),
          version({ productId: 'PLAN-A', unitPrice: price, monthlyCap: String(cap), ...plan }),
          version({ productId: 'PLAN-B', unitPrice: priceB, monthlyCap: String(capB), ...plan }),
        ];
        const tree = ratePeriod(
          input({
            catalog,
            lplatforms,
            policy: ECL,
            usage: [...recordsOf(capped, 'capped'), ...recordsOf(planned, 'planned')],
          }),
        );
        for (const res of tree.lplatforms.flatMap((l) => l.resources)) {
          const usageSum = sum(res.lines.filter((l) => l.kind === 'usage').map((l) => l.charged));
          const caps =
            res.resourceId === 'capped'
              ? [dec(cap)]
              : [...new Set(res.lines.filter((l) => l.kind === 'usage').map((l) => l.productId))].map((p) =>
                  dec(p === 'PLAN-A' ? cap : capB),
                );
          const largestCap = Decimal.max(...caps);
          expect(res.amount.lessThanOrEqualTo(largestCap)).toBe(true);
          expect(res.amount.lessThanOrEqualTo(usageSum)).toBe(true);
          expect(res.amount.greaterThanOrEqualTo(0)).toBe(true);
          // a single capped product: exactly min(usage x price, cap)
          if (res.resourceId === 'capped') expect(res.amount.toFixed()).toBe(Decimal.min(usageSum, dec(cap)).toFixed());
        }
      }),
    );
  });

  it('every level is the sum of the level below (ROR: plain sums; ECL: L-Platforms truncated)', () => {
    const arb = fc.record({
      specs: fc.array(resourceArb(FAMILIES), { maxLength: 8 }),
      adjustments: adjustmentArb,
      coupons: couponArb,
      policy: policyArb,
    });
    const MODE = { 'half-up': Decimal.ROUND_HALF_UP, up: Decimal.ROUND_UP, down: Decimal.ROUND_DOWN } as const;
    fc.assert(
      fc.property(arb, ({ specs, adjustments, coupons, policy }) => {
        const tree = rateWith({ usage: tenantRecords(specs), adjustments, coupons, policy });
        const ror = policy.preset === 'ror';
        const lineRounding = (a: Decimal) =>
          ror ? a.toDecimalPlaces(0, MODE[policy.roundingMode]) : a.toDecimalPlaces(6, Decimal.ROUND_HALF_UP);
        for (const lp of tree.lplatforms) {
          for (const res of lp.resources) {
            for (const l of res.lines) expect(l.charged.toFixed()).toBe(lineRounding(l.amount).toFixed());
            expect(res.amount.toFixed()).toBe(sum(res.lines.map((l) => l.charged)).toFixed());
          }
          for (const l of lp.lines) expect(l.charged.toFixed()).toBe(lineRounding(l.amount).toFixed());
          expect(lp.sum.toFixed()).toBe(
            sum(lp.resources.map((r) => r.amount))
              .plus(sum(lp.lines.map((l) => l.charged)))
              .toFixed(),
          );
          expect(lp.amount.toFixed()).toBe((ror ? lp.sum : lp.sum.toDecimalPlaces(0, Decimal.ROUND_DOWN)).toFixed());
        }
        const tenantAdjustments = sum(tree.tenantLines.filter((l) => l.kind === 'adjustment').map((l) => l.charged));
        expect(tree.beforeDiscount.toFixed()).toBe(
          sum(tree.lplatforms.map((l) => l.amount))
            .plus(tenantAdjustments)
            .toFixed(),
        );
        expect(tree.discount.toFixed()).toBe(
          sum(tree.tenantLines.filter((l) => l.kind === 'coupon').map((l) => l.charged))
            .negated()
            .toFixed(),
        );
        expect(tree.subtotal.toFixed()).toBe(tree.beforeDiscount.minus(tree.discount).toFixed());
        // coupons never take the subtotal below zero (nor below a negative amount before them)
        expect(tree.subtotal.greaterThanOrEqualTo(Decimal.min(tree.beforeDiscount, 0))).toBe(true);
        expect(tree.tax.toFixed()).toBe(sum(tree.taxes.map((x) => x.amount)).toFixed());
        expect(tree.total.toFixed()).toBe(tree.subtotal.plus(tree.tax).toFixed());
        if (ror) {
          expect(tree.taxes).toEqual([]);
          expect(tree.total.toFixed()).toBe(tree.subtotal.toFixed());
        } else {
          expect(sum(tree.taxes.map((x) => x.base)).toFixed()).toBe(tree.subtotal.toFixed());
          for (const x of tree.taxes)
            expect(x.amount.toFixed()).toBe(
              x.base.times(x.percent).div(100).toDecimalPlaces(0, Decimal.ROUND_DOWN).toFixed(),
            );
        }
      }),
    );
  });

  it("4 disjoint copies of a tenant's resources cost exactly 4 times as much", () => {
    const arb = fc.record({
      specs: fc.array(resourceArb(LOCAL_FAMILIES), { minLength: 1, maxLength: 6 }),
      policy: policyArb,
    });
    fc.assert(
      fc.property(arb, ({ specs, policy }) => {
        const once = rateWith({ usage: tenantRecords(specs), policy });
        const copies = [0, 1, 2, 3].flatMap((k) => tenantRecords(specs, `-copy${k}`));
        const four = rateWith({ usage: copies, policy });
        expect(copies).toHaveLength(4 * tenantRecords(specs).length);
        const perResource = new Map(
          once.lplatforms.flatMap((l) => l.resources).map((r) => [r.resourceId, r.amount.toFixed()]),
        );
        for (const r of four.lplatforms.flatMap((l) => l.resources)) {
          expect(r.amount.toFixed()).toBe(perResource.get(r.resourceId.replace(/-copy\d$/, '')));
        }
        if (policy.preset === 'ror') {
          expect(four.total.toFixed()).toBe(once.total.times(4).toFixed());
        } else {
          // ECL truncates each L-Platform's sum: the sums are linear, the truncated amounts follow from them
          for (const lp of four.lplatforms) {
            const single = once.lplatforms.find((l) => l.lplatformId === lp.lplatformId)!;
            expect(lp.sum.toFixed()).toBe(single.sum.times(4).toFixed());
          }
        }
      }),
    );
  });
});

/**
 * Work, counted: every property read of a usage record (through a Proxy) and every step of an array
 * iterator (spreads, for-of loops) while the engine runs. Synchronous, restored in `finally`.
 */
function workOf(records: readonly UsageRecord[]): number {
  let work = 0;
  const watched = records.map(
    (r) =>
      new Proxy(r, {
        get: (target, key, receiver) => {
          work++;
          return Reflect.get(target, key, receiver);
        },
      }),
  );
  const proto = Array.prototype as unknown as Record<symbol, () => Iterator<unknown>>;
  const iterate = proto[Symbol.iterator]!;
  proto[Symbol.iterator] = function counted(this: unknown[]) {
    const inner = iterate.call(this);
    return {
      next: () => {
        work++;
        return inner.next();
      },
      [Symbol.iterator]() {
        return this;
      },
    };
  };
  try {
    ratePeriod(input({ catalog: CATALOG, lplatforms, policy: ECL, usage: watched }));
  } finally {
    proto[Symbol.iterator] = iterate;
  }
  return work;
}

/** `n` records, 30 minutes each, 44 minutes apart from 2026-10-01: all inside October for n <= 1000. */
function serial(
  n: number,
  make: (i: number, start: number, end: number) => Partial<UsageRecord>,
  resourceOf: (i: number) => string = () => 'res-1',
): UsageRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const start = PERIOD_START + i * 44 * MINUTE;
    return {
      recordId: `w${String(i).padStart(5, '0')}`,
      lplatformId: 'LP1',
      resourceId: resourceOf(i),
      resourceName: resourceOf(i),
      resourceKind: 'virtual_server',
      component: '',
      productId: 'MET',
      timeKind: 'deployed',
      start,
      end: start + 30 * MINUTE,
      quantity: dec(1),
      cpuCount: null,
      clockGhz: null,
      sizeGb: null,
      vmCount: null,
      vcpu: null,
      ...make(i, start, start + 30 * MINUTE),
    } satisfies UsageRecord;
  });
}

describe('rating is linear in the number of records (work counted, not timed)', () => {
  const N = 250;
  // Linear work grows 4x from N to 4N records, n log n (sorting) about 5x (4 x ln 1000 / ln 250 = 5.0);
  // a quadratic scan grows 16x. The bound sits between n log n and quadratic.
  const BOUND = 6;
  it.each<{ label: string; make: (i: number) => Partial<UsageRecord>; resourceOf?: (i: number) => string }>([
    { label: 'metered, one resource', make: () => ({ productId: 'MET' }) },
    { label: 'capped, one resource', make: () => ({ productId: 'CAP' }) },
    {
      label: 'capped with plan changes A/B/A/B..., one resource',
      make: (i) => ({ productId: i % 2 ? 'PLAN-B' : 'PLAN-A' }),
    },
    { label: 'monthly fixed (every record a start), one resource', make: () => ({ productId: 'FIX' }) },
    { label: 'daily prorated, one resource', make: () => ({ productId: 'PRO' }) },
    {
      label: 'ROR CPU with its clock, one resource',
      make: () => ({ productId: 'CPU', cpuCount: 2, clockGhz: dec('1.5') }),
    },
    {
      label: 'SQL Server flavor changes, one resource',
      make: (i) => ({ productId: i % 2 ? 'SQL-8' : 'SQL-4', vcpu: i % 2 ? 8 : 4 }),
    },
    { label: 'guest image, one resource', make: (i) => ({ productId: 'GI', vmCount: 1 + (i % 12) }) },
    { label: 'Oracle metered + fixed, one resource', make: () => ({ productId: 'ORA' }) },
    { label: 'a price change inside the month, one resource', make: () => ({ productId: 'CAMP' }) },
    { label: 'CIC links, one record per link', make: () => ({ productId: 'CIC' }), resourceOf: (i) => `link-${i}` },
    {
      label: 'logical networks, one record per network',
      make: () => ({ productId: 'NET' }),
      resourceOf: (i) => `net-${i}`,
    },
    {
      label: 'a mix of every family over many resources',
      make: (i) => mixed(i),
      resourceOf: (i) => `mix-${i % 40}-${i % 13}`,
    },
  ])('$label: work for 4N records <= 6 x work for N', ({ make, resourceOf }) => {
    const small = workOf(serial(N, make, resourceOf));
    const large = workOf(serial(4 * N, make, resourceOf));
    expect(small).toBeGreaterThan(0);
    expect(large / small).toBeLessThanOrEqual(BOUND);
  });
});

/** Record `i` of a mixed tenant: one family per resource slot (resource `mix-{i%40}-{i%13}`). */
function mixed(i: number): Partial<UsageRecord> {
  const family = FAMILIES[((i % 40) * 13 + (i % 13)) % FAMILIES.length]!;
  switch (family) {
    case 'PLAN':
      return { productId: 'PLAN-A' };
    case 'SQL':
      return { productId: 'SQL-4', vcpu: 4 };
    case 'CPU':
      return { productId: 'CPU', cpuCount: 1, clockGhz: dec('2.0') };
    case 'DISK':
      return { productId: 'DISK', sizeGb: dec(10) };
    case 'GI':
      return { productId: 'GI', vmCount: 3 };
    case 'UNIT':
      return { productId: 'MET' };
    default:
      return { productId: family };
  }
}
