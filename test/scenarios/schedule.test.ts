/**
 * `usage-charges schedule`, the service, as a child process: the catch-up pass at start closes and
 * mails (.eml files here), cron ticks run further passes, SIGTERM stops it cleanly (exit 0, lease
 * released, no pass left running); and `npm start` (seed-demo --if-empty, then schedule) on a
 * fresh data dir.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, startChild, until, type CliChild } from '../helpers/child.ts';
import { ROOT, hasStackTrace, runCli } from '../helpers/cli.ts';
import { inStore as readStore } from '../helpers/demo-store.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-schedule-');
});
afterAll(() => work.cleanup());
afterEach(async () => {
  await killChildren();
});

/** Reads a data dir's store, read-only (demo-store's inStore). */
function inStore<T>(dataDir: string, read: (db: Database.Database) => T): T {
  return readStore({ DATA_DIR: dataDir }, read);
}

/** The whole report of the catch-up pass, up to its last line (`mails: ...`). */
const CATCH_UP_REPORT = /^catch-up pass as of [^\n]+\n(?: {2}[^\n]*\n)*statements: [^\n]+\nmails: [^\n]+\n/m;

function runs(dataDir: string): { status: string; summary: string }[] {
  return inStore(
    dataDir,
    (db) =>
      db.prepare('SELECT status, summary FROM runs ORDER BY run_pk').all() as { status: string; summary: string }[],
  );
}

function files(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(ext)).sort();
}

/** Every delivery sent, and its .eml file in the outbox (the outbox is written before the store records it). */
async function allMailsWritten(dataDir: string): Promise<string[]> {
  return until(() => {
    const emls = files(path.join(dataDir, 'outbox'), '.eml');
    if (emls.length === 0 || !fs.existsSync(path.join(dataDir, 'usage-charges.sqlite'))) return undefined;
    const d = inStore(
      dataDir,
      (db) =>
        db.prepare("SELECT COUNT(*) AS n, SUM(status = 'sent') AS sent FROM deliveries").get() as {
          n: number;
          sent: number | null;
        },
    );
    return d.n > 0 && d.sent === d.n && emls.length === d.n ? emls : undefined;
  }, 'the .eml files of every delivery');
}

/** Stops the service with SIGTERM and returns how it ended. */
async function terminate(service: CliChild): Promise<Awaited<CliChild['exited']>> {
  service.child.kill('SIGTERM');
  return service.exited;
}

/** The stderr log lines (JSON) of a process; none may be an error. */
function expectNoErrorLogs(stderr: string): void {
  for (const line of stderr.split('\n').filter((l) => l !== '')) {
    expect(line.startsWith('{'), line).toBe(true);
    const entry = JSON.parse(line) as { level: number; msg: string };
    expect(entry.level, entry.msg).toBeLessThan(50);
  }
  expect(hasStackTrace(stderr)).toBe(false);
}

describe('usage-charges schedule', () => {
  it('catches up at start, runs again on cron ticks, and on SIGTERM exits 0 with the lease released and no pass left running', async () => {
    const dataDir = path.join(work.dir, 'service');
    const env = {
      DATA_DIR: dataDir,
      BILLING_TZ: 'UTC',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      CRON_SCHEDULE: '*/2 * * * * *',
    };
    // The demo usage in the month before now: the service's passes run as of now.
    const seed = await runCli(['seed-demo'], env);
    expect(seed.code).toBe(0);

    const service = startChild(['schedule'], env);
    await service.waitForStdout(
      /^usage-charges is running: the next pass is at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z \(CRON_SCHEDULE "\*\/2 \* \* \* \* \*" in UTC\); stop it with Ctrl-C or SIGTERM$/m,
    );

    // The catch-up pass closes the demo's month, writes its zips and mails it as .eml files.
    await service.waitForStdout(CATCH_UP_REPORT);
    expect(service.stdout).toMatch(
      /^catch-up pass as of \S+: [1-9]\d* statements closed, 0 failed to close; [1-9]\d* files written, 0 failed; [1-9]\d* mails written to the outbox, 0 retrying, 0 failed/m,
    );
    // The line about the service comes after the catch-up pass's report, not in the middle of it.
    expect(service.stdout.indexOf('catch-up pass as of')).toBeLessThan(
      service.stdout.indexOf('usage-charges is running'),
    );
    expect(service.stdout.indexOf('mails: ')).toBeLessThan(service.stdout.indexOf('usage-charges is running'));
    const emls = await allMailsWritten(dataDir);
    const closed = inStore(
      dataDir,
      (db) => db.prepare("SELECT COUNT(*) FROM statements WHERE status = 'fixed'").pluck().get() as number,
    );
    expect(closed).toBeGreaterThan(0);
    expect(files(path.join(dataDir, 'statements'), '.zip')).toHaveLength(closed);
    expect(service.stdout).toContain(`statements: ${path.join(dataDir, 'statements')}\n`);
    expect(service.stdout).toContain(`mails: ${path.join(dataDir, 'outbox')}\n`);

    // A later cron tick runs another pass, recorded in runs, which closes and sends nothing again.
    await until(
      () => (runs(dataDir).filter((r) => r.status !== 'running').length >= 2 ? true : undefined),
      'a second pass',
    );
    await service.waitForStdout(
      /^scheduled pass as of \S+: 0 statements closed, 0 failed to close; 0 files written, 0 failed; 0 mails written to the outbox, 0 retrying, 0 failed$/m,
    );
    const later = runs(dataDir)
      .filter((r) => r.status === 'ok')
      .slice(1)
      .map((r) => JSON.parse(r.summary) as { closed: number; sent: number });
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((s) => s.closed === 0 && s.sent === 0)).toBe(true);

    const end = await terminate(service);
    expect(end.code).toBe(0);
    expect(end.signal).toBeNull();
    expect(end.stdout).toMatch(/usage-charges stopped\n$/);
    expectNoErrorLogs(end.stderr);
    expect(end.stderr).toContain('"msg":"stop requested: finishing the message in flight"');

    // The lease is released; no pass is left running; nothing was mailed twice.
    expect(inStore(dataDir, (db) => db.prepare('SELECT COUNT(*) FROM run_lock').pluck().get())).toBe(0);
    const recorded = runs(dataDir);
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    expect(recorded.filter((r) => r.status === 'running')).toEqual([]);
    expect(recorded.every((r) => r.status === 'ok')).toBe(true);
    expect(files(path.join(dataDir, 'outbox'), '.eml')).toEqual(emls);
  });
});

