/**
 * One worker of the PostgreSQL benchmark (bench/postgres.ts starts N of them at once): opens the
 * store as a worker does (DATABASE_URL), says `ready`, waits for `go` on its stdin, then runs the
 * close and the files (closeAndWriteFiles) and the delivery (sendDue) on its own connection, and
 * prints its figures as one JSON line (WorkerReport). The stage times are read on the monotonic
 * clock (process.hrtime), which every process of the machine shares, so that the parent can put
 * the workers' stages on one time line.
 */
import readline from 'node:readline';
import { closeAndWriteFiles } from '../jobs/pass.ts';
import { jobContext } from '../jobs/context.ts';
import { sendDue } from '../jobs/deliver.ts';
import { PASS_BUSY_TIMEOUT_MS } from '../src/cli/context.ts';
import { loadConfig } from '../src/config.ts';
import { createMailer } from '../src/mail/transport.ts';
import { closeStore, lockWaits, openConfiguredStore, setBusyTimeout } from '../src/store/db.ts';
import type { LockWaits } from '../src/store/postgres.ts';

/** What the parent hands a worker (its one argument, as JSON). */
export interface WorkerInput {
  index: number;
  databaseUrl: string;
  /** The folder of the settings (no .env there) and of the data dir the workers share (the zips). */
  root: string;
  dataDir: string;
  smtpUrl: string;
  smtpPoolSize: number;
  asOf: string;
}

/** When a stage ran: monotonic nanoseconds, as decimal text (beyond 2^53). */
interface Span {
  startNs: string;
  endNs: string;
}

/** What a worker prints when it is done (one JSON line). */
export interface WorkerReport {
  type: 'report';
  index: number;
  pid: number;
  close: Span & { closed: string[]; failed: string[] };
  files: Span & { written: number; failed: string[] };
  delivery: Span & {
    /** `tenant month recipient` of each message sent. */
    sent: string[];
    failed: string[];
    retrying: number;
    notAttempted: number;
    recovered: number;
    waitingForFiles: number;
  };
  lockWaits: LockWaits;
  peakRssMb: number;
}

const now = (): string => process.hrtime.bigint().toString();

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as WorkerInput;
  const config = loadConfig({
    cwd: input.root,
    env: {
      DATA_DIR: input.dataDir,
      DATABASE_URL: input.databaseUrl,
      BILLING_TZ: 'UTC',
      LOG_LEVEL: 'silent',
      SMTP_URL: input.smtpUrl,
      SMTP_POOL_SIZE: String(input.smtpPoolSize),
      MAIL_FROM: 'Usage Charges <billing@bench.example>',
      MAIL_RETRY_BASE_SECONDS: '60',
    },
  });
  const db = openConfiguredStore(config);
  setBusyTimeout(db, PASS_BUSY_TIMEOUT_MS);
  process.stdout.write(`${JSON.stringify({ type: 'ready', index: input.index })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();

  // The files thread reads the store through its own read-only SQLite connection: on PostgreSQL
  // the zips are written by the files step after the close.
  const jobs = jobContext(db, config, { faults: { filesThreadFrom: Number.POSITIVE_INFINITY } });
  const closeStart = now();
  let closeEnd = '';
  const both = await closeAndWriteFiles(jobs, { asOf: new Date(input.asOf), onClosed: () => (closeEnd = now()) });
  const filesEnd = now();
  const mailer = createMailer(config);
  const deliveryStart = now();
  let d;
  try {
    d = await sendDue(jobs, mailer);
  } finally {
    mailer.close();
  }
  const deliveryEnd = now();
  const report: WorkerReport = {
    type: 'report',
    index: input.index,
    pid: process.pid,
    close: {
      startNs: closeStart,
      endNs: closeEnd,
      closed: both.close.closed.map((c) => `${c.tenant} ${c.billingMonth}`),
      failed: both.close.failed.map((f) => `${f.tenant} ${f.billingMonth}: ${f.reason}`),
    },
    files: {
      startNs: closeEnd,
      endNs: filesEnd,
      written: both.files.written.length,
      failed: both.files.failed.map((f) => `${f.tenant} ${f.billingMonth}: ${f.reason}`),
    },
    delivery: {
      startNs: deliveryStart,
      endNs: deliveryEnd,
      sent: d.sent.map((s) => `${s.tenant} ${s.billingMonth} ${s.recipient}`),
      failed: d.failed.map((f) => `${f.tenant} ${f.billingMonth} ${f.recipient}: ${f.reason}`),
      retrying: d.retrying.length,
      notAttempted: d.notAttempted,
      recovered: d.recovered,
      waitingForFiles: d.waitingForFiles,
    },
    lockWaits: lockWaits(db) ?? { seconds: 0, takes: 0, heldElsewhere: 0 },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  closeStore(db);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
