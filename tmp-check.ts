import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ratePeriod } from './src/rating/rate-period.ts';
import { ECL, ROR, at, coupon, input, usage, version } from './test/helpers/rating.ts';
import { dec } from './src/domain/money.ts';
import { startOfLocalDay } from './src/domain/calendar.ts';
import type { ChargeTree, RatingInput, RatingPolicy, CatalogVersion, UsageRecord } from './src/rating/types.ts';

const s = (d: any) => (d == null ? '' : d.toFixed());
function show(title: string, tree: ChargeTree) {
  console.log(`\n=== ${title}`);
  for (const lp of tree.lplatforms) {
    for (const r of lp.resources) {
      for (const l of r.lines) console.log(`  ${lp.lplatformId}/${r.resourceId} ${l.kind} ${l.productId} m=${JSON.stringify(Object.fromEntries(Object.entries(l.measure).map(([k, v]) => [k, typeof v === 'object' ? v.toFixed() : v])))} x${s(l.multiplier)} tax=${s(l.taxPercent)} amt=${s(l.amount)} ch=${s(l.charged)} ${l.note}`);
      console.log(`  ${lp.lplatformId}/${r.resourceId} amount=${s(r.amount)}`);
    }
    for (const l of lp.lines) console.log(`  ${lp.lplatformId} own ${l.kind} ${l.productId} m=${JSON.stringify(Object.fromEntries(Object.entries(l.measure).map(([k, v]) => [k, typeof v === 'object' ? v.toFixed() : v])))} tax=${s(l.taxPercent)} amt=${s(l.amount)} ch=${s(l.charged)} ${l.note}`);
    console.log(`  ${lp.lplatformId} sum=${s(lp.sum)} amount=${s(lp.amount)}`);
  }
  for (const l of tree.tenantLines) console.log(`  tenant ${l.kind} tax=${s(l.taxPercent)} amt=${s(l.amount)} ch=${s(l.charged)} ${l.note}`);
  console.log(`  before=${s(tree.beforeDiscount)} discount=${s(tree.discount)} subtotal=${s(tree.subtotal)} taxes=${tree.taxes.map((t) => `${s(t.percent)}%:${s(t.base)}->${s(t.amount)}`).join(', ')} tax=${s(tree.tax)} total=${s(tree.total)}`);
}
function tryRate(title: string, inp: RatingInput) {
  try { show(title, ratePeriod(inp)); } catch (e: any) { console.log(`\n=== ${title}\n  ERROR ${e.constructor.name}: ${e.message}`); }
}
const OCT = { start: at('2026-10-01T00:00:00Z'), end: at('2026-11-01T00:00:00Z'), billingMonth: '2026-10', timeZone: 'UTC' };
const OCT_JP = { start: at('2026-09-30T15:00:00Z'), end: at('2026-10-31T15:00:00Z'), billingMonth: '2026-10', timeZone: 'Asia/Tokyo' };
const RORUP: RatingPolicy = { ...ROR, roundingMode: 'up' };
const RORDOWN: RatingPolicy = { ...ROR, roundingMode: 'down' };
const RORTAX: RatingPolicy = { ...ROR, taxEnabled: true };

