/**
 * `npm run bench -- --tenants N --lplatforms M --servers K [--seed S] [--json FILE] [--keep] [--no-big-tenant] [--no-files-thread] [--engine postgres [--workers N[,N...]]]`:
 * generates a synthetic cloud, imports it through the real import path and times each stage of a
 * real month-end pass on it (close, files, delivery to an in-process SMTP sink), then the
 * machine's own limit on the same data. With `--engine postgres`, the same cloud is then imported
 * into PostgreSQL and passed by N worker processes at once, for each N (bench/postgres.ts), and
 * the engines are printed side by side. The last line printed is `ratio=<x> peak_rss_mb=<y>` (of
 * the SQLite pass).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../src/config.ts';
import { createMailer } from '../src/mail/transport.ts';
import { ZIP_LEVEL } from '../src/archive/zip.ts';
import { connection, DB_FILE_NAME, openStore } from '../src/store/db.ts';
import type { CloseSummary } from '../jobs/close.ts';
import { closeAndWriteFiles } from '../jobs/pass.ts';
import { sendDue } from '../jobs/deliver.ts';
import { jobContext } from '../jobs/context.ts';
import { AS_OF, BIG_TENANT, BIG_TENANT_SHAPE, REFERENCE_MONTH, writeCloud, type CloudOptions } from './generate.ts';
import { importCloud } from './import-cloud.ts';
import { timeDeflateOfZips, timeUsageScan } from './limits.ts';
import { benchPostgres } from './postgres.ts';
import { engineRows, formatReport, mb, perSecond, type BenchResult } from './report.ts';
import { startSmtpSink } from './smtp-sink.ts';

/** Connections to the SMTP sink. */
const POOL_SIZE = 5;

interface RunOptions extends CloudOptions {
  json?: string;
  keep: boolean;
  filesThread: boolean;
  /** With `--engine postgres`: the numbers of workers to run PostgreSQL with, one run each. */
  postgresWorkers: number[] | null;
}

function wholeNumber(min: number) {
  return (value: string): number => {
    if (!/^\d{1,9}$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
    return Number(value);
  };
}

/** `--workers`: whole numbers of at least 1, separated by commas. */
function workerList(value: string): number[] {
  const list = value.split(',').map((v) => wholeNumber(1)(v.trim()));
  if (new Set(list).size !== list.length) throw new InvalidArgumentError('names a number twice');
  return list;
}

function parseOptions(argv: readonly string[]): RunOptions {
  const program = new Command('bench')
    .description("times a month-end pass over a synthetic cloud and compares it with the machine's own limit")
    .requiredOption('--tenants <n>', 'tenants', wholeNumber(1))
    .requiredOption('--lplatforms <m>', 'L-Platforms per tenant', wholeNumber(1))
    .requiredOption('--servers <k>', 'servers per L-Platform', wholeNumber(1))
    .option('--seed <s>', 'seed of the generator (the same seed gives the same files)', wholeNumber(0), 1)
    .option('--json <file>', 'also write the figures as JSON to this file')
    .option('--keep', 'keep the temporary folder (input files, store, zips) and print where it is')
    .option(
      '--no-big-tenant',
      `leave out ${BIG_TENANT} (${BIG_TENANT_SHAPE.lplatforms} L-Platforms of ${BIG_TENANT_SHAPE.servers} servers)`,
    )
    .option(
      '--no-files-thread',
      'write every zip after the close, on the main thread (as a pass of fewer than FILES_THREAD_FROM statements does)',
    )
    .addOption(
      new Option(
        '--engine <engine>',
        'postgres: after the SQLite pass, the same cloud on PostgreSQL with each number of --workers',
      )
        .choices(['sqlite', 'postgres'])
        .default('sqlite'),
    )
    .option(
      '--workers <n,...>',
      'worker processes sharing the PostgreSQL store: one number or a list (1,2,4)',
      workerList,
    )
    .allowExcessArguments(false)
    .parse([...argv]);
  const o = program.opts<{
    tenants: number;
    lplatforms: number;
    servers: number;
    seed: number;
    json?: string;
    keep?: boolean;
    bigTenant: boolean;
    filesThread: boolean;
    engine: 'sqlite' | 'postgres';
    workers?: number[];
  }>();
  if (o.workers !== undefined && o.engine !== 'postgres')
    program.error("error: option '--workers' is for --engine postgres");
  return {
    tenants: o.tenants,
    lplatforms: o.lplatforms,
    servers: o.servers,
    seed: o.seed,
    bigTenant: o.bigTenant,
    filesThread: o.filesThread,
    keep: o.keep === true,
    postgresWorkers: o.engine === 'postgres' ? (o.workers ?? [1]) : null,
    ...(o.json ? { json: o.json } : {}),
  };
}

/** The highest resident set size of the process so far, in MB (maxRSS is in kilobytes). */
function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * When each stage ran, in microseconds of the monotonic clock V8's CPU profiles use (on Linux
 * both read CLOCK_MONOTONIC): bench/profile.ts cuts a `--cpu-prof` profile to one stage with it.
 */
