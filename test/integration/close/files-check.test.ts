/**
 * No month can be stuck without its files: the close builds a statement's files before it
 * finalizes it (a name its encoding cannot hold: not finalized, reported, closed once corrected);
 * a statement an earlier version finalized with such data is written by the next pass (clashing
 * names) or after `set-file-encoding` (an unwritable frozen name). Through main(), in process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { loadConfig } from '../../../src/config.ts';
import { IMPORT_KINDS, importFile, type ImportKindName } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { main } from '../../../src/main.ts';
import { connection, storeEngine, type Db } from '../../../src/store/db.ts';
import { archivedBytes, isArchived } from '../../helpers/archive.ts';
import { csv, tempStore } from '../../helpers/store.ts';
import { readZip } from '../../helpers/zip-read.ts';
import { withStoreEngine } from '../../helpers/store-engine.ts';

const AS_OF = '2026-11-03T00:00:00Z';
let store: ReturnType<typeof tempStore>;
let db: Db;
let env: Record<string, string>;

async function importAt(kind: ImportKindName, text: string, now = '2026-10-01T00:00:00.000Z'): Promise<void> {
  await importFile(
    IMPORT_KINDS[kind] as AnyImportKind,
    { stream: Readable.from([Buffer.from(text)]), name: `${kind}.csv` },
    { db, now, defaultCurrency: 'JPY', defaultLocale: 'ja' },
    { maxErrors: 100 },
  );
}

/** Runs `usage-charges ...args` in process; its exit code and what it printed. */
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