describe('npm start', () => {
  it('is seed-demo --if-empty then schedule --web; on a fresh data dir it writes the statements and .eml mails, serves the web with a sign-in link for the demo operator, says where, and stops on SIGTERM', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const start = pkg.scripts.start ?? '';
    expect(start).toBe('node bin/usage-charges.js seed-demo --if-empty && node bin/usage-charges.js schedule --web');
    // Run exactly those commands (with this node), as npm start would, in the project folder.
    const [seedCommand, scheduleCommand] = start.split(' && ').map((c) => c.split(' '));
    expect(seedCommand![0]).toBe('node');
    expect(scheduleCommand![0]).toBe('node');

    const dataDir = path.join(work.dir, 'npm-start');
    // What a fresh checkout has: no SMTP_URL, the default schedule; only the data dir is moved to a
    // temp folder, and the web server to a free port.
    const env = { DATA_DIR: dataDir, WEB_PORT: '0', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const seed = spawnSync(process.execPath, seedCommand!.slice(1), {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    expect(seed.stderr).toBe('');
    expect(seed.status).toBe(0);
    expect(seed.stdout).toMatch(/^seed-demo: demo usage in \d{4}-\d\d \(billing time zone UTC\)\n/);
    expect(seed.stdout).toContain(
      '  users: operator@demo.example (operator), owner@demo.example (owner of TNT00003)\n',
    );

    const service = startChild([], env, { command: scheduleCommand!.slice(1) });
    await service.waitForStdout(CATCH_UP_REPORT);
    // The web server, and a link that signs the demo operator in.
    const web = /^usage-charges web server at (http:\/\/127\.0\.0\.1:\d+) \(health: /m.exec(service.stdout)![1]!;
    const link = /^demo: sign in as operator@demo\.example with this one-time link \(until \S+\): (\S+)$/m.exec(
      service.stdout,
    )![1]!;
    expect(link.startsWith(`${web}/sign-in/link/`)).toBe(true);
    expect(service.stdout).toContain(
      `      later links: "send the link" on the sign-in page writes them to ${path.join(dataDir, 'outbox')} as .eml files\n`,
    );
    const confirm = await fetch(link);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain(`<form method="post" action="${link.slice(web.length)}" class="card">`);
    expect((await fetch(`${web}/healthz`)).status).toBe(200);
    expect(service.stdout).toMatch(
      new RegExp(
        `^statements: ${escape(path.join(dataDir, 'statements'))}\\nmails: ${escape(path.join(dataDir, 'outbox'))}$`,
        'm',
      ),
    );
    expect(service.stdout).toMatch(/^catch-up pass as of \S+: [1-9]\d* statements closed, /m);
    await service.waitForStdout(
      /^usage-charges is running: the next pass is at \S+ \(CRON_SCHEDULE "0 2 \* \* \*" in UTC\); stop it with Ctrl-C or SIGTERM$/m,
    );
    const emls = await allMailsWritten(dataDir);
    expect(emls.length).toBeGreaterThan(0);
    const zips = files(path.join(dataDir, 'statements'), '.zip');
    expect(zips.length).toBeGreaterThan(0);
    expect(zips.every((z) => /^\d{6}\/\d{6}_[^/]+\.zip$/.test(z.split(path.sep).join('/')))).toBe(true);

    const end = await terminate(service);
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(/usage-charges stopped\n$/);
    expectNoErrorLogs(end.stderr);

    // Started again, npm start loads nothing more.
    const again = spawnSync(process.execPath, seedCommand!.slice(1), {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('seed-demo: the store already holds tenants; nothing loaded\n');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
