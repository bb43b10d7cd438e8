/**
 * The kill matrix on PostgreSQL: four workers (`usage-charges run`) close the month of a generated
 * cloud of 50 tenants in one database at once, and workers are SIGKILLed at points drawn from a
 * seeded generator: by their own crash points (inside a close transaction, right after one, while
 * a zip is written, before it is recorded, once a message was accepted and not yet marked sent)
 * and by the mail server, during the DATA of the n-th message (the worker sending it, found from
 * its socket, or another one). The killed workers are sometimes started again, together; then one
 * more run goes to completion. Each trial must end as one uninterrupted run did: every statement
 * finalized once (revision 1, fixed) with the reference's lines and zip (its SHA-256, and its bytes
 * wherever they are), every active contact mailed, nothing pending, sending or failed, and a
 * message sent more than once only when a worker died with it in flight, every copy with its
 * delivery's one Message-ID. The reference is one worker's run on PostgreSQL, itself the same as
 * one run on SQLite (the zips are the same bytes on both engines).
 * `USAGE_CHARGES_PG_SOAK_TRIALS=<n>` runs n trials instead of the default 4.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF, FILE_KINDS, generateCloud, REFERENCE_MONTH, type CloudOptions } from '../../bench/generate.ts';
import { mulberry32, type Rng } from '../../bench/prng.ts';
import { closeStore, connection, openPostgresStore, type Db } from '../../src/store/db.ts';
import type { CrashPoint } from '../../src/testing/faults.ts';
import { killChildren, startChild, type CliChild } from '../helpers/child.ts';
import { runCli } from '../helpers/cli.ts';
import { CONFIGURED_MAIL, inStore as readSqlite } from '../helpers/demo-store.ts';
import { databaseUrl, pgDatabase } from '../helpers/pg-cluster.ts';
import { startSmtpRecorder, type RecordedMessage, type SmtpRecorder } from '../helpers/smtp-recorder.ts';
import { tempDir } from '../helpers/store.ts';

const CLOUD: CloudOptions = { tenants: 50, lplatforms: 2, servers: 1, seed: 11, bigTenant: false };
/** The clock of every run (USAGE_CHARGES_TEST_NOW): the zips do not depend on when a worker ran. */
const TEST_NOW = '2026-11-01T06:30:00.000Z';
const MATRIX_SEED = 20261102;
const DEFAULT_TRIALS = 4;
const WORKERS = 4;
const MONTH = REFERENCE_MONTH;

function trialCount(): number {
  const v = process.env.USAGE_CHARGES_PG_SOAK_TRIALS;
  if (v === undefined || v === '') return DEFAULT_TRIALS;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1)
    throw new Error(`USAGE_CHARGES_PG_SOAK_TRIALS must be a whole number of at least 1, not "${v}"`);
  return Number(v);
}

const cloud = generateCloud(CLOUD);
const STATEMENTS = cloud.counts.tenants;
const CONTACTS = cloud.counts.activeContacts;
const ACTIVE_CONTACTS = (parse(cloud.files.contacts, { columns: true }) as { email: string; active: string }[])
  .filter((c) => c.active === 'true')
  .map((c) => c.email)
  .sort();

// ---------------------------------------------------------------------------------------------
// The plan

/** A worker's own crash point: it kills itself the nth time it gets there (if it does). */
interface CrashKill {
  point: CrashPoint;
  nth: number;
}

/** The mail server kills a worker when the nth message's DATA starts, or once it was read whole (before the reply). */
interface SmtpKill {
  at: 'data-start' | 'data-end';
  nth: number;
}

/** Four workers share the statements: each reaches a point fewer times than one run alone. */
const CRASH_FAMILIES: { point: CrashPoint; most: number }[] = [
  { point: 'close-before-commit', most: Math.ceil(STATEMENTS / WORKERS) },
  { point: 'close-after-commit', most: Math.ceil(STATEMENTS / WORKERS) },
  { point: 'zip-before-rename', most: Math.ceil(STATEMENTS / WORKERS) },
  { point: 'files-before-record', most: Math.ceil(STATEMENTS / WORKERS) },
  // A worker sends about a quarter of the mails, fewer when others are killed: early ones are reached.
  { point: 'send-before-mark', most: Math.ceil(CONTACTS / (2 * WORKERS)) },
];

interface WorkerPlan {
  /** SMTP_POOL_SIZE */
  poolSize: number;
  crash: CrashKill | null;
}

