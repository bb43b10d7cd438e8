/**
 * Property-based fuzzing of the CSV importer, in-process, for every import kind: arbitrary bytes and
 * mutations of a valid file either import or are refused with an InputError whose every issue names
 * the file, a line of it and a field, and a refusal leaves the store exactly as it was. Any other
 * exception is a failure.
 *
 * The number of runs per property is USAGE_CHARGES_FUZZ_RUNS (default below); the seed is fixed, or
 * USAGE_CHARGES_FUZZ_SEED to explore others.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_KINDS, importFile, type ImportKindName, type ImportResult } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { InputError } from '../../../src/domain/errors.ts';
import { connection, DB_FILE_NAME, openStore, type Db } from '../../../src/store/db.ts';
import { seedBase, tempDir } from '../../helpers/store.ts';
import { fullSnapshot } from '../../helpers/store-snapshot.ts';

const RUNS = Number(process.env.USAGE_CHARGES_FUZZ_RUNS ?? 100);
const SEED = Number(process.env.USAGE_CHARGES_FUZZ_SEED ?? 20261103);
const NAME = 'in/fuzz.csv';
const CTX = { now: '2026-11-01T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' } as const;
const STRUCTURE_FIELDS = ['(header)', '(csv)', '(encoding)'];
const EMPTY = 'is empty: a header line naming the columns is expected';

// ---------------------------------------------------------------------------------------------
// A valid file of each kind, against the base store of test/helpers/store.ts (T1 in JPY with LP1,
// T2 in USD with LP2, products VM-1, CPU-1, MEM-1, CMP-A, GI-1, SQL-4, ALARM): header and rows as cells.

const VALID: Record<ImportKindName, string[][]> = {
  tenants: [
    ['tenant_name', 'display_name', 'cutoff_day', 'locale', 'currency', 'deleted_at'],
    ['N1', 'New One', '31', 'ja', 'JPY', ''],
    ['N2', 'New, Two "Inc."', '15', 'en', 'USD', '2026-10-01T00:00:00+09:00'],
    ['T1', 'Tenant One', '31', 'ja', 'JPY', ''],
  ],
  contacts: [
    ['tenant_name', 'email', 'contact_name', 'active'],
    ['T1', 'a@example.com', 'Accounts, Tokyo', 'true'],
    ['T2', 'b@example.com', '', 'no'],
    ['T2', 'c@example.org', '経理部', '1'],
  ],
  lplatforms: [
    ['lplatform_id', 'tenant_name', 'lplatform_name', 'returned_at', 'region'],
    ['LP9', 'T1', 'platform nine', '', 'jp1'],
    ['LP8', 'T2', 'platform eight', '2026-10-05T00:00:00+0900', ''],
    ['LP1', 'T1', 'platform one', '', ''],
  ],
  catalog: [
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
      'service',
    ],
    [
      'NP-1',
      '0',
      '2020-01-01T00:00:00Z',
      '',
      'vm',
      'img9',
      'hour',
      '1.25',
      'New VM',
      'desc',
      '',
      'operating',
      '',
      '',
      '',
      '',
      'JPY',
      '',
    ],
    [
      'NP-2',
      '0',
      '2020-01-01T00:00:00Z',
      '2030-01-01T00:00:00.000Z',
      'volume',
      'vol',
      'minute',
      '0.014881',
      'Volume',
      '',
      'capped',
      'deployed',
      '600',
      '',
      '',
      '',
      'JPY',
      'Cloud',
    ],
    [
      'NP-3',
      '1',
      '2020-01-01T00:00:00Z',
      '',
      'guest_image',
      'win',
      'month',
      '10200',
      'Guest image',
      '',
      'monthly_fixed',
      '',
      '',
      '',
      'per_vm_flat',
      'max_vms=7;flat_price=66000',
      'JPY',
      '',
    ],
  ],
  usage: [
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
    ],
    [
      'r1',
      'T1',
      'LP1',
      'srv1',
      'Server 1',
      'virtual_server',
      '',
      'VM-1',
      'operating',
      '2026-10-01T00:00:00Z',
      '2026-10-01T05:00:00Z',
      '',
      '',
      '',
      '',
      '',
      '',
    ],
    [
      'r2',
      'T1',
      'LP1',
      'srv1',
      'Server 1',
      'virtual_server',
      '',
      'CPU-1',
      'deployed',
      '2026-10-01T00:00:00Z',
      '2026-10-02T00:00:00Z',
      '',
      '2',
      '2.5',
      '',
      '',
      '',
    ],
    [
      'r3',
      'T1',
      'LP1',
      'srv1',
      'Server 1',
      'virtual_server',
      'disk0',
      'MEM-1',
      'deployed',
      '2026-10-01T00:00:00+09:00',
      '2026-10-02T00:00:00+09:00',
      '',
      '',
      '',
      '8',
      '',
      '',
    ],
    [
      'r4',
      'T1',
      'LP1',
      'mon',
      'Alarm',
      'monitoring',
      '',
      'ALARM',
      'quantity',
      '2026-10-15T00:00:00Z',
      '',
      '3',
      '',
      '',
      '',
      '',
      '',
    ],
    [
      'r5',
      'T1',
      'LP1',
      'gi',
      'GI host',
      'guest_image',
      '',
      'GI-1',
      'deployed',
      '2026-10-01T00:00:00Z',
      '2026-11-01T00:00:00Z',
      '',
      '',
      '',
      '',
      '8',
      '',
    ],
  ],
  coupons: [
    [
      'coupon_code',
      'tenant_name',
      'registered_at',
      'discount_type',
      'discount_value',
      'valid_months',
      'valid_until',
      'description',
    ],
    ['CPN000000001', 'T1', '2026-10-01T00:00:00Z', 'amount', '500', '3', '', 'Welcome'],
    ['CPN000000002', 'T2', '2026-10-01T00:00:00Z', 'percent', '12.5', '', '2027-03-31', 'Spring, "sale"'],
  ],
  'coupon-offers': [
    [
      'coupon_code',
      'discount_type',
      'discount_value',
      'currency',
      'valid_months',
      'valid_until',
      'description',
      'tenant_name',
      'redeem_by',
    ],
    ['OFR000000001', 'amount', '500', 'JPY', '3', '', 'Welcome', '', '2027-03-31'],
    ['OFR000000002', 'percent', '12.5', '', '', '2027-03-31', 'Spring, "sale"', 'T2', ''],
  ],
  adjustments: [
    ['adjustment_id', 'tenant_name', 'lplatform_id', 'billing_month', 'amount', 'reason', 'tax'],
    ['ADJ-1', 'T1', 'LP1', '', '-500', 'Outage credit, "network"', 'taxed'],
    ['ADJ-2', 'T2', '', '2026-12', '10.50', 'Setup work', 'untaxed'],
  ],
};

const KINDS = Object.keys(VALID) as ImportKindName[];

// ---------------------------------------------------------------------------------------------
// Serializing cells, and mutating them.

type Quoting = 'as-needed' | 'none' | 'all';

function serialize(rows: string[][], quoting: Quoting, eol: string, finalEol: boolean): string {
  const cell = (v: string): string =>
    quoting === 'all' || (quoting === 'as-needed' && /[",\r\n]/.test(v)) ? `"${v.replaceAll('"', '""')}"` : v;
  return rows.map((r) => r.map(cell).join(',')).join(eol) + (finalEol ? eol : '');
}

/** Values that have broken CSV readers and validators before. */
const NASTY = [
  '',
  ' ',
  '"',
  '""',
  '"x"',
  ',',
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\t',
  '\u007f',
  '\uFEFF',
  '\u2028',
  '\u00a0',
  'é',
  '😀',
  '\ud800',
  '-1',
  '-0',
  '+1',
  '0',
  '00',
  '.5',
  '5.',
  '1e3',
  '1,000',
  'Infinity',
  'NaN',
  '0x10',
  '99999999999999999999',
  '1'.repeat(40),
  '0.0000001',
  '123456789012.1234567',
  '31',
  '32',
  '4096',
  '100001',
  '-',
  '2026-02-30T00:00:00Z',
  '2026-10-10T24:00:00Z',
  '2026-10-10T00:00:00+19:00',
  '2026-10-10T00:00:00',
  '9999-12-31T23:59:59.999-01:00',
  '1969-12-31T23:59:59Z',
  '2026-10-10T00:00:00.1234Z',
  '2026-10-10',
  '2027-02-29',
  'con',
  'LPT1',
  'T1',
  't1',
  'T2',
  'LP1',
  'LP2',
  'VM-1',
  'ALARM',
  'quantity',
  'operating',
  'deployed',
  'capped',
  'capped_plan',
  'per_vm_flat',
  'largest_vcpu',
  'max_vms=7;flat_price=66000',
  'percent',
  'amount',
  'CPN000000001',
  'a@example.com',
  'A@EXAMPLE.COM',
  'x'.repeat(129),
  'x'.repeat(1025),
  '__proto__',
  'constructor',
  'toString',
];

const valueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: false }).map(String) },
);

type Mutation =
  | { op: 'set'; row: number; col: number; value: string }
  | { op: 'insert'; row: number; col: number; at: number; value: string }
  | { op: 'drop-cell'; row: number; col: number }
  | { op: 'duplicate-cell'; row: number; col: number }
  | { op: 'swap-cells'; row: number; col: number; row2: number; col2: number }
  | { op: 'drop-row'; row: number }
  | { op: 'duplicate-row'; row: number }
  | { op: 'swap-rows'; row: number; row2: number };

const index = fc.nat({ max: 1000 });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), row: index, col: index, value: valueArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('insert' as const), row: index, col: index, at: index, value: valueArb }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop-cell' as const), row: index, col: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate-cell' as const), row: index, col: index }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('swap-cells' as const), row: index, col: index, row2: index, col2: index }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop-row' as const), row: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate-row' as const), row: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap-rows' as const), row: index, row2: index }) },
);

/** Applies mutations to a copy of `rows` (indices taken modulo the current sizes). */
function mutate(rows: readonly string[][], mutations: readonly Mutation[]): string[][] {
  const out = rows.map((r) => [...r]);
  for (const m of mutations) {
    if (out.length === 0) break;
    const r = out[m.row % out.length]!;
    const c = r.length === 0 || !('col' in m) ? 0 : m.col % r.length;
    switch (m.op) {
      case 'set':
        r[c] = m.value;
        break;
      case 'insert': {
        const v = r[c] ?? '';
        const at = m.at % (v.length + 1);
        r[c] = v.slice(0, at) + m.value + v.slice(at);
        break;
      }
      case 'drop-cell':
        r.splice(c, 1);
        break;
      case 'duplicate-cell':
        r.splice(c, 0, r[c] ?? '');
        break;
      case 'swap-cells': {
        const r2 = out[m.row2 % out.length]!;
        const c2 = r2.length === 0 ? 0 : m.col2 % r2.length;
        [r[c], r2[c2]] = [r2[c2] ?? '', r[c] ?? ''];
        break;
      }
      case 'drop-row':
        out.splice(m.row % out.length, 1);
        break;
      case 'duplicate-row':
        out.splice(m.row % out.length, 0, [...r]);
        break;
      case 'swap-rows': {
        const i = m.row % out.length;
        const j = m.row2 % out.length;
        [out[i], out[j]] = [out[j]!, out[i]!];
        break;
      }
    }
  }
  return out;
}

