/**
 * A corpus of bad inputs run through the real command, each in its own copy of a seeded store:
 * every one must exit 2 with a message naming the file, the line and the field (or the setting),
 * carry no stack trace, and leave every table of the store as it was.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { ROOT, hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import { importText, tempDir } from '../helpers/store.ts';
import { snapshotStoreOf } from '../helpers/store-snapshot.ts';
import { copyDatabase, onPostgres, openStoreOf, withStoreEngine } from '../helpers/store-engine.ts';
import { connection, DB_FILE_NAME } from '../../src/store/db.ts';

/** Cases running at once (their in-process runs take turns; the 100 MB case's child process runs beside them). */
const PARALLEL = 4;

const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';
const NOT_UTF8 = 'is not valid UTF-8 (save the file as UTF-8, or import a Shift_JIS/cp932 file with --encoding cp932)';
const EMPTY = 'is empty: a header line naming the columns is expected';
const NOT_DECIMAL = 'is not a decimal number (digits, an optional point and fraction; no exponent or separators)';
const RECORD_ID_RULE = 'must be 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit';
const COUPON_CODE_RULE = 'must be exactly 12 capital letters A-Z or digits 0-9';

// ---------------------------------------------------------------------------------------------
// Files of each kind: a valid row n (new to the seeded store) and the same row with some cells changed.

/** One CSV cell, quoted when it holds a comma, a quote or a line break. */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

interface Table<C extends string> {
  header: string;
  /** Row `n` with `over` applied, as one CSV line. */
  row(n: number, over?: Partial<Record<C, string>>): string;
  /** A file whose data row i (line i + 1) is row i with the i-th override applied; lines end with `eol`. */
  file(...overrides: Partial<Record<C, string>>[]): string;
  fileWith(eol: string, ...overrides: Partial<Record<C, string>>[]): string;
}

function table<C extends string>(columns: readonly C[], base: (n: number) => Record<C, string>): Table<C> {
  const header = columns.join(',');
  const row = (n: number, over: Partial<Record<C, string>> = {}): string =>
    columns.map((c) => cell(over[c] ?? base(n)[c])).join(',');
  const fileWith = (eol: string, ...overrides: Partial<Record<C, string>>[]): string =>
    [header, ...overrides.map((o, i) => row(i + 1, o))].join(eol) + eol;
  return { header, row, fileWith, file: (...overrides) => fileWith('\n', ...overrides) };
}

const pad = (n: number, width = 3): string => String(n).padStart(width, '0');

const tenants = table(
  ['tenant_name', 'display_name', 'cutoff_day', 'locale', 'currency', 'deleted_at'] as const,
  (n) => ({
    tenant_name: `NEWT${pad(n)}`,
    display_name: `New Tenant ${n}`,
    cutoff_day: '31',
    locale: 'ja',
    currency: 'JPY',
    deleted_at: '',
  }),
);
const contacts = table(['tenant_name', 'email', 'contact_name', 'active'] as const, (n) => ({
  tenant_name: 'TNT00005',
  email: `new${n}@example.com`,
  contact_name: `Contact ${n}`,
  active: 'true',
}));
const lplatforms = table(['lplatform_id', 'tenant_name', 'lplatform_name', 'returned_at', 'region'] as const, (n) => ({
  lplatform_id: `NEW-LP-${pad(n)}`,
  tenant_name: 'TNT00005',
  lplatform_name: `new platform ${n}`,
  returned_at: '',
  region: '',
}));
const catalog = table(
  [
    'product_id',
    'priority',
    'applicable_from',
    'applicable_to',
    'category',
    'resource_identifier',
    'unit_code',
    'unit_price',
    'product_name',
    'description',
    'charge_type',
    'time_basis',
    'monthly_cap',
    'plan_group',
    'rule',
    'rule_params',
    'currency',
  ] as const,
  (n) => ({
    product_id: `NEW-P${pad(n)}`,
    priority: '0',
    applicable_from: '2026-01-01T00:00:00Z',
    applicable_to: '',
    category: 'vm',
    resource_identifier: `img-${n}`,
    unit_code: 'hour',
    unit_price: '1.5',
    product_name: `New product ${n}`,
    description: '',
    charge_type: '',
    time_basis: 'operating',
    monthly_cap: '',
    plan_group: '',
    rule: '',
    rule_params: '',
    currency: 'JPY',
  }),
);
const usage = table(
  [
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
  ] as const,
  (n) => ({
    record_id: `bad-${pad(n)}`,
    tenant_name: 'manual-tenant',
    lplatform_id: 'manual-tenant-jp1',
    resource_id: `bad-srv-${n}`,
    resource_name: `bad server ${n}`,
    resource_kind: 'virtual_server',
    component: '',
    product_id: 'EC-CMP-1C4G',
    time_kind: 'operating',
    start_at: '2026-10-10T00:00:00Z',
    end_at: '2026-10-10T01:00:00Z',
    quantity: '',
    cpu_count: '',
    clock_ghz: '',
    size_gb: '',
    vm_count: '',
    vcpu: '',
  }),
);
const coupons = table(
  [
    'coupon_code',
    'tenant_name',
    'registered_at',
    'discount_type',
    'discount_value',
    'valid_months',
    'valid_until',
    'description',
  ] as const,
  (n) => ({
    coupon_code: `NEWCOUPON${pad(n)}`,
    tenant_name: 'TNT00003',
    registered_at: '2026-10-01T00:00:00Z',
    discount_type: 'amount',
    discount_value: '500',
    valid_months: '3',
    valid_until: '',
    description: `coupon ${n}`,
  }),
);

/** A demo usage record as stored by seed-demo (the srv-0001 flavor of manual-tenant in 2026-10). */
const DEMO_RECORD = {
  record_id: 'u-2610-0021',
  resource_id: 'srv-0001',
  resource_name: 'srv-0001',
  start_at: '2026-10-01T00:00:00Z',
  end_at: '2026-10-03T14:19:00Z',
};

