/**
 * The PostgreSQL part of `npm run bench -- --engine postgres --workers N[,N...]`: the generated
 * cloud imported once into a fresh database (importFile, timed as the import stage); then for each
 * N, a fresh copy of that database and N worker processes (bench/pg-worker.ts) started together, each closing, writing the files
 * and delivering on its own connection; their figures put on one time line, and checked: every
 * tenant closed exactly once, every active contact mailed once, nothing failed.
 *
 * The server: BENCH_DATABASE_URL, else DATABASE_URL (a postgres:// URL; the databases are made in
 * it and dropped after), else a throwaway cluster (bench/pg-cluster.ts) started for
 * the run and removed after it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { closeStore, connection, openConfiguredStore } from '../src/store/db.ts';
import { PgConnection, type LockWaits } from '../src/store/postgres.ts';
import { pendingStatements } from '../src/store/statements.ts';
import { AS_OF, type WrittenCloud } from './generate.ts';
import { importCloud } from './import-cloud.ts';
import { startPgCluster, type PgCluster } from './pg-cluster.ts';
import type { WorkerInput, WorkerReport } from './pg-worker.ts';
import { perSecond } from './report.ts';
import { startSmtpSink } from './smtp-sink.ts';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const WORKER = path.join(ROOT, 'bench', 'pg-worker.ts');

/** One worker's share of a run. */
export interface WorkerFigures {
  index: number;
  closed: number;
  zips: number;
  messages: number;
  closeSeconds: number;
  filesSeconds: number;
  deliverySeconds: number;
  lockWaits: LockWaits;
  peakRssMb: number;
}

/** One stage over all the workers: from the first worker's start to the last one's end. */
export interface SpanFigures {
  seconds: number;
  count: number;
  perSecond: number;
}

/** The figures of the run with N workers. */
export interface PostgresRun {
  workers: number;
  import: {
    seconds: number;
    rows: number;
    usageRows: number;
    byKind: Record<string, { rows: number; seconds: number }>;
  };
  /** Statements finalized, over the span of every worker's close. */
  close: SpanFigures;
  /** Statements with their zip recorded, over the span of every worker's files step. */
  files: SpanFigures & { zipsWritten: number };
  /** Messages the sink accepted, over the span of every worker's delivery. */
  delivery: SpanFigures;
  /** Import (the one import of the cloud) + from the first worker's start to the last one's end. */
  totalSeconds: number;
  /** The workers' lock waits added up. */
  lockWaits: LockWaits;
  /** The highest peak RSS of a worker (MB); the parent's (import) apart. */
  peakRssMb: number;
  importPeakRssMb: number;
  perWorker: WorkerFigures[];
  problems: string[];
}

/** The server the runs use, and how a database is made and dropped on it. */
interface Server {
  /** Where it comes from: a variable's name or `throwaway cluster`. */
  source: string;
  databaseUrl(name: string): string;
  /** Makes the database `name`, empty or as a copy of the database `template`. */
  create(name: string, template?: string): void;
  drop(name: string): void;
  stop(): void;
}