const windows: Record<string, { startUs: number; endUs: number }> = {};

/** Runs `work` and returns its result with the wall time in seconds. */
async function timed<T>(
  label: string,
  work: () => T | Promise<T>,
): Promise<{ value: T; seconds: number; peakRssMbAfter: number }> {
  process.stderr.write(`bench: ${label}...\n`);
  const started = process.hrtime.bigint();
  const value = await work();
  const ended = process.hrtime.bigint();
  const seconds = Number(ended - started) / 1e9;
  windows[label] = { startUs: Number(started / 1000n), endUs: Number(ended / 1000n) };
  process.stderr.write(`bench: ${label}: ${seconds.toFixed(3)} s\n`);
  return { value, seconds, peakRssMbAfter: peakRssMb() };
}

/**
 * One part of a timed stage that was cut in two at `cut`: `close` is from the stage's start to the
 * cut, `files` from the cut to its end. Its window is recorded under its own name (for the profiler).
 */
function splitStage<T>(
  whole: { seconds: number; peakRssMbAfter: number },
  part: 'close' | 'files',
  cut: { at: bigint; rss: number },
  value: T,
): { value: T; seconds: number; peakRssMbAfter: number } {
  const span = windows['close+files']!;
  const cutUs = Number(cut.at / 1000n);
  const window = part === 'close' ? { startUs: span.startUs, endUs: cutUs } : { startUs: cutUs, endUs: span.endUs };
  windows[part] = window;
  return {
    value,
    seconds: (window.endUs - window.startUs) / 1e6,
    peakRssMbAfter: part === 'close' ? cut.rss : whole.peakRssMbAfter,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const cloudOptions: CloudOptions = {
    tenants: options.tenants,
    lplatforms: options.lplatforms,
    servers: options.servers,
    seed: options.seed,
    bigTenant: options.bigTenant,
  };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-bench-'));
  const problems: string[] = [];
  try {
    const generated = await timed('generate', () => writeCloud(cloudOptions, path.join(root, 'input')));
    const cloud = generated.value;

    const sink = await startSmtpSink();
    // The working directory is the temp folder, so that no .env of the project or the caller applies.
    const config = loadConfig({
      cwd: root,
      env: {
        DATA_DIR: path.join(root, 'data'),
        BILLING_TZ: 'UTC',
        LOG_LEVEL: 'silent',
        SMTP_URL: sink.url,
        SMTP_POOL_SIZE: String(POOL_SIZE),
        MAIL_FROM: 'Usage Charges <billing@bench.example>',
        MAIL_RETRY_BASE_SECONDS: '60',
      },
    });
    const db = openStore(config.dataDir);
    const asOf = new Date(AS_OF);

    // The import stage: each file through importFile, with the options `usage-charges import` uses.
    let byKind: Record<string, { rows: number; seconds: number }> = {};
    const imported = await timed('import', async () => {
      byKind = await importCloud(db, config, cloud.paths);
    });
    const importRows = Object.values(byKind).reduce((s, k) => s + k.rows, 0);
    const usageRows = byKind.usage?.rows ?? 0;

    // The close and the files, as a pass makes them (the files of the statements just finalized
    // are written on a second thread while the close goes on): the close stage ends when the last
    // tenant is closed, the files stage when the last zip is written and recorded.
    let closeEnd: { at: bigint; rss: number; value: CloseSummary } | null = null;
    // Without the files thread, every zip is written by the files step after the close.
    const jobs = jobContext(db, config, {
      faults: { filesThreadFrom: options.filesThread ? undefined : Number.POSITIVE_INFINITY },
    });
    const both = await timed('close+files', () =>
      closeAndWriteFiles(jobs, {
        asOf,
        onClosed: (value) => (closeEnd = { at: process.hrtime.bigint(), rss: peakRssMb(), value }),
      }),
    );
    const closed = splitStage(both, 'close', closeEnd!, both.value.close);
    const files = splitStage(both, 'files', closeEnd!, both.value.files);
    const mailer = createMailer(config);
    const delivered = await timed('delivery', async () => {
      try {
        return await sendDue(jobs, mailer);
      } finally {
        mailer.close();
      }
    });
    await sink.close();
    connection(db).close();

    // The machine's own limit on the same data.
    const limitRead = await timed('limit a', () => timeUsageScan(path.join(config.dataDir, DB_FILE_NAME)));
    const zips = files.value.written.map((w) => path.join(config.dataDir, w.zip));
    const limitDeflate = await timed('limit b', () => timeDeflateOfZips(zips));
    process.stderr.write(
      `bench: limit b: ${limitDeflate.value.seconds.toFixed(3)} s of it deflating (the rest reads the zips back)\n`,
    );

    const counts = cloud.counts;
    const c = closed.value;
    const f = files.value;
    const d = delivered.value;
    if (c.closed.length !== counts.tenants) problems.push(`${c.closed.length} tenants closed of ${counts.tenants}`);
    for (const x of c.failed) problems.push(`close failed: ${x.tenant} ${x.billingMonth}: ${x.reason}`);
    for (const x of f.failed) problems.push(`files failed: ${x.tenant} ${x.billingMonth}: ${x.reason}`);
    for (const x of d.failed)
      problems.push(`delivery failed: ${x.tenant} ${x.billingMonth} ${x.recipient}: ${x.reason}`);
    if (d.sent.length !== counts.activeContacts)
      problems.push(`${d.sent.length} messages delivered of ${counts.activeContacts} (active contacts)`);
    if (sink.accepted !== d.sent.length)
      problems.push(`the sink accepted ${sink.accepted} messages, the outbox says ${d.sent.length} were sent`);
    if (limitRead.value.rows !== usageRows)
      problems.push(`limit a read ${limitRead.value.rows} usage rows of ${usageRows}`);

    const bytes = f.written.reduce((s, w) => s + w.bytes, 0);
    const largest = f.written.reduce<{ tenant: string; bytes: number } | null>(
      (best, w) => (best === null || w.bytes > best.bytes ? { tenant: w.tenant, bytes: w.bytes } : best),
      null,
    );
    const big = options.bigTenant ? f.written.find((w) => w.tenant === BIG_TENANT) : undefined;
    if (options.bigTenant && big === undefined) problems.push(`no zip was written for ${BIG_TENANT}`);
    const limitSeconds = limitRead.value.seconds + limitDeflate.value.seconds;

    const result: BenchResult = {
      options: cloudOptions,
      referenceMonth: REFERENCE_MONTH,
      asOf: asOf.toISOString(),
      machine: {
        cpus: os.cpus().length,
        memoryMb: Math.round(os.totalmem() / 1024 / 1024),
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
      },
      generated: { ...counts, csvBytes: Object.values(cloud.bytes).reduce((s, b) => s + b, 0) },
      generate: { seconds: generated.seconds, peakRssMbAfter: generated.peakRssMbAfter },
      import: {
        seconds: imported.seconds,
        peakRssMbAfter: imported.peakRssMbAfter,
        rows: importRows,
        usageRows,
        rowsPerSecond: perSecond(importRows, imported.seconds),
        usageRowsPerSecond: perSecond(usageRows, byKind.usage?.seconds ?? 0),
        byKind,
      },
      close: {
        seconds: closed.seconds,
        peakRssMbAfter: closed.peakRssMbAfter,
        tenants: c.closed.length,
        failed: c.failed.length,
        usageRows,
        tenantsPerSecond: perSecond(c.closed.length, closed.seconds),
        usageRowsPerSecond: perSecond(usageRows, closed.seconds),
      },
      files: {
        seconds: files.seconds,
        peakRssMbAfter: files.peakRssMbAfter,
        zips: f.written.length,
        threaded: both.value.threaded,
        failed: f.failed.length,
        bytes,
        mb: mb(bytes),
        tenantsPerSecond: perSecond(f.written.length, files.seconds),
        largestZip: largest,
      },
      delivery: {
        seconds: delivered.seconds,
        peakRssMbAfter: delivered.peakRssMbAfter,
        messages: d.sent.length,
        expected: counts.activeContacts,
        failed: d.failed.length,
        retrying: d.retrying.length,
        notAttempted: d.notAttempted,
        messagesPerSecond: perSecond(d.sent.length, delivered.seconds),
        poolSize: POOL_SIZE,
      },
      limitRead: { ...limitRead.value, rowsPerSecond: perSecond(limitRead.value.rows, limitRead.value.seconds) },
      limitDeflate: {
        ...limitDeflate.value,
        mbPerSecond: perSecond(mb(limitDeflate.value.bytesIn), limitDeflate.value.seconds),
        level: ZIP_LEVEL,
      },
      bigTenant: big === undefined ? null : { tenant: BIG_TENANT, ...BIG_TENANT_SHAPE, zipBytes: big.bytes },
      ratio: limitSeconds > 0 ? (closed.seconds + files.seconds) / limitSeconds : 0,
      peakRssMb: peakRssMb(),
      problems,
      windows,
    };
    if (options.postgresWorkers !== null) {
      result.postgres = await benchPostgres({
        cloud,
        workerCounts: options.postgresWorkers,
        root,
        smtpPoolSize: POOL_SIZE,
      });
      for (const run of result.postgres) problems.push(...run.problems);
      result.engines = engineRows(result);
    }
    if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    if (options.keep) process.stderr.write(`bench: kept ${root} (input/, data/)\n`);
    process.stdout.write(`${formatReport(result).join('\n')}\n`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    if (!options.keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
