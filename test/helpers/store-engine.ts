/**
 * The engine of the stores the tests open, for the command line they run: a test whose store
 * tempStore() made on PostgreSQL (TEST_STORE_ENGINE=postgres) runs `usage-charges` with that
 * store's DATA_DIR; the program gets the store's database as DATABASE_URL with it, as a deployment
 * on PostgreSQL would set it.
 */
import path from 'node:path';
import { databaseUrl } from './pg-cluster.ts';

/** The PostgreSQL database (libpq conninfo) of each data dir whose store tempStore() made there. */
const databases = new Map<string, string>();

/** Records that the store of `dataDir` is the PostgreSQL database `conninfo`. */
export function storeInDatabase(dataDir: string, conninfo: string): void {
  databases.set(path.resolve(dataDir), conninfo);
}

/** `env` with DATABASE_URL added when its DATA_DIR is that of a store made on PostgreSQL (and none is set). */
export function withStoreEngine(env: Record<string, string>): Record<string, string> {
  const conninfo = env.DATA_DIR === undefined ? undefined : databases.get(path.resolve(env.DATA_DIR));
  return conninfo === undefined || env.DATABASE_URL !== undefined
    ? env
    : { ...env, DATABASE_URL: databaseUrl(conninfo) };
}