/** Byte-level damage after serializing: cut the file, or put a byte anywhere. */
type ByteDamage =
  | { op: 'none' }
  | { op: 'truncate'; at: number }
  | { op: 'insert-byte'; at: number; byte: number }
  | { op: 'set-byte'; at: number; byte: number };
const byteDamageArb: fc.Arbitrary<ByteDamage> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat({ max: 100_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert-byte' as const),
      at: fc.nat({ max: 100_000 }),
      byte: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('set-byte' as const),
      at: fc.nat({ max: 100_000 }),
      byte: fc.integer({ min: 0, max: 255 }),
    }),
  },
);

function damage(bytes: Buffer, d: ByteDamage): Buffer {
  switch (d.op) {
    case 'none':
      return bytes;
    case 'truncate':
      return bytes.subarray(0, d.at % (bytes.length + 1));
    case 'insert-byte': {
      const at = d.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([d.byte]), bytes.subarray(at)]);
    }
    case 'set-byte': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      copy[d.at % copy.length] = d.byte;
      return copy;
    }
  }
}

/** How the bytes reach the importer: one chunk, or chunks of a few bytes (characters split across them). */
const chunkingArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 300 }));

// ---------------------------------------------------------------------------------------------
// The store: a seeded template, copied afresh whenever an import succeeded, so every run starts from it.