// demo catalog
const catRows: any[] = parse(readFileSync('data/demo/catalog.csv'), { columns: true });
const demoCatalog: CatalogVersion[] = catRows.map((r) => ({
  productId: r.product_id, priority: Number(r.priority), from: Date.parse(r.applicable_from.replace(/(\+\d\d)(\d\d)$/, '$1:$2')),
  to: r.applicable_to ? Date.parse(r.applicable_to.replace(/(\+\d\d)(\d\d)$/, '$1:$2')) : null,
  category: r.category, resourceIdentifier: r.resource_identifier, unitCode: r.unit_code, unitPrice: dec(r.unit_price), productName: r.product_name,
  chargeType: r.charge_type || (['month', 'year'].includes(r.unit_code) ? 'monthly_fixed' : 'metered'), timeBasis: r.time_basis || 'deployed',
  monthlyCap: r.monthly_cap ? dec(r.monthly_cap) : null, planGroup: r.plan_group, rule: r.rule,
  ruleParams: Object.fromEntries((r.rule_params ? r.rule_params.split(';') : []).map((kv: string) => { const [k, v] = kv.split('='); return [k, dec(v)]; })),
  currency: r.currency,
}) as CatalogVersion);
const useRows: any[] = parse(readFileSync('data/demo/usage.csv'), { columns: true });
const demoUsage = (tenant: string): UsageRecord[] => useRows.filter((r) => r.tenant_name === tenant).map((r) => ({
  recordId: r.record_id, lplatformId: r.lplatform_id, resourceId: r.resource_id, resourceName: r.resource_name, resourceKind: r.resource_kind, component: r.component,
  productId: r.product_id, timeKind: r.time_kind, start: Date.parse(r.start_at), end: r.end_at ? Date.parse(r.end_at) : null,
  quantity: dec(r.quantity || '1'), cpuCount: r.cpu_count ? Number(r.cpu_count) : null, clockGhz: r.clock_ghz ? dec(r.clock_ghz) : null,
  sizeGb: r.size_gb ? dec(r.size_gb) : null, vmCount: r.vm_count ? Number(r.vm_count) : null, vcpu: r.vcpu ? Number(r.vcpu) : null,
}) as UsageRecord);
const cat = (...ids: string[]) => demoCatalog.filter((v) => ids.includes(v.productId)).map((v) => (v.priority === 0 ? { ...v, from: at('2000-01-01T00:00:00Z') } : v));

// S1 small tenant
tryRate('S1 small tenant', input({ catalog: cat('EC-CMP-1C4G', 'EC-VOL-15G'), usage: [
  usage({ productId: 'EC-CMP-1C4G', resourceId: 'srv-1', timeKind: 'operating', start: '2026-10-05T10:00:00Z', end: '2026-10-05T11:40:00Z' }),
  usage({ productId: 'EC-VOL-15G', resourceId: 'vol-1', start: '2026-10-05T10:00:00Z', end: '2026-10-05T11:40:00Z' }),
] }));

// S2
const half = version({ productId: 'P', unitPrice: '0.5' });
const bm = cat('EC-BM-RHEL'); const vpn = cat('EC-VPN');
const s2usage = [
  usage({ productId: 'P', resourceId: 'a', start: '2026-10-05T10:00:00Z', end: '2026-10-05T10:10:29Z' }),
  usage({ productId: 'P', resourceId: 'b', start: '2026-10-05T10:00:00Z', end: '2026-10-05T10:10:30Z' }),
  usage({ productId: 'P', resourceId: 'c', start: '2026-09-30T22:00:00Z', end: '2026-10-01T02:00:00Z' }),
  usage({ productId: 'P', resourceId: 'd', start: '2026-10-05T10:00:00Z', end: '2026-10-05T10:00:20Z' }),
  usage({ productId: 'P', resourceId: 'd', start: '2026-10-05T10:00:20Z', end: '2026-10-05T10:00:40Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm', start: '2026-09-28T00:00:00Z', end: '2026-10-03T00:00:00Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm', start: '2026-10-03T00:00:00Z', end: '2026-10-05T00:00:00Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm', start: '2026-10-07T00:00:00Z', end: '2026-10-09T00:00:00Z' }),
  usage({ productId: 'EC-VPN', resourceId: 'vpn', start: '2026-10-09T20:00:00Z', end: '2026-10-10T02:00:00Z' }),
];
tryRate('S2 example', input({ catalog: [half, ...bm, ...vpn], usage: s2usage }));
tryRate('S2 vpn Tokyo', input({ catalog: vpn, period: OCT_JP, usage: [usage({ productId: 'EC-VPN', resourceId: 'vpn', start: '2026-10-09T20:00:00Z', end: '2026-10-10T02:00:00Z' })] }));
tryRate('S2 overlap', input({ catalog: [half], usage: [
  usage({ recordId: 'u1', productId: 'P', resourceId: 'a', start: '2026-10-05T10:00:00Z', end: '2026-10-05T12:00:00Z' }),
  usage({ recordId: 'u2', productId: 'P', resourceId: 'a', start: '2026-10-05T11:00:00Z', end: '2026-10-05T13:00:00Z' }),
] }));
const edge = usage({ productId: 'P', resourceId: 'e', start: '2026-09-30T23:59:30Z', end: '2026-10-01T00:00:30Z' });
tryRate('S2 edge Sep', input({ catalog: [half], period: { start: at('2026-09-01T00:00:00Z'), end: at('2026-10-01T00:00:00Z'), billingMonth: '2026-09', timeZone: 'UTC' }, usage: [edge] }));
tryRate('S2 edge Oct', input({ catalog: [half], usage: [edge] }));
tryRate('S2 edge 10min49 Oct', input({ catalog: [half], usage: [usage({ productId: 'P', resourceId: 'f', start: '2026-09-30T23:59:40Z', end: '2026-10-01T00:10:29Z' })] }));
tryRate('S2 edge 10min49 Sep', input({ catalog: [half], period: { start: at('2026-09-01T00:00:00Z'), end: at('2026-10-01T00:00:00Z'), billingMonth: '2026-09', timeZone: 'UTC' }, usage: [usage({ productId: 'P', resourceId: 'f', start: '2026-09-30T23:59:40Z', end: '2026-10-01T00:10:29Z' })] }));
tryRate('S2 20s only on LP2', input({ catalog: [half], lplatforms: [{ id: 'LP2', name: 'LP2', returnedAt: null }], usage: [usage({ productId: 'P', lplatformId: 'LP2', resourceId: 'g', start: '2026-10-05T10:00:00Z', end: '2026-10-05T10:00:20Z' })] }));
// one-minute record cut at 30th s by a price change
tryRate('S2 cut 30s', input({ catalog: [version({ productId: 'Q', unitPrice: '1', to: at('2026-10-05T10:00:29.999Z') }), version({ productId: 'Q', priority: 1, unitPrice: '2', from: at('2026-10-05T10:00:30Z') })], usage: [usage({ productId: 'Q', start: '2026-10-05T10:00:00Z', end: '2026-10-05T10:01:00Z' })] }));
// DST Santiago
console.log('\nSantiago 6 Sep 2026 starts', new Date(startOfLocalDay(2026, 9, 6, 'America/Santiago')).toISOString());