/** `text` with its first `marker` replaced by raw bytes (which no CSV writer would produce). */
function withBytes(text: string, marker: string, raw: number[] | Buffer): Buffer {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`no ${marker} in the text`);
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(raw), Buffer.from(text.slice(at + marker.length))]);
}

// ---------------------------------------------------------------------------------------------
// The corpus.

/** One expected problem: its line (0: the whole file), its field ('' for none) and its message. */
type Issue = [line: number, field: string, message: string | RegExp];

interface ImportCase {
  title: string;
  kind: 'tenants' | 'contacts' | 'lplatforms' | 'catalog' | 'usage' | 'coupons';
  file: string;
  content: string | Buffer;
  issues: Issue[];
  /** A known product defect makes this case fail today (docs/reliability.md, "Known defects"). */
  knownDefect?: string;
}

const IMPORT_CASES: ImportCase[] = [
  // tenants
  {
    title: 'tenants: a required column missing from the header',
    kind: 'tenants',
    file: 'tenants-missing-column.csv',
    content: 'tenant_name,display_name,locale\nNEWT001,New Tenant,ja\n',
    issues: [
      [
        1,
        '(header)',
        'missing column "cutoff_day" (expected tenant_name,display_name,cutoff_day,[locale],[currency],[deleted_at],[csv_encoding])',
      ],
    ],
  },
  {
    title: 'tenants: cut-off day 0',
    kind: 'tenants',
    file: 'tenants-cutoff-0.csv',
    content: tenants.file({}, {}, { cutoff_day: '0' }),
    issues: [[4, 'cutoff_day', 'must be a whole number from 1 to 31']],
  },
  {
    title: 'tenants: cut-off day 32',
    kind: 'tenants',
    file: 'tenants-cutoff-32.csv',
    content: tenants.file({}, { cutoff_day: '32' }, {}),
    issues: [[3, 'cutoff_day', 'must be a whole number from 1 to 31']],
  },
  {
    title: 'tenants: a display name spanning two lines (LF in a quoted cell), and a bad row after it',
    kind: 'tenants',
    file: 'tenants-name-lf.csv',
    content: tenants.file({}, { display_name: 'Acme\nTokyo' }, { cutoff_day: '0' }),
    issues: [
      [3, 'display_name', CONTROL],
      [5, 'cutoff_day', 'must be a whole number from 1 to 31'],
    ],
  },
  {
    title: 'tenants: deleted_at on a day that does not exist',
    kind: 'tenants',
    file: 'tenants-deleted-feb-30.csv',
    content: tenants.file({}, { deleted_at: '2026-02-30T00:00:00Z' }),
    issues: [[3, 'deleted_at', /^"2026-02-30T00:00:00Z": /]],
  },
  {
    title: 'tenants: one tenant twice in the file with other content',
    kind: 'tenants',
    file: 'tenants-duplicate.csv',
    content: tenants.file({}, { tenant_name: 'NEWT001', display_name: 'Someone else' }),
    issues: [[3, 'tenant_name', 'tenant NEWT001 appears again (first at line 2)']],
  },
  {
    title: 'tenants: many problems in one file, each on its line',
    kind: 'tenants',
    file: 'tenants-many.csv',
    content: tenants.file(
      {},
      { cutoff_day: '99999999999999999999' },
      { tenant_name: 'tnt00003' },
      { tenant_name: 'TNT00003', display_name: 'Example Rules Co.', locale: 'en', currency: 'USD' },
      { deleted_at: '2026-10-01T00:00:00+19:00' },
      { tenant_name: 'LPT1' },
      { currency: 'YEN' },
      { tenant_name: 'TNT00001', display_name: 'tenant01', deleted_at: '' },
    ),
    issues: [
      [3, 'cutoff_day', 'must be a whole number from 1 to 31'],
      [
        4,
        'tenant_name',
        'tenant "TNT00003" exists; names that differ only in letter case would share statement file names',
      ],
      [5, 'currency', 'tenant TNT00003 is billed in JPY and has usage priced in it; its currency cannot change'],
      [6, 'deleted_at', '"2026-10-01T00:00:00+19:00": the offset +19:00 does not exist'],
      [7, 'tenant_name', '"LPT1" is a reserved device name'],
      [8, 'currency', 'must be one of JPY, USD, EUR, SGD'],
      [
        9,
        'deleted_at',
        'tenant TNT00001 was deleted at 2026-10-28T00:30:40.001Z; a deletion cannot be changed or undone',
      ],
    ],
  },

  // contacts
  {
    title: 'contacts: an extra column in the header',
    kind: 'contacts',
    file: 'contacts-extra-column.csv',
    content: 'tenant_name,email,contact_name,active,phone\nTNT00005,new1@example.com,Someone,true,+81-3-0000-0000\n',
    issues: [[1, '(header)', 'unknown column "phone" (expected tenant_name,email,[contact_name],[active])']],
  },
  {
    title: 'contacts: a name with CR LF in a quoted cell of a CRLF file, and a bad flag after it',
    kind: 'contacts',
    file: 'contacts-name-crlf.csv',
    content: contacts.fileWith('\r\n', {}, { contact_name: 'Accounts\r\nPayable' }, { active: 'maybe' }),
    issues: [
      [3, 'contact_name', CONTROL],
      [5, 'active', '"maybe" must be true or false'],
    ],
  },
  {
    title: 'contacts: Shift_JIS text where UTF-8 is expected',
    kind: 'contacts',
    file: 'contacts-shift-jis.csv',
    content: withBytes(contacts.file({}, { contact_name: '#' }), '#', iconv.encode('経理部', 'Shift_JIS')),
    issues: [[3, '(encoding)', NOT_UTF8]],
  },
  {
    title: 'contacts: many problems in one file, each on its line',
    kind: 'contacts',
    file: 'contacts-many.csv',
    content: contacts.file(
      {},
      { email: 'billing at example.com' },
      { tenant_name: 'bad name' },
      { email: 'NEW1@example.com' },
      { contact_name: 'tab\there' },
      { tenant_name: 'NOSUCH' },
    ),
    issues: [
      [3, 'email', '"billing at example.com" is not an e-mail address'],
      [4, 'tenant_name', 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit'],
      [5, 'email', 'contact TNT00005 new1@example.com appears again (first at line 2)'],
      [6, 'contact_name', CONTROL],
      [7, 'tenant_name', 'tenant "NOSUCH" does not exist (import tenants first)'],
    ],
  },

  // lplatforms
  {
    title: 'lplatforms: an unknown tenant',
    kind: 'lplatforms',
    file: 'lplatforms-unknown-tenant.csv',
    content: lplatforms.file({}, {}, { tenant_name: 'NOSUCH' }),
    issues: [[4, 'tenant_name', 'tenant "NOSUCH" does not exist (import tenants first)']],
  },
  {
    title: 'lplatforms: an L-Platform moved to another tenant',
    kind: 'lplatforms',
    file: 'lplatforms-move.csv',
    content: lplatforms.file(
      {},
      { lplatform_id: 'manual-tenant-jp1', tenant_name: 'TNT00003', lplatform_name: 'manual-tenant jp1' },
    ),
    issues: [
      [
        3,
        'tenant_name',
        'L-Platform manual-tenant-jp1 belongs to another tenant; an L-Platform cannot move between tenants',
      ],
    ],
  },
  {
    title: 'lplatforms: many problems in one file, each on its line',
    kind: 'lplatforms',
    file: 'lplatforms-many.csv',
    content: lplatforms.file(
      {},
      { lplatform_name: 'n'.repeat(129) },
      { lplatform_id: 'MANUAL-TENANT-JP1' },
      { lplatform_id: 'has space' },
      { returned_at: '2026-10-31' },
      { returned_at: '2026-10-31T24:00:00Z' },
    ),
    issues: [
      [3, 'lplatform_name', 'is longer than 128 characters'],
      [
        4,
        'lplatform_id',
        'L-Platform "manual-tenant-jp1" exists; IDs that differ only in letter case would share detail file names',
      ],
      [5, 'lplatform_id', 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit'],
      [
        6,
        'returned_at',
        '"2026-10-31" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
      ],
      [7, 'returned_at', '"2026-10-31T24:00:00Z": the time of day does not exist'],
    ],
  },

  // catalog
  {
    title: 'catalog: a renamed column in the header',
    kind: 'catalog',
    file: 'catalog-renamed-column.csv',
    content: catalog.file({}).replace('unit_price', 'unit_cost'),
    issues: [
      [1, '(header)', /^unknown column "unit_cost"; missing column "unit_price" \(expected product_id,priority,/],
    ],
  },
  {
    title: 'catalog: a price with more digits than the field allows',
    kind: 'catalog',
    file: 'catalog-huge-price.csv',
    content: catalog.file({}, { unit_price: '123456789012' }),
    issues: [[3, 'unit_price', `"123456789012" has more than 11 digits before the point`]],
  },
  {
    title: 'catalog: an existing product version with another price',
    kind: 'catalog',
    file: 'catalog-changed-row.csv',
    content: catalog.file(
      {},
      {
        product_id: 'VM-0001',
        applicable_from: '2020-01-01T00:00:00.000+0900',
        resource_identifier: 'image001',
        unit_price: '1.3',
        product_name: 'Virtual server image001',
        description: 'Virtual L-Server image',
      },
    ),
    issues: [
      [
        3,
        'priority',
        'product VM-0001 priority 0 exists with other content (unit_price: "1.2" -> "1.3"); catalog rows never change: add a row with another priority',
      ],
    ],
  },
  {
    title: 'catalog: many problems in one file, each on its line',
    kind: 'catalog',
    file: 'catalog-many.csv',
    content: catalog.file(
      { unit_price: '1e3' },
      { priority: '1000' },
      { applicable_from: '2026-10-01T00:00:00.1234Z' },
      { category: 'gpu' },
      { category: 'volume', unit_code: 'minute', charge_type: 'capped', time_basis: 'deployed' },
      { category: 'guest_image', unit_code: 'month', rule: 'per_vm_flat', rule_params: 'max_vms=7' },
      { unit_price: '-5' },
      { applicable_from: '2026-10-01T00:00:00+09:00', applicable_to: '2026-09-30T00:00:00Z' },
    ),
    issues: [
      [2, 'unit_price', `"1e3" ${NOT_DECIMAL}`],
      [3, 'priority', 'must be a whole number from 0 to 999'],
      [
        4,
        'applicable_from',
        '"2026-10-01T00:00:00.1234Z" is not an ISO 8601 instant with a time zone (at most 3 fraction digits)',
      ],
      [5, 'category', /^must be one of cpu, cpu_clock, memory, /],
      [6, 'monthly_cap', 'is required for charge type capped'],
      [7, 'rule_params', 'rule per_vm_flat needs flat_price=<decimal>'],
      [8, 'unit_price', '"-5" must not be negative'],
      [9, 'applicable_to', 'must be after applicable_from'],
    ],
  },

  // usage: references
  {
    title: 'usage: an unknown tenant',
    kind: 'usage',
    file: 'usage-unknown-tenant.csv',
    content: usage.file({}, {}, { tenant_name: 'NOSUCH' }),
    issues: [[4, 'tenant_name', 'tenant "NOSUCH" does not exist (import tenants first)']],
  },
  {
    title: 'usage: an unknown product',
    kind: 'usage',
    file: 'usage-unknown-product.csv',
    content: usage.file({}, { product_id: 'NO-SUCH-PROD' }, {}),
    issues: [[3, 'product_id', 'product "NO-SUCH-PROD" is not in the catalog (import the catalog first)']],
  },
  {
    title: 'usage: an unknown L-Platform',
    kind: 'usage',
    file: 'usage-unknown-lplatform.csv',
    content: usage.file({}, { lplatform_id: 'no-such-lp' }),
    issues: [[3, 'lplatform_id', 'L-Platform "no-such-lp" does not exist (import lplatforms first)']],
  },

  // usage: intervals, instants and time zones
  {
    title: 'usage: end before start',
    kind: 'usage',
    file: 'usage-end-before-start.csv',
    content: usage.file({}, {}, { start_at: '2026-10-10T05:00:00Z', end_at: '2026-10-10T04:00:00Z' }, {}),
    issues: [[4, 'end_at', 'must be after start_at']],
  },
  {
    title: 'usage: an interval overlapping a stored record of the same resource',
    kind: 'usage',
    file: 'usage-overlap.csv',
    content: usage.file(
      {},
      { resource_id: DEMO_RECORD.resource_id, start_at: '2026-10-02T00:00:00Z', end_at: '2026-10-02T01:00:00Z' },
    ),
    issues: [
      [
        3,
        'start_at',
        'overlaps record u-2610-0021 of the same resource, component, product and time kind; usage is never counted twice',
      ],
    ],
  },
  {
    title: 'usage: a month 13',
    kind: 'usage',
    file: 'usage-month-13.csv',
    content: usage.file({ start_at: '2026-13-01T00:00:00Z', end_at: '2026-13-01T01:00:00Z' }),
    issues: [
      [2, 'start_at', /^"2026-13-01T00:00:00Z": /],
      [2, 'end_at', /^"2026-13-01T01:00:00Z": /],
    ],
  },
  {
    title: 'usage: a zone given by name instead of an offset',
    kind: 'usage',
    file: 'usage-zone-name.csv',
    content: usage.file({}, { start_at: '2026-10-10T00:00:00 Asia/Tokyo' }),
    issues: [[3, 'start_at', /^"2026-10-10T00:00:00 Asia\/Tokyo" is not an ISO 8601 instant with a time zone/]],
  },

  // usage: quantities and other numbers
  {
    title: 'usage: a negative quantity',
    kind: 'usage',
    file: 'usage-negative-quantity.csv',
    content: usage.file({}, { quantity: '-1' }),
    issues: [[3, 'quantity', '"-1" must not be negative']],
  },
  {
    title: 'usage: a quantity written with a minus sign (-0)',
    kind: 'usage',
    file: 'usage-minus-zero.csv',
    content: usage.file({}, {}, { quantity: '-0' }),
    issues: [[4, 'quantity', /./]],
  },
  {
    title: 'usage: a non-numeric quantity',
    kind: 'usage',
    file: 'usage-text-quantity.csv',
    content: usage.file({ quantity: 'three' }),
    issues: [[2, 'quantity', `"three" ${NOT_DECIMAL}`]],
  },
  {
    title: 'usage: a quantity with more digits than the field allows',
    kind: 'usage',
    file: 'usage-huge-quantity.csv',
    content: usage.file({}, { quantity: '1234567890123' }),
    issues: [[3, 'quantity', '"1234567890123" has more than 12 digits before the point']],
  },
  {
    title: 'usage: a CPU count beyond what the field allows',
    kind: 'usage',
    file: 'usage-huge-cpu-count.csv',
    content: usage.file(
      {},
      { product_id: 'CPU-0001', time_kind: 'deployed', cpu_count: '99999999999', clock_ghz: '2.5' },
    ),
    issues: [[3, 'cpu_count', 'must be a whole number from 1 to 4096']],
  },

  // usage: record IDs
  {
    title: 'usage: a stored record ID with other content',
    kind: 'usage',
    file: 'usage-record-id-reused.csv',
    content: usage.file({}, { ...DEMO_RECORD, end_at: '2026-10-03T15:00:00Z' }),
    issues: [
      [
        3,
        'record_id',
        'record u-2610-0021 was imported before, or appears earlier in this file, with other content (end_at: "2026-10-03T14:19:00.000Z" -> "2026-10-03T15:00:00.000Z"); a record ID cannot be re-used',
      ],
    ],
  },
  {
    title: 'usage: one record ID twice in the file with other content',
    kind: 'usage',
    file: 'usage-record-id-twice.csv',
    content: usage.file({}, {}, { record_id: 'bad-002', resource_id: 'bad-srv-9' }),
    issues: [
      [
        4,
        'record_id',
        'record bad-002 was imported before, or appears earlier in this file, with other content (resource_id: "bad-srv-2" -> "bad-srv-9"); a record ID cannot be re-used',
      ],
    ],
  },

  // usage: the file's structure and encoding
  {
    title: 'usage: a row with one field too many',
    kind: 'usage',
    file: 'usage-extra-field.csv',
    content: `${usage.header}\n${usage.row(1)}\n${usage.row(2)},surplus\n${usage.row(3)}\n`,
    issues: [[3, '(csv)', 'has 18 fields; the header line has a different number']],
  },
  {
    title: 'usage: a quoted field not closed before the end of the file',
    kind: 'usage',
    file: 'usage-open-quote.csv',
    content: `${usage.header}\n${usage.row(1)}\n${usage.row(2, { resource_name: 'x' }).replace(',x,', ',"x,')}\n${usage.row(3)}\n`,
    issues: [[3, '(csv)', 'a quoted field is not closed before the end of the file']],
  },
  {
    title: 'usage: a quoted field not closed on the last line of a file without a final line end',
    kind: 'usage',
    file: 'usage-open-quote-no-eol.csv',
    content: `${usage.header}\n${usage.row(1)}\n${usage.row(2)}\n${usage.row(3, { resource_name: 'x' }).replace(',x,', ',"x,')}`,
    issues: [[4, '(csv)', 'a quoted field is not closed before the end of the file']],
  },
  {
    title: 'usage: a resource name spanning two lines (LF in a quoted cell)',
    kind: 'usage',
    file: 'usage-name-lf.csv',
    content: usage.file({}, { resource_name: 'web\nserver' }, { quantity: 'x' }),
    issues: [
      [3, 'resource_name', CONTROL],
      [5, 'quantity', `"x" ${NOT_DECIMAL}`],
    ],
  },
  {
    title: 'usage: invalid UTF-8 bytes',
    kind: 'usage',
    file: 'usage-invalid-utf8.csv',
    content: withBytes(usage.file({}, {}, { resource_name: 'caf#' }), '#', [0xc3, 0x28]),
    issues: [[4, '(encoding)', NOT_UTF8]],
  },
  {
    title: 'usage: a byte order mark in the middle of the file',
    kind: 'usage',
    file: 'usage-bom-middle.csv',
    content: withBytes(usage.file({}, { record_id: '#bad-002' }), '#', [0xef, 0xbb, 0xbf]),
    issues: [[3, 'record_id', RECORD_ID_RULE]],
  },
  {
    title: 'usage: a NUL byte',
    kind: 'usage',
    file: 'usage-nul.csv',
    content: withBytes(usage.file({}, { resource_name: 'web#server' }), '#', [0x00]),
    issues: [[3, '(encoding)', 'contains a NUL byte; is this a text file?']],
  },
  {
    title: 'usage: lines ending with CR alone',
    kind: 'usage',
    file: 'usage-cr-only.csv',
    content: usage.fileWith('\r', {}, {}),
    issues: [[1, '(csv)', 'ends its lines with CR alone (an old Mac format); save it with LF or CR LF line ends']],
  },
  {
    title: 'usage: an empty file (0 bytes; docs: refused as a whole, without a line)',
    kind: 'usage',
    file: 'usage-empty.csv',
    content: '',
    issues: [[0, '', EMPTY]],
  },
  {
    title: 'usage: many problems in one file, each on its line',
    kind: 'usage',
    file: 'usage-many.csv',
    content: usage.file(
      {},
      { lplatform_id: 'TNT00003-WS01' },
      { tenant_name: 'TNT00004', lplatform_id: 'TNT00004-LPlatform01' },
      {
        tenant_name: 'TNT00001',
        lplatform_id: 'TNT00001-LPlatform02',
        product_id: 'VM-0001',
        start_at: '2026-10-29T00:00:00Z',
        end_at: '2026-10-29T01:00:00Z',
      },
      { start_at: '2026-10-10T09:00:00+09:00', end_at: '2026-10-10T00:00:00Z' },
      { end_at: '2026-10-10T01:00:00' },
      { start_at: '1970-01-01T08:00:00+09:00' },
      { quantity: '1,5' },
      { quantity: '0.1234567' },
      { resource_kind: 'gpu_server' },
      { product_id: 'CPU-0001', time_kind: 'deployed' },
      { product_id: 'CPU-0001', time_kind: 'deployed', cpu_count: '2', clock_ghz: '0.000' },
      { time_kind: 'deployed' },
    ),
    issues: [
      [3, 'lplatform_id', 'L-Platform "TNT00003-WS01" does not belong to tenant manual-tenant'],
      [4, 'product_id', 'product EC-CMP-1C4G is priced in JPY; tenant TNT00004 is billed in SGD'],
      [5, 'start_at', 'tenant TNT00001 was deleted at 2026-10-28T00:30:40.001Z, before this usage starts'],
      [6, 'end_at', 'must be after start_at'],
      [
        7,
        'end_at',
        '"2026-10-10T01:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
      ],
      [8, 'start_at', '"1970-01-01T08:00:00+09:00": outside 1970-9999 in UTC'],
      [9, 'quantity', `"1,5" ${NOT_DECIMAL}`],
      [10, 'quantity', '"0.1234567" has more than 6 digits after the point'],
      [11, 'resource_kind', /^must be one of virtual_server, physical_server, /],
      [12, 'cpu_count', 'is required for product CPU-0001 (cpu)'],
      [12, 'clock_ghz', 'is required for product CPU-0001 (cpu)'],
      [13, 'clock_ghz', 'must be more than 0'],
      [14, 'time_kind', 'product EC-CMP-1C4G charges operating time; this record is deployed time'],
    ],
  },

  // coupons
  {
    title: 'coupons: a code in small letters',
    kind: 'coupons',
    file: 'coupons-lowercase.csv',
    content: coupons.file({}, { coupon_code: 'welcome2026b' }),
    issues: [[3, 'coupon_code', COUPON_CODE_RULE]],
  },
  {
    title: 'coupons: a percentage over 100',
    kind: 'coupons',
    file: 'coupons-percent.csv',
    content: coupons.file({}, { discount_type: 'percent', discount_value: '150' }),
    issues: [[3, 'discount_value', 'a percentage must be at most 100 with at most 4 decimals']],
  },
  {
    title: 'coupons: a registered code with other content',
    kind: 'coupons',
    file: 'coupons-reused.csv',
    content: coupons.file({
      coupon_code: 'WELCOME2026A',
      registered_at: '2026-09-15T03:00:00Z',
      discount_value: '2000',
      description: 'Welcome coupon',
    }),
    issues: [
      [
        2,
        'coupon_code',
        'coupon WELCOME2026A was registered before with other content (discount_value: "1000" -> "2000"); a coupon code is used once',
      ],
    ],
  },
  {
    title: 'coupons: many problems in one file, each on its line',
    kind: 'coupons',
    file: 'coupons-many.csv',
    content: coupons.file(
      {},
      { coupon_code: 'SHORTCODE01' },
      { discount_value: '999999999999' },
      { valid_months: '121' },
      { valid_months: '0' },
      { discount_type: 'free' },
      { discount_value: '0' },
      { valid_months: '', valid_until: '2027-02-29' },
      { coupon_code: 'NEWCOUPON001' },
      { coupon_code: 'WELCOME-2026X' },
      { tenant_name: 'NOSUCH' },
      { valid_months: '' },
      { valid_months: '', valid_until: '2026-09-30' },
    ),
    issues: [
      [3, 'coupon_code', COUPON_CODE_RULE],
      [4, 'discount_value', '"999999999999" has more than 11 digits before the point'],
      [5, 'valid_months', 'must be a whole number from 1 to 120'],
      [6, 'valid_months', 'must be a whole number from 1 to 120'],
      [7, 'discount_type', 'must be one of amount, percent'],
      [8, 'discount_value', 'must be more than 0'],
      [9, 'valid_until', /^"2027-02-29": /],
      [10, 'coupon_code', 'coupon NEWCOUPON001 appears again (first at line 2)'],
      [11, 'coupon_code', COUPON_CODE_RULE],
      [12, 'tenant_name', 'tenant "NOSUCH" does not exist (import tenants first)'],
      [13, 'valid_months', 'a coupon needs an end: valid_months, valid_until or both'],
      [14, 'valid_until', 'is before registered_at'],
    ],
  },
];

/** One expected line of a configuration error: the setting, its value as shown, the message (or the whole line). */
type SettingProblem = [name: string, shown: string | RegExp, message: string, origin?: string] | RegExp;

interface ConfigCase {
  title: string;
  env?: Record<string, string>;
  /** Contents of a `.env` file in the working directory. */
  dotenv?: string;
  /** The command (default: an import of a valid tenants file, which would add a tenant). */
  args?: string[];
  /** Each must be a line of stderr; every line must name one of the settings. */
  problems: SettingProblem[];
  /** Text that must not appear anywhere in the output (a password). */
  secret?: string;
}

const SECRET = 'S3cr3t-Pa55';
const SMTP_URL_RULE = 'must be an smtp:// or smtps:// URL with a host, or empty to write .eml files';
const VALID_TENANTS = 'tenants-ok.csv';
/** With a valid configuration this closes October 2026 (every cut-off day has ended) and changes the store. */
const RUN = ['run', '--as-of', '2026-11-20T00:00:00Z'];
const REDACTED = /^[^"]*$/;

const CONFIG_CASES: ConfigCase[] = [
  {
    title: 'BILLING_TZ: an unknown zone',
    env: { BILLING_TZ: 'Mars/Olympus_Mons' },
    problems: [['BILLING_TZ', 'Mars/Olympus_Mons', 'is not an IANA time zone (for example UTC or Asia/Tokyo)']],
  },
  {
    title: 'BILLING_TZ: a misspelt zone stops a month-end pass before it closes anything',
    env: { BILLING_TZ: 'Asia/Tokio' },
    args: RUN,
    problems: [['BILLING_TZ', 'Asia/Tokio', 'is not an IANA time zone (for example UTC or Asia/Tokyo)']],
  },
  {
    title: 'CSV_ENCODING: an encoding that is not offered',
    env: { CSV_ENCODING: 'shift_jis' },
    args: RUN,
    problems: [['CSV_ENCODING', 'shift_jis', 'must be auto, utf8, utf8-bom or cp932']],
  },
  {
    title: 'LOCK_TTL_SECONDS: below 10',
    env: { LOCK_TTL_SECONDS: '5' },
    args: RUN,
    problems: [['LOCK_TTL_SECONDS', '5', 'must be at least 10 (the lease is renewed every third of it)']],
  },
  {
    title: 'LOCK_TTL_SECONDS: not a number',
    env: { LOCK_TTL_SECONDS: '2m' },
    problems: [['LOCK_TTL_SECONDS', '2m', 'must be a whole number of seconds']],
  },
  {
    title: 'SMTP_URL: malformed (no host), its password not echoed',
    env: { SMTP_URL: `smtp://mailer:${SECRET}@` },
    secret: SECRET,
    args: RUN,
    problems: [['SMTP_URL', REDACTED, SMTP_URL_RULE]],
  },
  {
    title: 'SMTP_URL: a scheme other than smtp or smtps, its password not echoed',
    env: { SMTP_URL: `https://mailer:${SECRET}@mail.example.com/` },
    secret: SECRET,
    problems: [['SMTP_URL', REDACTED, SMTP_URL_RULE]],
  },
  {
    title: 'SMTP_URL: no scheme at all, its password not echoed',
    env: { SMTP_URL: `mailer:${SECRET}@mail.example.com:587` },
    secret: SECRET,
    problems: [['SMTP_URL', REDACTED, SMTP_URL_RULE]],
  },
  {
    title: 'IMPORT_MAX_ERRORS: 0',
    env: { IMPORT_MAX_ERRORS: '0' },
    problems: [['IMPORT_MAX_ERRORS', '0', 'must be a whole number from 1 to 999999']],
  },
  {
    title: 'CRON_SCHEDULE: not a cron expression',
    env: { CRON_SCHEDULE: 'every night at two' },
    problems: [
      [
        'CRON_SCHEDULE',
        'every night at two',
        'is not a cron expression (five fields, or six with seconds; for example 0 2 * * *)',
      ],
    ],
  },
  {
    title: 'DKIM_DOMAIN: set without its selector and key',
    env: { DKIM_DOMAIN: 'example.com' },
    problems: [
      /^error: configuration: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE go together: set all three to sign mails, or none$/,
    ],
  },
  {
    title: 'DEFAULT_LOCALE: a bad value from the .env file',
    dotenv: 'DEFAULT_LOCALE=fr\n',
    problems: [['DEFAULT_LOCALE', 'fr', 'must be one of ja, en', '.env']],
  },
  {
    title: 'nine bad settings at once, each named on its own line',
    args: RUN,
    env: {
      DEFAULT_CURRENCY: 'yen',
      MAIL_FROM: 'billing at example',
      RETENTION_MONTHS: '12',
      TAX_RATES: '2019-10-01=ten',
      SMTP_POOL_SIZE: '0',
      CRON_TZ: 'Nowhere/Land',
      LOG_LEVEL: 'verbose',
      ROUNDING_MODE: 'bankers',
      LOG_FORMAT: 'xml',
    },
    problems: [
      ['DEFAULT_CURRENCY', 'yen', 'must be one of JPY, USD, EUR, SGD'],
      ['MAIL_FROM', 'billing at example', 'must be an e-mail address, optionally as "Name <address>"'],
      ['RETENTION_MONTHS', '12', 'must be at least 24 (statements are kept 24 months)'],
      ['TAX_RATES', '2019-10-01=ten', '"2019-10-01=ten" is not DATE=PERCENT (for example 2019-10-01=10)'],
      ['SMTP_POOL_SIZE', '0', 'must be from 1 to 100'],
      ['CRON_TZ', 'Nowhere/Land', 'is not an IANA time zone (empty: the billing time zone)'],
      ['LOG_LEVEL', 'verbose', 'must be one of fatal, error, warn, info, debug, trace, silent'],
      ['ROUNDING_MODE', 'bankers', 'must be half-up, up or down'],
      ['LOG_FORMAT', 'xml', 'must be auto, json or pretty'],
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Running the cases: each in its own folder (working directory, input file, a copy of the seeded store).

let work: { dir: string; cleanup: () => void };
let template: string;

beforeAll(async () => {
  work = tempDir('uc-bad-input-');
  template = path.join(work.dir, 'template');
  const seeded = await runCli(['seed-demo', '--as-of', '2026-11-03T00:00:00Z'], {
    DATA_DIR: template,
    BILLING_TZ: 'UTC',
  });
  if (seeded.code !== 0) throw new Error(`seed-demo failed:\n${seeded.stdout}\n${seeded.stderr}`);
});
afterAll(() => work?.cleanup());

/** At most `n` jobs at a time, in the order they asked. */
function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
const slot = limiter(PARALLEL);

/** A folder for one case: its working directory, holding `data/` with a copy of the seeded store. */
function caseDir(name: string): { dir: string; dataDir: string; store: string } {
  const dir = path.join(work.dir, name);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const store = path.join(dataDir, DB_FILE_NAME);
  // On PostgreSQL a copy of the seeded database.
  if (onPostgres()) copyDatabase(template, dataDir);
  else fs.copyFileSync(path.join(template, DB_FILE_NAME), store);
  return { dir, dataDir, store };
}

/** Runs the command in `dir` on its store, with the seeding's settings unless `env` overrides them. */
function run(dir: string, dataDir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return slot(() => runCli(args, { DATA_DIR: dataDir, BILLING_TZ: 'UTC', ...env }, dir));
}

/** Like `run`, for a command that may take minutes on a busy machine (killed after `timeoutMs`). */
function runLong(dir: string, dataDir: string, args: string[], timeoutMs: number): Promise<CliRun> {
  return slot(
    () =>
      new Promise<CliRun>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'usage-charges.js'), ...args], {
          cwd: dir,
          env: withStoreEngine({
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            DATA_DIR: dataDir,
            BILLING_TZ: 'UTC',
          }),
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill(), timeoutMs);
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr: signal ? `${stderr}(killed by ${signal} after ${timeoutMs} ms)\n` : stderr });
        });
      }),
  );
}

