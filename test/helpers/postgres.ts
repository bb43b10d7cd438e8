/**
 * A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary folder, listening on a Unix
 * socket only (no TCP), as the `postgres` user when the tests run as root (initdb refuses root),
 * stopped and removed at the end. The global setup starts one for the whole run unless
 * TEST_PG_HOST names a running one (the socket folder; user TEST_PG_USER, default `uc`). Each test
 * makes its own database with `pgDatabase()`.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where Debian puts the server's programs, newest version first. */
function serverBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      'the tests need PostgreSQL (Debian: apt-get install postgresql libpq-dev): no initdb under /usr/lib/postgresql',
    );
  return path.join(root, versions[0]!, 'bin');
}

/** Runs a program, as the postgres user when this is root; throws with its output when it fails. */
function runAsServer(program: string, args: string[], options: SpawnSyncOptions = {}): void {
  const asRoot = process.getuid?.() === 0;
  const quoted = [program, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = asRoot
    ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { encoding: 'utf8', ...options })
    : spawnSync(program, args, { encoding: 'utf8', ...options });
  if (r.status !== 0)
    throw new Error(`${path.basename(program)} ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
}

/** A running cluster: its socket folder and superuser, and how to stop it. */
export interface PgCluster {
  host: string;
  user: string;
  stop(): void;
}

/** Starts a throwaway cluster in a new temporary folder. */
export function startPgCluster(): PgCluster {
  const bin = serverBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uc-pg-'));
  fs.chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) spawnSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const user = 'uc';
  runAsServer(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    user,
    '--no-sync',
    '-E',
    'UTF8',
    '--locale',
    'C',
  ]);
  runAsServer(path.join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-w',
    '-l',
    path.join(dir, 'server.log'),
    '-o',
    `-k ${dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    'start',
  ]);
  return {
    host: dir,
    user,
    stop: () => {
      try {
        runAsServer(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let made = 0;

/** A new empty database on the run's cluster; its libpq connection string. */
export function pgDatabase(label: string): string {
  const host = process.env.TEST_PG_HOST;
  if (host === undefined)
    throw new Error('no PostgreSQL cluster for the tests (TEST_PG_HOST): the global setup starts one');
  const user = process.env.TEST_PG_USER ?? 'uc';
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${++made}`;
  const r = spawnSync('psql', ['-X', '-q', '-h', host, '-U', user, '-d', 'postgres', '-c', `CREATE DATABASE ${name}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
  return `host=${host} user=${user} dbname=${name}`;
}