// S3 campaign (ecl, Tokyo)
tryRate('S3 campaign ecl JP', input({ catalog: cat('ME-0001'), period: OCT_JP, usage: demoUsage('TNT00001').filter((r) => r.recordId === 'u-2610-0011') }));
tryRate('S3 campaign ror JP', input({ catalog: cat('ME-0001'), period: OCT_JP, policy: ROR, usage: demoUsage('TNT00001').filter((r) => r.recordId === 'u-2610-0011') }));
const mem3 = [
  version({ productId: 'M', category: 'memory', unitCode: 'hour', unitPrice: '20', from: at('2020-01-01T00:00:00Z') }),
  version({ productId: 'M', category: 'memory', unitCode: 'hour', unitPrice: '18', priority: 1, from: at('2026-10-15T00:00:00Z'), to: at('2026-10-31T23:59:59.999Z') }),
  version({ productId: 'M', category: 'memory', unitCode: 'hour', unitPrice: '15', priority: 2, from: at('2026-10-20T00:00:00Z'), to: at('2026-10-20T23:59:59.999Z') }),
];
tryRate('S3 three versions ror', input({ catalog: mem3, policy: ROR, usage: [usage({ productId: 'M', sizeGb: '4', start: '2026-10-14T00:00:00Z', end: '2026-10-22T00:00:00Z' })] }));

// S4 ROR server
const t1 = demoUsage('TNT00001').filter((r) => r.lplatformId === 'TNT00001-LPlatform01');
tryRate('S4 ror server half-up', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), period: OCT_JP, policy: ROR, lplatforms: [], usage: t1 }));
tryRate('S4 ror server up', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), period: OCT_JP, policy: RORUP, lplatforms: [], usage: t1 }));
tryRate('S4 batch-01 ror', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), period: OCT_JP, policy: ROR, lplatforms: [], usage: demoUsage('TNT00005') }));
tryRate('S4 TNT00001 all ror', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), period: OCT_JP, policy: ROR, lplatforms: [], usage: demoUsage('TNT00001') }));
tryRate('S4 yearly/unit/qty', input({ policy: ROR, catalog: [
  version({ productId: 'Y', unitCode: 'year', unitPrice: '2400', chargeType: 'monthly_fixed' }),
  version({ productId: 'U', unitCode: 'unit', unitPrice: '0.35' }),
  version({ productId: 'IMG', unitCode: 'hour', unitPrice: '1.2' }),
], usage: [
  usage({ productId: 'Y', resourceId: 'y', start: '2026-10-02T00:00:00Z', end: '2026-10-03T00:00:00Z' }),
  usage({ productId: 'U', resourceId: 'u', start: '2026-10-02T00:00:00Z', end: null, quantity: '120' }),
  usage({ productId: 'U', resourceId: 'u', start: '2026-10-03T00:00:00Z', end: null, quantity: '120' }),
  usage({ productId: 'U', resourceId: 'u', start: '2026-10-04T00:00:00Z', end: null, quantity: '15.5' }),
  usage({ productId: 'IMG', resourceId: 'img', start: '2026-10-02T10:00:00Z', end: '2026-10-02T15:00:00Z', quantity: '2' }),
] }));

