/** The ECL exports: the seed 000 example rated and written in the tiered format (lines 4-22 byte for byte), the Detail and Summary rows. */
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.ts';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import type { CatalogVersion, ProductDisplay } from '../../../src/rating/types.ts';
import { DETAIL_COLUMNS, SUMMARY_COLUMNS, buildEclFile, type EclFormat } from '../../../src/statements/ecl-files.ts';
import { StatementFileError } from '../../../src/statements/csv.ts';
import type { StatementView } from '../../../src/statements/view.ts';
import { ECL, ROR, at, input, usage, version } from '../../helpers/rating.ts';
import { line, lplatform, resource, view } from './support.ts';

const SERVICE = 'Enterprise Cloud 2.0';
const display = (p: Partial<ProductDisplay>): ProductDisplay => ({
  description: '',
  service: SERVICE,
  menu: '',
  submenu: '',
  plan: '',
  usageLabel: '',
  ...p,
});

/** The seed's catalog (docs/charging.md section 9) with the names the public page shows. */
const catalog: CatalogVersion[] = [
  version({
    productId: 'EC-CMP-1C4G',
    category: 'compute',
    unitPrice: '0.173612',
    chargeType: 'capped_plan',
    monthlyCap: '7000',
    planGroup: 'flavor',
    timeBasis: 'operating',
    display: display({ menu: 'Virtual Server', submenu: 'Compute', plan: 'Flavor (1CPU-4GB)', usageLabel: 'Running' }),
  }),
  version({
    productId: 'EC-VOL-15G',
    category: 'volume',
    unitPrice: '0.014881',
    chargeType: 'capped',
    monthlyCap: '600',
    display: display({ menu: 'Virtual Server', submenu: 'Volume', plan: '15GB' }),
  }),
  version({
    productId: 'EC-NET',
    category: 'network',
    unitPrice: '0.074405',
    rule: 'network_allowance',
    ruleParams: { free_units: '5' },
    display: display({ menu: 'Logical Network', submenu: 'Network', description: 'ロジカルネットワーク5本相当' }),
  }),
  version({
    productId: 'EC-FW-VSRX',
    category: 'firewall',
    unitPrice: '0.694445',
    chargeType: 'capped_plan',
    monthlyCap: '28000',
    planGroup: 'fw',
    timeBasis: 'operating',
    display: display({
      menu: 'Firewall',
      submenu: 'Firewall Instance',
      plan: 'vSRX 15.1X49-D105.1 Standard (2CPU-4GB-8IF)',
    }),
  }),
  version({
    productId: 'EC-LB-VPX',
    category: 'load_balancer',
    unitPrice: '0.694445',
    chargeType: 'capped_plan',
    monthlyCap: '28000',
    planGroup: 'lb',
    timeBasis: 'operating',
    display: display({
      menu: 'Load Balancer',
      submenu: 'Load Balancer Instance',
      plan: 'NetScaler VPX 12.1-52.15 Standard_Edition (50Mbps 2CPU-8GB-4IF)',
    }),
  }),
];
const LP = 'xxxxxxxxxx';
const RES = 'xxxxxxxxxxxxxxxxxxx';
const minutes = (n: number): string => new Date(at('2019-08-01T00:00:00Z') + n * 60_000).toISOString();
const used = (
  productId: string,
  n: number,
  more: Partial<Parameters<typeof usage>[0]> = {},
): ReturnType<typeof usage> =>
  usage({
    lplatformId: LP,
    resourceId: RES,
    resourceName: RES,
    productId,
    start: minutes(0),
    end: minutes(n),
    ...more,
  });

