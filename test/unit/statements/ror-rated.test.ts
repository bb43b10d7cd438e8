/** The detail rows of lines the rating engine makes (ROR catalog rows like the demo's), not built by hand. */
import { describe, expect, it } from 'vitest';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import { buildRorFiles } from '../../../src/statements/ror-files.ts';
import type { StatementView } from '../../../src/statements/view.ts';
import { ROR, input, usage, version } from '../../helpers/rating.ts';

const catalog = [
  version({
    productId: 'TE-0001',
    category: 'template',
    resourceIdentifier: 'TE_01',
    unitCode: 'month',
    unitPrice: '200',
    chargeType: 'monthly_fixed',
  }),
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
  version({
    productId: 'DK-0001',
    category: 'disk',
    resourceIdentifier: '/StragePool',
    unitCode: 'hour',
    unitPrice: '8.75',
  }),
];
const server = { resourceId: 'serverId001', resourceName: 'serverId001', resourceKind: 'virtual_server' };

describe('ROR rows from rated lines', () => {
  it('template, image, CPU, memory and disk rows in the seed form', () => {
    const tree = ratePeriod(
      input({
        catalog,
        policy: ROR,
        usage: [
          usage({
            productId: 'TE-0001',
            resourceId: 'LP1',
            resourceName: 'template-LP1',
            resourceKind: 'template',
            start: '2026-10-01T00:00:00Z',
            end: '2026-10-10T00:00:00Z',
          }),
          usage({
            ...server,
            productId: 'VM-0001',
            timeKind: 'operating',
            start: '2026-10-02T00:00:00Z',
            end: '2026-10-02T05:00:00Z',
          }),
          usage({
            ...server,
            productId: 'CPU-0001',
            start: '2026-10-02T00:00:00Z',
            end: '2026-10-02T18:03:00Z',
            cpuCount: 1,
            clockGhz: '1',
          }),
          usage({
            ...server,
            productId: 'ME-0001',
            start: '2026-10-02T00:00:00Z',
            end: '2026-10-02T18:00:00Z',
            sizeGb: '10',
          }),
          usage({
            ...server,
            component: 'disk001',
            productId: 'DK-0001',
            start: '2026-10-02T00:00:00Z',
            end: '2026-10-02T18:00:00Z',
            sizeGb: '10',
          }),
        ],
      }),
    );
    const view: StatementView = {
      tenant: { name: 'T1', displayName: 'T one', deletedAt: null, locale: 'ja', currency: 'JPY' },
      status: 'fixed',
      madeAt: 0,
      tree,
    };
    const files = buildRorFiles(view, { encoding: 'utf8', currencySymbol: '\\' });
    expect(files.detailFiles.map((f) => f.name)).toEqual(['202610_LP1.csv']);
    const rows = files.detailFiles[0]!.bytes.toString('utf8')
      .split('\r\n')
      .slice(2, -1)
      .map((r) => r.slice('"","","","","","","",,"",'.length));
    // (1.6667 + 0.556 x 10) x 1083 / 60 = 130.44735 -> 130; 20 x 10 x 18 = 3600; 8.75 x 10 x 18 = 1575.
    expect(rows.sort()).toEqual(
      [
        '"Template","","TE_01","-","\\200.0000/month","1 month",200',
        '"Virtual server(serverId001)","","image001","-","\\1.2000/h","5h",6',
        '"Virtual server(serverId001)","CPU","/VMPool","1core,1GHz","\\1.6667,\\0.5560/h","18h3m",130',
        '"Virtual server(serverId001)","Disk Capacity","/StragePool","10GB","\\8.7500/h","18h",1575',
        '"Virtual server(serverId001)","Memory capacity","/VMPool","10GB","\\20.0000/h","18h",3600',
      ].sort(),
    );
  });
});