// S5
tryRate('S5.1 iso', input({ catalog: [version({ productId: 'ISO', unitPrice: '0.000497' })], usage: [usage({ productId: 'ISO', start: '2026-10-05T00:00:00Z', end: '2026-10-25T00:00:00Z' })] }));
for (const [m, pol, name] of [[40319, ECL, 'ecl'], [40320, ECL, 'ecl'], [44640, ECL, 'ecl'], [44640, ROR, 'ror'], [44640, RORUP, 'ror up'], [44640, RORDOWN, 'ror down'], [40319, RORUP, 'ror up'], [40320, ROR, 'ror']] as const) {
  tryRate(`S5.2 vol ${m} ${name}`, input({ catalog: cat('EC-VOL-15G'), policy: pol, usage: [usage({ productId: 'EC-VOL-15G', start: '2026-10-01T00:00:00Z', end: new Date(at('2026-10-01T00:00:00Z') + m * 60000).toISOString() })] }));
}
const cp = cat('EC-CMP-1C4G', 'EC-CMP-2C8G');
tryRate('S5.3 plan', input({ catalog: cp, usage: [
  usage({ productId: 'EC-CMP-1C4G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-01T00:00:00Z', end: '2026-10-11T00:00:00Z' }),
  usage({ productId: 'EC-CMP-2C8G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-11T00:00:00Z', end: '2026-10-12T00:00:00Z' }),
  usage({ productId: 'EC-CMP-1C4G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-12T00:00:00Z', end: '2026-11-01T00:00:00Z' }),
] }));
tryRate('S5.3 stage II', input({ catalog: cp, usage: [
  usage({ productId: 'EC-CMP-1C4G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-01T00:00:00Z', end: '2026-10-04T05:20:00Z' }),
  usage({ productId: 'EC-CMP-2C8G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-04T05:20:00Z', end: '2026-11-01T00:00:00Z' }),
] }));
tryRate('S5.3 stage II ror up', input({ catalog: cp, policy: RORUP, usage: [
  usage({ productId: 'EC-CMP-1C4G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-01T00:00:00Z', end: '2026-10-04T05:20:00Z' }),
  usage({ productId: 'EC-CMP-2C8G', resourceId: 'srv', timeKind: 'operating', start: '2026-10-04T05:20:00Z', end: '2026-11-01T00:00:00Z' }),
] }));
tryRate('S5.4 bm', input({ catalog: bm, usage: [
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm-01', start: '2026-10-02T00:00:00Z', end: '2026-10-06T00:00:00Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm-01', start: '2026-10-10T00:00:00Z', end: '2026-10-20T00:00:00Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm-02', start: '2026-09-10T00:00:00Z', end: '2026-11-20T00:00:00Z' }),
] }));
tryRate('S5.5 vpn oct', input({ catalog: vpn, usage: [usage({ productId: 'EC-VPN', start: '2026-10-10T00:00:00Z', end: '2026-10-20T00:00:00Z' })] }));
tryRate('S5.5 vpn feb', input({ catalog: vpn, period: { start: at('2026-02-01T00:00:00Z'), end: at('2026-03-01T00:00:00Z'), billingMonth: '2026-02', timeZone: 'UTC' }, usage: [usage({ productId: 'EC-VPN', start: '2026-02-10T00:00:00Z', end: '2026-02-20T00:00:00Z' })] }));