/** The seed 000 example: tenant econ1000XXXXXX00001, August 2019 (UTC), ecl, estimated at 2019-08-30 07:25:38 UTC. */
function seedView(status: StatementView['status'] = 'estimated'): StatementView {
  const tree = ratePeriod(
    input({
      tenantName: 'econ1000XXXXXX00001',
      catalog,
      period: {
        start: at('2019-08-01T00:00:00Z'),
        end: at('2019-09-01T00:00:00Z'),
        billingMonth: '2019-08',
        timeZone: 'UTC',
      },
      policy: ECL,
      lplatforms: [{ id: LP, name: 'manual-tenant', returnedAt: null, region: 'jp1' }],
      usage: [
        used('EC-CMP-1C4G', 3739, { timeKind: 'operating', resourceKind: 'virtual_server' }),
        used('EC-VOL-15G', 3739, { resourceName: 'xxxxxxxxx', resourceKind: 'volume' }),
        used('EC-NET', 3741, { resourceKind: 'network' }),
        used('EC-FW-VSRX', 3714, { timeKind: 'operating', resourceKind: 'firewall' }),
        used('EC-LB-VPX', 3725, { timeKind: 'operating', resourceKind: 'load_balancer' }),
      ],
    }),
  );
  return {
    tenant: {
      name: 'econ1000XXXXXX00001',
      displayName: 'econ1000XXXXXX',
      deletedAt: null,
      locale: 'ja',
      currency: 'JPY',
    },
    status,
    madeAt: at('2019-08-30T07:25:38Z'),
    tree,
  };
}

const UTF8 = { encoding: 'utf8' } as const;
const linesOf = (
  format: EclFormat,
  views: StatementView[],
  options: { encoding: 'utf8' | 'cp932' } = UTF8,
): string[] => {
  const text = buildEclFile(format, views, options).toString('utf8');
  expect(text.endsWith('\r\n')).toBe(true);
  return text.slice(0, -2).split('\r\n');
};
/** A CSV line's cells (quotes removed); enough for these rows, which hold no commas inside quotes. */
const cells = (row: string): string[] => row.split(',').map((c) => c.replace(/^"(.*)"$/, '$1'));

describe('ecl-tiered: the seed 000 example', () => {
  const bytes = buildEclFile('ecl-tiered', [seedView()], UTF8);
  const rows = bytes.toString('utf8').split('\r\n').slice(0, -1);

  it('billing item lines 4-22 are the seed lines byte for byte', () => {
    const golden = readFileSync(new URL('../../fixtures/ecl/tiered-items.csv', import.meta.url));
    expect(golden.includes('\r\n')).toBe(true);
    expect(
      Buffer.from(
        rows
          .slice(3, 22)
          .map((r) => `${r}\r\n`)
          .join(''),
        'utf8',
      ).equals(golden),
    ).toBe(true);
  });

  it('numbers its lines as the seed does: month 1, contract 2, break 3, items 4-22, status 23, break 24, created 25, end 26', () => {
    expect(rows).toHaveLength(26);
    expect(rows[0]).toBe('1,1,"Billing Month","2019-08","","",""');
    expect(rows[1]).toBe('2,5,"Contract Identifier","econ1000XXXXXX00001","econ1000XXXXXX00001","",""');
    expect(rows[2]).toBe('3,0,"","","","",""');
    expect(rows[22]).toBe('23,4,"Billing Status","estimated","","",""');
    expect(rows[23]).toBe('24,0,"","","","",""');
    expect(rows[24]).toBe('25,2,"File Create Date","2019-08-30 07:25:38 UTC","","",""');
    expect(rows[25]).toBe('26,6,26,"","","",""');
    rows.forEach((r, i) => expect(r.startsWith(`${i + 1},`)).toBe(true));
  });

  it('says fixed for a finalized statement', () => {
    expect(linesOf('ecl-tiered', [seedView('fixed')])[22]).toBe('23,4,"Billing Status","fixed","","",""');
  });

  it('writes English labels for an en tenant', () => {
    const v = seedView();
    v.tenant = { ...v.tenant, locale: 'en' };
    const en = linesOf('ecl-tiered', [v]);
    expect(en[3]).toBe('4,3,1,"Total","CustomerNumber:econ1000XXXXXX00001 [econ1000XXXXXX]","","6339"');
    expect(en[4]).toBe('5,3,2,"  Tenant","Id:xxxxxxxxxx, Name:manual-tenant, RegionId:jp1","","5870"');
    expect(en[14]).toBe('15,3,5,"        Free allowance","ロジカルネットワーク5本相当","","-278.349105"');
    expect(en[21]).toBe('22,3,2,"  Consumption tax","Tax classification:Total Tax rate:8%","","469"');
  });

  it('writes one block per statement, each numbered from 1', () => {
    const two = linesOf('ecl-tiered', [seedView(), seedView('fixed')]);
    expect(two).toHaveLength(52);
    expect(two[26]).toBe('1,1,"Billing Month","2019-08","","",""');
    expect(two[51]).toBe('26,6,26,"","","",""');
  });

  it('is the same text in cp932', () => {
    const cp = buildEclFile('ecl-tiered', [seedView()], { encoding: 'cp932' });
    expect(iconv.decode(cp, 'cp932')).toBe(bytes.toString('utf8'));
    expect(cp.equals(bytes)).toBe(false);
  });
});