/** The expected output line of one issue: `FILE:LINE: FIELD: ` then the message. */
function issuePrefix(file: string, line: number, field: string): string {
  const where = line > 0 ? `${file}:${line}` : file;
  return field ? `${where}: ${field}: ` : `${where}: `;
}

/** Checks a refusal's output: the summary line, then exactly the expected issues, in order. */
function expectRefusal(expect: ExpectStatic, r: CliRun, file: string, issues: Issue[]): void {
  expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
  expect(r.stderr).not.toContain('unexpected failure');
  expect({ code: r.code, stdout: r.stdout }, r.stderr).toEqual({ code: 2, stdout: '' });
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  const n = issues.length;
  expect(lines[0]).toBe(`error: ${file}: refused, ${n} problem${n === 1 ? '' : 's'}; nothing was imported`);
  expect(lines.slice(1), r.stderr).toHaveLength(n);
  issues.forEach(([line, field, message], i) => {
    const got = lines[i + 1] ?? '';
    const prefix = issuePrefix(file, line, field);
    if (typeof message === 'string') expect(got).toBe(prefix + message);
    else {
      expect(got.startsWith(prefix), `"${got}" should start with "${prefix}"`).toBe(true);
      expect(got.slice(prefix.length)).toMatch(message);
    }
  });
}