interface Trial {
  number: number;
  workers: WorkerPlan[];
  smtpKills: SmtpKill[];
  /** One DATA_DIR for all the workers (one host), or each its own (the zips of the others rebuilt where needed). */
  sharedDataDir: boolean;
  /** The killed workers are started again together (in their own DATA_DIRs) before the last run. */
  restartKilled: boolean;
}

function planTrials(count: number, seed: number): Trial[] {
  const rng = mulberry32(seed);
  const trials: Trial[] = [];
  let families: typeof CRASH_FAMILIES = [];
  const nextFamily = (): (typeof CRASH_FAMILIES)[number] => {
    if (families.length === 0) families = shuffled(CRASH_FAMILIES, rng);
    return families.pop()!;
  };
  for (let i = 1; i <= count; i++) {
    const workers: WorkerPlan[] = [];
    for (let w = 0; w < WORKERS; w++) {
      const family = w === 0 || rng.chance(0.4) ? nextFamily() : null;
      workers.push({
        poolSize: rng.pick([1, 2, 5]),
        crash: family === null ? null : { point: family.point, nth: rng.int(1, family.most) },
      });
    }
    const smtpKills: SmtpKill[] = [];
    for (let k = rng.int(1, 2); k > 0; k--)
      smtpKills.push({ at: rng.pick(['data-start', 'data-end'] as const), nth: rng.int(1, Math.floor(CONTACTS / 2)) });
    trials.push({
      number: i,
      workers: shuffled(workers, rng),
      smtpKills,
      sharedDataDir: i % 2 === 1,
      restartKilled: rng.chance(0.5),
    });
  }
  return trials;
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function describeTrial(t: Trial): string {
  const workers = t.workers
    .map((w, i) => `w${i + 1} pool ${w.poolSize}${w.crash ? ` ${w.crash.point}#${w.crash.nth}` : ''}`)
    .join(', ');
  const smtp = t.smtpKills.map((k) => `SMTP ${k.at} #${k.nth}`).join(', ');
  return `trial ${t.number} (${workers}; ${smtp}; ${t.sharedDataDir ? 'one DATA_DIR' : 'a DATA_DIR each'}${t.restartKilled ? '; killed ones restarted' : ''})`;
}

const TRIALS = planTrials(trialCount(), MATRIX_SEED);

// ---------------------------------------------------------------------------------------------
// Which worker sends a message: the process holding the client end of its connection

/** The inode of the socket 127.0.0.1:clientPort -> serverPort (Linux /proc), or null. */
function clientSocketInode(clientPort: number, serverPort: number): string | null {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (address: string): number => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
      if (port(f[1]!) === clientPort && port(f[2]!) === serverPort) return f[9]!;
    }
  }
  return null;
}

/** Which of `pids` holds the socket `inode`, or null. */
function holderOf(inode: string, pids: readonly number[]): number | null {
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// What a store holds

type Row = Record<string, unknown>;

function without(rows: Row[], ...keys: string[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k))));
}

interface StoreState {
  statements: Row[];
  lines: Row[];
  files: Row[];
  deliveries: Row[];
}

const STATE_SQL = {
  statements: `SELECT t.tenant_name, s.* FROM statements s JOIN tenants t USING (tenant_pk) ORDER BY t.tenant_name, s.billing_month`,
  lines: `SELECT t.tenant_name, s.billing_month, l.* FROM charge_lines l JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    ORDER BY t.tenant_name, s.billing_month, l.seq`,
  files: `SELECT t.tenant_name, s.billing_month, f.* FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    ORDER BY t.tenant_name, s.billing_month`,
  deliveries: `SELECT t.tenant_name, s.billing_month, d.recipient, d.kind, d.status, d.reason, CASE WHEN d.sent_at IS NULL THEN 0 ELSE 1 END AS has_sent_at
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
    ORDER BY t.tenant_name, s.billing_month, d.recipient`,
};

function stateOf(all: (sql: string) => Row[]): StoreState {
  return {
    statements: without(all(STATE_SQL.statements), 'statement_pk', 'tenant_pk'),
    lines: without(all(STATE_SQL.lines), 'line_pk', 'statement_pk'),
    files: without(all(STATE_SQL.files), 'file_pk', 'statement_pk'),
    deliveries: all(STATE_SQL.deliveries),
  };
}

/** Reads the PostgreSQL store `conninfo` names, on a connection of its own. */
function inPg<T>(conninfo: string, read: (all: (sql: string) => Row[], db: Db) => T): T {
  const db = openPostgresStore(conninfo);
  try {
    return read((sql) => connection(db).prepare(sql).all() as Row[], db);
  } finally {
    closeStore(db);
  }
}

