/**
 * Every line of a ROR detail file says how it was charged: one rated line of every charge type and
 * rule, with what its UnitPrice and UsedFrequency read (layout 2) and how UnitPrice x UsedFrequency
 * (x the quantity, GB or cores of ItemColumn4) gives its ItemAmount, as docs/statements.md says.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../../src/domain/money.ts';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import type { ChargeLine } from '../../../src/rating/types.ts';
import { buildRorFiles, formatUnitPrice, formatUsedFrequency, itemColumns } from '../../../src/statements/ror-files.ts';
import type { StatementView } from '../../../src/statements/view.ts';
import { ECL, coupon, input, usage, version } from '../../helpers/rating.ts';

const month = (p: {
  productId: string;
  unitPrice: string;
  unitCode?: 'month' | 'year';
  chargeType?: 'monthly_fixed' | 'daily_prorated';
  category?: 'license' | 'cic' | 'guest_image' | 'vpn' | 'template';
  rule?: 'first_link_free' | 'per_vm_flat' | 'largest_vcpu';
  ruleParams?: Record<string, string>;
  planGroup?: string;
}) => version({ unitCode: 'month', chargeType: 'monthly_fixed', category: 'license', ...p });
const catalog = [
  version({ productId: 'VM-0001', category: 'vm', resourceIdentifier: 'image001', unitCode: 'hour', unitPrice: '1.2' }),
  version({
    productId: 'CPU-0001',
    category: 'cpu',
    resourceIdentifier: '/VMPool',
    unitCode: 'hour',
    unitPrice: '1.6667',
  }),
  version({
    productId: 'CLK-0001',
    category: 'cpu_clock',
    resourceIdentifier: '/VMPool',
    unitCode: 'hour',
    unitPrice: '0.556',
  }),
  version({
    productId: 'ME-0001',
    category: 'memory',
    resourceIdentifier: '/VMPool',
    unitCode: 'hour',
    unitPrice: '20',
  }),
  version({ productId: 'ISO', category: 'storage', unitPrice: '0.000497' }),
  version({ productId: 'CF', category: 'other', unitCode: 'second', unitPrice: '0.00045' }),
  version({ productId: 'OBJ', category: 'storage', unitCode: 'unit', unitPrice: '0.35' }),
  version({ productId: 'VOL', category: 'volume', unitPrice: '0.014881', chargeType: 'capped', monthlyCap: '600' }),
  version({
    productId: 'CMP-A',
    category: 'compute',
    unitPrice: '0.173612',
    chargeType: 'capped_plan',
    monthlyCap: '7000',
    planGroup: 'flavor',
  }),
  version({
    productId: 'CMP-B',
    category: 'compute',
    unitPrice: '0.347224',
    chargeType: 'capped_plan',
    monthlyCap: '14000',
    planGroup: 'flavor',
  }),
  month({ productId: 'BM-OS', unitPrice: '10800' }),
  month({ productId: 'TE-Y', unitPrice: '2400', unitCode: 'year', category: 'template' }),
  month({ productId: 'VPN', unitPrice: '30000', chargeType: 'daily_prorated', category: 'vpn' }),
  month({ productId: 'VPN-Y', unitPrice: '360000', unitCode: 'year', chargeType: 'daily_prorated', category: 'vpn' }),
  version({
    productId: 'NET',
    category: 'network',
    unitPrice: '0.074405',
    rule: 'network_allowance',
    ruleParams: { free_units: '5' },
  }),
  month({
    productId: 'CIC-1G',
    unitPrice: '54000',
    category: 'cic',
    rule: 'first_link_free',
    ruleParams: { free_links: '1' },
  }),
  month({
    productId: 'GI',
    unitPrice: '10200',
    category: 'guest_image',
    rule: 'per_vm_flat',
    ruleParams: { max_vms: '7', flat_price: '66000' },
  }),
  month({ productId: 'SQL-8', unitPrice: '60000', rule: 'largest_vcpu', planGroup: 'sql' }),
  version({
    productId: 'ORA-WIN',
    category: 'license',
    unitPrice: '0.208334',
    rule: 'plus_monthly_fixed',
    ruleParams: { fixed_fee: '15000' },
  }),
];
const at = (resourceId: string, resourceKind = 'virtual_server') => ({
  resourceId,
  resourceName: resourceId,
  resourceKind,
});
const day = (d: number, h = 0, m = 0, s = 0): string => new Date(Date.UTC(2026, 9, d, h, m, s)).toISOString();
const ALL = [day(1), day(32)] as const; // the whole of October

const tree = ratePeriod(
  input({
    catalog,
    policy: ECL,
    coupons: [coupon({ code: 'WELCOME2026A', registeredAt: '2026-09-15T00:00:00Z', discountValue: '1000' })],
    adjustments: [{ id: 'a1', lplatformId: 'LP1', amount: dec('-500'), reason: 'outage credit', originalMonth: null }],
    usage: [
      usage({ ...at('srv'), productId: 'VM-0001', timeKind: 'operating', start: day(2), end: day(2, 5) }),
      usage({ ...at('srv'), productId: 'CPU-0001', start: day(2), end: day(2, 18, 3), cpuCount: 2, clockGhz: '1' }),
      usage({ ...at('srv'), productId: 'ME-0001', start: day(2), end: day(2, 18), sizeGb: '10' }),
      usage({ ...at('iso', 'storage'), productId: 'ISO', start: day(5), end: day(25) }),
      usage({ ...at('cf', 'other'), productId: 'CF', start: day(3), end: day(3, 0, 1, 30) }),
      usage({ ...at('obj', 'storage'), productId: 'OBJ', start: day(4), end: null, quantity: '240' }),
      usage({ ...at('vol', 'volume'), productId: 'VOL', start: ALL[0], end: ALL[1] }),
      usage({ ...at('cmp'), productId: 'CMP-A', timeKind: 'operating', start: day(1), end: day(4, 5, 20) }),
      usage({ ...at('cmp'), productId: 'CMP-B', timeKind: 'operating', start: day(4, 5, 20), end: ALL[1] }),
      usage({ ...at('bm', 'physical_server'), productId: 'BM-OS', start: day(2), end: day(6) }),
      usage({ ...at('bm', 'physical_server'), productId: 'BM-OS', start: day(10), end: day(20) }),
      usage({ ...at('LP1', 'template'), productId: 'TE-Y', start: ALL[0], end: ALL[1] }),
      usage({ ...at('vpn', 'vpn'), productId: 'VPN', start: day(10), end: day(20) }),
      usage({ ...at('vpn-y', 'vpn'), productId: 'VPN-Y', start: day(10), end: day(20) }),
      usage({ ...at('net', 'network'), productId: 'NET', start: day(1), end: day(3, 14, 21) }),
      usage({ ...at('cic-1', 'cic'), productId: 'CIC-1G', start: ALL[0], end: ALL[1] }),
      usage({ ...at('gi-7', 'guest_image'), productId: 'GI', start: ALL[0], end: ALL[1], vmCount: 7 }),
      usage({ ...at('gi-8', 'guest_image'), productId: 'GI', start: ALL[0], end: ALL[1], vmCount: 8 }),
      usage({ ...at('sql', 'license'), productId: 'SQL-8', start: ALL[0], end: ALL[1], vcpu: 8 }),
      usage({ ...at('ora', 'license'), productId: 'ORA-WIN', timeKind: 'operating', start: day(1), end: day(11) }),
    ],
  }),
);
const lines: ChargeLine[] = [
  ...tree.lplatforms.flatMap((lp) => [...lp.resources.flatMap((r) => r.lines), ...lp.lines]),
  ...tree.tenantLines,
];

/** What a line's row reads in layout 2: product (or kind), ItemColumn2, ItemColumn4, UnitPrice, UsedFrequency, ItemAmount. */
const row = (l: ChargeLine): string[] => {
  const [, item2, , item4] = itemColumns(l, 2);
  return [
    `${l.kind} ${l.productId}`,
    item2,
    item4,
    formatUnitPrice(l, '\\', 2),
    formatUsedFrequency(l, 2),
    l.charged.toFixed(),
  ];
};