/** Checks a configuration error: every line names a setting of the case, each expected problem is one of them. */
function expectConfigRefusal(expect: ExpectStatic, r: CliRun, c: ConfigCase): void {
  expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
  expect(r.stderr).not.toContain('unexpected failure');
  expect({ code: r.code, stdout: r.stdout }, r.stderr).toEqual({ code: 2, stdout: '' });
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines[0]).toMatch(/^error: configuration: /);
  const names = c.problems.map((p) => (p instanceof RegExp ? /configuration: ([A-Z_]+)/.exec(p.source)![1]! : p[0]));
  lines.forEach((line, i) => {
    expect(line.startsWith(i === 0 ? 'error: configuration: ' : 'configuration: '), line).toBe(true);
    expect(
      names.some((name) => line.includes(name)),
      `${line} names none of ${names.join(', ')}`,
    ).toBe(true);
  });
  for (const p of c.problems) {
    if (p instanceof RegExp) {
      expect(
        lines.some((line) => p.test(line)),
        `no line matches ${p}:\n${r.stderr}`,
      ).toBe(true);
      continue;
    }
    const [name, shown, message, origin = 'environment'] = p;
    const line = lines.find((l) => l.replace(/^error: /, '').startsWith(`configuration: ${name}=`));
    expect(line, `no line about ${name}:\n${r.stderr}`).toBeDefined();
    const m = /^(?:error: )?configuration: ([A-Z_]+)=("(?:[^"\\]|\\.)*") \(from ([^)]+)\): (.*)$/.exec(line!);
    expect(m, line).not.toBeNull();
    const value = JSON.parse(m![2]!) as string;
    if (shown instanceof RegExp) expect(value).toMatch(shown);
    else expect(value).toBe(shown);
    expect(m![3]).toBe(origin);
    expect(m![4]).toBe(message);
  }
  if (c.secret !== undefined) expect(r.stdout + r.stderr).not.toContain(c.secret);
}

