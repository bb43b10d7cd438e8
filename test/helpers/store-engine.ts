/**
 * The engine of the stores the tests open, for the command line they run. With
 * TEST_STORE_ENGINE=postgres (the `postgres` project) every data dir a test runs `usage-charges`
 * with has its own database on the run's PostgreSQL cluster: the one tempStore() made there, or a
 * new empty one the first time the data dir is named; the program gets it as DATABASE_URL with its
 * DATA_DIR, as a deployment on PostgreSQL sets both. Without it (the `sqlite` project) the store
 * is the SQLite file in the data dir, as the program makes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openPostgresStore, openStore, type Db } from '../../src/store/db.ts';
import { databaseUrl, pgDatabase } from './pg-cluster.ts';

/** The PostgreSQL database (libpq conninfo) of each data dir that has one. */
const databases = new Map<string, string>();

/** Whether this test run's stores are PostgreSQL databases. */
export function onPostgres(): boolean {
  return process.env.TEST_STORE_ENGINE === 'postgres';
}

/** Records that the store of `dataDir` is the PostgreSQL database `conninfo`. */
export function storeInDatabase(dataDir: string, conninfo: string): void {
  databases.set(path.resolve(dataDir), conninfo);
}

/**
 * The PostgreSQL database (libpq conninfo) of the data dir `dataDir`: made the first time it is
 * asked for on PostgreSQL; undefined on SQLite.
 */
export function databaseOf(dataDir: string): string | undefined {
  const key = path.resolve(dataDir);
  let conninfo = databases.get(key);
  if (conninfo === undefined && onPostgres()) {
    conninfo = pgDatabase('data');
    databases.set(key, conninfo);
  }
  return conninfo;
}

/**
 * On PostgreSQL, gives the data dir `to` a copy of the database of the data dir `from` (which no
 * one may be connected to), as copying the folder copies a SQLite store.
 */
export function copyDatabase(from: string, to: string): void {
  const source = databaseOf(from);
  if (source !== undefined) storeInDatabase(to, pgDatabase('copy', source));
}

/** `env` with DATABASE_URL added when its DATA_DIR has a PostgreSQL database (and none is set). */
export function withStoreEngine(env: Record<string, string>): Record<string, string> {
  if (env.DATA_DIR === undefined || env.DATABASE_URL !== undefined) return env;
  const conninfo = databaseOf(env.DATA_DIR);
  return conninfo === undefined ? env : { ...env, DATABASE_URL: databaseUrl(conninfo) };
}

/** Opens the store of the data dir `dataDir` on its engine (another process's handle on it); the caller closes it. */
export function openStoreOf(dataDir: string): Db {
  const conninfo = databaseOf(dataDir);
  return conninfo === undefined ? openStore(dataDir) : openPostgresStore(conninfo);
}

/**
 * Copies the data dir `from` (its files, and on PostgreSQL its database) to `to`, as copying the
 * folder copies a SQLite store; a data dir that has no folder yet (PostgreSQL: nothing went to
 * disk) gives an empty folder.
 */
export function copyDataDir(from: string, to: string): void {
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true });
  else fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  copyDatabase(from, to);
}