describe('one line of every charge type and rule (layout 2)', () => {
  it.each([
    // metered per hour: 1.2 x 5 h
    ['usage VM-0001', '', '-', '\\1.2000/h', '5h', '6'],
    // a CPU with its clock: (1.6667 + 0.556 x 10) x 18h3m x 2 cores = 7.2267 x 18.05 x 2
    ['usage CPU-0001', 'CPU', '2core,1GHz', '\\1.6667,\\0.5560/h', '18h3m', '260.88387'],
    // memory per GB: 20 x 18 h x 10 GB
    ['usage ME-0001', 'Memory capacity', '10GB', '\\20.0000/h', '18h', '3600'],
    // metered per minute: 0.000497 x 28800 min
    ['usage ISO', 'ISO', '-', '\\0.000497/min', '28800min', '14.3136'],
    // per second: 0.00045 x 90 s
    ['usage CF', 'CF', '-', '\\0.00045/s', '90s', '0.0405'],
    // a quantity: 0.35 x 240 units
    ['usage OBJ', 'OBJ', '-', '\\0.3500/unit', '240 units', '84'],
    // capped: 0.014881 x 44640 min, then the cap
    ['usage VOL', 'VOL', '-', '\\0.014881/min', '44640min', '664.28784'],
    ['cap VOL', 'Monthly cap 600', '-', '', '', '-64.28784'],
    // capped_plan: two plans, then the two-stage cap
    ['usage CMP-A', 'CMP-A', '-', '\\0.173612/min', '4640min', '805.55968'],
    ['usage CMP-B', 'CMP-B', '-', '\\0.347224/min', '40000min', '13888.96'],
    ['cap CMP-B', 'Two-stage cap: the largest monthly cap of the plans used, 14000', '-', '', '', '-694.51968'],
    // monthly_fixed: 10800 x 2 runs
    ['fee BM-OS', 'BM-OS', '-', '\\10800.0000/month', '2 months', '21600'],
    // monthly_fixed per year: 2400 x 1/12
    ['fee TE-Y', '', '-', '\\2400.0000/year', '1/12 year', '200'],
    // daily_prorated: 30000 x 10/31; per year: 360000 x 1/12 x 10/31
    ['fee VPN', 'VPN', '-', '\\30000.0000/month', '10/31 days', '9677.419355'],
    ['fee VPN-Y', 'VPN-Y', '-', '\\360000.0000/year', '10/31 days x 1/12 year', '9677.419355'],
    // network_allowance: the network's 3741 minutes made free, at its price
    ['usage NET', 'NET', '-', '\\0.074405/min', '3741min', '278.349105'],
    [
      'allowance NET',
      'Free allowance: 5 NET equivalents per L-Platform',
      '-',
      '\\0.074405/min',
      '3741min',
      '-278.349105',
    ],
    // first_link_free: the month of one link it waives
    ['fee CIC-1G', 'CIC-1G', '-', '\\54000.0000/month', '1 month', '54000'],
    [
      'free_link CIC-1G',
      'Free link: the first 1 link(s) of CIC-1G per L-Platform',
      '-',
      '\\54000.0000/month',
      '1 month',
      '-54000',
    ],
    // per_vm_flat: 10200 per VM x 7; flat from 8
    ['fee GI', 'GI: 7 VM', 'x7', '\\10200.0000/month', '1 month', '71400'],
    ['fee GI', 'GI: 8 VM: flat price above 7 VM', '-', '\\66000.0000/month', '1 month', '66000'],
    // largest_vcpu
    ['fee SQL-8', 'SQL-8: largest vCPU used: 8', '8vCPU', '\\60000.0000/month', '1 month', '60000'],
    // plus_monthly_fixed: metered, and a monthly fee that is per month, not per minute
    ['usage ORA-WIN', 'ORA-WIN', '-', '\\0.208334/min', '14400min', '3000.0096'],
    ['fee ORA-WIN', 'ORA-WIN: monthly fixed fee', '-', '\\15000.0000/month', '1 month', '15000'],
    // an adjustment and a coupon show no price
    ['adjustment ', 'Adjustment: outage credit', '-', '', '', '-500'],
    ['coupon ', 'Coupon WELCOME2026A', '-', '', '', '-1000'],
  ])('%s: %s | %s | %s | %s | %s', (what, item2, item4, unitPrice, frequency, amount) => {
    expect(lines.map(row)).toContainEqual([what, item2, item4, unitPrice, frequency, amount]);
  });

  it('no label is said twice in ItemColumn2 (Free link: free: …, Monthly cap: monthly cap …)', () => {
    for (const l of lines) {
      const item2 = itemColumns(l, 2)[1];
      const [label, rest] = [item2.split(/[: ]/)[0]!.toLowerCase(), item2.slice(item2.indexOf(':') + 1).toLowerCase()];
      expect(rest.trim().startsWith(label) && item2.includes(':'), item2).toBe(false);
      expect(item2).not.toMatch(/: free: /i);
    }
    // layout 1 (statements frozen before) said them twice, and keeps doing so
    expect(
      lines
        .filter((l) => l.kind === 'cap' || l.kind === 'free_link' || l.kind === 'allowance')
        .map((l) => itemColumns(l)[1])
        .sort(),
    ).toEqual([
      'Free allowance: free allowance: 5 NET equivalents per L-Platform',
      'Free link: free link: the first 1 link(s) of CIC-1G per L-Platform',
      'Monthly cap: monthly cap 600',
      'Monthly cap: two-stage cap: the largest monthly cap of the plans used, 14000',
    ]);
  });

  it('the table covers every line of the statement', () => {
    expect(lines).toHaveLength(26);
  });

  it('UnitPrice x UsedFrequency x ItemColumn4 is the exact amount of every product line, and minus the credit of a free link or allowance', () => {
    for (const l of lines) {
      const price = formatUnitPrice(l, '\\', 2);
      const frequency = formatUsedFrequency(l, 2);
      if (price === '') {
        expect(['cap', 'adjustment', 'coupon'], `${l.kind} ${l.productId}`).toContain(l.kind);
        expect(frequency).toBe('');
        continue;
      }
      const product = priceTimesUse(price, frequency, itemColumns(l, 2)[3]);
      const expected = l.kind === 'allowance' || l.kind === 'free_link' ? l.amount.negated() : l.amount;
      expect(product.toDecimalPlaces(6).toFixed(), `${l.kind} ${l.productId}: ${price} x ${frequency}`).toBe(
        expected.toDecimalPlaces(6).toFixed(),
      );
    }
  });
});

