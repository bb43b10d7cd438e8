/**
 * Files a Japanese clerk opens by double-click: each tenant's statement files in its encoding
 * (its own csv_encoding, else by locale: cp932 for ja, UTF-8 with a BOM otherwise), frozen with
 * the statement; zip entries dated with the finalization time in BILLING_TZ (layout 2 on).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildFiles, zipOf } from '../../../jobs/build-files.ts';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { IMPORT_KINDS, importFile, type ImportKindName } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { main } from '../../../src/main.ts';
import { loadStatementView } from '../../../src/store/billing.ts';
import { connection, type Db } from '../../../src/store/db.ts';
import { archivedBytes } from '../../helpers/archive.ts';
import { csv, tempStore } from '../../helpers/store.ts';
import { readZip } from '../../helpers/zip-read.ts';
import { withStoreEngine } from '../../helpers/store-engine.ts';

const AS_OF = new Date('2026-11-03T00:00:00Z');
/** Finalized at 2026-11-03 00:05:42 UTC = 09:05:42 in Tokyo. */
const FINALIZED = new Date('2026-11-03T00:05:42Z');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
let store: ReturnType<typeof tempStore>;
let db: Db;
let config: Config;
let env: Record<string, string>;

async function importAt(kind: ImportKindName, text: string): Promise<void> {
  await importFile(
    IMPORT_KINDS[kind] as AnyImportKind,
    { stream: Readable.from([Buffer.from(text)]), name: `${kind}.csv` },
    {
      db,
      now: '2026-10-01T00:00:00.000Z',
      defaultCurrency: 'JPY',
      defaultLocale: 'ja',
      csvEncoding: config.csvEncoding,
    },
    { maxErrors: 100 },
  );
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['node', 'usage-charges', ...args],
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    withStoreEngine(env),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The DOS date and time of a zip's first entry, as `YYYY-MM-DD HH:mm:ss` (from its local header). */
function entryTime(zip: Buffer): string {
  const time = zip.readUInt16LE(10);
  const date = zip.readUInt16LE(12);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${(date >> 9) + 1980}-${two((date >> 5) & 15)}-${two(date & 31)} ${two(time >> 11)}:${two((time >> 5) & 63)}:${two((time & 31) * 2)}`;
}

beforeEach(async () => {
  store = tempStore();
  db = store.db;
  env = { DATA_DIR: store.dir, BILLING_TZ: 'Asia/Tokyo', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' };
  config = loadConfig({ env, cwd: store.dir });
  await importAt(
    'tenants',
    csv(
      'tenant_name,display_name,cutoff_day,locale,csv_encoding',
      'JA,株式会社ジェイエー,31,ja,',
      'EN,English Ltd,31,en,',
      'ENSJIS,English KK,31,en,cp932',
      'JAUTF8,ユーティーエフ,31,ja,utf8',
    ),
  );
  await importAt(
    'lplatforms',
    csv('lplatform_id,tenant_name,lplatform_name', 'L1,JA,本番', 'L2,EN,prod', 'L3,ENSJIS,prod', 'L4,JAUTF8,本番'),
  );
  await importAt(
    'catalog',
    csv(
      'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,time_basis',
      'VM-1,0,2020-01-01T00:00:00Z,vm,image001,hour,1.2,仮想サーバ,operating',
    ),
  );
  await importAt(
    'usage',
    csv(
      'record_id,tenant_name,lplatform_id,resource_id,resource_kind,product_id,time_kind,start_at,end_at',
      ...['JA', 'EN', 'ENSJIS', 'JAUTF8'].map(
        (t, i) =>
          `r${i},${t},L${i + 1},vm-${i},virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z`,
      ),
    ),
  );
});
afterEach(() => store.close());

const listOf = (zip: Buffer): Buffer => readZip(zip).find((e) => /^202610_[A-Z0-9]+\.csv$/.test(e.name))!.data;

describe('per-tenant encodings, frozen with the statement', () => {
  it("ja: cp932; otherwise UTF-8 with a BOM; a tenant's own csv_encoding wins; the columns and rows are the same text", async () => {
    closeDue(jobContext(db, config, { now: () => FINALIZED }), { asOf: AS_OF });
    const { written, failed } = await buildFiles(jobContext(db, config, { now: () => FINALIZED }));
    expect(failed).toEqual([]);
    const zips = Object.fromEntries(written.map((w) => [w.tenant, archivedBytes(store.db, store.dir, w.zip)]));
    const ja = listOf(zips.JA!);
    expect(ja.subarray(0, 3).equals(BOM)).toBe(false);
    expect(iconv.decode(ja, 'cp932')).toContain('"JA","株式会社ジェイエー"');
    const en = listOf(zips.EN!);
    expect(en.subarray(0, 3)).toEqual(BOM);
    expect(en.subarray(3).toString('utf8')).toMatch(/^#TenantName,TenantDisplayName,/);
    expect(iconv.decode(listOf(zips.ENSJIS!), 'cp932')).toMatch(/^#TenantName,/);
    const jaUtf8 = listOf(zips.JAUTF8!);
    expect(jaUtf8.toString('utf8')).toMatch(/^#TenantName,.*\r\n"JAUTF8","ユーティーエフ"/s);
    // The same statement in each encoding is the same text.
    expect(iconv.decode(ja, 'cp932').replaceAll('JA', 'X').replace('株式会社ジェイエー', 'N')).toBe(
      jaUtf8.toString('utf8').replaceAll('JAUTF8', 'X').replace('ユーティーエフ', 'N').replaceAll('L4', 'L1'),
    );

    // Frozen: a later change of the tenant's encoding or of CSV_ENCODING does not change its rebuild.
    await importAt(
      'tenants',
      csv('tenant_name,display_name,cutoff_day,locale,csv_encoding', 'JA,株式会社ジェイエー,31,ja,utf8'),
    );
    const pk = connection(db)
      .prepare("SELECT statement_pk FROM statements JOIN tenants USING (tenant_pk) WHERE tenant_name = 'JA'")
      .pluck()
      .get() as number;
    expect(loadStatementView(db, pk).files).toEqual({ encoding: 'cp932', currencySymbol: '\\', layout: 2 });
    const forced = loadConfig({ env: { ...env, CSV_ENCODING: 'utf8' }, cwd: store.dir });
    expect(zipOf(loadStatementView(db, pk), forced).bytes.equals(zips.JA!)).toBe(true);
  });

  it('CSV_ENCODING, when not auto, is the encoding of tenants without their own', async () => {
    config = loadConfig({ env: { ...env, CSV_ENCODING: 'utf8' }, cwd: store.dir });
    closeDue(jobContext(db, config, { now: () => FINALIZED }), { asOf: AS_OF });
    const encodings = connection(db)
      .prepare(
        "SELECT t.tenant_name, json_extract(s.summary, '$.files.encoding') AS e FROM statements s JOIN tenants t USING (tenant_pk) ORDER BY t.tenant_name",
      )
      .all();
    expect(encodings).toEqual([
      { tenant_name: 'EN', e: 'utf8' },
      { tenant_name: 'ENSJIS', e: 'cp932' },
      { tenant_name: 'JA', e: 'utf8' },
      { tenant_name: 'JAUTF8', e: 'utf8' },
    ]);
  });

  it("estimate and export write a tenant's files in its encoding unless told otherwise", async () => {
    const out = path.join(store.dir, 'ja.zip');
    expect((await cli('estimate', '--tenant', 'JA', '--as-of', '2026-10-25T00:00:00Z', '--out', out)).code).toBe(0);
    const estimate = fs.readFileSync(out);
    expect(iconv.decode(listOf(estimate), 'cp932')).toContain('"株式会社ジェイエー"');
    // Its entries are dated with the as-of in BILLING_TZ: 09:00 in Tokyo.
    expect(entryTime(estimate)).toBe('2026-10-25 09:00:00');
    const enOut = path.join(store.dir, 'en.csv');
    expect(
      (await cli('export', '--format', 'ecl-detail', '--month', '2026-10', '--tenant', 'EN', '--out', enOut)).code,
    ).toBe(0);
    expect(fs.readFileSync(enOut).subarray(0, 3)).toEqual(BOM);
    const jaOut = path.join(store.dir, 'ja.csv');
    expect(
      (await cli('export', '--format', 'ecl-detail', '--month', '2026-10', '--tenant', 'JA', '--out', jaOut)).code,
    ).toBe(0);
    expect(iconv.decode(fs.readFileSync(jaOut), 'cp932')).toContain('株式会社ジェイエー');
    expect(
      (
        await cli(
          'export',
          '--format',
          'ecl-detail',
          '--month',
          '2026-10',
          '--tenant',
          'JA',
          '--out',
          jaOut,
          '--encoding',
          'utf8-bom',
        )
      ).code,
    ).toBe(0);
    expect(fs.readFileSync(jaOut).subarray(0, 3)).toEqual(BOM);
  });
});

describe('zip entry dates', () => {
  it('the finalization time as wall time in BILLING_TZ (layout 2), UTC wall time for a statement frozen before layouts (layout 1)', async () => {
    closeDue(jobContext(db, config, { now: () => FINALIZED }), { asOf: AS_OF });
    const { written } = await buildFiles(jobContext(db, config, { now: () => FINALIZED }));
    const zip = archivedBytes(store.db, store.dir, written[0]!.zip);
    for (const e of readZip(zip)) expect(e.name).toMatch(/\.csv$/);
    expect(entryTime(zip)).toBe('2026-11-03 09:05:42');
    // The time zone is the one frozen with the statement's period, not today's setting.
    const pk = connection(db)
      .prepare("SELECT statement_pk FROM statements JOIN tenants USING (tenant_pk) WHERE tenant_name = 'JA'")
      .pluck()
      .get() as number;
    const view = loadStatementView(db, pk);
    const utcConfig = loadConfig({ env: { ...env, BILLING_TZ: 'UTC' }, cwd: store.dir });
    expect(entryTime(zipOf(view, utcConfig).bytes)).toBe('2026-11-03 09:05:42');
    const { layout: _layout, ...layoutOne } = view.files!;
    expect(entryTime(zipOf({ ...view, files: layoutOne }, config).bytes)).toBe('2026-11-03 00:05:42');
  });
});