describe('ecl-tiered: shapes the seed does not show', () => {
  it('puts usage labels right below the resource when there is no plan, and prorated fees in days', () => {
    const server = line({
      resourceId: 'srv',
      resourceName: 'web-1',
      category: 'compute',
      measure: { minutes: 90 },
      amount: dec('1.5'),
      charged: dec('1.5'),
      display: display({ menu: 'Virtual Server', submenu: 'Compute', usageLabel: 'Running' }),
    });
    const vpn = line({
      resourceId: 'vpn',
      resourceName: 'vpn',
      category: 'vpn',
      kind: 'fee',
      measure: { days: 10, daysInPeriod: 31 },
      amount: dec(100),
      charged: dec(100),
      display: display({ menu: 'VPN', submenu: 'Multi-Cloud Connect' }),
    });
    const adjustment = line({
      kind: 'adjustment',
      productId: '',
      resourceId: '',
      resourceName: '',
      category: '',
      note: 'outage credit',
      amount: dec(-50),
      charged: dec(-50),
      display: { description: '', service: '', menu: '', submenu: '', plan: '', usageLabel: '' },
    });
    const v = view({
      lplatforms: [
        lplatform(
          'LP1',
          'one',
          null,
          dec('51.5'),
          [resource('srv', 'virtual_server', [server]), resource('vpn', 'vpn', [vpn])],
          [adjustment],
        ),
      ],
    });
    const rows = linesOf('ecl-tiered', [v]);
    expect(rows.slice(3, 13)).toEqual([
      '4,3,1,"合計","CustomerNumber:TNT00001 [tenant01]","","51.5"',
      '5,3,2,"  テナント","Id:LP1, Name:one, RegionId:","","51.5"',
      '6,3,3,"    Enterprise Cloud 2.0","","","51.5"',
      '7,3,4,"      Virtual Server","","","1.500000"',
      '8,3,5,"        Compute","Id:srv, Name:web-1","1","1.500000"',
      '9,3,6,"          Running","","90 Min","1.500000"',
      '10,3,4,"      VPN","","","100.000000"',
      '11,3,5,"        Multi-Cloud Connect","Id:vpn","10 Day","100.000000"',
      '12,3,4,"      調整額","outage credit","","-50.000000"',
      '13,4,"Billing Status","fixed","","",""',
    ]);
  });

  it('shows a free link as a free line naming the link, and a product without display names by its name and kind', () => {
    const cic = display({
      menu: 'Colocation Connection',
      submenu: 'CIC',
      plan: '1Gbps',
      description: 'first link free',
    });
    const fee = line({
      resourceId: 'cic-1',
      resourceName: 'cic-1',
      category: 'cic',
      kind: 'fee',
      measure: { runs: 1 },
      amount: dec(54000),
      charged: dec(54000),
      display: cic,
    });
    const free = line({
      ...fee,
      kind: 'free_link',
      measure: { runs: 1 },
      amount: dec(-54000),
      charged: dec(-54000),
      note: 'free: the first 1 link(s)',
    });
    const v = view({
      lplatforms: [
        lplatform('LP1', 'one', null, dec(6), [
          resource('cic-1', 'cic', [fee, free]),
          resource('serverId001', 'virtual_server', [line()]),
        ]),
      ],
    });
    expect(linesOf('ecl-tiered', [v]).slice(5, 14)).toEqual([
      '6,3,3,"    Enterprise Cloud 2.0","","","6"',
      '7,3,4,"      Virtual server image001","","","6.000000"',
      '8,3,5,"        Virtual server","Id:serverId001","300 Min","6.000000"',
      '9,3,4,"      Colocation Connection","","","0.000000"',
      '10,3,5,"        CIC","Id:cic-1","1","54000.000000"',
      '11,3,6,"          1Gbps","","1 Month","54000.000000"',
      '12,3,5,"        無料利用分","first link free, Id:cic-1","","-54000.000000"',
      '13,4,"Billing Status","fixed","","",""',
      '14,0,"","","","",""',
    ]);
  });

  it('neutralizes text cells against formulas but keeps negative amounts as they are', () => {
    const credit = line({
      kind: 'adjustment',
      productId: '',
      resourceId: '',
      note: '=HYPERLINK("x")',
      amount: dec(-5),
      charged: dec(-5),
    });
    const v = view({
      tenant: { name: '=1+1', displayName: '@x' },
      lplatforms: [lplatform('LP1', '-one', null, dec(-5), [], [credit])],
    });
    const rows = linesOf('ecl-tiered', [v]);
    expect(rows[1]).toBe('2,5,"Contract Identifier","\'=1+1","\'=1+1","",""');
    expect(rows[3]).toBe('4,3,1,"合計","CustomerNumber:=1+1 [@x]","","-5"');
    expect(rows).toContain('7,3,4,"      調整額","\'=HYPERLINK(""x"")","","-5.000000"');
  });
});

