/**
 * `npm run bench:web [-- --tenants N --duration S --connections C --keep]`: the web server under
 * load while a month-end pass runs beside it.
 *
 * 1. Generates a cloud (bench/generate.ts: N tenants, 2 L-Platforms of 1 server each) and imports
 *    it with `usage-charges import`; `usage-charges run` closes 2026-10 for every tenant, so each
 *    has a statement with its zip. Mails are written as .eml files (no SMTP server).
 * 2. Adds people with `usage-charges user add` (an operator, the owners of a few tenants), starts
 *    the server as deployed (`usage-charges serve`, WEB_PORT=0: it prints its address) and signs
 *    each in with `usage-charges user link` and the link's confirm button over HTTP.
 * 3. Starts month-end passes in another process, back to back (`usage-charges run --as-of` the
 *    1st of 2026-12, then 2027-01, ...: each closes the next month of every tenant, writes its
 *    zip and its mails), and while they run sends C connections for S seconds to each target in
 *    turn (autocannon), then prints p50/p95/p99 latency, requests/s, errors and non-2xx answers.
 *
 * `--no-pass` measures the server alone (for comparison). `--keep` keeps the folder; `--reuse
 * FOLDER` measures again on it (the passes go on from the month they reached). With BENCH_PROF=DIR
 * in the environment the server writes a CPU profile into DIR when it stops (`node --cpu-prof`).
 *
 * Exits 1 when a target had errors or non-2xx answers, or no pass ran during the measurement.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command, InvalidArgumentError } from 'commander';
import { AS_OF, FILE_KINDS, REFERENCE_MONTH, writeCloud } from './generate.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'usage-charges.js');

/** Who a target is measured as. */
type As = 'owner' | 'operator';

/**
 * What is measured, in order. A target answering 404 (a page not built yet) is measured at its
 * `instead` address, and the report says so.
 */
const TARGETS: readonly { name: string; as: As; url: string; instead?: string }[] = [
  { name: "tenant's history", as: 'owner', url: '/' },
  { name: 'zip download', as: 'owner', url: `/statements/${REFERENCE_MONTH}.zip` },
  { name: "operator's statement page", as: 'operator', url: `/tenants/{tenant}/months/${REFERENCE_MONTH}` },
];

function wholeNumber(min: number) {
  return (value: string): number => {
    if (!/^\d{1,9}$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
    return Number(value);
  };
}

const options = new Command('bench:web')
  .description('the web server under load while a month-end pass runs')
  .option('--tenants <n>', 'tenants of the cloud', wholeNumber(1), 10_000)
  .option('--duration <s>', 'seconds per target', wholeNumber(1), 10)
  .option('--connections <c>', 'concurrent connections', wholeNumber(1), 100)
  .option('--keep', 'keep the temporary folder and print where it is')
  .option('--no-pass', 'measure without a month-end pass beside the server (for comparison)')
  .option(
    '--reuse <folder>',
    'measure again on a folder an earlier --keep run kept (no generating, importing or first pass)',
  )
  .allowExcessArguments(false)
  .parse(process.argv)
  .opts<{
    tenants: number;
    duration: number;
    connections: number;
    pass: boolean;
    keep?: boolean;
    reuse?: string;
  }>();

const say = (line: string): void => void process.stderr.write(`bench:web: ${line}\n`);

/** Runs `usage-charges ...args` to its end; throws with its output when it fails. */
function cli(env: Record<string, string>, ...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`usage-charges ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Starts `usage-charges serve`; resolves with its address once it prints it. */
function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : []), BIN, 'serve'],
    { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /web server at (http:\/\/\S+) /.exec(out);
      if (m !== null) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${out}`)));
  });
}

/** Signs `email` in: a link printed by `user link`, its confirm button pressed over HTTP; returns the cookie. */
async function signIn(env: Record<string, string>, base: string, email: string): Promise<string> {
  const printed = cli(env, 'user', 'link', email);
  const linkPath = /\/sign-in\/link\/[A-Za-z0-9_-]{43}/.exec(printed)?.[0];
  if (linkPath === undefined) throw new Error(`no link in: ${printed}`);
  const page = await fetch(base + linkPath);
  const csrfCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  const done = await fetch(base + linkPath, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ _csrf: csrf ?? '' }).toString(),
  });
  const session = done.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('uc_session='));
  if (done.status !== 303 || session === undefined) throw new Error(`signing ${email} in: ${done.status}`);
  return session;
}

