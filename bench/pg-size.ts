/**
 * `npx tsx bench/pg-size.ts --tenants N DATABASE_URL`: what a month takes in a PostgreSQL store.
 * Generates the benchmark's cloud (bench/generate.ts: N tenants of 20 L-Platforms of 2 servers),
 * imports it into the empty database the URL names, closes the month with its zips, and prints the
 * database's size before and after each step and the size of the tables a month fills (one JSON
 * line). docs/scaling.md feeds its model of the database's size with it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { closeAndWriteFiles } from '../jobs/pass.ts';
import { jobContext } from '../jobs/context.ts';
import { loadConfig } from '../src/config.ts';
import { closeStore, connection, openPostgresStore, type Db } from '../src/store/db.ts';
import { AS_OF, writeCloud } from './generate.ts';
import { importCloud } from './import-cloud.ts';

/** The tables a month fills, and the whole database, in bytes (with their indexes and TOAST). */
function relationSizes(db: Db): Record<string, number> {
  const size = (sql: string): number => Number(connection(db).prepare(sql).pluck().get());
  const sizes: Record<string, number> = { database: size('SELECT pg_database_size(current_database())') };
  for (const t of [
    'usage_records',
    'lplatforms',
    'statements',
    'charge_lines',
    'statement_files',
    'archived_zips',
    'deliveries',
    'audit_log',
  ])
    sizes[t] = size(`SELECT pg_total_relation_size('${t}')`);
  return sizes;
}

const program = new Command('pg-size')
  .argument('<url>', 'an empty PostgreSQL database (postgres://…)')
  .requiredOption('--tenants <n>', 'tenants', (v) => {
    if (!/^\d{1,7}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
    return Number(v);
  })
  .parse();
const url = program.args[0]!;
const { tenants } = program.opts<{ tenants: number }>();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-pg-size-'));
try {
  const cloud = await writeCloud(
    { tenants, lplatforms: 20, servers: 2, seed: 1, bigTenant: false },
    path.join(root, 'in'),
  );
  const config = loadConfig({ cwd: root, env: { DATA_DIR: path.join(root, 'data'), LOG_LEVEL: 'silent' } });
  const db = openPostgresStore(url);
  try {
    const empty = relationSizes(db);
    await importCloud(db, config, cloud.paths);
    const imported = relationSizes(db);
    await closeAndWriteFiles(jobContext(db, config), { asOf: new Date(AS_OF) });
    const closed = relationSizes(db);
    console.log(JSON.stringify({ tenants, usageRows: cloud.counts.usageRecords, empty, imported, closed }));
  } finally {
    closeStore(db);
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