let work: { dir: string; cleanup: () => void };
let templateFile: string;
let db: Db;
let storeDir: string;
let copies = 0;

function freshStore(): void {
  connection(db)?.close();
  if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  storeDir = path.join(work.dir, `store-${++copies}`);
  fs.mkdirSync(storeDir);
  fs.copyFileSync(templateFile, path.join(storeDir, DB_FILE_NAME));
  db = openStore(storeDir);
}

beforeAll(async () => {
  work = tempDir('uc-fuzz-');
  const templateDir = path.join(work.dir, 'template');
  const t = openStore(templateDir);
  await seedBase(t);
  connection(t).close();
  templateFile = path.join(templateDir, DB_FILE_NAME);
  freshStore();
});
afterAll(() => {
  connection(db)?.close();
  work?.cleanup();
});

/** The highest line a problem can be on: every LF, CR LF or lone CR ends a line. */
function lineCount(bytes: Buffer): number {
  const text = bytes.toString('latin1');
  return (text.match(/\r\n|\r|\n/g) ?? []).length + 1;
}

/**
 * Imports `bytes` as a `kind` file and checks the outcome: a result, or an InputError that lists
 * where each problem is, with the store unchanged. Anything else fails the property. With
 * `linesWithinFile`, each problem's line must also be a line the file has.
 */
async function importChecked(
  kind: ImportKindName,
  bytes: Buffer,
  chunk: number,
  maxErrors = 100,
  linesWithinFile = false,
): Promise<'imported' | 'refused'> {
  const before = fullSnapshot(db);
  const parts: Buffer[] = [];
  if (chunk === 0) parts.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  let result: ImportResult;
  try {
    result = await importFile(
      IMPORT_KINDS[kind] as AnyImportKind,
      { stream: Readable.from(parts), name: NAME },
      { ...CTX, db },
      { maxErrors },
    );
  } catch (err) {
    if (!(err instanceof InputError)) {
      throw new Error(
        `an import of ${kind} threw ${(err as Error)?.constructor?.name}, not an InputError: ${(err as Error)?.stack ?? String(err)}`,
        { cause: err },
      );
    }
    expect(connection(db).inTransaction).toBe(false);
    checkIssues(kind, err, bytes, maxErrors, linesWithinFile);
    expect(fullSnapshot(db)).toEqual(before);
    return 'refused';
  }
  expect(connection(db).inTransaction).toBe(false);
  expect(result).toMatchObject({
    kind,
    file: 'fuzz.csv',
    bytes: bytes.length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  });
  expect(result.inserted + result.updated + result.unchanged).toBe(result.rows);
  freshStore();
  return 'imported';
}

