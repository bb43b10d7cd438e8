/**
 * Test helpers: a throwaway PostgreSQL 15 cluster in a fresh temp folder, reached through its Unix
 * socket only (no TCP), and `psql` to talk to it. initdb refuses to run as root: as root, the
 * server runs as the `postgres` user (`su`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PSQL = '/usr/bin/psql';
const USER = 'uc';

/** A running throwaway cluster. */
export interface PgCluster {
  /** The folder of the server's socket (psql's `-h`). */
  host: string;
  user: string;
  /** Creates an empty database; returns its conninfo string ('host=... user=uc dbname=...'). */
  createDatabase(name: string): string;
  /** Stops the server at once and removes its folder. */
  stop(): void;
}

const asRoot = process.getuid?.() === 0;

/** Runs `command` (a shell line) as the user owning the cluster; throws with its output on failure. */
function runAsOwner(command: string): void {
  const result = asRoot
    ? spawnSync('/bin/su', ['postgres', '-s', '/bin/sh', '-c', command], { encoding: 'utf8' })
    : spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command}: exit ${result.status}: ${result.stderr}${result.stdout}${result.error ?? ''}`);
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Starts a fresh cluster (initdb, trust authentication, socket only, fsync off). */
export function startPgCluster(): PgCluster {
  for (const bin of ['initdb', 'pg_ctl']) {
    if (!fs.existsSync(path.join(PG_BIN, bin)))
      throw new Error(`PostgreSQL 15 is not installed: ${path.join(PG_BIN, bin)} is missing`);
  }
  if (!fs.existsSync(PSQL)) throw new Error(`the psql client is not installed: ${PSQL} is missing`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uc-pg-'));
  if (asRoot) spawnSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    runAsOwner(`${PG_BIN}/initdb -D ${quote(data)} -A trust -U ${USER} --no-sync >/dev/null`);
    const options = `-k ${dir} -c listen_addresses='' -c fsync=off`;
    runAsOwner(`${PG_BIN}/pg_ctl -D ${quote(data)} -o ${quote(options)} -l ${quote(path.join(dir, 'log'))} -w start`);
  } catch (err) {
    remove();
    throw err;
  }
  let stopped = false;
  return {
    host: dir,
    user: USER,
    createDatabase(name: string): string {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      psql(`host=${dir} user=${USER} dbname=postgres`, `CREATE DATABASE ${name};`);
      return `host=${dir} user=${USER} dbname=${name}`;
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      try {
        runAsOwner(`${PG_BIN}/pg_ctl -D ${quote(data)} -m immediate -w stop >/dev/null`);
      } finally {
        remove();
      }
    },
  };
}

/** What psql printed, and the message of the error that stopped it (null when none). */
export interface PsqlResult {
  /** Unaligned rows, fields separated by `|`, one row a line, no headers. */
  rows: string[];
  error: string | null;
}

/**
 * Runs `sql` (fed on stdin) with psql against `conninfo`, stopping at the first error; machine
 * readable output (`-A -t -F '|'`). An error of the SQL is returned, any other failure thrown.
 */
export function psqlTry(conninfo: string, sql: string): PsqlResult {
  const result = spawnSync(PSQL, ['-v', 'ON_ERROR_STOP=1', '-X', '-q', '-A', '-t', '-F', '|', '-d', conninfo], {
    input: sql,
    encoding: 'utf8',
  });
  const rows = result.stdout === '' ? [] : result.stdout.replace(/\n$/, '').split('\n');
  if (result.status === 0) return { rows, error: null };
  // Exit 3: the SQL failed (ON_ERROR_STOP); 1 and 2: psql itself could not run or connect.
  const error = /^(?:psql:[^\n]*?)?ERROR: {2}(.*)$/m.exec(result.stderr);
  if (result.status === 3 && error !== null) return { rows, error: error[1]! };
  throw new Error(`psql: exit ${result.status}: ${result.stderr}${result.error ?? ''}`);
}

/** Runs `sql` with psql and returns its rows; throws on any error. */
export function psql(conninfo: string, sql: string): string[] {
  const { rows, error } = psqlTry(conninfo, sql);
  if (error !== null) throw new Error(`psql: ${error}`);
  return rows;
}