describe('ecl-detail', () => {
  const rows = linesOf('ecl-detail', [seedView()]);

  it("has the seed's 22 columns in its order under English names", () => {
    expect(rows[0]).toBe(
      'ChargeType,ContractId,ExternalContractId,WorkspaceId,WorkspaceName,TenantId,CalculationUnitId,Category,Subcategory,Menu,DetailedMenu,Plan,Region,Description,ResourceId,Usage,Unit,Amount,Currency,TaxClassification,TargetMonth,Status',
    );
    expect(DETAIL_COLUMNS).toHaveLength(22);
    for (const r of rows.slice(1)) expect(cells(r)).toHaveLength(22);
  });

  it('writes a row per charge line (the allowance included) and a row per tax rate', () => {
    expect(rows.slice(1)).toEqual([
      '"usage","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","EC-CMP-1C4G","Enterprise Cloud 2.0","Virtual Server","Compute","Running","Flavor (1CPU-4GB)","jp1","EC-CMP-1C4G","xxxxxxxxxxxxxxxxxxx",3739,"min",649.135268,"JPY","total","2019-08","estimated"',
      '"usage","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","EC-FW-VSRX","Enterprise Cloud 2.0","Firewall","Firewall Instance","","vSRX 15.1X49-D105.1 Standard (2CPU-4GB-8IF)","jp1","EC-FW-VSRX","xxxxxxxxxxxxxxxxxxx",3714,"min",2579.168730,"JPY","total","2019-08","estimated"',
      '"usage","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","EC-LB-VPX","Enterprise Cloud 2.0","Load Balancer","Load Balancer Instance","","NetScaler VPX 12.1-52.15 Standard_Edition (50Mbps 2CPU-8GB-4IF)","jp1","EC-LB-VPX","xxxxxxxxxxxxxxxxxxx",3725,"min",2586.807625,"JPY","total","2019-08","estimated"',
      '"usage","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","EC-NET","Enterprise Cloud 2.0","Logical Network","Network","","","jp1","ロジカルネットワーク5本相当","xxxxxxxxxxxxxxxxxxx",3741,"min",278.349105,"JPY","total","2019-08","estimated"',
      '"usage","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","EC-VOL-15G","Enterprise Cloud 2.0","Virtual Server","Volume","","15GB","jp1","EC-VOL-15G","xxxxxxxxxxxxxxxxxxx",3739,"min",55.640059,"JPY","total","2019-08","estimated"',
      '"allowance","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","EC-NET","Enterprise Cloud 2.0","Logical Network","Network","","","jp1","free allowance: 5 EC-NET equivalents per L-Platform","",,"",-278.349105,"JPY","total","2019-08","estimated"',
      '"tax","econ1000XXXXXX00001","econ1000XXXXXX","","","","","","","","","","","消費税相当額 税区分:合算 消費税率:8%","",5870,"JPY",469,"JPY","total","2019-08","estimated"',
    ]);
  });

  it('says fixed for a finalized statement, none as the tax classification when tax is off, and concatenates statements under one header', () => {
    const fixed = linesOf('ecl-detail', [seedView(), seedView('fixed')]);
    expect(fixed).toHaveLength(1 + 7 + 7);
    expect(fixed.filter((r) => r.startsWith('ChargeType,'))).toHaveLength(1);
    expect(fixed.slice(1, 8).every((r) => r.endsWith(',"estimated"'))).toBe(true);
    expect(fixed.slice(8).every((r) => r.endsWith(',"fixed"'))).toBe(true);
    const ror = view({
      lplatforms: [lplatform('LP1', 'one', null, dec(6), [resource('serverId001', 'virtual_server', [line()])])],
    });
    const rorRows = linesOf('ecl-detail', [ror]);
    expect(rorRows).toHaveLength(2);
    expect(cells(rorRows[1]!).slice(15)).toEqual(['300', 'min', '6', 'JPY', 'none', '2012-02', 'fixed']);
  });
});