/** The documented reading of the three columns: price per unit x the use in that unit x the configuration's multipliers. */
function priceTimesUse(price: string, frequency: string, configuration: string): Decimal {
  const [, core, clock, unit] = /^\\([\d.]+)(?:,\\([\d.]+))?\/(\w+)$/.exec(price)!;
  const cfg = { gb: dec(1), cores: dec(1), ghz: dec(0), times: dec(1) };
  for (const part of configuration.split(' ')) {
    let m: RegExpExecArray | null;
    if ((m = /^(\d+)core,([\d.]+)GHz$/.exec(part))) [cfg.cores, cfg.ghz] = [dec(m[1]!), dec(m[2]!)];
    else if ((m = /^([\d.]+)GB$/.exec(part))) cfg.gb = dec(m[1]!);
    else if ((m = /^x([\d.]+)$/.exec(part))) cfg.times = dec(m[1]!);
  }
  const perUnit = clock === undefined ? dec(core!) : dec(core!).plus(dec(clock).times(cfg.ghz).times(10));
  let use: Decimal;
  let m: RegExpExecArray | null;
  if ((m = /^(\d+)h(?:(\d+)m)?$/.exec(frequency))) use = dec(m[1]!).plus(dec(m[2] ?? 0).div(60));
  else if ((m = /^(\d+)min$/.exec(frequency))) use = dec(m[1]!);
  else if ((m = /^(\d+)s$/.exec(frequency))) use = dec(m[1]!);
  else if ((m = /^([\d.]+) units?$/.exec(frequency))) use = dec(m[1]!);
  else if ((m = /^(\d+) months?$/.exec(frequency))) use = dec(m[1]!);
  else if ((m = /^(\d+)\/12 year$/.exec(frequency))) use = dec(m[1]!).div(12);
  else if ((m = /^(\d+)\/(\d+) days( x 1\/12 year)?$/.exec(frequency)))
    use = dec(m[1]!)
      .div(m[2]!)
      .div(m[3] ? 12 : 1);
  else throw new Error(`UsedFrequency ${frequency} is not documented`);
  expect(['h', 'min', 's', 'unit', 'month', 'year']).toContain(unit);
  return perUnit.times(use).times(cfg.gb).times(cfg.cores).times(cfg.times);
}

