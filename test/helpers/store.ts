/** Test helpers: a real store (SQLite, or PostgreSQL with TEST_STORE_ENGINE=postgres) in a fresh temp folder, and imports from CSV text. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import {
  connection,
  DB_FILE_NAME,
  openPostgresStore,
  openStore,
  postgresConninfo,
  storeEngine,
  type Db,
} from '../../src/store/db.ts';
import { PgConnection } from '../../src/store/postgres.ts';
import { pgDatabase } from './pg-cluster.ts';
import { storeInDatabase } from './store-engine.ts';
import { IMPORT_KINDS, importFile, type ImportKindName, type ImportResult } from '../../src/ingest/index.ts';
import type { AnyImportKind } from '../../src/ingest/import-kind.ts';
import { InputError } from '../../src/domain/errors.ts';

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'uc-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

let storeTemplate: string | undefined;

/**
 * A new PostgreSQL database holding an empty store: a copy of one made once per test file (a copy
 * is quicker than making the schema again).
 */
function pgStoreDatabase(): string {
  if (storeTemplate === undefined) {
    const conninfo = pgDatabase('template');
    connection(openPostgresStore(conninfo)).close();
    storeTemplate = /dbname=(\w+)/.exec(conninfo)![1]!;
  }
  return pgDatabase('store', storeTemplate);
}

/** A store opened on a new SQLite file; `close()` closes it and deletes the folder. */
export function tempStore(): { db: Db; dir: string; close: () => void } {
  const { dir, cleanup } = tempDir();
  // TEST_STORE_ENGINE=postgres: the same tests on a new database of the run's PostgreSQL cluster.
  let db: Db;
  if (process.env.TEST_STORE_ENGINE === 'postgres') {
    const conninfo = pgStoreDatabase();
    db = openPostgresStore(conninfo);
    // The command line the test runs with this DATA_DIR opens this database.
    storeInDatabase(dir, conninfo);
  } else db = openStore(dir);
  return {
    db,
    dir,
    close: () => {
      connection(db).close();
      cleanup();
    },
  };
}

/**
 * A second connection to the store of `store` (another process's, as far as the store can tell),
 * on the store's own engine: the SQLite file in its folder, or its PostgreSQL database. The
 * caller closes it.
 */
export function otherConnection(store: { db: Db; dir: string }): Database.Database {
  const conninfo = postgresConninfo(store.db);
  if (conninfo !== undefined) return new PgConnection(conninfo) as unknown as Database.Database;
  return new Database(path.join(store.dir, DB_FILE_NAME));
}

/**
 * A second store handle on the store of `store` (another process's open store), on the store's
 * own engine. The caller closes it (`connection(db).close()`).
 */
export function otherStore(store: { db: Db; dir: string }): Db {
  const conninfo = postgresConninfo(store.db);
  return conninfo !== undefined ? openPostgresStore(conninfo) : openStore(store.dir);
}

/** Imports CSV text as a file named `name` (default `<kind>.csv`); throws InputError on refusal. */
export async function importText(
  db: Db,
  kind: ImportKindName,
  csv: string | Buffer,
  name = `${kind}.csv`,
  maxErrors = 100,
): Promise<ImportResult> {
  return importFile(
    IMPORT_KINDS[kind] as AnyImportKind,
    { stream: Readable.from([typeof csv === 'string' ? Buffer.from(csv) : csv]), name },
    { db, now: '2026-11-01T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' },
    { maxErrors },
  );
}

/** Imports and expects a refusal; returns the `file:line: field: message` lines. */
export async function refused(
  db: Db,
  kind: ImportKindName,
  csv: string | Buffer,
  name = `${kind}.csv`,
): Promise<string[]> {
  try {
    await importText(db, kind, csv, name);
  } catch (err) {
    if (err instanceof InputError) return err.issues.map((i) => `${i.file}:${i.line}: ${i.field}: ${i.message}`);
    throw err;
  }
  throw new Error(`expected ${name} to be refused, but it was imported`);
}

/**
 * Every row of every data table, to compare a store before and after a refused import (on
 * PostgreSQL not its version counter, which any writing statement raises).
 */
export function snapshot(db: Db): Record<string, unknown[]> {
  const postgres = storeEngine(db) === 'postgres';
  const tables = connection(db)
    .prepare(
      postgres
        ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'store_version' ORDER BY 1"
        : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  const out: Record<string, unknown[]> = {};
  // Each table in the order of its rows' keys (SQLite's rowid is the key of every table here).
  for (const t of tables)
    out[t] = connection(db)
      .prepare(`SELECT * FROM "${t}" ORDER BY ${postgres ? '1' : 'rowid'}`)
      .all();
  return out;
}

/** CSV text from a header and rows (cells joined by commas; quote them yourself where needed). */
export function csv(header: string, ...rows: string[]): string {
  return [header, ...rows].join('\n') + '\n';
}

/** A minimal valid base: tenants T1 (JPY) and T2, L-Platforms LP1 (T1) and LP2 (T2), a few products. */
export async function seedBase(db: Db): Promise<void> {
  await importText(
    db,
    'tenants',
    csv('tenant_name,display_name,cutoff_day,locale,currency', 'T1,Tenant One,31,ja,JPY', 'T2,Tenant Two,20,en,USD'),
  );
  await importText(
    db,
    'lplatforms',
    csv('lplatform_id,tenant_name,lplatform_name', 'LP1,T1,platform one', 'LP2,T2,platform two'),
  );
  await importText(
    db,
    'catalog',
    csv(
      'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,charge_type,time_basis,monthly_cap,plan_group,rule,rule_params',
      'VM-1,0,2020-01-01T00:00:00Z,vm,image001,hour,1.2,Virtual server,,operating,,,,',
      'CPU-1,0,2020-01-01T00:00:00Z,cpu,/VMPool,hour,1.6667,CPU,,,,,,',
      'MEM-1,0,2020-01-01T00:00:00Z,memory,/VMPool,hour,20,Memory,,,,,,',
      'CMP-A,0,2020-01-01T00:00:00Z,compute,1CPU-4GB,minute,0.173612,Flavor A,capped_plan,operating,7000,flavors,,',
      'GI-1,0,2020-01-01T00:00:00Z,guest_image,win,month,10200,Guest image,monthly_fixed,,,,per_vm_flat,max_vms=7;flat_price=66000',
      'SQL-4,0,2020-01-01T00:00:00Z,license,sql4,month,30000,SQL 4,monthly_fixed,,,sql,largest_vcpu,',
      'ALARM,0,2020-01-01T00:00:00Z,monitoring,alarm,unit,500,Alarm,metered,,,,,',
    ),
  );
}
