/**
 * For tests: the throwaway PostgreSQL cluster (bench/pg-cluster.ts) the global setup starts,
 * and a new empty database on it per test (`pgDatabase()`).
 */
import { PgConnection } from '../../src/store/postgres.ts';
import { PG_CLUSTER_USER } from '../../bench/pg-cluster.ts';

export { psql, psqlTry, startPgCluster, type PsqlResult } from '../../bench/pg-cluster.ts';

let made = 0;
/** This process's connection to the cluster's `postgres` database, which makes the others. */
let maker: PgConnection | undefined;

/**
 * A new database on the test run's cluster, empty or a copy of the database `template` (which no
 * one may be connected to); its libpq connection string.
 */
export function pgDatabase(label: string, template?: string): string {
  const host = process.env.TEST_PG_HOST;
  if (host === undefined)
    throw new Error('no PostgreSQL cluster for the tests (TEST_PG_HOST): the global setup starts one');
  const user = process.env.TEST_PG_USER ?? PG_CLUSTER_USER;
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${++made}`;
  maker ??= new PgConnection(`host=${host} user=${user} dbname=postgres`);
  // A copy by files: quicker than WAL_LOG for a small database on the tests' cluster (fsync off).
  maker.exec(
    `CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template.includes('=') ? databaseName(template) : template} STRATEGY FILE_COPY`}`,
  );
  return `host=${host} user=${user} dbname=${name}`;
}

/** A new empty database on the test run's cluster, as the postgresql:// URL DATABASE_URL takes. */
export function pgDatabaseUrl(label: string): string {
  return databaseUrl(pgDatabase(label));
}

/** The database a conninfo string made by pgDatabase names. */
function databaseName(conninfo: string): string {
  const name = /(?:^|\s)dbname=([a-z_][a-z0-9_]*)(?:\s|$)/.exec(conninfo)?.[1];
  if (name === undefined) throw new Error(`no plain dbname in ${conninfo}`);
  return name;
}

/** The postgresql:// URL (DATABASE_URL) of a conninfo string made by pgDatabase: the socket folder as its host parameter. */
export function databaseUrl(conninfo: string): string {
  const field = (key: string): string => {
    const v = new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(conninfo)?.[1];
    if (v === undefined) throw new Error(`no ${key} in ${conninfo}`);
    return v;
  };
  return `postgresql:///${databaseName(conninfo)}?host=${encodeURIComponent(field('host'))}&user=${encodeURIComponent(field('user'))}`;
}