/** The URL `serverUrl` names with the database `name` instead of its own. */
function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function openServer(): Server {
  const given = [
    ['BENCH_DATABASE_URL', process.env.BENCH_DATABASE_URL],
    ['DATABASE_URL', process.env.DATABASE_URL],
  ].find(([, v]) => v !== undefined && v !== '');
  let cluster: PgCluster | null = null;
  let serverUrl: string;
  if (given !== undefined) {
    serverUrl = given[1]!;
    if (!/^postgres(?:ql)?:\/\//.test(serverUrl)) throw new Error(`${given[0]} must be a postgres:// URL`);
  } else {
    process.stderr.write('bench: starting a throwaway PostgreSQL cluster...\n');
    cluster = startPgCluster();
    serverUrl = `postgresql:///postgres?host=${encodeURIComponent(cluster.host)}&user=${cluster.user}`;
  }
  const admin = (sql: string): void => {
    const c = new PgConnection(serverUrl);
    try {
      c.exec('SET client_min_messages = warning');
      c.exec(sql);
    } finally {
      c.close();
    }
  };
  return {
    source: given?.[0] ?? 'throwaway cluster',
    databaseUrl: (name) => withDatabase(serverUrl, name),
    create: (name, template) =>
      admin(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`),
    drop: (name) => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    stop: () => cluster?.stop(),
  };
}

/** A worker process started, its report when it ends. */
interface StartedWorker {
  ready: Promise<void>;
  go(): void;
  done: Promise<WorkerReport>;
}

function startWorker(input: WorkerInput): StartedWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(input)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let report: WorkerReport | null = null;
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { type: string };
    if (message.type === 'ready') onReady();
    else if (message.type === 'report') report = message as WorkerReport;
  });
  const done = new Promise<WorkerReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (report !== null && code === 0) resolve(report);
      else reject(new Error(`worker ${input.index} ended with ${signal ?? `exit ${code}`} and no report`));
    });
  });
  // A worker that ends before it is ready ends the wait too (its `done` tells why).
  done.catch(() => onReady());
  return { ready, go: () => child.stdin.end('go\n'), done };
}

const ns = (text: string): bigint => BigInt(text);
const seconds = (from: bigint, to: bigint): number => Number(to - from) / 1e9;

/** A stage over all the workers, from the first start to the last end. */
function span(reports: readonly WorkerReport[], stage: 'close' | 'files' | 'delivery', count: number): SpanFigures {
  const start = reports.map((r) => ns(r[stage].startNs)).reduce((a, b) => (b < a ? b : a));
  const end = reports.map((r) => ns(r[stage].endNs)).reduce((a, b) => (b > a ? b : a));
  const s = seconds(start, end);
  return { seconds: s, count, perSecond: perSecond(count, s) };
}

/** Runs the PostgreSQL part for each worker count, one after the other. */
export async function benchPostgres(options: {
  cloud: WrittenCloud;
  workerCounts: readonly number[];
  /** The run's temporary folder (a data dir per worker count is made in it). */
  root: string;
  smtpPoolSize: number;
}): Promise<PostgresRun[]> {
  const server = openServer();
  process.stderr.write(`bench: PostgreSQL from ${server.source}\n`);
  const runs: PostgresRun[] = [];
  const imported = `uc_bench_${process.pid}_imported`;
  try {
    // The cloud is imported once; each run starts from a copy of that database (CREATE DATABASE
    // ... TEMPLATE), which the server makes by copying files, in seconds.
    server.drop(imported);
    server.create(imported);
    const figures = await importOnce(server.databaseUrl(imported), options);
    for (const workers of options.workerCounts) {
      const name = `uc_bench_${process.pid}_${workers}`;
      server.drop(name);
      server.create(name, imported);
      try {
        runs.push(await oneRun(server.databaseUrl(name), workers, figures, options));
      } finally {
        server.drop(name);
      }
    }
  } finally {
    try {
      server.drop(imported);
    } finally {
      server.stop();
    }
  }
  return runs;
}

/** The import stage's figures (one import, the start of every run). */
type ImportFigures = PostgresRun['import'] & { peakRssMb: number };

/** Imports the generated cloud into the (empty) database, as an operator's `usage-charges import` would. */
async function importOnce(databaseUrl: string, options: { cloud: WrittenCloud; root: string }): Promise<ImportFigures> {
  const dir = path.join(options.root, 'postgres-import');
  fs.mkdirSync(dir, { recursive: true });
  const config = loadConfig({
    cwd: dir,
    env: { DATA_DIR: path.join(dir, 'data'), DATABASE_URL: databaseUrl, BILLING_TZ: 'UTC', LOG_LEVEL: 'silent' },
  });
  const db = openConfiguredStore(config);
  try {
    process.stderr.write('bench: postgres: import...\n');
    const started = process.hrtime.bigint();
    const byKind = await importCloud(db, config, options.cloud.paths);
    const importSeconds = seconds(started, process.hrtime.bigint());
    process.stderr.write(`bench: postgres: import: ${importSeconds.toFixed(3)} s\n`);
    return {
      seconds: importSeconds,
      rows: Object.values(byKind).reduce((s, k) => s + k.rows, 0),
      usageRows: byKind.usage?.rows ?? 0,
      byKind,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    closeStore(db);
  }
}

async function oneRun(
  databaseUrl: string,
  workers: number,
  imported: ImportFigures,
  options: { cloud: WrittenCloud; root: string; smtpPoolSize: number },
): Promise<PostgresRun> {
  const { cloud } = options;
  const counts = cloud.counts;
  const dir = path.join(options.root, `postgres-${workers}`);
  fs.mkdirSync(dir, { recursive: true });
  const dataDir = path.join(dir, 'data');
  const sink = await startSmtpSink();
  const config = loadConfig({
    cwd: dir,
    env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, BILLING_TZ: 'UTC', LOG_LEVEL: 'silent' },
  });
  const problems: string[] = [];
  const label = `postgres x${workers}`;
  try {
    process.stderr.write(`bench: ${label}: close+files, delivery...\n`);
    const started = Array.from({ length: workers }, (_, index) =>
      startWorker({
        index,
        databaseUrl,
        root: dir,
        dataDir,
        smtpUrl: sink.url,
        smtpPoolSize: options.smtpPoolSize,
        asOf: AS_OF,
      }),
    );
    // Every worker loaded and connected before any starts: they start together.
    await Promise.all(started.map((w) => w.ready));
    for (const w of started) w.go();
    const outcomes = await Promise.allSettled(started.map((w) => w.done));
    const reports: WorkerReport[] = [];
    for (const o of outcomes) {
      if (o.status === 'fulfilled') reports.push(o.value);
      else problems.push(`postgres x${workers}: ${(o.reason as Error).message}`);
    }
    if (reports.length === 0) throw new Error(`${label}: no worker reported`);

    // What the store says at the end: every statement's zip recorded, no delivery left.
    const check = openConfiguredStore(config);
    const unwritten = pendingStatements(check).length;
    const deliveries = connection(check)
      .prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status ORDER BY status')
      .all() as { status: string; n: number }[];
    const statements = connection(check)
      .prepare("SELECT count(*) FROM statements WHERE status = 'fixed'")
      .pluck()
      .get() as number;
    closeStore(check);

    const closed = reports.flatMap((r) => r.close.closed);
    const sent = reports.flatMap((r) => r.delivery.sent);
    const say = (p: string): number => problems.push(`${label}: ${p}`);
    const once = (items: readonly string[], what: string): void => {
      const seen = new Set<string>();
      for (const x of items) {
        if (seen.has(x)) say(`${what} more than once: ${x}`);
        seen.add(x);
      }
    };
    once(closed, 'closed');
    once(sent, 'mailed');
    if (closed.length !== counts.tenants) say(`${closed.length} tenants closed of ${counts.tenants}`);
    if (statements !== counts.tenants) say(`${statements} statements finalized of ${counts.tenants}`);
    if (unwritten > 0) say(`${unwritten} statements without their zip`);
    if (sent.length !== counts.activeContacts)
      say(`${sent.length} messages delivered of ${counts.activeContacts} (active contacts)`);
    if (sink.accepted !== sent.length)
      say(`the sink accepted ${sink.accepted} messages, the workers say ${sent.length} were sent`);
    for (const d of deliveries) if (d.status !== 'sent') say(`${d.n} deliveries left ${d.status}`);
    for (const r of reports) {
      for (const f of r.close.failed) say(`close failed: ${f}`);
      for (const f of r.files.failed) say(`files failed: ${f}`);
      for (const f of r.delivery.failed) say(`delivery failed: ${f}`);
    }

    const first = reports.map((r) => ns(r.close.startNs)).reduce((a, b) => (b < a ? b : a));
    const last = reports.map((r) => ns(r.delivery.endNs)).reduce((a, b) => (b > a ? b : a));
    const zipsWritten = reports.reduce((s, r) => s + r.files.written, 0);
    const waits = reports.reduce<LockWaits>(
      (s, r) => ({
        seconds: s.seconds + r.lockWaits.seconds,
        takes: s.takes + r.lockWaits.takes,
        heldElsewhere: s.heldElsewhere + r.lockWaits.heldElsewhere,
      }),
      { seconds: 0, takes: 0, heldElsewhere: 0 },
    );
    return {
      workers,
      import: {
        seconds: imported.seconds,
        rows: imported.rows,
        usageRows: imported.usageRows,
        byKind: imported.byKind,
      },
      close: span(reports, 'close', closed.length),
      files: { ...span(reports, 'files', statements - unwritten), zipsWritten },
      delivery: span(reports, 'delivery', sink.accepted),
      totalSeconds: imported.seconds + seconds(first, last),
      lockWaits: waits,
      peakRssMb: Math.max(...reports.map((r) => r.peakRssMb)),
      importPeakRssMb: imported.peakRssMb,
      perWorker: reports
        .map((r) => ({
          index: r.index,
          closed: r.close.closed.length,
          zips: r.files.written,
          messages: r.delivery.sent.length,
          closeSeconds: seconds(ns(r.close.startNs), ns(r.close.endNs)),
          filesSeconds: seconds(ns(r.files.startNs), ns(r.files.endNs)),
          deliverySeconds: seconds(ns(r.delivery.startNs), ns(r.delivery.endNs)),
          lockWaits: r.lockWaits,
          peakRssMb: r.peakRssMb,
        }))
        .sort((a, b) => a.index - b.index),
      problems,
    };
  } finally {
    await sink.close();
  }
}