describe.concurrent(
  'bad input through the command line: exit 2, file:line: field, no stack trace, store unchanged',
  () => {
    it('usage: a 100 MB file with one bad row near its end is refused at that row, and nothing of it is written', async ({
      expect,
    }) => {
      const { dir, dataDir } = caseDir('usage-100mb');
      const file = 'usage-100mb.csv';
      const big = await writeBigUsage(path.join(dir, file), 100 * 1024 * 1024);
      expect(fs.statSync(path.join(dir, file)).size).toBeGreaterThanOrEqual(100 * 1024 * 1024);
      const before = snapshotStoreOf(dataDir);
      try {
        const r = await runLong(dir, dataDir, ['import', 'usage', file], 9 * 60_000);
        expectRefusal(expect, r, file, [[big.badLine, 'end_at', 'must be after start_at']]);
      } finally {
        fs.rmSync(path.join(dir, file));
      }
      expect(big.rows - (big.badLine - 1)).toBeLessThan(20);
      expect(snapshotStoreOf(dataDir)).toEqual(before);
    });

    const importCase = async (c: ImportCase, expect: ExpectStatic): Promise<void> => {
      const { dir, dataDir } = caseDir(path.basename(c.file, '.csv'));
      fs.writeFileSync(path.join(dir, c.file), c.content);
      const before = snapshotStoreOf(dataDir);
      const r = await run(dir, dataDir, ['import', c.kind, c.file]);
      expectRefusal(expect, r, c.file, c.issues);
      expect(snapshotStoreOf(dataDir)).toEqual(before);
    };
    it.for(IMPORT_CASES.filter((c) => c.knownDefect === undefined))('$title', async (c, { expect }) =>
      importCase(c, expect),
    );
    // Known defects: these fail today; when one is fixed its test fails here, and it moves up.
    for (const c of IMPORT_CASES.filter((x) => x.knownDefect !== undefined)) {
      it.fails(`${c.title} (known defect: ${c.knownDefect})`, async ({ expect }) => importCase(c, expect));
    }

    it.for(CONFIG_CASES.map((c, i) => ({ ...c, n: i })))('setting $title', async (c, { expect }) => {
      const { dir, dataDir } = caseDir(`config-${c.n}`);
      fs.writeFileSync(path.join(dir, VALID_TENANTS), tenants.file({}));
      if (c.dotenv !== undefined) fs.writeFileSync(path.join(dir, '.env'), c.dotenv);
      const before = snapshotStoreOf(dataDir);
      const r = await run(dir, dataDir, c.args ?? ['import', 'tenants', VALID_TENANTS], c.env);
      expectConfigRefusal(expect, r, c);
      expect(snapshotStoreOf(dataDir)).toEqual(before);
      // Nothing else was written under the data dir either (no statements, no outbox).
      expect(fs.readdirSync(dataDir).filter((f) => !f.startsWith(DB_FILE_NAME))).toEqual([]);
    });
  },
);

