/**
 * For tests and the benchmark: a throwaway PostgreSQL (15 or later) cluster in a fresh temp folder,
 * reached through its Unix socket only (no TCP), and `psql` to talk to it. The tests' global setup
 * (test/global-setup.ts) starts one for the whole run unless TEST_PG_HOST names a running one (its
 * socket folder; user TEST_PG_USER, default `uc`); each test makes its own databases with
 * `pgDatabase()` (test/helpers/pg-cluster.ts). `npm run bench -- --engine postgres` starts one
 * when no server is given. Never loaded by the program itself. The server's programs are those of PG_BINDIR,
 * or else of `pg_config --bindir`, or else Debian's newest. initdb refuses to run as root: as root, the server runs as the
 * `postgres` user (`su`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The cluster's superuser. */
export const PG_CLUSTER_USER = 'uc';
const USER = PG_CLUSTER_USER;
/** PostgreSQL's own report of where it is installed (on the PATH). */
const PG_CONFIG = 'pg_config';
/** The oldest PostgreSQL the schema is written for. */
const OLDEST_MAJOR = 15;

/** The folder of PostgreSQL's programs (initdb, pg_ctl, psql), found at run time. */
function postgresBinaries(): string {
  const given = process.env.PG_BINDIR;
  if (given !== undefined && given !== '') return given;
  const config = spawnSync(PG_CONFIG, ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0 && config.stdout.trim() !== '') return config.stdout.trim();
  // Debian's layout, where pg_config may not be on the PATH: the newest major version installed.
  const debian = '/usr/lib/postgresql';
  const majors = fs.existsSync(debian)
    ? fs
        .readdirSync(debian)
        .map(Number)
        .filter((n) => n >= OLDEST_MAJOR)
    : [];
  if (majors.length > 0) return path.join(debian, String(Math.max(...majors)), 'bin');
  throw new Error(
    `PostgreSQL ${OLDEST_MAJOR} or later is not installed (pg_config not found: ${config.error?.message ?? config.stderr}); set PG_BINDIR to the folder of its initdb, pg_ctl and psql`,
  );
}

let binaries: string | undefined;
/** The path of PostgreSQL's program `name`. */
function program(name: string): string {
  binaries ??= postgresBinaries();
  return path.join(binaries, name);
}

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
  for (const name of ['initdb', 'pg_ctl', 'postgres', 'psql']) {
    if (!fs.existsSync(program(name)))
      throw new Error(
        `PostgreSQL is not installed: ${program(name)} is missing (set PG_BINDIR to the folder of its programs)`,
      );
  }
  const version = spawnSync(program('postgres'), ['--version'], { encoding: 'utf8' });
  const major = Number(/\s(\d+)/.exec(version.stdout ?? '')?.[1]);
  if (!(major >= OLDEST_MAJOR))
    throw new Error(
      `PostgreSQL ${OLDEST_MAJOR} or later is needed: ${program('postgres')} is ${version.stdout.trim()}`,
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uc-pg-'));
  if (asRoot) spawnSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    runAsOwner(`${quote(program('initdb'))} -D ${quote(data)} -A trust -U ${USER} --no-sync >/dev/null`);
    const options = `-k ${dir} -c listen_addresses='' -c fsync=off`;
    runAsOwner(
      `${quote(program('pg_ctl'))} -D ${quote(data)} -o ${quote(options)} -l ${quote(path.join(dir, 'log'))} -w start`,
    );
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
        runAsOwner(`${quote(program('pg_ctl'))} -D ${quote(data)} -m immediate -w stop >/dev/null`);
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
  const result = spawnSync(
    program('psql'),
    ['-v', 'ON_ERROR_STOP=1', '-X', '-q', '-A', '-t', '-F', '|', '-d', conninfo],
    {
      input: sql,
      encoding: 'utf8',
    },
  );
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