describe('ecl-summary', () => {
  it('writes a row per workspace, the tax and the total', () => {
    const rows = linesOf('ecl-summary', [seedView()]);
    expect(rows[0]).toBe(SUMMARY_COLUMNS.join(','));
    expect(rows[0]).toBe(
      'RowType,ContractId,ExternalContractId,WorkspaceId,WorkspaceName,TenantId,Region,Description,Amount,Currency,TargetMonth,Status',
    );
    expect(rows.slice(1)).toEqual([
      '"workspace","econ1000XXXXXX00001","econ1000XXXXXX","xxxxxxxxxx","manual-tenant","xxxxxxxxxx","jp1","",5870,"JPY","2019-08","estimated"',
      '"tax","econ1000XXXXXX00001","econ1000XXXXXX","","","","","税区分:合算 消費税率:8%",469,"JPY","2019-08","estimated"',
      '"total","econ1000XXXXXX00001","econ1000XXXXXX","","","","","",6339,"JPY","2019-08","estimated"',
    ]);
    expect(
      linesOf('ecl-summary', [seedView('fixed')])
        .slice(1)
        .every((r) => r.endsWith(',"fixed"')),
    ).toBe(true);
  });

  it('shows tenant-level coupons and adjustments with their notes', () => {
    const tree = ratePeriod(
      input({
        catalog: [version({ productId: 'P', unitPrice: '1', unitCode: 'minute' })],
        usage: [usage({ productId: 'P', start: '2026-10-01T00:00:00Z', end: '2026-10-01T01:40:00Z' })],
        adjustments: [{ id: 'a1', lplatformId: null, amount: dec(-10), reason: 'goodwill', originalMonth: null }],
        policy: ROR,
      }),
    );
    const v: StatementView = {
      tenant: { name: 'T1', displayName: 'One', deletedAt: null, locale: 'en', currency: 'JPY' },
      status: 'estimated',
      madeAt: 0,
      tree,
    };
    expect(linesOf('ecl-summary', [v]).slice(1)).toEqual([
      '"workspace","T1","One","LP1","platform one","LP1","","",100,"JPY","2026-10","estimated"',
      '"adjustment","T1","One","","","","","goodwill",-10,"JPY","2026-10","estimated"',
      '"total","T1","One","","","","","",90,"JPY","2026-10","estimated"',
    ]);
  });
});

describe('encoding', () => {
  it('refuses a character cp932 cannot hold, naming the row and column', () => {
    const v = view({
      tenant: { displayName: 'snow 😀' },
      lplatforms: [lplatform('LP1', 'one', null, dec(6), [resource('serverId001', 'virtual_server', [line()])])],
    });
    expect(() => buildEclFile('ecl-summary', [v], { encoding: 'cp932', fileName: 'out.csv' })).toThrow(
      StatementFileError,
    );
    expect(() => buildEclFile('ecl-summary', [v], { encoding: 'cp932', fileName: 'out.csv' })).toThrow(
      /^out\.csv: row 2, column ExternalContractId: "😀" \(U\+1F600\) cannot be written in cp932$/,
    );
    expect(buildEclFile('ecl-summary', [v], UTF8).toString('utf8')).toContain('"snow 😀"');
  });
});