/** Zips written so far under the data dir's statements folder (what the passes have done). */
function zipsWritten(dataDir: string): number {
  const dir = path.join(dataDir, 'statements');
  if (!fs.existsSync(dir)) return 0;
  return fs
    .readdirSync(dir)
    .reduce((n, month) => n + fs.readdirSync(path.join(dir, month)).filter((f) => f.endsWith('.zip')).length, 0);
}

/**
 * Month-end passes back to back in child processes (each as of the 1st of the next month) until
 * stopped. A pass checks for a stop between tenants only once its close is over, so one still
 * running at the end is stopped with SIGTERM and, after 30 s, SIGKILL (a killed pass is safe: the
 * next one finishes its work). Returns what each did.
 */
function passesMeanwhile(env: Record<string, string>): { stop: () => Promise<string[]>; running: () => boolean } {
  const done: string[] = [];
  let child: ChildProcess | null = null;
  let stopping = false;
  let month = new Date(Date.UTC(2026, 11, 1, 6));
  let finished: () => void = () => {};
  const ended = new Promise<void>((resolve) => (finished = resolve));
  const next = (): void => {
    if (stopping) return finished();
    const asOf = month.toISOString();
    month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1, 6));
    let out = '';
    const startedAt = Date.now();
    const pass = spawn(process.execPath, [BIN, 'run', '--as-of', asOf, '--wait'], {
      env,
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // As deployed: the month-end service runs at Nice=10 (deploy/usage-charges.service), the server at 0.
    if (pass.pid !== undefined) os.setPriority(pass.pid, 10);
    child = pass;
    pass.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    pass.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    pass.on('exit', (code, signal) => {
      child = null;
      const seconds = Math.round((Date.now() - startedAt) / 1000);
      const summary = out.split('\n').find((l) => l.startsWith('run as of')) ?? '';
      done.push(
        `run --as-of ${asOf}: ${signal ?? `exit ${code}`} after ${seconds} s${stopping ? ' (stopped after the measurement)' : ''}${summary === '' ? '' : `: ${summary}`}`,
      );
      next();
    });
  };
  next();
  return {
    running: () => child !== null,
    stop: async () => {
      stopping = true;
      const last = child as ChildProcess | null;
      if (last !== null) {
        last.kill('SIGTERM');
        const timer = setTimeout(() => last.kill('SIGKILL'), 30_000);
        await ended;
        clearTimeout(timer);
      } else await ended;
      return done;
    },
  };
}

/** One target's figures. */
interface Figures {
  target: string;
  url: string;
  requests: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Whether a pass ran, closing statements, all through the target's measurement. */
  passRunning: boolean;
  /** The mean size of an answer, headers included. */
  bytesPerAnswer: number;
  /** Statements the pass closed (zips written) during the target's measurement. */
  closed: number;
}

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** C connections for S seconds against one address; every response's time kept for the percentiles. */
async function measure(
  base: string,
  url: string,
  cookie: string,
): Promise<Omit<Figures, 'target' | 'passRunning' | 'closed'>> {
  const times: number[] = [];
  let bytes = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: base + url,
        connections: options.connections,
        duration: options.duration,
        headers: { cookie, 'accept-language': 'en' },
      },
      (err, r) => (err ? reject(err as Error) : resolve(r)),
    );
    instance.on('response', (_client, _status, answerBytes, responseTime) => {
      times.push(responseTime);
      bytes += answerBytes;
    });
  });
  times.sort((a, b) => a - b);
  return {
    url,
    requests: result.requests.total,
    perSecond: result.requests.total / (result.duration || options.duration),
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    p99: quantile(times, 0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    bytesPerAnswer: times.length === 0 ? 0 : bytes / times.length,
  };
}