describe('the corpus', () => {
  it('covers every import kind and the configuration with at least 40 cases', ({ expect }) => {
    expect(new Set(IMPORT_CASES.map((c) => c.kind)).size).toBe(6);
    expect(IMPORT_CASES.length + CONFIG_CASES.length + 1).toBeGreaterThanOrEqual(40);
    expect(new Set(IMPORT_CASES.map((c) => c.file)).size).toBe(IMPORT_CASES.length);
  });

  it("the valid rows the bad files are built around import cleanly (so each refusal is the bad row's doing)", async ({
    expect,
  }) => {
    const { dataDir } = caseDir('valid-rows');
    const db = openStoreOf(dataDir);
    try {
      const files = { tenants, contacts, lplatforms, catalog, usage, coupons };
      for (const [kind, t] of Object.entries(files) as [keyof typeof files, Table<string>][]) {
        expect(await importText(db, kind, t.file({}, {})), kind).toMatchObject({ rows: 2, inserted: 2 });
      }
    } finally {
      connection(db).close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * Writes valid usage rows of equal length (distinct resources of manual-tenant in 2026-10) until the
 * file holds at least `minBytes`, streamed in blocks; the tenth row from the end has its end before
 * its start. Returns the bad row's line and the number of rows.
 */
async function writeBigUsage(file: string, minBytes: number): Promise<{ badLine: number; rows: number }> {
  const header =
    'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,component,product_id,time_kind,start_at,end_at,quantity\n';
  const filler = 'x'.repeat(100);
  const row = (n: number, end = '2026-10-10T01:00:00Z'): string => {
    const id = String(n).padStart(7, '0');
    return `big-${id},manual-tenant,manual-tenant-jp1,big-srv-${id},big server ${id} ${filler},virtual_server,disk-${id}-${filler},EC-CMP-1C4G,operating,2026-10-10T00:00:00Z,${end},1\n`;
  };
  const rows = Math.ceil((minBytes - header.length) / row(1).length);
  const bad = rows - 10;
  function* blocks(): Generator<string> {
    yield header;
    const perBlock = 2000;
    for (let first = 1; first <= rows; first += perBlock) {
      let block = '';
      for (let n = first; n < first + perBlock && n <= rows; n++)
        block += n === bad ? row(n, '2026-10-09T23:00:00Z') : row(n);
      yield block;
    }
  }
  await pipeline(Readable.from(blocks()), fs.createWriteStream(file));
  return { badLine: bad + 1, rows };
}
