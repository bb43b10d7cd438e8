/**
 * For tests: the throwaway PostgreSQL cluster (bench/pg-cluster.ts) the global setup starts,
 * and a new empty database on it per test (`pgDatabase()`).
 */
import { psql, PG_CLUSTER_USER } from '../../bench/pg-cluster.ts';

export { psql, psqlTry, startPgCluster, type PsqlResult } from '../../bench/pg-cluster.ts';

let made = 0;

/** A new empty database on the test run's cluster; its libpq connection string. */
export function pgDatabase(label: string): string {
  const host = process.env.TEST_PG_HOST;
  if (host === undefined)
    throw new Error('no PostgreSQL cluster for the tests (TEST_PG_HOST): the global setup starts one');
  const user = process.env.TEST_PG_USER ?? PG_CLUSTER_USER;
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${++made}`;
  psql(`host=${host} user=${user} dbname=postgres`, `CREATE DATABASE ${name};`);
  return `host=${host} user=${user} dbname=${name}`;
}
