/**
 * Before any test: the compiled program (dist/) is built from the current sources, since the tests
 * that start the real `usage-charges` process, and the statement-files thread, run it; and a
 * throwaway PostgreSQL cluster is started for the tests of that engine (test/helpers/pg-cluster.ts),
 * unless TEST_PG_HOST names one already running. It is stopped and removed after the run.
 */
// @ts-expect-error: a plain JavaScript module without types.
import { build } from '../scripts/build.js';
import { startPgCluster } from './helpers/pg-cluster.ts';

export default async function setup(): Promise<() => void> {
  await (build as (options: { ifStale: boolean }) => Promise<boolean>)({ ifStale: true });
  if (process.env.TEST_PG_HOST !== undefined) return () => {};
  const cluster = startPgCluster();
  // The test files run in child processes, which inherit the environment.
  process.env.TEST_PG_HOST = cluster.host;
  process.env.TEST_PG_USER = cluster.user;
  return () => cluster.stop();
}