async function main(): Promise<number> {
  const root = options.reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-bench-web-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATA_DIR: path.join(root, 'data'),
    BILLING_TZ: 'UTC',
    LOG_LEVEL: 'error',
    MAIL_FROM: 'Billing <billing@bench.example>',
    ISSUER_NAME: 'Bench Cloud K.K.',
    WEB_HOST: '127.0.0.1',
    WEB_PORT: '0',
  };
  let server: ChildProcess | null = null;
  try {
    const tenantsFile = path.join(root, 'input', 'tenants.csv');
    if (options.reuse === undefined) {
      say(`generating ${options.tenants} tenants...`);
      const cloud = writeCloud(
        { tenants: options.tenants, lplatforms: 2, servers: 1, seed: 1, bigTenant: false },
        path.join(root, 'input'),
      );
      for (const kind of FILE_KINDS) {
        say(`import ${kind}...`);
        cli(env, 'import', kind, cloud.paths[kind]);
      }
      say(`run --as-of ${AS_OF} (closes ${REFERENCE_MONTH} for every tenant)...`);
      say(cli(env, 'run', '--as-of', AS_OF).split('\n')[0]!);
    }

    // The owners of a few tenants (the first, one in the middle, the last) and an operator.
    const names = fs
      .readFileSync(tenantsFile, 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.split(',')[0]!);
    const owned = [...new Set([names[0]!, names[Math.floor(names.length / 2)]!, names.at(-1)!])];
    if (options.reuse === undefined) {
      cli(env, 'user', 'add', 'ops@bench.example', '--role', 'operator');
      for (const [i, t] of owned.entries())
        cli(env, 'user', 'add', `owner${i}@bench.example`, '--tenant', t, '--role', 'owner');
    }

    const started = await serve(env);
    server = started.child;
    const base = started.url;
    say(`serving at ${base}`);
    const cookies: Record<As, string> = {
      owner: await signIn(env, base, 'owner0@bench.example'),
      operator: await signIn(env, base, 'ops@bench.example'),
    };

    const zipsBefore = zipsWritten(env.DATA_DIR!);
    const passes = options.pass ? passesMeanwhile(env) : { running: () => false, stop: async () => [] as string[] };
    // Measured once the pass closes statements: not while it waits for the lease of a pass an
    // earlier run killed (`--reuse`), nor while it starts.
    if (options.pass) {
      say('waiting for the pass to close its first statement...');
      const until = Date.now() + 10 * 60_000;
      while (zipsWritten(env.DATA_DIR!) === zipsBefore) {
        if (Date.now() > until || !passes.running()) throw new Error('the pass closed no statement in 10 minutes');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const figures: Figures[] = [];
    for (const target of TARGETS) {
      let url = target.url.replace('{tenant}', owned[0]!);
      const probe = await fetch(base + url, { headers: { cookie: cookies[target.as] }, redirect: 'manual' });
      await probe.arrayBuffer();
      if (probe.status === 404 && target.instead !== undefined) {
        say(`${url} is not found (not built yet): measuring ${target.instead} as the ${target.as} instead`);
        url = target.instead;
      }
      say(`${target.name}: ${url}, ${options.connections} connections for ${options.duration} s...`);
      const before = passes.running();
      const zipsAtStart = zipsWritten(env.DATA_DIR!);
      const measured = await measure(base, url, cookies[target.as]);
      const closed = zipsWritten(env.DATA_DIR!) - zipsAtStart;
      figures.push({ target: target.name, passRunning: before && passes.running() && closed > 0, closed, ...measured });
    }
    const zipsDuring = zipsWritten(env.DATA_DIR!) - zipsBefore;
    const passLog = await passes.stop();

    const ms = (n: number): string => n.toFixed(1);
    console.log(
      `\n${options.tenants} tenants, ${options.connections} connections, ${options.duration} s per target, ${options.pass ? 'while month-end passes run' : 'no pass running'}\n`,
    );
    const closedColumn = options.pass ? ' statements closed meanwhile |' : '';
    console.log(
      `| target | address | KB per answer | requests/s | p50 ms | p95 ms | p99 ms | errors | non-2xx |${closedColumn}`,
    );
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |${options.pass ? ' --- |' : ''}`);
    for (const f of figures)
      console.log(
        `| ${f.target} | \`${f.url}\` | ${(f.bytesPerAnswer / 1024).toFixed(1)} | ${Math.round(f.perSecond)} | ${ms(f.p50)} | ${ms(f.p95)} | ${ms(f.p99)} | ${f.errors} | ${f.non2xx} |${options.pass ? ` ${f.closed} |` : ''}`,
      );
    if (options.pass) {
      console.log(
        `\nmonth-end passes meanwhile (${zipsDuring} statements closed with their zips during the measurement):`,
      );
      for (const line of passLog) console.log(`- ${line}`);
    }
    const bad = figures.filter((f) => f.errors > 0 || f.non2xx > 0);
    if (bad.length > 0) say(`errors or non-2xx answers: ${bad.map((f) => f.target).join(', ')}`);
    const passMissing = options.pass && figures.some((f) => !f.passRunning);
    if (passMissing) say('a target was measured with no pass running');
    return bad.length > 0 || passMissing ? 1 : 0;
  } finally {
    if (server !== null && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (options.keep || options.reuse !== undefined) say(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