// S6.1
const net = cat('EC-NET');
const allMonth = (lp: string, r: string, extra: any = {}) => usage({ productId: 'EC-NET', lplatformId: lp, resourceId: r, start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z', ...extra });
const lps = [{ id: 'LP-A', name: 'LP-A', returnedAt: null }, { id: 'LP-B', name: 'LP-B', returnedAt: null }];
tryRate('S6.1 allowance', input({ catalog: net, lplatforms: lps, usage: [
  allMonth('LP-A', 'net-1'), allMonth('LP-A', 'net-2'), allMonth('LP-A', 'net-3'), allMonth('LP-B', 'net-4'), allMonth('LP-B', 'net-5'),
  usage({ productId: 'EC-NET', lplatformId: 'LP-B', resourceId: 'net-6', start: '2026-10-10T00:00:00Z', end: '2026-10-20T00:00:00Z' }),
] }));
for (const pol of [ROR, RORUP, RORDOWN]) tryRate(`S6.1 partial qty2 ${pol.roundingMode}`, input({ catalog: net, policy: pol, usage: [
  allMonth('LP1', 'net-1'), allMonth('LP1', 'net-2'), allMonth('LP1', 'net-3'), allMonth('LP1', 'net-4'), allMonth('LP1', 'net-5', { quantity: '2' }),
] }));
const P2019 = { start: at('2019-09-21T00:00:00Z'), end: at('2019-10-21T00:00:00Z'), billingMonth: '2019-10', timeZone: 'UTC' };
tryRate('S6.1 tax split', input({ catalog: net, period: P2019, usage: [1, 2, 3, 4, 5, 6].map((n) => usage({ productId: 'EC-NET', resourceId: `net-${n}`, start: '2019-09-21T00:00:00Z', end: '2019-10-21T00:00:00Z' })) }));
// S6.2
const cic = cat('EC-CIC-1G', 'EC-CIC-10G');
const cicAll = (r: string, p: string, extra: any = {}) => usage({ productId: p, resourceId: r, start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z', ...extra });
tryRate('S6.2 cic', input({ catalog: cic, usage: [cicAll('cic-1', 'EC-CIC-1G'), cicAll('cic-2', 'EC-CIC-1G'), cicAll('cic-3', 'EC-CIC-10G')] }));
tryRate('S6.2 cic qty2', input({ catalog: cic, usage: [cicAll('cic-1', 'EC-CIC-1G', { quantity: '2' })] }));
tryRate('S6.2 cic two starts', input({ catalog: cic, usage: [
  usage({ productId: 'EC-CIC-1G', resourceId: 'cic-1', start: '2026-10-01T00:00:00Z', end: '2026-10-05T00:00:00Z' }),
  usage({ productId: 'EC-CIC-1G', resourceId: 'cic-1', start: '2026-10-10T00:00:00Z', end: '2026-10-15T00:00:00Z' }),
] }));
// S6.3
const gi = cat('EC-GI-WIN');
tryRate('S6.3 gi', input({ catalog: gi, usage: [
  cicAll('gi-host2', 'EC-GI-WIN', { vmCount: 7 }), cicAll('gi-host1', 'EC-GI-WIN', { vmCount: 8 }),
  usage({ productId: 'EC-GI-WIN', resourceId: 'gi-host3', start: '2026-10-01T00:00:00Z', end: '2026-10-15T00:00:00Z', vmCount: 5 }),
  usage({ productId: 'EC-GI-WIN', resourceId: 'gi-host3', start: '2026-10-15T00:00:00Z', end: '2026-11-01T00:00:00Z', vmCount: 9 }),
] }));
// S6.4 / 6.5 / 6.6
tryRate('S6.4 sql', input({ catalog: cat('EC-SQL-4', 'EC-SQL-8'), usage: [
  usage({ productId: 'EC-SQL-4', resourceId: 'srv-sql', start: '2026-10-01T00:00:00Z', end: '2026-10-12T00:00:00Z', vcpu: 4 }),
  usage({ productId: 'EC-SQL-8', resourceId: 'srv-sql', start: '2026-10-12T00:00:00Z', end: '2026-11-01T00:00:00Z', vcpu: 8 }),
] }));
tryRate('S6.5 ora win', input({ catalog: cat('EC-ORA-WIN'), usage: [usage({ productId: 'EC-ORA-WIN', resourceId: 'ora-win', timeKind: 'operating', start: '2026-10-01T00:00:00Z', end: '2026-10-11T00:00:00Z' })] }));
tryRate('S6.6 mon/ora', input({ catalog: cat('EC-MON-BASIC', 'EC-MON-ADV', 'EC-MON-ALARM', 'EC-ORA-LNX'), usage: [
  cicAll('mon-basic', 'EC-MON-BASIC'), cicAll('mon-adv', 'EC-MON-ADV'), cicAll('mon-alarm', 'EC-MON-ALARM', { quantity: '3' }), cicAll('ora-lnx', 'EC-ORA-LNX', { timeKind: 'operating' }),
] }));
// S6.7 demo TNT00003
const demoCoupons = [coupon({ code: 'WELCOME2026A', registeredAt: '2026-09-15T03:00:00Z', discountType: 'amount', discountValue: '1000', validMonths: 3 })];
tryRate('S6.7 TNT00003', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), lplatforms: [], usage: demoUsage('TNT00003'), coupons: demoCoupons }));

// S7
tryRate('S7 example', input({ catalog: bm, usage: [
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm-01', start: '2026-10-02T00:00:00Z', end: '2026-10-06T00:00:00Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm-01', start: '2026-10-10T00:00:00Z', end: '2026-10-20T00:00:00Z' }),
], adjustments: [
  { id: 'a1', lplatformId: 'LP1', amount: dec('-500.5'), reason: 'outage credit', originalMonth: null },
  { id: 'a2', lplatformId: null, amount: dec('1234.56'), reason: 'late usage', originalMonth: '2026-09' },
] as any, coupons: [
  coupon({ code: 'WELCOME2026A', registeredAt: '2026-09-15T03:00:00Z', discountValue: '1000', validMonths: 3 }),
  coupon({ code: 'PCT10SEP2026', registeredAt: '2026-09-20T00:00:00Z', discountType: 'percent', discountValue: '10', validMonths: 1 }),
] }));
tryRate('S7 never below zero', input({ catalog: [version({ productId: 'F', unitCode: 'month', unitPrice: '600', chargeType: 'monthly_fixed' })], usage: [cicAll('f', 'F')], coupons: [
  coupon({ code: 'AAAA00000001', registeredAt: '2026-09-01T00:00:00Z', discountValue: '1000' }),
  coupon({ code: 'AAAA00000002', registeredAt: '2026-09-02T00:00:00Z', discountValue: '5000' }),
] }));
import { couponApplies } from './src/rating/coupons.ts';
const months = ['2026-09', '2026-10', '2026-11', '2026-12', '2027-01', '2027-02', '2027-03', '2027-04'];
const cal = (m: string, tz: string) => { const [y, mo] = m.split('-').map(Number); const n = new Date(Date.UTC(y!, mo!, 1)); return { start: startOfLocalDay(y!, mo!, 1, tz), end: startOfLocalDay(n.getUTCFullYear(), n.getUTCMonth() + 1, 1, tz), billingMonth: m, timeZone: tz }; };
const cps = [
  coupon({ code: 'WELCOME2026A', registeredAt: '2026-09-15T03:00:00Z', discountValue: '1000', validMonths: 3 }),
  coupon({ code: 'WINTERSALE26', registeredAt: '2026-10-28T23:30:00Z', discountValue: '10', validMonths: null, validUntil: '2027-03-31' }),
  coupon({ code: 'LASTDAY00001', registeredAt: '2026-10-31T23:30:00Z', discountValue: '10', validMonths: 2 }),
];
for (const tz of ['UTC', 'Asia/Tokyo']) for (const c of cps) console.log(`coupon ${c.code} ${tz}: ${months.filter((m) => couponApplies(c, cal(m, tz))).join(' ')}`);
// cutoff 20
const c20 = coupon({ code: 'TENPERCENT26', registeredAt: '2026-10-25T00:00:00Z', discountType: 'percent', discountValue: '10', validMonths: 2 });
for (const [m, s0, e0] of [['2026-11', '2026-10-21', '2026-11-21'], ['2026-12', '2026-11-21', '2026-12-21'], ['2027-01', '2026-12-21', '2027-01-21'], ['2027-02', '2027-01-21', '2027-02-21']]) console.log(`cut-off 20 ${m} (${s0}..): ${couponApplies(c20, { start: at(s0 + 'T00:00:00Z'), end: at(e0 + 'T00:00:00Z'), billingMonth: m!, timeZone: 'UTC' })}`);

// S8
const seedCat = cat('EC-CMP-1C4G', 'EC-VOL-15G', 'EC-NET', 'EC-FW-VSRX', 'EC-LB-VPX');
const AUG = { start: at('2019-08-01T00:00:00Z'), end: at('2019-09-01T00:00:00Z'), billingMonth: '2019-08', timeZone: 'UTC' };
const mins = (n: number) => new Date(at('2019-08-01T00:00:00Z') + n * 60000).toISOString();
const seedUsage = () => [
  usage({ lplatformId: 'manual-tenant', resourceId: 'srv', productId: 'EC-CMP-1C4G', timeKind: 'operating', start: mins(0), end: mins(3739) }),
  usage({ lplatformId: 'manual-tenant', resourceId: 'vol', productId: 'EC-VOL-15G', start: mins(0), end: mins(3739) }),
  usage({ lplatformId: 'manual-tenant', resourceId: 'net', productId: 'EC-NET', start: mins(0), end: mins(3741) }),
  usage({ lplatformId: 'manual-tenant', resourceId: 'fw', productId: 'EC-FW-VSRX', timeKind: 'operating', start: mins(0), end: mins(3714) }),
  usage({ lplatformId: 'manual-tenant', resourceId: 'lb', productId: 'EC-LB-VPX', timeKind: 'operating', start: mins(0), end: mins(3725) }),
];
for (const [pol, n] of [[ECL, 'ecl'], [ROR, 'ror half-up'], [RORUP, 'ror up'], [RORDOWN, 'ror down'], [RORTAX, 'ror tax on']] as const)
  tryRate(`S8/S9 seed ${n}`, input({ catalog: seedCat, period: AUG, policy: pol, lplatforms: [], usage: seedUsage() }));
for (const pol of [ROR, RORUP, RORDOWN]) tryRate(`S8 usd ${pol.roundingMode}`, input({ currency: 'USD', policy: pol, catalog: [version({ productId: 'X', unitCode: 'hour', unitPrice: '0.0333', currency: 'USD' })], usage: [usage({ productId: 'X', start: '2026-10-05T00:00:00Z', end: '2026-10-05T07:00:00Z' })] }));
tryRate('S8 tax change', input({ period: P2019, catalog: [half, ...bm], usage: [
  usage({ productId: 'P', resourceId: 'p', start: '2019-09-21T00:00:00Z', end: '2019-10-21T00:00:00Z' }),
  usage({ productId: 'EC-BM-RHEL', resourceId: 'bm', start: '2019-09-25T00:00:00Z', end: '2019-10-21T00:00:00Z' }),
], coupons: [coupon({ code: 'SAVE10000000', registeredAt: '2019-08-10T00:00:00Z', discountValue: '1000', validMonths: 3 })] }));
tryRate('S8 tax change ror tax off', input({ period: P2019, policy: ROR, catalog: [half, ...bm], usage: [
  usage({ productId: 'P', resourceId: 'p', start: '2019-09-21T00:00:00Z', end: '2019-10-21T00:00:00Z' }),
] }));
tryRate('S9 manual-tenant demo Oct', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), lplatforms: [], usage: demoUsage('manual-tenant') }));
tryRate('S9 manual-tenant demo Oct w coupon (should not apply)', input({ catalog: demoCatalog.filter((v) => v.currency === 'JPY'), lplatforms: [], usage: demoUsage('manual-tenant'), coupons: [coupon({ code: 'WINTERSALE26', registeredAt: '2026-10-28T23:30:00Z', discountType: 'percent', discountValue: '10', validMonths: null, validUntil: '2027-03-31' })] }));
// errors
const bad = (title: string, p: any) => tryRate(title, input(p));
bad('E month', { catalog: [half], usage: [], period: { ...OCT, billingMonth: '2026-13' } });
bad('E period', { catalog: [half], usage: [], period: { ...OCT, end: OCT.start } });
bad('E currency', { catalog: [version({ productId: 'X', unitPrice: '1', currency: 'USD' })], usage: [usage({ productId: 'X', start: '2026-10-05T00:00:00Z', end: '2026-10-05T01:00:00Z' })] });
bad('E no price', { catalog: [version({ productId: 'X', unitPrice: '1', from: at('2026-10-10T00:00:00Z') })], usage: [usage({ productId: 'X', start: '2026-10-05T00:00:00Z', end: '2026-10-05T01:00:00Z' })] });
bad('E unknown product', { catalog: [half], usage: [usage({ productId: 'ZZ', start: '2026-10-05T00:00:00Z', end: '2026-10-05T01:00:00Z' })] });
bad('E unknown charge type', { catalog: [version({ productId: 'X', unitPrice: '1', chargeType: 'weird' as any })], usage: [usage({ productId: 'X', start: '2026-10-05T00:00:00Z', end: '2026-10-05T01:00:00Z' })] });
bad('E qty for time', { catalog: [half], usage: [usage({ productId: 'P', start: '2026-10-05T00:00:00Z', end: null })] });
bad('E no tenant usage', { catalog: [half], usage: [] });
console.log('\n\n######## extra');
tryRate('X 40320 ror up', input({ catalog: cat('EC-VOL-15G'), policy: RORUP, usage: [usage({ productId: 'EC-VOL-15G', start: '2026-10-01T00:00:00Z', end: '2026-10-29T00:00:00Z' })] }));
tryRate('X cap 600.5 ror', input({ catalog: [version({ productId: 'V', unitPrice: '0.014881', chargeType: 'capped', monthlyCap: '600.5' })], policy: ROR, usage: [usage({ productId: 'V', start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' })] }));
tryRate('X 1.25 tax on ror', input({ catalog: [version({ productId: 'VM', unitCode: 'hour', unitPrice: '1.25' })], policy: RORTAX, period: P2019, usage: [usage({ productId: 'VM', start: '2019-09-30T23:30:00Z', end: '2019-10-01T00:30:00Z' })] }));
tryRate('X 1.25 tax off ror', input({ catalog: [version({ productId: 'VM', unitCode: 'hour', unitPrice: '1.25' })], policy: ROR, period: P2019, usage: [usage({ productId: 'VM', start: '2019-09-30T23:30:00Z', end: '2019-10-01T00:30:00Z' })] }));
tryRate('X vol across tax', input({ catalog: cat('EC-VOL-15G'), period: P2019, usage: [usage({ productId: 'EC-VOL-15G', start: '2019-09-21T00:00:00Z', end: '2019-10-21T00:00:00Z' })] }));
tryRate('X cic across tax', input({ catalog: cat('EC-CIC-1G'), period: P2019, usage: [usage({ productId: 'EC-CIC-1G', resourceId: 'cic-1', start: '2019-09-21T00:00:00Z', end: '2019-10-21T00:00:00Z' })] }));
// Santiago daily prorated: Sept 2026 period in Santiago
tryRate('X santiago vpn', input({ catalog: vpn, period: { start: startOfLocalDay(2026, 9, 1, 'America/Santiago'), end: startOfLocalDay(2026, 10, 1, 'America/Santiago'), billingMonth: '2026-09', timeZone: 'America/Santiago' }, usage: [usage({ productId: 'EC-VPN', start: '2026-09-05T12:00:00Z', end: '2026-09-06T03:30:00Z' })] }));
tryRate('X santiago vpn 2', input({ catalog: vpn, period: { start: startOfLocalDay(2026, 9, 1, 'America/Santiago'), end: startOfLocalDay(2026, 10, 1, 'America/Santiago'), billingMonth: '2026-09', timeZone: 'America/Santiago' }, usage: [usage({ productId: 'EC-VPN', start: '2026-09-05T12:00:00Z', end: '2026-09-06T04:30:00Z' })] }));
// coupons spread, never below zero with negative base
tryRate('X coupon spread test', input({ period: P2019, catalog: [version({ productId: 'FEE', unitCode: 'month', unitPrice: '18000', chargeType: 'monthly_fixed' }), version({ productId: 'VM', unitCode: 'hour', unitPrice: '1' })],
  usage: [usage({ productId: 'FEE', resourceId: 'f', start: '2019-09-21T00:00:00Z', end: '2019-09-25T00:00:00Z' }), usage({ productId: 'VM', resourceId: 'v', start: '2019-10-01T00:00:00Z', end: '2019-10-26T00:00:00Z' })],
  coupons: [coupon({ code: 'SAVE50000000', registeredAt: '2019-08-10T00:00:00Z', discountValue: '5000' })] }));
tryRate('X only coupon rate differs', input({ period: P2019, catalog: [version({ productId: 'FEE', unitCode: 'month', unitPrice: '18000', chargeType: 'monthly_fixed' })],
  usage: [usage({ productId: 'FEE', resourceId: 'f', start: '2019-09-21T00:00:00Z', end: '2019-09-25T00:00:00Z' })],
  coupons: [coupon({ code: 'SAVE50000000', registeredAt: '2019-08-10T00:00:00Z', discountValue: '5000' })] }));
