/**
 * What a tenant's statement files can hold is checked at import: names cp932 cannot write (after
 * the usual mapping) for tenants written in cp932, names that would clash inside a zip; the
 * tenants file's csv_encoding; import files in cp932.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../../src/main.ts';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { importFile } from '../../../src/ingest/import-file.ts';
import { IMPORT_KINDS } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { InputError } from '../../../src/domain/errors.ts';
import { csv, importText, snapshot } from '../../helpers/store.ts';
import { expectRefused, useStore } from './support.ts';
import { withStoreEngine } from '../../helpers/store-engine.ts';

let db: Db;
let dir: string;
useStore(true, (s) => {
  db = s.db;
  dir = s.dir;
});

const TENANTS = 'tenant_name,display_name,cutoff_day,locale,csv_encoding';
const CP932_MSG = (ch: string, code: string, tenant: string) =>
  `"${ch}" (${code}) cannot be written in cp932, the encoding of tenant ${tenant}'s statement files; use another character`;
const encodingOf = (tenant: string): unknown =>
  connection(db).prepare('SELECT csv_encoding FROM tenants WHERE tenant_name = ?').pluck().get(tenant);

describe('names a tenant written in cp932 cannot hold are refused at import', () => {
  it('tenants: a display name with a character cp932 cannot hold, named with its code point; a mapped one (WAVE DASH) is fine', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(TENANTS, 'T3,𠮷野家,31,ja,', 'T4,Shop 😀,31,,cp932'),
      `tenants.csv:2: display_name: ${CP932_MSG('𠮷', 'U+20BB7', 'T3')}`,
      `tenants.csv:3: display_name: ${CP932_MSG('😀', 'U+1F600', 'T4')}`,
    );
    // 〜 (U+301C, what a Mac or Linux IME types) and − (U+2212) are written as ～ and －.
    await importText(
      db,
      'tenants',
      csv(TENANTS, 'T3,東京〜大阪物流−,31,ja,', 'T4,Shop 😀,31,en,', 'T5,𠮷野家,31,ja,utf8-bom'),
    );
    expect(encodingOf('T5')).toBe('utf8-bom');
    expect(encodingOf('T3')).toBe(null);
  });

  it('lplatforms, usage and catalog: the names that reach a statement file', async () => {
    await expectRefused(
      db,
      'lplatforms',
      csv('lplatform_id,tenant_name,lplatform_name', 'LP9,T1,web 🚀', 'LP8,T2,web 🚀'),
      `lplatforms.csv:2: lplatform_name: ${CP932_MSG('🚀', 'U+1F680', 'T1')}`,
    );
    await expectRefused(
      db,
      'usage',
      csv(
        'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at',
        'R1,T1,LP1,vm-1,サーバ①😀,virtual_server,VM-1,operating,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z',
      ),
      `usage.csv:2: resource_name: ${CP932_MSG('😀', 'U+1F600', 'T1')}`,
    );
    // The catalog is shared by every tenant: always checked.
    await expectRefused(
      db,
      'catalog',
      csv(
        'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name',
        'NEW-1,0,2020-01-01T00:00:00Z,vm,img😀,hour,1,Server 😀',
      ),
      'catalog.csv:2: product_name: "😀" (U+1F600) cannot be written in cp932, in which statement files that show this product may be written; use another character',
      'catalog.csv:2: resource_identifier: "😀" (U+1F600) cannot be written in cp932, in which statement files that show this product may be written; use another character',
    );
  });

  it('a tenant whose encoding becomes cp932 (csv_encoding or locale): its open names are checked, or the change is refused', async () => {
    await importText(db, 'lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'LP7,T2,web 🚀'));
    await expectRefused(
      db,
      'tenants',
      csv(TENANTS, 'T2,Tenant Two,20,en,cp932'),
      'tenants.csv:2: csv_encoding: tenant T2\'s statement files would be written in cp932, which cannot hold "🚀" (U+1F680) in the name of L-Platform LP7; correct that name first, or keep another encoding',
    );
    await expectRefused(
      db,
      'tenants',
      csv(TENANTS, 'T2,Tenant Two,20,ja,'),
      /tenants\.csv:2: locale: tenant T2's statement files would be written in cp932, which cannot hold "🚀"/,
    );
    // With its own UTF-8 encoding, the locale may change; `auto` goes back to the default.
    await importText(db, 'tenants', csv(TENANTS, 'T2,Tenant Two,20,ja,utf8'));
    expect(encodingOf('T2')).toBe('utf8');
    await expectRefused(
      db,
      'tenants',
      csv(TENANTS, 'T2,Tenant Two,20,ja,auto'),
      /csv_encoding: tenant T2's statement files would be written in cp932/,
    );
    await importText(db, 'lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'LP7,T2,web'));
    await importText(db, 'tenants', csv(TENANTS, 'T2,Tenant Two,20,ja,auto'));
    expect(encodingOf('T2')).toBe(null);
  });

  it('csv_encoding must be auto, utf8, utf8-bom or cp932', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(TENANTS, 'T2,Tenant Two,20,en,sjis'),
      /tenants\.csv:2: csv_encoding: must be one of auto, utf8, utf8-bom, cp932/,
    );
  });
});

describe('names that would clash inside a zip are refused at import', () => {
  it('an L-Platform ID equal to its tenant name in any letter case (the detail file would have the list file name)', async () => {
    await importText(db, 'tenants', csv(TENANTS, 'ACME,Acme,31,en,'));
    await expectRefused(
      db,
      'lplatforms',
      csv('lplatform_id,tenant_name,lplatform_name', 'acme,ACME,x', 'ACME,ACME,y'),
      "lplatforms.csv:2: lplatform_id: is the name of its tenant ACME in another letter case; the detail file would have the list file's name",
      "lplatforms.csv:3: lplatform_id: is the name of its tenant ACME; the detail file would have the list file's name",
    );
    // Another tenant's L-Platform may have that ID: it is in another zip.
    await importText(db, 'lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'acme,T1,x'));
  });
});

/** Imports bytes read as cp932. */
async function importCp932(kind: 'tenants' | 'lplatforms', bytes: Buffer, chunk = bytes.length): Promise<void> {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  await importFile(
    IMPORT_KINDS[kind] as AnyImportKind,
    { stream: Readable.from(parts), name: `${kind}.csv` },
    { db, now: '2026-11-01T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' },
    { maxErrors: 100, encoding: 'cp932' },
  );
}