beforeEach(async () => {
  store = tempStore();
  db = store.db;
  env = { DATA_DIR: store.dir, LOG_LEVEL: 'silent', LOG_FORMAT: 'json' };
  await importAt(
    'tenants',
    csv('tenant_name,display_name,cutoff_day,locale', 'ACME,株式会社エーシーエムイー,31,ja', 'BETA,Beta Ltd,31,en'),
  );
  await importAt('contacts', csv('tenant_name,email', 'ACME,billing@acme.example', 'BETA,billing@beta.example'));
  await importAt('lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'LP1,ACME,本番環境', 'LP2,BETA,prod'));
  await importAt(
    'catalog',
    csv(
      'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,time_basis',
      'VM-1,0,2020-01-01T00:00:00Z,vm,image001,hour,1.2,Virtual server,operating',
    ),
  );
  await importAt(
    'usage',
    csv(
      'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at',
      'a1,ACME,LP1,vm-1,web,virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z',
      'b1,BETA,LP2,vm-2,web,virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z',
    ),
  );
});
afterEach(() => store.close());

const state = (tenant: string): unknown =>
  connection(db)
    .prepare(
      `SELECT s.status, s.last_error FROM statements s JOIN tenants t USING (tenant_pk)
  WHERE t.tenant_name = ? AND s.billing_month = '2026-10'`,
    )
    .get(tenant);
const emls = (): string[] => {
  const dir = path.join(store.dir, 'outbox');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
};
const zipOfMonth = (name: string): Buffer => archivedBytes(store.db, store.dir, `statements/202610/${name}`);

describe('the close checks the files before it finalizes', () => {
  it('a euro tenant written in cp932 is finalized and its files written, the prices with the currency code (the euro sign is not in cp932)', async () => {
    await importAt(
      'tenants',
      csv('tenant_name,display_name,cutoff_day,locale,currency', 'EURO,ユーロ株式会社,31,ja,EUR'),
    );
    await importAt('lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'LP3,EURO,本番'));
    await importAt(
      'catalog',
      csv(
        'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,time_basis,currency',
        'VM-E,0,2020-01-01T00:00:00Z,vm,image001,hour,1.2,Virtual server,operating,EUR',
      ),
    );
    await importAt(
      'usage',
      csv(
        'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at',
        'e1,EURO,LP3,vm-3,web,virtual_server,VM-E,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z',
      ),
    );
    const r = await cli('run', '--as-of', AS_OF);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(state('EURO')).toEqual({ status: 'fixed', last_error: null });
    const entries = readZip(zipOfMonth('202610_EURO.zip'));
    const detail = entries.find((e) => e.name.startsWith('202610_LP3'))!.data;
    expect(iconv.decode(detail, 'cp932')).toContain('"EUR 1.2000/h"');
  });

  it("a name the tenant's cp932 files cannot hold (stored by an older version): not finalized, reported by run and status; a later pass closes it once corrected", async () => {
    // The import refuses this name now; a store an older version filled may hold it.
    connection(db).prepare("UPDATE lplatforms SET lplatform_name = '本番 🚀' WHERE lplatform_id = 'LP1'").run();
    const first = await cli('run', '--verbose', '--as-of', AS_OF);
    expect(first.code).toBe(1);
    const reason =
      'its files cannot be written, so it was not finalized: 202610_ACME.csv: row 3, column LplatformName: "🚀" (U+1F680) cannot be written in cp932 (correct the name with an import, or give the tenant another csv_encoding in the tenants file)';
    expect(first.err).toContain(`failed to close ACME 2026-10: ${reason}`);
    expect(first.out).toContain('closed BETA 2026-10');
    expect(state('ACME')).toEqual({ status: 'estimated', last_error: reason });
    const status = await cli('status', '--month', '2026-10');
    expect(status.out).toMatch(/ACME\s+failed, will retry.*cannot be written in cp932/);
    expect(isArchived(store.db, store.dir, 'statements/202610/202610_ACME.zip')).toBe(false);

    // Corrected through the import (which now checks it), the next pass closes, writes and mails it.
    await importAt('lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'LP1,ACME,本番 ロケット'));
    const second = await cli('run', '--verbose', '--as-of', AS_OF);
    expect(second.code).toBe(0);
    expect(second.out).toContain('closed ACME 2026-10');
    expect(state('ACME')).toMatchObject({ status: 'fixed', last_error: null });
    const list = readZip(zipOfMonth('202610_ACME.zip')).find((e) => e.name === '202610_ACME.csv')!;
    expect(iconv.decode(list.data, 'cp932')).toContain('"本番 ロケット"');
    expect(emls()).toHaveLength(2);
  });

  it("a frozen name is checked in the encoding frozen with it: the WAVE DASH a Mac types is written as cp932's FULLWIDTH TILDE", async () => {
    connection(db).prepare("UPDATE tenants SET display_name = '東京〜大阪物流' WHERE tenant_name = 'ACME'").run();
    expect((await cli('run', '--verbose', '--as-of', AS_OF)).code).toBe(0);
    const list = readZip(zipOfMonth('202610_ACME.zip')).find((e) => e.name === '202610_ACME.csv')!;
    expect(iconv.decode(list.data, 'cp932')).toContain('"東京～大阪物流"');
  });
});

describe('a statement stuck without files has a remedy', () => {
  it('an L-Platform ID equal to its tenant name (finalized by an older version): the next pass writes its detail file under a distinct name and mails it', async () => {
    connection(db).prepare("UPDATE lplatforms SET lplatform_id = 'acme' WHERE lplatform_id = 'LP1'").run();
    expect((await cli('run', '--verbose', '--as-of', AS_OF)).code).toBe(0);
    const names = readZip(zipOfMonth('202610_ACME.zip')).map((e) => e.name);
    expect(names).toHaveLength(2);
    expect(names).toContain('202610_ACME.csv');
    expect(names.find((n) => n !== '202610_ACME.csv')).toMatch(/^202610_acme-[0-9a-f]{8}\.csv$/);
    expect(emls()).toHaveLength(2);
  });

  it('a frozen name its frozen encoding cannot hold: set-file-encoding changes the encoding (audited), the next pass writes and mails it', async () => {
    // Finalized as an older version did, without checking its files; its frozen display name has a
    // character cp932 cannot hold.
    closeDue(jobContext(db, loadConfig({ env, cwd: store.dir })), { asOf: new Date(AS_OF) });
    const summary = JSON.parse(
      connection(db)
        .prepare(
          "SELECT summary FROM statements WHERE billing_month = '2026-10' AND tenant_pk = (SELECT tenant_pk FROM tenants WHERE tenant_name = 'ACME')",
        )
        .pluck()
        .get() as string,
    ) as { tenant: { displayName: string }; files: { encoding: string } };
    expect(summary.files.encoding).toBe('cp932');
    summary.tenant.displayName = '𠮷野家';
    // (The store refuses to change a fixed statement: the trigger is set aside to make the old state.)
    const postgres = storeEngine(db) === 'postgres';
    const trigger = postgres
      ? ''
      : (connection(db)
          .prepare("SELECT sql FROM sqlite_master WHERE name = 'statements_fixed_no_update'")
          .pluck()
          .get() as string);
    connection(db).exec(
      postgres
        ? 'ALTER TABLE statements DISABLE TRIGGER statements_fixed_no_update'
        : 'DROP TRIGGER statements_fixed_no_update',
    );
    connection(db)
      .prepare(
        "UPDATE statements SET summary = ? WHERE billing_month = '2026-10' AND tenant_pk = (SELECT tenant_pk FROM tenants WHERE tenant_name = 'ACME')",
      )
      .run(JSON.stringify(summary));
    connection(db).exec(postgres ? 'ALTER TABLE statements ENABLE TRIGGER statements_fixed_no_update' : trigger);

    const stuck = await cli('run', '--verbose', '--as-of', AS_OF);
    expect(stuck.code).toBe(1);
    expect(stuck.err).toContain(
      'failed to write the files of ACME 2026-10: 202610_ACME.csv: row 2, column TenantDisplayName: "𠮷" (U+20BB7) cannot be written in cp932',
    );
    expect(emls()).toHaveLength(1); // BETA's

    // The remedy's refusals: a statement that can be written, an encoding that cannot hold it either, a bad encoding.
    expect(
      await cli('set-file-encoding', '--tenant', 'BETA', '--month', '2026-10', '--encoding', 'utf8'),
    ).toMatchObject({ code: 2 });
    expect(
      (await cli('set-file-encoding', '--tenant', 'ACME', '--month', '2026-10', '--encoding', 'cp932')).err,
    ).toContain('its files cannot be written in cp932 either');
    expect((await cli('set-file-encoding', '--tenant', 'ACME', '--month', '2026-10', '--encoding', 'sjis')).code).toBe(
      2,
    );

    const fix = await cli(
      'set-file-encoding',
      '--tenant',
      'ACME',
      '--month',
      '2026-10',
      '--encoding',
      'utf8-bom',
      '--reason',
      'name outside cp932',
    );
    expect(fix).toMatchObject({
      code: 0,
      out: 'ACME 2026-10: its files will be written in utf8-bom (was cp932); the next pass (`usage-charges run`) writes and mails them',
    });
    const audit = connection(db)
      .prepare("SELECT detail FROM audit_log WHERE action = 'file-encoding-changed'")
      .pluck()
      .all() as string[];
    expect(audit.map((d) => JSON.parse(d) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ billingMonth: '2026-10', from: 'cp932', to: 'utf8-bom', reason: 'name outside cp932' }),
    ]);

    const after = await cli('run', '--verbose', '--as-of', AS_OF);
    expect(after.code).toBe(0);
    const list = readZip(zipOfMonth('202610_ACME.zip')).find((e) => e.name === '202610_ACME.csv')!;
    expect(list.data.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(list.data.toString('utf8')).toContain('"𠮷野家"');
    expect(emls()).toHaveLength(2);
    // Written files never change encoding.
    expect(
      (await cli('set-file-encoding', '--tenant', 'ACME', '--month', '2026-10', '--encoding', 'utf8')).err,
    ).toContain('its files are written already');
  });
});