describe('layouts', () => {
  const view = (layout?: number): StatementView => ({
    tenant: { name: 'T1', displayName: 'T one', deletedAt: null, locale: 'ja', currency: 'JPY' },
    status: 'fixed',
    madeAt: 0,
    tree,
    files: { encoding: 'utf8', currencySymbol: '\\', ...(layout === undefined ? {} : { layout }) },
  });
  const detail = (v: StatementView): string[] =>
    buildRorFiles(v, v.files!).detailFiles[0]!.bytes.toString('utf8').split('\r\n');

  it('layout 2 files are written with these columns', () => {
    const rows = detail(view(2));
    expect(rows).toContain(
      '"","","","","","","",,"","License(ora)","ORA-WIN: monthly fixed fee","ORA-WIN","-","\\15000.0000/month","1 month",15000',
    );
    expect(rows).toContain(
      '"","","","","","","",,"","CIC(cic-1)","Free link: the first 1 link(s) of CIC-1G per L-Platform","CIC-1G","-","\\54000.0000/month","1 month",-54000',
    );
  });

  it('a statement frozen without a layout (layout 1) keeps the former columns, byte for byte', () => {
    const rows = detail(view());
    expect(rows).toContain(
      '"","","","","","","",,"","License(ora)","ORA-WIN: monthly fixed fee","ORA-WIN","-","\\15000.0000/min","1 month",15000',
    );
    expect(rows).toContain(
      '"","","","","","","",,"","CIC(cic-1)","Free link: free link: the first 1 link(s) of CIC-1G per L-Platform","CIC-1G","-","","",-54000',
    );
    expect(rows).toContain('"","","","","","","",,"","Template","","TE-Y","-","\\2400.0000/year","1 month",200');
  });
});