/** The archived zips of a PostgreSQL store (archived_zips), by zip_path. */
function storedZips(conninfo: string): Map<string, Buffer> {
  return inPg(
    conninfo,
    (all) =>
      new Map(
        all(
          'SELECT f.zip_path, a.bytes FROM archived_zips a JOIN statement_files f USING (file_pk) ORDER BY f.zip_path',
        ).map((r) => [r.zip_path as string, r.bytes as Buffer]),
      ),
  );
}

const sha256 = (bytes: Uint8Array): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** Every `.tmp` file under a data dir's statements folder. */
function tempFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'statements');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.tmp'))
    .map((e) => path.relative(dataDir, path.join(e.parentPath, e.name)));
}

// ---------------------------------------------------------------------------------------------
// Runs

let work: { dir: string; cleanup: () => void };
let template: string;
let reference: StoreState;
/** The reference zips by zip_path. */
let referenceZips: Map<string, Buffer>;
const figures = {
  trials: 0,
  kills: 0,
  crashKills: 0,
  smtpKills: 0,
  copies: 0,
  acknowledgedCopies: 0,
  messages: 0,
  sendersTold: 0,
};
const startedAt = Date.now();

afterAll(async () => {
  await killChildren();
  work?.cleanup();
});

function workerEnv(
  conninfo: string | null,
  dataDir: string,
  smtpUrl: string,
  poolSize: number,
  crash: CrashKill | null,
): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    ...(conninfo === null ? {} : { DATABASE_URL: databaseUrl(conninfo) }),
    BILLING_TZ: 'UTC',
    LOG_LEVEL: 'error',
    ...CONFIGURED_MAIL,
    SMTP_URL: smtpUrl,
    SMTP_POOL_SIZE: String(poolSize),
    USAGE_CHARGES_TEST_NOW: TEST_NOW,
    ...(crash ? { USAGE_CHARGES_CRASH_AT: `${crash.point}#${crash.nth}` } : {}),
  };
}

const SUMMARY_LINE = new RegExp(
  `: ${STATEMENTS} statements closed, 0 failed to close; ${STATEMENTS} files written, 0 failed; ${CONTACTS} mails sent, 0 retrying, 0 failed$`,
  'm',
);

/** One uninterrupted run of one worker; its recorder's messages. */
async function soleRun(conninfo: string | null, dataDir: string): Promise<RecordedMessage[]> {
  const server = await startSmtpRecorder();
  try {
    const child = startChild(['run', '--as-of', AS_OF], workerEnv(conninfo, dataDir, server.url, 5, null));
    const end = await child.exited;
    expect(end.stderr).toBe('');
    expect(end.code, end.stdout).toBe(0);
    expect(end.stdout).toMatch(SUMMARY_LINE);
  } finally {
    await server.close();
  }
  return server.messages;
}

beforeAll(async () => {
  work = tempDir('uc-pg-kill-matrix-');
  const input = path.join(work.dir, 'input');
  fs.mkdirSync(input);
  // The generated cloud imported through the command line into a template database, and into a
  // SQLite store for the comparison of the engines.
  template = pgDatabase('kill_template');
  const sqliteDir = path.join(work.dir, 'sqlite');
  const importEnvs: Record<string, string>[] = [
    {
      DATA_DIR: path.join(work.dir, 'import'),
      DATABASE_URL: databaseUrl(template),
      BILLING_TZ: 'UTC',
      LOG_LEVEL: 'error',
    },
    { DATA_DIR: sqliteDir, BILLING_TZ: 'UTC', LOG_LEVEL: 'error' },
  ];
  for (const kind of FILE_KINDS) {
    const file = path.join(input, `${kind}.csv`);
    fs.writeFileSync(file, cloud.files[kind]);
    for (const env of importEnvs) {
      const r = await runCli(['import', kind, file], env);
      expect(r.stderr, kind).toBe('');
      expect(r.code, kind).toBe(0);
    }
  }

  // The reference: one worker alone on a copy of the template.
  const refDb = pgDatabase('kill_reference', template);
  const refDir = path.join(work.dir, 'reference');
  const messages = await soleRun(refDb, refDir);
  reference = inPg(refDb, (all) => stateOf(all));
  referenceZips = storedZips(refDb);
  expect(reference.statements).toHaveLength(STATEMENTS);
  expect(reference.statements.every((s) => s.status === 'fixed' && s.revision === 1 && s.billing_month === MONTH)).toBe(
    true,
  );
  expect(reference.lines.length).toBeGreaterThan(STATEMENTS);
  expect(reference.files).toHaveLength(STATEMENTS);
  for (const f of reference.files) expect(sha256(referenceZips.get(f.zip_path as string)!)).toBe(f.sha256);
  expect(reference.deliveries.map((d) => d.recipient as string).sort()).toEqual(ACTIVE_CONTACTS);
  expect(reference.deliveries.every((d) => d.status === 'sent' && d.kind === 'statement')).toBe(true);
  expect(messages.map((m) => [m.envelope.rcptTo.join(','), m.acknowledged]).sort()).toEqual(
    ACTIVE_CONTACTS.map((a) => [a, true]),
  );

  // The same run on SQLite: the same statements, lines and zips, byte for byte.
  await soleRun(null, sqliteDir);
  const onSqlite = readSqlite({ DATA_DIR: sqliteDir }, (db) => stateOf((sql) => db.prepare(sql).all() as Row[]));
  expect(onSqlite.statements).toEqual(reference.statements);
  expect(onSqlite.lines).toEqual(reference.lines);
  expect(onSqlite.files).toEqual(reference.files);
  expect(onSqlite.deliveries).toEqual(reference.deliveries);
  for (const [zipPath, bytes] of referenceZips)
    expect(fs.readFileSync(path.join(sqliteDir, zipPath)).equals(bytes), zipPath).toBe(true);
});

