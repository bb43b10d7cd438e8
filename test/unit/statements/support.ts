/** Builders for statement views by hand: charge lines, resources, L-Platforms and the seed 003 examples. */
import { dec, sum, type Decimal } from '../../../src/domain/money.ts';
import type { ChargeLine, LplatformCharges, ResourceCharges } from '../../../src/rating/types.ts';
import type { StatementTenant, StatementView } from '../../../src/statements/view.ts';

/** An instant given as a Tokyo wall-clock time `YYYY-MM-DD HH:mm:ss.SSS`. */
export const tokyo = (local: string): number => Date.parse(`${local.replace(' ', 'T')}+09:00`);

/** A usage line of a virtual server's image, 1.2 yen an hour for 5 hours, with any field replaced. */
export function line(p: Partial<ChargeLine> = {}): ChargeLine {
  return {
    kind: 'usage',
    lplatformId: 'LP1',
    resourceId: 'serverId001',
    resourceName: 'serverId001',
    resourceKind: 'virtual_server',
    component: '',
    productId: 'VM-0001',
    productName: 'Virtual server image001',
    priority: 0,
    category: 'vm',
    resourceIdentifier: 'image001',
    unitCode: 'hour',
    chargeType: 'metered',
    unitPrice: dec('1.2'),
    clockPrice: null,
    cpuCount: null,
    clockGhz: null,
    sizeGb: null,
    vmCount: null,
    vcpu: null,
    measure: { minutes: 300 },
    multiplier: dec(1),
    taxPercent: dec(0),
    note: '',
    amount: dec(6),
    charged: dec(6),
    display: { description: '', service: '', menu: '', submenu: '', plan: '', usageLabel: '' },
    ...p,
  };
}

/** A resource holding lines (its amount is their sum). */
export function resource(resourceId: string, resourceKind: string, lines: ChargeLine[]): ResourceCharges {
  return { resourceId, resourceName: resourceId, resourceKind, lines, amount: sum(lines.map((l) => l.charged)) };
}

/** An L-Platform with its amount given (the seed's amounts are not sums of its rows). */
export function lplatform(
  id: string,
  name: string,
  returnedAt: number | null,
  amount: Decimal,
  resources: ResourceCharges[] = [],
  lines: ChargeLine[] = [],
): LplatformCharges {
  return { lplatformId: id, lplatformName: name, returnedAt, region: '', resources, lines, sum: amount, amount };
}

/** A view of one billing month with the given L-Platforms and total. */
export function view(p: {
  tenant?: Partial<StatementTenant>;
  month?: string;
  timeZone?: string;
  lplatforms: LplatformCharges[];
  total?: Decimal;
  currency?: StatementTenant['currency'];
}): StatementView {
  const currency = p.currency ?? 'JPY';
  const total = p.total ?? sum(p.lplatforms.map((l) => l.amount));
  const tenant: StatementTenant = {
    name: 'TNT00001',
    displayName: 'tenant01',
    deletedAt: null,
    locale: 'ja',
    currency,
    ...p.tenant,
  };
  return {
    tenant,
    status: 'fixed',
    madeAt: Date.parse('2012-03-01T00:00:00Z'),
    tree: {
      tenantName: tenant.name,
      currency,
      preset: 'ror',
      lplatforms: p.lplatforms,
      tenantLines: [],
      period: { start: 0, end: 1, billingMonth: p.month ?? '2012-02', timeZone: p.timeZone ?? 'Asia/Tokyo' },
      beforeDiscount: total,
      discount: dec(0),
      subtotal: total,
      taxes: [],
      tax: dec(0),
      total,
    },
  };
}

/** The seed's list example: tenant01 deleted 2012-02-01, L-Platform 01 returned (1000), 02 (800), total 1800. */
export function seedListView(): StatementView {
  return view({
    tenant: { name: 'TNT00001', displayName: 'tenant01', deletedAt: tokyo('2012-02-01 09:30:40.001') },
    lplatforms: [
      lplatform('TNT00001-LPlatform01', 'template-TNT00001-LPlatform01', tokyo('2012-01-10 09:30:40.001'), dec(1000)),
      lplatform('TNT00001-LPlatform02', 'template-TNT00001-LPlatform02', null, dec(800)),
    ],
    total: dec(1800),
  });
}

/** A server's rows as the seed's detail example shows them: image, CPU, memory and three disks. */
function serverLines(server: string, kind: string, image: string, pool: string): ResourceCharges {
  const at = { resourceId: server, resourceName: server, resourceKind: kind };
  const hours = (h: number): { minutes: number } => ({ minutes: h * 60 });
  const disk = (identifier: string, price: string, h: number, charged: number): ChargeLine =>
    line({
      ...at,
      category: 'disk',
      resourceIdentifier: identifier,
      unitPrice: dec(price),
      sizeGb: dec(10),
      multiplier: dec(10),
      measure: hours(h),
      amount: dec(charged),
      charged: dec(charged),
    });
  return resource(server, kind, [
    line({ ...at, category: kind === 'physical_server' ? 'pm' : 'vm', resourceIdentifier: image }),
    line({
      ...at,
      category: 'cpu',
      resourceIdentifier: pool,
      unitPrice: dec('1.6667'),
      clockPrice: dec('0.556'),
      cpuCount: 1,
      clockGhz: dec(10),
      measure: hours(18),
      amount: dec(26),
      charged: dec(26),
    }),
    line({
      ...at,
      category: 'memory',
      resourceIdentifier: pool,
      unitPrice: dec(20),
      sizeGb: dec(10),
      multiplier: dec(10),
      measure: hours(18),
      amount: dec(360),
      charged: dec(360),
    }),
    disk('/StragePool', '8.75', 18, 158),
    disk('/StragePool2', '9', 2, 18),
    disk('/StragePool3', '9.723', 6, 59),
  ]);
}

/** The seed's detail example: the template, servers 001 and 003 (virtual) and 002 (physical). */
export function seedDetailView(): StatementView {
  const deleted = tokyo('2012-02-01 09:30:40.001');
  const template = resource('TNT00002-LPlatform01', 'template', [
    line({
      resourceId: 'TNT00002-LPlatform01',
      resourceName: 'template-TNT00002-LPlatform01',
      resourceKind: 'template',
      category: 'template',
      resourceIdentifier: 'TE_01',
      unitCode: 'month',
      chargeType: 'monthly_fixed',
      kind: 'fee',
      unitPrice: dec(200),
      measure: { runs: 1 },
      amount: dec(200),
      charged: dec(200),
    }),
  ]);
  return view({
    tenant: { deletedAt: deleted },
    lplatforms: [
      lplatform('TNT00002-LPlatform01', 'template-TNT00002-LPlatform01', deleted, dec(1000), [
        template,
        serverLines('serverId001', 'virtual_server', 'image001', '/VMPool'),
        serverLines('serverId003', 'virtual_server', 'image003', '/VMPool'),
        serverLines('serverId002', 'physical_server', 'image002', '/ServerPool'),
      ]),
    ],
    total: dec(1000),
  });
}
