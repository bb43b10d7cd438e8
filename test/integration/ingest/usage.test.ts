/** Import kind `usage`: intervals and quantities, their references, overlaps, record IDs and finalized months. */
import { beforeEach, describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { RESOURCE_KINDS } from '../../../src/domain/vocabulary.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, insertFixedStatement, rows, useStore } from './support.ts';

const COLUMNS = [
  'record_id',
  'tenant_name',
  'lplatform_id',
  'resource_id',
  'resource_name',
  'resource_kind',
  'component',
  'product_id',
  'time_kind',
  'start_at',
  'end_at',
  'quantity',
  'cpu_count',
  'clock_ghz',
  'size_gb',
  'vm_count',
  'vcpu',
] as const;
type Column = (typeof COLUMNS)[number];
type Row = Partial<Record<Column, string>>;
const BASE: Record<Column, string> = {
  record_id: 'R1',
  tenant_name: 'T1',
  lplatform_id: 'LP1',
  resource_id: 'vm-001',
  resource_name: 'web server',
  resource_kind: 'virtual_server',
  component: '',
  product_id: 'VM-1',
  time_kind: 'operating',
  start_at: '2026-10-01T00:00:00Z',
  end_at: '2026-10-02T00:00:00Z',
  quantity: '',
  cpu_count: '',
  clock_ghz: '',
  size_gb: '',
  vm_count: '',
  vcpu: '',
};
const file = (...overrides: Row[]): string => rows(COLUMNS, BASE, ...overrides);
/** A quantity record of the per-unit product ALARM. */
const ALARM: Row = {
  product_id: 'ALARM',
  resource_kind: 'monitoring',
  resource_id: 'alarm-1',
  time_kind: 'quantity',
  end_at: '',
  quantity: '3',
};

/** A USD product, for T2 (billed in USD); every product of seedBase is priced in JPY. */
const USD_PRODUCT =
  'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,time_basis,currency\n' +
  'VM-U,0,2020-01-01T00:00:00Z,vm,image-usd,hour,0.05,Virtual server (USD),operating,USD\n';

const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';
const NOT_DECIMAL = 'is not a decimal number (digits, an optional point and fraction; no exponent or separators)';
const OVERLAP =
  'overlaps record R1 of the same resource, component, product and time kind; usage is never counted twice';
const FINALIZED =
  'start_at: falls in 2026-10, which is already finalized for tenant T1; import it with --as-adjustment to book it in the next open month';

let db: Db;
useStore(true, (s) => (db = s.db));

function records(): Record<string, unknown>[] {
  return connection(db)
    .prepare('SELECT record_id, start_at, end_at, quantity FROM usage_records ORDER BY usage_pk')
    .all() as Record<string, unknown>[];
}

/** Expects the one-row file `row` to be refused with `field: message` on line 2. */
async function refusesRow(row: Row, field: string, message: string): Promise<void> {
  await expectRefused(db, 'usage', file(row), `usage.csv:2: ${field}: ${message}`);
}

describe('usage: valid rows', () => {
  it('inserts an interval with its instants in canonical UTC and quantity 1', async () => {
    const result = await importText(
      db,
      'usage',
      file({ start_at: '2026-10-01T09:00:00+09:00', end_at: '2026-10-02T09:00:00+0900' }),
    );
    expect(result).toMatchObject({ kind: 'usage', rows: 1, inserted: 1, updated: 0, unchanged: 0 });
    expect(records()).toEqual([
      { record_id: 'R1', start_at: '2026-10-01T00:00:00.000Z', end_at: '2026-10-02T00:00:00.000Z', quantity: '1' },
    ]);
  });

  it('inserts a quantity at an instant', async () => {
    await importText(db, 'usage', file({ ...ALARM, quantity: '2.500' }));
    expect(records()).toEqual([
      { record_id: 'R1', start_at: '2026-10-01T00:00:00.000Z', end_at: null, quantity: '2.5' },
    ]);
  });

  it('accepts each product with the configuration it needs', async () => {
    const result = await importText(
      db,
      'usage',
      file(
        {
          record_id: 'cpu.1',
          product_id: 'CPU-1',
          time_kind: 'deployed',
          component: 'cpu',
          cpu_count: '4',
          clock_ghz: '2.6',
        },
        { record_id: 'mem.1', product_id: 'MEM-1', time_kind: 'deployed', component: 'memory', size_gb: '16' },
        { record_id: 'cmp:1', product_id: 'CMP-A', time_kind: 'operating' },
        { record_id: 'gi-1', product_id: 'GI-1', time_kind: 'deployed', resource_kind: 'guest_image', vm_count: '3' },
        { record_id: 'sql_1', product_id: 'SQL-4', time_kind: 'deployed', resource_kind: 'license', vcpu: '8' },
        { ...ALARM, record_id: 'alarm-1', quantity: '0' },
      ),
    );
    expect(result).toMatchObject({ rows: 6, inserted: 6 });
  });

  it('accepts a file with only the required columns and end_at', async () => {
    const text =
      'record_id,tenant_name,lplatform_id,resource_id,resource_kind,product_id,time_kind,start_at,end_at\n' +
      'R1,T1,LP1,vm-001,virtual_server,VM-1,operating,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z\n';
    expect(await importText(db, 'usage', text)).toMatchObject({ inserted: 1 });
  });
});

describe('usage: record_id', () => {
  const RULE = 'must be 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit';
  it.each([
    ['empty', '', 'is required'],
    ['starting with "-"', '-R1', RULE],
    ['with a space', 'R 1', RULE],
    ['with a slash', 'R/1', RULE],
    ['129 characters', 'R'.repeat(129), RULE],
  ])('refuses %s', async (_what, id, message) => {
    await refusesRow({ record_id: id }, 'record_id', message);
  });

  describe('re-used', () => {
    it('refuses a record ID imported before with other content', async () => {
      await importText(db, 'usage', file({}));
      await refusesRow(
        { end_at: '2026-10-03T00:00:00Z' },
        'record_id',
        'record R1 was imported before, or appears earlier in this file, with other content (end_at: "2026-10-02T00:00:00.000Z" -> "2026-10-03T00:00:00.000Z"); a record ID cannot be re-used',
      );
    });

    it('refuses a record ID used twice in one file with other content', async () => {
      await expectRefused(
        db,
        'usage',
        file({}, { resource_id: 'vm-002' }),
        'usage.csv:3: record_id: record R1 was imported before, or appears earlier in this file, with other content (resource_id: "vm-001" -> "vm-002"); a record ID cannot be re-used',
      );
    });

    it('accepts an identical duplicate line as unchanged', async () => {
      const result = await importText(db, 'usage', file({}, {}));
      expect(result).toMatchObject({ rows: 2, inserted: 1, unchanged: 1 });
      expect(records()).toHaveLength(1);
    });

    it('accepts an identical record written with other zones and number forms as unchanged', async () => {
      await importText(db, 'usage', file({ ...ALARM, quantity: '3' }));
      const result = await importText(
        db,
        'usage',
        file({ ...ALARM, quantity: '3.000', start_at: '2026-10-01T09:00:00+09:00' }),
      );
      expect(result).toMatchObject({ inserted: 0, unchanged: 1 });
    });
  });
});

describe('usage: tenant_name and lplatform_id', () => {
  it.each([
    ['empty', '', 'is required'],
    ['a path', '../T1', 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit'],
    ['a reserved device name', 'NUL', '"NUL" is a reserved device name'],
    ['an unknown tenant', 'T9', 'tenant "T9" does not exist (import tenants first)'],
  ])('refuses tenant_name %s', async (_what, name, message) => {
    await refusesRow({ tenant_name: name }, 'tenant_name', message);
  });

  it.each([
    ['empty', '', 'is required'],
    ['with a dot', 'LP.1', 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
    ['unknown', 'LP9', 'L-Platform "LP9" does not exist (import lplatforms first)'],
    ['of another tenant', 'LP2', 'L-Platform "LP2" does not belong to tenant T1'],
  ])('refuses lplatform_id %s', async (_what, id, message) => {
    await refusesRow({ lplatform_id: id }, 'lplatform_id', message);
  });
});

describe('usage: resource_id, resource_name, resource_kind, component', () => {
  it.each([
    ['resource_id', '', 'is required'],
    [
      'resource_id',
      '/vm-001',
      'must be 1-128 letters, digits, "_", ".", ":", "/" or "-", starting with a letter or digit',
    ],
    [
      'resource_id',
      'vm 001',
      'must be 1-128 letters, digits, "_", ".", ":", "/" or "-", starting with a letter or digit',
    ],
    ['resource_name', 'n'.repeat(129), 'is longer than 128 characters'],
    ['resource_name', 'web\tserver', CONTROL],
    ['resource_kind', '', 'is required'],
    ['resource_kind', 'vm', `must be one of ${RESOURCE_KINDS.join(', ')}`],
    ['component', 'disk 0', 'must be 1-128 letters, digits, "_", ".", ":", "/" or "-"'],
  ] as const)('refuses %s %j', async (field, value, message) => {
    await refusesRow({ [field]: value }, field, message);
  });
});

describe('usage: product_id and time_kind', () => {
  it('refuses a product priced in another currency than the tenant is billed in', async () => {
    await refusesRow(
      { tenant_name: 'T2', lplatform_id: 'LP2' },
      'product_id',
      'product VM-1 is priced in JPY; tenant T2 is billed in USD',
    );
  });

  it("accepts a product priced in the tenant's currency", async () => {
    await importText(db, 'catalog', USD_PRODUCT);
    expect(
      await importText(db, 'usage', file({ tenant_name: 'T2', lplatform_id: 'LP2', product_id: 'VM-U' })),
    ).toMatchObject({ inserted: 1 });
  });

  it.each([
    ['empty', '', 'is required'],
    ['with a space', 'VM 1', 'must be 1-16 letters, digits, "_" or "-"'],
    ['not in the catalog', 'NOPE', 'product "NOPE" is not in the catalog (import the catalog first)'],
  ])('refuses product_id %s', async (_what, id, message) => {
    await refusesRow({ product_id: id }, 'product_id', message);
  });

  it.each([
    ['empty', '', 'is required'],
    ['unknown', 'running', 'must be one of deployed, operating, quantity'],
  ])('refuses time_kind %s', async (_what, kind, message) => {
    await refusesRow({ time_kind: kind }, 'time_kind', message);
  });

  it.each([
    ['VM-1', 'deployed', 'operating'],
    ['CMP-A', 'deployed', 'operating'],
    ['CPU-1', 'operating', 'deployed'],
    ['GI-1', 'operating', 'deployed'],
  ])('refuses %s with %s time when the product charges %s time', async (product, kind, basis) => {
    await refusesRow(
      { product_id: product, time_kind: kind, cpu_count: '1', clock_ghz: '1', vm_count: '1' },
      'time_kind',
      `product ${product} charges ${basis} time; this record is ${kind} time`,
    );
  });

  it.each(['operating', 'deployed'])('refuses %s time for a per-unit product', async (kind) => {
    await refusesRow(
      { ...ALARM, time_kind: kind, end_at: '2026-10-02T00:00:00Z' },
      'time_kind',
      'product ALARM is priced per unit: its usage is a quantity',
    );
  });

  it.each([
    ['VM-1', 'hour'],
    ['CMP-A', 'minute'],
    ['GI-1', 'month'],
  ])('refuses a quantity of the time-priced product %s', async (product, unit) => {
    await refusesRow(
      { product_id: product, time_kind: 'quantity', end_at: '', quantity: '1', vm_count: '1' },
      'time_kind',
      `product ${product} is priced per ${unit}: its usage is deployed or operating time`,
    );
  });
});

describe('usage: start_at and end_at', () => {
  it.each([
    ['empty', '', 'is required'],
    [
      'without a zone',
      '2026-10-01T00:00:00',
      '"2026-10-01T00:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
    ],
    ['on 30 February', '2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z": day 30 does not exist in 2026-02'],
    ['at 25:00', '2026-10-01T25:00:00Z', '"2026-10-01T25:00:00Z": the time of day does not exist'],
    [
      'with 4 fraction digits',
      '2026-10-01T00:00:00.0001Z',
      '"2026-10-01T00:00:00.0001Z" is not an ISO 8601 instant with a time zone (at most 3 fraction digits)',
    ],
  ])('refuses start_at %s', async (_what, value, message) => {
    await refusesRow({ start_at: value }, 'start_at', message);
  });

  it.each([
    [
      'without a zone',
      '2026-10-02T00:00:00',
      '"2026-10-02T00:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
    ],
    ['at 25:00', '2026-10-01T25:00:00Z', '"2026-10-01T25:00:00Z": the time of day does not exist'],
  ])('refuses end_at %s', async (_what, value, message) => {
    await refusesRow({ end_at: value }, 'end_at', message);
  });

  it.each(['deployed', 'operating'])('requires end_at for %s time', async (kind) => {
    await refusesRow({ time_kind: kind, end_at: '' }, 'end_at', `is required for ${kind} time`);
  });

  it.each([
    ['before start_at', '2026-09-30T00:00:00Z'],
    ['equal to start_at', '2026-10-01T00:00:00Z'],
    ['equal to start_at in another zone', '2026-10-01T09:00:00+09:00'],
  ])('refuses end_at %s', async (_what, end) => {
    await refusesRow({ end_at: end }, 'end_at', 'must be after start_at');
  });

  it('requires end_at to be empty for a quantity', async () => {
    await refusesRow(
      { ...ALARM, end_at: '2026-10-02T00:00:00Z' },
      'end_at',
      'must be empty for a quantity (start_at is its instant)',
    );
  });
});

describe('usage: quantity', () => {
  it('is required when time_kind is quantity', async () => {
    await refusesRow({ ...ALARM, quantity: '' }, 'quantity', 'is required when time_kind is quantity');
  });

  it.each([
    ['negative', '-1', '"-1" must not be negative'],
    ['an exponent', '1e3', `"1e3" ${NOT_DECIMAL}`],
    ['13 digits before the point', '1234567890123', '"1234567890123" has more than 12 digits before the point'],
    ['7 digits after the point', '0.0000001', '"0.0000001" has more than 6 digits after the point'],
  ])('refuses a quantity that is %s', async (_what, quantity, message) => {
    await refusesRow({ ...ALARM, quantity }, 'quantity', message);
  });
});

describe('usage: configuration the product needs', () => {
  it('requires cpu_count and clock_ghz for a cpu product', async () => {
    await expectRefused(
      db,
      'usage',
      file({ product_id: 'CPU-1', time_kind: 'deployed' }),
      'usage.csv:2: cpu_count: is required for product CPU-1 (cpu)',
      'usage.csv:2: clock_ghz: is required for product CPU-1 (cpu)',
    );
  });

  it('requires clock_ghz alone when cpu_count is given', async () => {
    await refusesRow(
      { product_id: 'CPU-1', time_kind: 'deployed', cpu_count: '2' },
      'clock_ghz',
      'is required for product CPU-1 (cpu)',
    );
  });

  it('requires size_gb for a memory product', async () => {
    await refusesRow(
      { product_id: 'MEM-1', time_kind: 'deployed' },
      'size_gb',
      'is required for product MEM-1 (memory)',
    );
  });

  it('requires vm_count for a per_vm_flat product', async () => {
    await refusesRow(
      { product_id: 'GI-1', time_kind: 'deployed' },
      'vm_count',
      'is required for product GI-1 (per_vm_flat)',
    );
  });

  it('requires vcpu for a largest_vcpu product', async () => {
    await refusesRow(
      { product_id: 'SQL-4', time_kind: 'deployed' },
      'vcpu',
      'is required for product SQL-4 (largest_vcpu)',
    );
  });

  it.each([
    ['cpu_count', '0', 'must be a whole number from 1 to 4096'],
    ['cpu_count', '4097', 'must be a whole number from 1 to 4096'],
    ['cpu_count', 'four', 'must be a whole number from 1 to 4096'],
    ['clock_ghz', '0', 'must be more than 0'],
    ['clock_ghz', '0.000', 'must be more than 0'],
    ['clock_ghz', '2.6001', '"2.6001" has more than 3 digits after the point'],
    ['clock_ghz', '1000', '"1000" has more than 3 digits before the point'],
    ['size_gb', '-16', '"-16" must not be negative'],
    ['size_gb', '1e2', `"1e2" ${NOT_DECIMAL}`],
    ['vm_count', '0', 'must be a whole number from 1 to 100000'],
    ['vm_count', '100001', 'must be a whole number from 1 to 100000'],
    ['vcpu', '0', 'must be a whole number from 1 to 4096'],
    ['vcpu', '2.5', 'must be a whole number from 1 to 4096'],
  ] as const)('refuses %s %j', async (field, value, message) => {
    await refusesRow({ [field]: value }, field, message);
  });
});

describe('usage: deleted tenants and returned L-Platforms', () => {
  it.each([
    ['at the deletion', '2026-10-15T00:00:00Z', '2026-10-16T00:00:00Z'],
    ['after the deletion', '2026-10-20T00:00:00Z', '2026-10-21T00:00:00Z'],
  ])('refuses usage starting %s of its tenant', async (_what, start, end) => {
    await importText(
      db,
      'tenants',
      'tenant_name,display_name,cutoff_day,deleted_at\nT1,Tenant One,31,2026-10-15T09:00:00+09:00\n',
    );
    await refusesRow(
      { start_at: start, end_at: end },
      'start_at',
      'tenant T1 was deleted at 2026-10-15T00:00:00.000Z, before this usage starts',
    );
  });

  it('accepts usage starting before the deletion', async () => {
    await importText(
      db,
      'tenants',
      'tenant_name,display_name,cutoff_day,deleted_at\nT1,Tenant One,31,2026-10-15T00:00:00Z\n',
    );
    expect(
      await importText(db, 'usage', file({ start_at: '2026-10-14T00:00:00Z', end_at: '2026-10-15T00:00:00Z' })),
    ).toMatchObject({ inserted: 1 });
  });

  it.each([
    ['at the return', '2026-10-15T00:00:00Z'],
    ['after the return', '2026-10-25T00:00:00Z'],
  ])('refuses a quantity %s of its L-Platform', async (_what, start) => {
    await importText(
      db,
      'lplatforms',
      'lplatform_id,tenant_name,lplatform_name,returned_at\nLP1,T1,platform one,2026-10-15T00:00:00Z\n',
    );
    await refusesRow(
      { ...ALARM, start_at: start },
      'start_at',
      'L-Platform LP1 was returned at 2026-10-15T00:00:00.000Z, before this usage starts',
    );
  });

  it('accepts usage starting before the return', async () => {
    await importText(
      db,
      'lplatforms',
      'lplatform_id,tenant_name,lplatform_name,returned_at\nLP1,T1,platform one,2026-10-15T00:00:00Z\n',
    );
    expect(await importText(db, 'usage', file({ ...ALARM, start_at: '2026-10-14T23:59:59.999Z' }))).toMatchObject({
      inserted: 1,
    });
  });
});

describe('usage: overlaps', () => {
  beforeEach(async () => {
    await importText(db, 'usage', file({ start_at: '2026-10-01T00:00:00Z', end_at: '2026-10-02T00:00:00Z' }));
  });

  it.each([
    ['starting inside', '2026-10-01T12:00:00Z', '2026-10-03T00:00:00Z'],
    ['ending inside', '2026-09-30T00:00:00Z', '2026-10-01T00:00:00.001Z'],
    ['around it', '2026-09-30T00:00:00Z', '2026-10-03T00:00:00Z'],
    ['inside it', '2026-10-01T01:00:00Z', '2026-10-01T02:00:00Z'],
    ['the same interval', '2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z'],
  ])('refuses an interval %s another of the same slot', async (_what, start, end) => {
    await refusesRow({ record_id: 'R2', start_at: start, end_at: end }, 'start_at', OVERLAP);
  });

  it.each([
    ['ending where it starts', '2026-09-30T00:00:00Z', '2026-10-01T00:00:00Z'],
    ['starting where it ends', '2026-10-02T00:00:00Z', '2026-10-03T00:00:00Z'],
  ])('accepts an adjacent interval %s', async (_what, start, end) => {
    expect(await importText(db, 'usage', file({ record_id: 'R2', start_at: start, end_at: end }))).toMatchObject({
      inserted: 1,
    });
  });

  it.each([
    ['another component', { component: 'boot' }],
    ['another resource', { resource_id: 'vm-002' }],
    ['another product', { product_id: 'CMP-A' }],
  ] as [string, Row][])('accepts the same interval for %s', async (_what, change) => {
    expect(await importText(db, 'usage', file({ record_id: 'R2', ...change }))).toMatchObject({ inserted: 1 });
  });

  it('refuses an overlap between two records of one file', async () => {
    await expectRefused(
      db,
      'usage',
      file(
        { record_id: 'R2', resource_id: 'vm-002', start_at: '2026-10-05T00:00:00Z', end_at: '2026-10-06T00:00:00Z' },
        { record_id: 'R3', resource_id: 'vm-002', start_at: '2026-10-05T12:00:00Z', end_at: '2026-10-07T00:00:00Z' },
      ),
      'usage.csv:3: start_at: overlaps record R2 of the same resource, component, product and time kind; usage is never counted twice',
    );
  });

  it('accepts adjacent records within one file', async () => {
    const result = await importText(
      db,
      'usage',
      file(
        { record_id: 'R2', start_at: '2026-10-02T00:00:00Z', end_at: '2026-10-03T00:00:00Z' },
        { record_id: 'R3', start_at: '2026-10-03T09:00:00+09:00', end_at: '2026-10-04T00:00:00Z' },
      ),
    );
    expect(result).toMatchObject({ inserted: 2 });
  });
});

describe('usage: overlaps among several records of one slot', () => {
  const day = (d: number, h = 0): string => new Date(Date.UTC(2026, 9, d, h)).toISOString();
  beforeEach(async () => {
    // A [2, 3), B [5, 6), C [8, 9) October, with gaps between them.
    await importText(
      db,
      'usage',
      file(
        { record_id: 'A', start_at: day(2), end_at: day(3) },
        { record_id: 'B', start_at: day(5), end_at: day(6) },
        { record_id: 'C', start_at: day(8), end_at: day(9) },
      ),
    );
  });

  it.each([
    ['the end of the first', day(2, 12), day(4), 'A'],
    ['the middle one only', day(5, 1), day(5, 2), 'B'],
    ['the middle one, ending in a gap', day(4), day(5, 1), 'B'],
    ['the start of the last', day(7), day(8, 1), 'C'],
    ['all of them', day(1), day(10), 'C'],
    ['the first, from before it to the gap after it', day(1), day(4), 'A'],
  ])('refuses an interval overlapping %s', async (_what, start, end, other) => {
    await refusesRow(
      { record_id: 'N', start_at: start, end_at: end },
      'start_at',
      `overlaps record ${other} of the same resource, component, product and time kind; usage is never counted twice`,
    );
  });

  it.each([
    ['inside the first gap', day(3, 1), day(4, 23)],
    ['filling the first gap exactly', day(3), day(5)],
    ['before all', day(1), day(2)],
    ['after all', day(9), day(10)],
  ])('accepts an interval %s', async (_what, start, end) => {
    expect(await importText(db, 'usage', file({ record_id: 'N', start_at: start, end_at: end }))).toMatchObject({
      inserted: 1,
    });
  });

  it('refuses a later row of a file that overlaps an earlier row which filled a gap', async () => {
    await expectRefused(
      db,
      'usage',
      file(
        { record_id: 'G1', start_at: day(3), end_at: day(5) },
        { record_id: 'G2', start_at: day(4), end_at: day(4, 12) },
      ),
      'usage.csv:3: start_at: overlaps record G1 of the same resource, component, product and time kind; usage is never counted twice',
    );
  });
});

describe('usage: finalized months', () => {
  beforeEach(() => insertFixedStatement(db, 'T1'));

  it.each([
    ['inside the month', '2026-10-10T00:00:00Z', '2026-10-11T00:00:00Z'],
    ['starting at period_start', '2026-10-01T00:00:00Z', '2026-10-01T01:00:00Z'],
    ['reaching into the month', '2026-09-30T00:00:00Z', '2026-10-01T00:00:00.001Z'],
    ['spanning the whole month', '2026-09-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  ])('refuses an interval %s with a hint to use --as-adjustment', async (_what, start, end) => {
    const issues = await expectRefused(
      db,
      'usage',
      file({ start_at: start, end_at: end }),
      `usage.csv:2: ${FINALIZED}`,
    );
    expect(issues[0]).toContain('--as-adjustment');
  });

  it('refuses a quantity at period_start', async () => {
    await refusesRow({ ...ALARM, start_at: '2026-10-01T00:00:00Z' }, 'start_at', FINALIZED.slice('start_at: '.length));
  });

  it.each([
    ['an interval starting at period_end', { start_at: '2026-11-01T00:00:00Z', end_at: '2026-11-02T00:00:00Z' }],
    ['a quantity at period_end', { ...ALARM, start_at: '2026-11-01T00:00:00Z' }],
  ] as [string, Row][])('accepts %s', async (_what, row) => {
    expect(await importText(db, 'usage', file(row))).toMatchObject({ inserted: 1 });
  });

  // Before the first finalized month there is no period any more: such usage would be billed nowhere.
  it.each([
    ['an interval ending at period_start', { end_at: '2026-10-01T00:00:00Z', start_at: '2026-09-30T00:00:00Z' }],
    ['a quantity just before period_start', { ...ALARM, start_at: '2026-09-30T23:59:59.999Z' }],
  ] as [string, Row][])('refuses %s: it lies before the first finalized month', async (_what, row) => {
    await expectRefused(
      db,
      'usage',
      file(row),
      "usage.csv:2: start_at: lies before 2026-10-01T00:00:00.000Z, where tenant T1's first finalized month begins: it would be billed in no month",
    );
  });

  it('accepts usage of another tenant in the month', async () => {
    await importText(db, 'catalog', USD_PRODUCT);
    expect(
      await importText(db, 'usage', file({ tenant_name: 'T2', lplatform_id: 'LP2', product_id: 'VM-U' })),
    ).toMatchObject({ inserted: 1 });
  });

  it('accepts a record imported before the month was finalized again as unchanged', async () => {
    const december = { start_at: '2026-12-02T00:00:00Z', end_at: '2026-12-02T01:00:00Z' };
    await importText(db, 'usage', file(december));
    insertFixedStatement(db, 'T1', '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
    expect(await importText(db, 'usage', file(december))).toMatchObject({ unchanged: 1, inserted: 0 });
  });
});

describe('usage: idempotency and all or nothing', () => {
  const many = Array.from({ length: 100 }, (_, i) => ({
    record_id: `R${i}`,
    resource_id: `vm-${i % 10}`,
    start_at: new Date(Date.UTC(2026, 9, 1 + Math.floor(i / 10))).toISOString(),
    end_at: new Date(Date.UTC(2026, 9, 2 + Math.floor(i / 10))).toISOString(),
  }));

  it('imports the same file twice: inserted N, then unchanged N with the same data', async () => {
    const text = file(
      ...many,
      { ...ALARM, record_id: 'Q1' },
      { record_id: 'C1', product_id: 'CPU-1', time_kind: 'deployed', cpu_count: '2', clock_ghz: '2.60' },
    );
    expect(await importText(db, 'usage', text)).toMatchObject({ rows: 102, inserted: 102, updated: 0, unchanged: 0 });
    const before = snapshot(db);
    expect(await importText(db, 'usage', text)).toMatchObject({ rows: 102, inserted: 0, updated: 0, unchanged: 102 });
    const after = snapshot(db);
    expect(dataOnly(after)).toEqual(dataOnly(before));
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });

  it('writes nothing when the last line is bad', async () => {
    await expectRefused(
      db,
      'usage',
      file(...many, { record_id: 'LAST', lplatform_id: 'LP2' }),
      'usage.csv:102: lplatform_id: L-Platform "LP2" does not belong to tenant T1',
    );
    expect(records()).toEqual([]);
  });

  it('writes nothing when a line in the middle is bad', async () => {
    await expectRefused(
      db,
      'usage',
      file(...many.slice(0, 50), { record_id: 'MID', product_id: 'NOPE' }, ...many.slice(50)),
      'usage.csv:52: product_id: product "NOPE" is not in the catalog (import the catalog first)',
    );
    expect(records()).toEqual([]);
  });

  it('writes nothing of a second file that repeats stored records and adds one bad line', async () => {
    await importText(db, 'usage', file(...many.slice(0, 10)));
    const before = snapshot(db);
    await expectRefused(
      db,
      'usage',
      file(...many.slice(0, 20), { ...many[0], quantity: '2' }),
      /^usage\.csv:22: record_id: record R0 was imported before, or appears earlier in this file, with other content \(quantity: "1" -> "2"\)/,
    );
    expect(snapshot(db)).toEqual(before);
  });
});

describe('usage: the order of the checks', () => {
  it('runs no rule combining cells when a cell holds a control character', async () => {
    // docs/formats.md: "a later step runs only when the earlier ones found nothing".
    await expectRefused(
      db,
      'usage',
      file({ resource_name: 'web\tserver', start_at: '2026-10-02T00:00:00Z', end_at: '2026-10-01T00:00:00Z' }),
      `usage.csv:2: resource_name: ${CONTROL}`,
    );
  });

  it('runs no store check when a rule combining cells fails', async () => {
    await expectRefused(
      db,
      'usage',
      file({ tenant_name: 'T9', end_at: '' }),
      'usage.csv:2: end_at: is required for operating time',
    );
  });
});