function checkIssues(
  kind: ImportKindName,
  err: InputError,
  bytes: Buffer,
  maxErrors: number,
  linesWithinFile: boolean,
): void {
  const spec = IMPORT_KINDS[kind].columns;
  const fields = new Set([...spec.required, ...spec.optional, ...STRUCTURE_FIELDS]);
  const lines = lineCount(bytes);
  expect(err.issues.length).toBeGreaterThan(0);
  expect(err.issues.length).toBeLessThanOrEqual(maxErrors);
  const shown = `${err.issues.length}${err.truncated ? '+' : ''}`;
  expect(err.message).toBe(`${NAME}: refused, ${shown} problem${shown === '1' ? '' : 's'}; nothing was imported`);
  for (const issue of err.issues) {
    const where = `${issue.file}:${issue.line}: ${issue.field}: ${issue.message}`;
    expect(issue.file, where).toBe(NAME);
    expect(typeof issue.message === 'string' && issue.message.length > 0, where).toBe(true);
    expect(issue.message, where).not.toContain('[object ');
    if (issue.line === 0) {
      // The one problem the docs place on no line: an empty file (nothing but blank lines or a BOM).
      expect({ field: issue.field, message: issue.message }, where).toEqual({ field: '', message: EMPTY });
      continue;
    }
    expect(Number.isInteger(issue.line) && issue.line >= 1, where).toBe(true);
    if (linesWithinFile)
      expect(
        issue.line,
        `${where}: beyond the last line of ${JSON.stringify(bytes.toString('latin1'))}`,
      ).toBeLessThanOrEqual(lines);
    expect(fields.has(issue.field), `${where} (field is not a column of ${kind})`).toBe(true);
  }
}

/** The same seed for every property; USAGE_CHARGES_FUZZ_PATH replays one counterexample (with -t naming its test). */
const REPLAY = process.env.USAGE_CHARGES_FUZZ_PATH;
const options: fc.Parameters<unknown> = { seed: SEED, numRuns: RUNS, ...(REPLAY ? { path: REPLAY } : {}) };

/** A valid file of `kind` with a few cells or rows changed, written one of several ways, maybe damaged at byte level. */
function mutatedFileArb(kind: ImportKindName): fc.Arbitrary<{ bytes: Buffer; chunk: number; maxErrors: number }> {
  return fc
    .record({
      mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      quoting: fc.constantFrom<Quoting>('as-needed', 'as-needed', 'none', 'all'),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      bom: fc.boolean(),
      finalEol: fc.boolean(),
      hurt: byteDamageArb,
      chunk: chunkingArb,
      maxErrors: fc.constantFrom(100, 100, 3, 1),
    })
    .map(({ mutations, quoting, eol, bom, finalEol, hurt, chunk, maxErrors }) => {
      const text = serialize(mutate(VALID[kind], mutations), quoting, eol, finalEol);
      return { bytes: damage(Buffer.from((bom ? '\uFEFF' : '') + text), hurt), chunk, maxErrors };
    });
}

// ---------------------------------------------------------------------------------------------
describe('the valid files the fuzzer starts from', () => {
  it.each(KINDS)('%s imports cleanly', async (kind) => {
    const bytes = Buffer.from(serialize(VALID[kind], 'as-needed', '\n', true));
    expect(await importChecked(kind, bytes, 0)).toBe('imported');
  });
});

describe.each(KINDS)('fuzzing %s files', (kind) => {
  const header = VALID[kind][0]!.join(',');

  it('arbitrary bytes are imported or refused with file, line and field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), chunkingArb, async (raw, chunk) => {
        await importChecked(kind, Buffer.from(raw), chunk);
      }),
      options,
    );
  });

  it('the header, then arbitrary bytes or text, is imported or refused with file, line and field', async () => {
    const tail = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
      fc
        .array(fc.array(valueArb, { maxLength: 20 }), { maxLength: 5 })
        .map((rows) => Buffer.from(serialize(rows, 'as-needed', '\n', true))),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('\n', '\r\n'), tail, chunkingArb, async (eol, rest, chunk) => {
        await importChecked(kind, Buffer.concat([Buffer.from(header + eol), rest]), chunk);
      }),
      options,
    );
  });

  it('mutations of a valid file are imported or refused with file, line and field, and a refusal changes nothing', async () => {
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(mutatedFileArb(kind), async ({ bytes, chunk, maxErrors }) => {
        if ((await importChecked(kind, bytes, chunk, maxErrors)) === 'refused') refusals++;
      }),
      options,
    );
    // The mutations must reach the row checks, not only the reader: most runs are refusals.
    expect(refusals).toBeGreaterThan(RUNS / 4);
  });

  it('every problem of a refused mutation is on a line the file has', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFileArb(kind), async ({ bytes, chunk, maxErrors }) => {
        await importChecked(kind, bytes, chunk, maxErrors, true);
      }),
      options,
    );
  });
});
