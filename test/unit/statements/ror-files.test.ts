/** The ROR list and detail files: the seed 003 examples byte for byte, and the rules of every column. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.ts';
import {
  buildRorFiles,
  defaultCurrencySymbol,
  formatTimestamp,
  formatUnitPrice,
  formatUsedFrequency,
  itemColumns,
  type RorFileOptions,
} from '../../../src/statements/ror-files.ts';
import { line, lplatform, resource, seedDetailView, seedListView, tokyo, view } from './support.ts';

const YEN: RorFileOptions = { encoding: 'utf8', currencySymbol: '\\' };
const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/ror/${name}`, import.meta.url));
const rowsOf = (bytes: Buffer): string[] => bytes.toString('utf8').split('\r\n');

describe('seed 003 examples, byte for byte', () => {
  it('the list file of tenant01 (deleted, 1800 = 1000 + 800, one L-Platform returned)', () => {
    const files = buildRorFiles(seedListView(), YEN);
    expect(files.listFile.name).toBe('201202_TNT00001_20120201.csv');
    expect(files.zipName).toBe('201202_TNT00001_20120201.zip');
    const golden = fixture('201202_TNT00001_20120201.csv');
    expect(golden.includes('\r\n')).toBe(true); // the fixture kept its CRLF line ends
    expect(files.listFile.bytes.equals(golden)).toBe(true);
  });

  it('the detail file: the first row, the template row, the image rows and every other seed row', () => {
    const files = buildRorFiles(seedDetailView(), YEN);
    expect(files.detailFiles.map((f) => f.name)).toEqual(['201202_TNT00002-LPlatform01.csv']);
    const golden = fixture('201202_TNT00002-LPlatform01.csv');
    const rows = rowsOf(files.detailFiles[0]!.bytes);
    expect(rows[2]).toBe('"","","","","","","",,"","Template","","TE_01","-","\\200.0000/month","1 month",200');
    expect(rows[3]).toBe(
      '"","","","","","","",,"","Virtual server(serverId001)","","image001","-","\\1.2000/h","5h",6',
    );
    expect(files.detailFiles[0]!.bytes.equals(golden)).toBe(true);
  });

  it('UTF-8 without a BOM, CRLF after every line', () => {
    const bytes = buildRorFiles(seedListView(), YEN).listFile.bytes;
    expect(bytes.subarray(0, 1).toString()).toBe('#');
    expect(bytes.toString('utf8').endsWith('\r\n')).toBe(true);
    expect(bytes.toString('utf8').replaceAll('\r\n', '').includes('\n')).toBe(false);
  });
});

describe('list and detail files', () => {
  const lps = [
    lplatform('LP-A', 'a', tokyo('2012-02-10 00:00:00.000'), dec(10), [
      resource('s1', 'virtual_server', [line({ charged: dec(10) })]),
    ]),
    lplatform('LP-B', 'b', null, dec(0)),
  ];

  it('every L-Platform gets a detail file, returned ones and empty ones included, in tree order', () => {
    const files = buildRorFiles(view({ lplatforms: lps }), YEN);
    expect(files.detailFiles.map((f) => f.name)).toEqual(['201202_LP-A.csv', '201202_LP-B.csv']);
    expect(rowsOf(files.detailFiles[1]!.bytes)).toEqual([
      expect.stringMatching(/^#TenantName,/),
      '"TNT00001","tenant01","","LP-B","b","","2012-02",0,"1.0","","","","","","",',
      '',
    ]);
  });

  it('no deletion date in the name of a tenant that is not deleted; empty dates as ""', () => {
    const files = buildRorFiles(view({ lplatforms: lps }), YEN);
    expect(files.listFile.name).toBe('201202_TNT00001.csv');
    expect(files.zipName).toBe('201202_TNT00001.zip');
    expect(rowsOf(files.listFile.bytes)[1]).toBe('"TNT00001","tenant01","","2012-02",10,"1.0","","","",');
  });

  it('dates and the deletion date of the name are in the billing time zone', () => {
    const deletedAt = Date.parse('2012-01-31T15:30:40.001Z'); // 2012-02-01 00:30:40.001 in Tokyo
    const inTokyo = buildRorFiles(view({ tenant: { deletedAt }, lplatforms: lps }), YEN);
    expect(inTokyo.listFile.name).toBe('201202_TNT00001_20120201.csv');
    expect(rowsOf(inTokyo.listFile.bytes)[1]).toContain('"2012-02-01 00:30:40.001"');
    const inUtc = buildRorFiles(view({ tenant: { deletedAt }, timeZone: 'UTC', lplatforms: lps }), YEN);
    expect(inUtc.listFile.name).toBe('201202_TNT00001_20120131.csv');
    expect(rowsOf(inUtc.listFile.bytes)[1]).toContain('"2012-01-31 15:30:40.001"');
    expect(formatTimestamp(Date.parse('2026-03-08T10:00:00.007Z'), 'America/New_York')).toBe('2026-03-08 06:00:00.007');
  });

  it('amounts show the currency minor digits (more when the exact value has more), negatives bare', () => {
    const usd = lplatform(
      'LP-A',
      'a',
      null,
      dec('12.5'),
      [],
      [
        line({
          kind: 'adjustment',
          resourceId: '',
          resourceKind: '',
          category: '',
          resourceIdentifier: '',
          unitCode: '',
          unitPrice: null,
          measure: {},
          note: 'outage credit',
          charged: dec('-0.5'),
        }),
      ],
    );
    const files = buildRorFiles(view({ currency: 'USD', lplatforms: [usd], total: dec('12.5') }), {
      encoding: 'utf8',
      currencySymbol: '$',
    });
    expect(rowsOf(files.listFile.bytes)[1]).toContain(',12.50,"1.0"');
    expect(rowsOf(files.detailFiles[0]!.bytes)[2]).toBe(
      '"","","","","","","",,"","L-Platform","Adjustment: outage credit","","-","","",-0.50',
    );
    const ecl = lplatform('LP-A', 'a', null, dec(7000), [
      resource('srv', 'virtual_server', [
        line({
          category: 'compute',
          unitCode: 'minute',
          unitPrice: dec('0.173612'),
          measure: { minutes: 3739 },
          charged: dec('649.135268'),
        }),
      ]),
    ]);
    expect(rowsOf(buildRorFiles(view({ lplatforms: [ecl] }), YEN).detailFiles[0]!.bytes)[2]).toMatch(
      /,"\\0\.173612\/min","3739min",649\.135268$/,
    );
  });

  it('quotes inside text are doubled', () => {
    const files = buildRorFiles(view({ tenant: { displayName: 'say "hi"' }, lplatforms: [] }), YEN);
    expect(rowsOf(files.listFile.bytes)[1]).toBe('"TNT00001","say ""hi""","","2012-02",0,"1.0","","","",');
  });
});

describe('UnitPrice', () => {
  it.each([
    ['a price per hour with 4 decimals', line({ unitPrice: dec('1.2') }), '\\1.2000/h'],
    [
      'a CPU: core and clock prices',
      line({ category: 'cpu', unitPrice: dec('1.6667'), clockPrice: dec('0.556') }),
      '\\1.6667,\\0.5560/h',
    ],
    [
      'an ECL price per minute keeps its 6 decimals',
      line({ unitCode: 'minute', unitPrice: dec('0.173612') }),
      '\\0.173612/min',
    ],
    ['per month', line({ unitCode: 'month', unitPrice: dec(200) }), '\\200.0000/month'],
    ['per year', line({ unitCode: 'year', unitPrice: dec(120000) }), '\\120000.0000/year'],
    ['per second', line({ unitCode: 'second', unitPrice: dec('0.0001') }), '\\0.0001/s'],
    ['per unit', line({ unitCode: 'unit', unitPrice: dec(3) }), '\\3.0000/unit'],
    ['a cap shows none', line({ kind: 'cap' }), ''],
    ['an adjustment shows none', line({ kind: 'adjustment', unitPrice: null }), ''],
  ])('%s', (_title, l, expected) => {
    expect(formatUnitPrice(l, '\\')).toBe(expected);
  });

  it('uses the configured symbol', () => {
    expect(formatUnitPrice(line({ category: 'cpu', unitPrice: dec('0.02'), clockPrice: dec('0.001') }), 'S$')).toBe(
      'S$0.0200,S$0.0010/h',
    );
    expect(defaultCurrencySymbol('JPY')).toBe('\\');
    expect(defaultCurrencySymbol('USD')).toBe('$');
  });
});

describe('UsedFrequency', () => {
  it.each([
    ['whole hours', line({ measure: { minutes: 1080 } }), '18h'],
    ['a partial hour', line({ measure: { minutes: 1083 } }), '18h3m'],
    ['under an hour', line({ measure: { minutes: 45 } }), '0h45m'],
    ['per minute', line({ unitCode: 'minute', measure: { minutes: 3739 } }), '3739min'],
    ['per second', line({ unitCode: 'second', measure: { minutes: 2 } }), '120s'],
    ['one run of a monthly fee', line({ kind: 'fee', unitCode: 'month', measure: { runs: 1 } }), '1 month'],
    ['two runs', line({ kind: 'fee', unitCode: 'month', measure: { runs: 2 } }), '2 months'],
    [
      'prorated by day',
      line({ kind: 'fee', unitCode: 'month', measure: { days: 10, daysInPeriod: 31 } }),
      '10/31 days',
    ],
    ['a quantity', line({ unitCode: 'unit', measure: { units: dec(3) } }), '3 units'],
    ['one unit', line({ unitCode: 'unit', measure: { units: dec(1) } }), '1 unit'],
    ['a free link shows none', line({ kind: 'free_link', measure: { runs: 1 } }), ''],
  ])('%s', (_title, l, expected) => {
    expect(formatUsedFrequency(l)).toBe(expected);
  });

  it.each([
    ['whole seconds (layout 2 and 1 alike)', line({ unitCode: 'second', measure: { seconds: 90 } }), '90s'],
    [
      'an allowance of an hourly product, in hours and minutes',
      line({ kind: 'allowance', measure: { units: dec('1083.5') } }),
      '18h3.5m',
    ],
    [
      'an allowance of a per-second product, in seconds',
      line({ kind: 'allowance', unitCode: 'second', measure: { units: dec('1.5') } }),
      '90s',
    ],
    ['a cap shows none', line({ kind: 'cap', measure: {} }), ''],
  ])('layout 2: %s', (_title, l, expected) => {
    expect(formatUsedFrequency(l, 2)).toBe(expected);
  });
});

describe('ItemColumn1-4', () => {
  it.each([
    ['an image', line(), ['Virtual server(serverId001)', '', 'image001', '-']],
    [
      'a physical server image',
      line({ resourceKind: 'physical_server', resourceId: 's2', resourceName: 's2', category: 'pm' }),
      ['Physical server(s2)', '', 'image001', '-'],
    ],
    [
      'a template',
      line({ resourceKind: 'template', category: 'template', resourceIdentifier: 'TE_01' }),
      ['Template', '', 'TE_01', '-'],
    ],
    [
      'a CPU',
      line({
        category: 'cpu',
        resourceIdentifier: '/VMPool',
        cpuCount: 2,
        clockGhz: dec('2.5'),
        clockPrice: dec('0.556'),
        multiplier: dec(2),
      }),
      ['Virtual server(serverId001)', 'CPU', '/VMPool', '2core,2.5GHz'],
    ],
    [
      'memory',
      line({ category: 'memory', resourceIdentifier: '/VMPool', sizeGb: dec(10), multiplier: dec(10) }),
      ['Virtual server(serverId001)', 'Memory capacity', '/VMPool', '10GB'],
    ],
    [
      'two disks of 10 GB',
      line({ category: 'disk', resourceIdentifier: '/StragePool', sizeGb: dec(10), multiplier: dec(20) }),
      ['Virtual server(serverId001)', 'Disk Capacity', '/StragePool', '10GB x2'],
    ],
    [
      'an ECL product',
      line({
        resourceKind: 'volume',
        resourceId: 'vol',
        resourceName: 'vol',
        category: 'volume',
        productName: '15GB',
        resourceIdentifier: '15GB',
      }),
      ['Volume(vol)', '15GB', '15GB', '-'],
    ],
    [
      'a rule note',
      line({
        resourceKind: 'license',
        resourceId: 'sql',
        resourceName: 'sql',
        category: 'license',
        productName: 'SQL Server',
        vcpu: 8,
        note: 'largest vCPU used: 8',
      }),
      ['License(sql)', 'SQL Server: largest vCPU used: 8', 'image001', '8vCPU'],
    ],
    [
      'a cap',
      line({ kind: 'cap', category: 'compute', note: 'monthly cap 7000' }),
      ['Virtual server(serverId001)', 'Monthly cap: monthly cap 7000', 'image001', '-'],
    ],
    [
      'an allowance',
      line({
        kind: 'allowance',
        resourceId: '',
        resourceName: '',
        resourceKind: '',
        category: 'network',
        resourceIdentifier: 'logical-network',
        note: '',
      }),
      ['L-Platform', 'Free allowance', 'logical-network', '-'],
    ],
    [
      'a free link',
      line({ kind: 'free_link', category: 'cic', note: '' }),
      ['Virtual server(serverId001)', 'Free link', 'image001', '-'],
    ],
    ['an unknown resource kind', line({ resourceKind: 'gpu' }), ['gpu(serverId001)', '', 'image001', '-']],
  ])('%s', (_title, l, expected) => {
    expect(itemColumns(l)).toEqual(expected);
  });
});