// ---------------------------------------------------------------------------------------------
// A trial

/** The Message-ID in a message's header (whole or cut off), if it got that far. */
function messageIdIn(m: RecordedMessage): string | null {
  if (m.parsed !== null) return m.parsed.messageId ?? null;
  const header = m.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!;
  const found = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(header);
  return found ? found[1]! : null;
}

interface Worker {
  child: CliChild;
  dataDir: string;
  plan: WorkerPlan;
  wave: number;
}

async function runTrial(trial: Trial): Promise<void> {
  const plan = describeTrial(trial);
  const conninfo = pgDatabase(`kill_trial_${trial.number}`, template);
  const trialDir = path.join(work.dir, `trial-${trial.number}`);
  const dataDirs = Array.from({ length: WORKERS }, (_, i) =>
    path.join(trialDir, trial.sharedDataDir ? 'shared' : `worker-${i + 1}`),
  );
  const rng = mulberry32(MATRIX_SEED + trial.number);
  const workers: Worker[] = [];
  const live = (): Worker[] =>
    workers.filter((w) => w.child.child.exitCode === null && w.child.child.signalCode === null);
  /** The process that sent each message (by number), when it could be told. */
  const senders = new Map<number, number | null>();
  /** Workers the mail server killed (by pid). */
  const killedBySmtp = new Set<number>();
  let killing = true;
  let server: SmtpRecorder | null = null;

  /** The SMTP kill of message `m` at `at`, if one is planned: the sender if it is a live worker, else a live worker drawn. */
  const smtpKill = (m: RecordedMessage, at: SmtpKill['at']): boolean => {
    if (!killing || !trial.smtpKills.some((k) => k.at === at && k.nth === m.number)) return false;
    const sender = senders.get(m.number) ?? null;
    const candidates = live().filter((w) => w.wave === 1);
    const victim =
      candidates.find((w) => w.child.child.pid === sender) ?? (candidates.length > 0 ? rng.pick(candidates) : null);
    if (victim === null) return false;
    killedBySmtp.add(victim.child.child.pid!);
    victim.child.child.kill('SIGKILL');
    return victim.child.child.pid === sender;
  };
  server = await startSmtpRecorder({
    onDataStart: (m) => {
      const inode = clientSocketInode(m.remotePort, server!.port);
      senders.set(
        m.number,
        inode === null
          ? null
          : holderOf(
              inode,
              workers.map((w) => w.child.child.pid!),
            ),
      );
      smtpKill(m, 'data-start');
    },
    // The sender killed once the message was read whole: it never gets the reply.
    onDataEnd: (m) => (smtpKill(m, 'data-end') ? 'hold' : 'reply'),
  });

  const start = (dataDir: string, workerPlan: WorkerPlan, wave: number): Worker => {
    const w: Worker = {
      child: startChild(
        ['run', '--as-of', AS_OF],
        workerEnv(conninfo, dataDir, server.url, workerPlan.poolSize, workerPlan.crash),
      ),
      dataDir,
      plan: workerPlan,
      wave,
    };
    workers.push(w);
    return w;
  };
  const ends = new Map<Worker, Awaited<CliChild['exited']>>();
  const waitAll = async (list: Worker[]): Promise<void> => {
    for (const w of list) ends.set(w, await w.child.exited);
  };
  const killed = (w: Worker): boolean => ends.get(w)?.signal === 'SIGKILL';
  const expectClean = (w: Worker, what: string): void => {
    const end = ends.get(w)!;
    expect(end.signal, `${plan}: ${what} (pid ${w.child.child.pid}) ended by a signal`).toBeNull();
    expect(end.stderr, `${plan}: ${what}`).toBe('');
    expect(end.code, `${plan}: ${what}: ${end.stdout}`).toBe(0);
  };

  try {
    // Wave 1: four workers at once, with their kills.
    const first = trial.workers.map((p, i) => start(dataDirs[i]!, p, 1));
    await waitAll(first);
    killing = false;
    const killedFirst = first.filter(killed);
    for (const w of first.filter((w) => !killed(w))) expectClean(w, 'a worker not killed');
    expect(killedFirst.length, `${plan}: at least one worker killed`).toBeGreaterThan(0);

    // Wave 2 (some trials): the killed workers started again together, where they were.
    if (trial.restartKilled) {
      const again = killedFirst.map((w) => start(w.dataDir, { poolSize: w.plan.poolSize, crash: null }, 2));
      await waitAll(again);
      for (const w of again) expectClean(w, 'a restarted worker');
    }

    // The last run, alone, in the DATA_DIR of a killed worker (which it cleans up).
    const last = start(killedFirst[0]!.dataDir, { poolSize: 2, crash: null }, 3);
    await waitAll([last]);
    expectClean(last, 'the last run');
    expect(tempFiles(last.dataDir), `${plan}: temporary files left in the last run's DATA_DIR`).toEqual([]);
  } finally {
    killing = false;
    await server.close();
  }

  const killedPids = new Set(workers.filter(killed).map((w) => w.child.child.pid!));
  const crashKilled = workers.filter((w) => killed(w) && !killedBySmtp.has(w.child.child.pid!)).length;
  figures.trials++;
  figures.kills += killedPids.size;
  figures.crashKills += crashKilled;
  figures.smtpKills += killedPids.size - crashKilled;

  // The store: the reference's statements (each once, revision 1, fixed), lines, files and deliveries.
  const state = inPg(conninfo, (all) => ({
    ...stateOf(all),
    messageIds: new Map(
      all(`SELECT recipient, message_id FROM deliveries WHERE kind = 'statement'`).map((r) => [
        r.recipient as string,
        r.message_id as string,
      ]),
    ),
    runs: all('SELECT owner, status FROM runs ORDER BY run_pk') as { owner: string; status: string }[],
    leases: all('SELECT name, owner FROM run_lock ORDER BY name') as { name: string; owner: string }[],
    unfinished: all(`SELECT status, COUNT(*) AS n FROM deliveries WHERE status <> 'sent' GROUP BY status`),
  }));
  const keys = state.statements.map((s) => `${s.tenant_name as string}/${s.billing_month as string}`);
  expect(new Set(keys).size, `${plan}: one statement per tenant and month`).toBe(keys.length);
  expect(keys, plan).toHaveLength(STATEMENTS);
  expect(
    state.statements.filter((s) => s.status !== 'fixed' || s.revision !== 1),
    plan,
  ).toEqual([]);
  expect(state.statements, plan).toEqual(reference.statements);
  expect(state.lines, plan).toEqual(reference.lines);
  expect(state.files, plan).toEqual(reference.files);
  expect(state.unfinished, `${plan}: deliveries not sent`).toEqual([]);
  expect(state.deliveries, plan).toEqual(reference.deliveries);

  // The zips, kept in the database: every one there, the reference's bytes (so its recorded SHA-256).
  const zips = storedZips(conninfo);
  expect([...zips.keys()].sort(), plan).toEqual([...referenceZips.keys()].sort());
  for (const [zipPath, bytes] of zips)
    expect(bytes.equals(referenceZips.get(zipPath)!), `${plan}: ${zipPath}`).toBe(true);
  // Nothing of the archive under any worker's DATA_DIR.
  for (const dir of new Set(dataDirs))
    expect(fs.existsSync(path.join(dir, 'statements')), `${plan}: ${dir}`).toBe(false);

  // Runs: a killed worker's is interrupted, every other one's ok; no lease of a worker that ended is left.
  for (const r of state.runs) {
    const pid = Number(/:(\d+):[0-9a-f]+$/.exec(r.owner)?.[1]);
    expect(r.status, `${plan}: the run of ${r.owner}`).toBe(killedPids.has(pid) ? 'interrupted' : 'ok');
  }
  const recorded = new Set(state.runs.map((r) => Number(/:(\d+):[0-9a-f]+$/.exec(r.owner)?.[1])));
  for (const w of workers.filter((w) => !killed(w)))
    expect(recorded.has(w.child.child.pid!), `${plan}: the run of worker ${w.child.child.pid} recorded`).toBe(true);
  for (const l of state.leases) {
    const pid = Number(/:(\d+):[0-9a-f]+$/.exec(l.owner)?.[1]);
    expect(killedPids.has(pid), `${plan}: the lease ${l.name} of a worker that ended is left`).toBe(true);
  }

  // The mail: every active contact got its statement; every copy (a message cut off included)
  // carries its delivery's Message-ID and the reference's zip; a message went again only after
  // the worker that sent it died, and at most one copy was sent by a worker that lived on.
  const messages = server.messages;
  figures.messages += messages.length;
  figures.sendersTold += messages.filter((m) => typeof senders.get(m.number) === 'number').length;
  const byRecipient = new Map<string, RecordedMessage[]>();
  for (const m of messages) {
    expect(m.envelope.rcptTo, plan).toHaveLength(1);
    const to = m.envelope.rcptTo[0]!;
    byRecipient.set(to, [...(byRecipient.get(to) ?? []), m]);
  }
  expect([...byRecipient.keys()].sort(), plan).toEqual(ACTIVE_CONTACTS);
  const zipOf = new Map(
    state.files.map((f) => [`${f.tenant_name as string}/${f.billing_month as string}`, f.zip_path as string]),
  );
  const tenantOf = new Map(
    state.deliveries.map((d) => [d.recipient as string, `${d.tenant_name as string}/${d.billing_month as string}`]),
  );
  for (const [to, copies] of byRecipient) {
    const what = `${plan}: the mail to ${to}`;
    expect(
      copies.some((m) => m.acknowledged),
      `${what} was never accepted`,
    ).toBe(true);
    const messageId = state.messageIds.get(to);
    for (const m of copies) {
      const id = messageIdIn(m);
      if (m.complete || id !== null) expect(id, `${what}: Message-ID`).toBe(messageId);
      if (m.parsed === null) continue;
      expect(m.parsed.attachments, what).toHaveLength(1);
      expect(
        m.parsed.attachments[0]!.content.equals(referenceZips.get(zipOf.get(tenantOf.get(to)!)!)!),
        `${what}: its attachment is the reference's zip`,
      ).toBe(true);
    }
    figures.copies += copies.length - 1;
    figures.acknowledgedCopies += Math.max(0, copies.filter((m) => m.acknowledged).length - 1);
    const fromSurvivors = copies.filter((m) => {
      const pid = senders.get(m.number);
      return pid !== null && pid !== undefined && !killedPids.has(pid);
    });
    expect(fromSurvivors.length, `${what}: sent by more than one worker that lived on`).toBeLessThanOrEqual(1);
    for (const m of copies.slice(0, -1)) {
      const pid = senders.get(m.number);
      if (pid !== null && pid !== undefined)
        expect(killedPids.has(pid), `${what}: message ${m.number} sent again though its sender ${pid} lived on`).toBe(
          true,
        );
    }
  }
  fs.rmSync(trialDir, { recursive: true, force: true });
}

describe('kill matrix on PostgreSQL: four workers killed anywhere, then run again, end as one uninterrupted run', () => {
  for (const trial of TRIALS) it(describeTrial(trial), () => runTrial(trial));

  it('the figures', () => {
    console.log(
      `PostgreSQL kill matrix: ${figures.trials} trials of ${WORKERS} workers, ${figures.kills} workers killed (${figures.crashKills} at crash points, ${figures.smtpKills} by the mail server), ${figures.messages} messages for ${figures.trials * CONTACTS} deliveries (the sender told of ${figures.sendersTold}): ${figures.copies} copies (${figures.acknowledgedCopies} accepted twice), every copy with its delivery's Message-ID; ${Math.round((Date.now() - startedAt) / 1000)} s`,
    );
    expect(figures.trials).toBe(TRIALS.length);
    expect(figures.kills).toBeGreaterThanOrEqual(TRIALS.length);
  });
});