async function cp932Issues(kind: 'tenants' | 'lplatforms', bytes: Buffer, chunk?: number): Promise<string[]> {
  const before = snapshot(db);
  const err = await importCp932(kind, bytes, chunk).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(snapshot(db)).toEqual(before);
  return (err as InputError).issues.map((i) => `${i.file}:${i.line}: ${i.field}: ${i.message}`);
}

describe('import --encoding cp932 (what Excel saves)', () => {
  const text =
    'tenant_name,display_name,cutoff_day\r\nT3,株式会社テナント三号～,31\r\n"T4","ＡＢＣ商事 ""本店""",15\r\n';

  it.each([1, 2, 3, 7, 1000])('reads a Shift_JIS file (split every %i bytes) as its text', async (size) => {
    await importCp932('tenants', iconv.encode(text, 'cp932'), size);
    const names = connection(db)
      .prepare("SELECT tenant_name, display_name FROM tenants WHERE tenant_name IN ('T3', 'T4') ORDER BY tenant_name")
      .all();
    expect(names).toEqual([
      { tenant_name: 'T3', display_name: '株式会社テナント三号～' },
      { tenant_name: 'T4', display_name: 'ＡＢＣ商事 "本店"' },
    ]);
  });

  it.each([1, 2, 5, 1000])(
    'names the line of a byte sequence cp932 does not define, counted as in UTF-8 (split every %i bytes)',
    async (size) => {
      // Line 4 (a CR alone inside a quoted cell on line 2 counts as a line end, as in the UTF-8 path).
      const bytes = Buffer.concat([
        iconv.encode('tenant_name,display_name,cutoff_day\r\n"T3","テナント\r三号",31\r\n', 'cp932'),
        Buffer.from('T4,'),
        Buffer.from([0x82, 0xa0, 0xfd]),
        Buffer.from(',31\r\nT5,x,31\r\n'),
      ]);
      expect(await cp932Issues('tenants', bytes, size)).toEqual([
        'tenants.csv:4: (encoding): is not valid cp932 (Shift_JIS): a byte sequence cp932 does not define',
      ]);
    },
  );

  it('the same row errors with the same lines as the UTF-8 file', async () => {
    const bad = 'tenant_name,display_name,cutoff_day\n\nT3,テナント,32\nT4,テナント,x\n';
    const utf8 = await importText(db, 'tenants', bad).catch((e: unknown) =>
      (e as InputError).issues.map((i) => `${i.line}: ${i.field}: ${i.message}`),
    );
    const sjis = (await cp932Issues('tenants', iconv.encode(bad, 'cp932'))).map((l) => l.replace(/^tenants\.csv:/, ''));
    expect(sjis).toEqual(utf8);
    expect(sjis).toEqual([
      '3: cutoff_day: must be a whole number from 1 to 31',
      '4: cutoff_day: must be a whole number from 1 to 31',
    ]);
  });

  it('a file that ends inside a double-byte character', async () => {
    const bytes = Buffer.concat([
      iconv.encode('tenant_name,display_name,cutoff_day\nT3,テ', 'cp932'),
      Buffer.from([0x83]),
    ]);
    expect(await cp932Issues('tenants', bytes)).toEqual([
      'tenants.csv:2: (encoding): the file ends inside a double-byte character: it is not valid cp932',
    ]);
  });
});

describe('usage-charges import KIND FILE --encoding cp932', () => {
  it('imports the Shift_JIS file Excel saved; a file not in the encoding given names its line; an unknown encoding is exit 2', async () => {
    const out: string[] = [];
    const run = (...args: string[]): Promise<number> =>
      main(
        ['node', 'usage-charges', ...args],
        { out: (l) => out.push(l), err: (l) => out.push(l) },
        withStoreEngine({ DATA_DIR: dir, LOG_LEVEL: 'silent' }),
      );
    const file = path.join(dir, 'tenants-excel.csv');
    fs.writeFileSync(
      file,
      iconv.encode('tenant_name,display_name,cutoff_day\r\nT3,株式会社テナント三号,31\r\n', 'cp932'),
    );
    expect(await run('import', 'tenants', file)).toBe(2);
    expect(out.join('\n')).toContain(
      'tenants-excel.csv:2: (encoding): is not valid UTF-8 (save the file as UTF-8, or import a Shift_JIS/cp932 file with --encoding cp932)',
    );
    expect(await run('import', 'tenants', file, '--encoding', 'latin1')).toBe(2);
    expect(out.join('\n')).toContain('--encoding: "latin1" must be utf8 or cp932');
    out.length = 0;
    expect(await run('import', 'tenants', file, '--encoding', 'cp932')).toBe(0);
    expect(out).toEqual(['tenants: tenants-excel.csv: 1 row: 1 added, 0 updated, 0 unchanged']);
    expect(connection(db).prepare("SELECT display_name FROM tenants WHERE tenant_name = 'T3'").pluck().get()).toBe(
      '株式会社テナント三号',
    );
  });
});
