/**
 * SMTP faults through the real command line (DESIGN invariant 4, docs/operations.md "The life of a
 * delivery"): `run` as child processes against the demo month and a scripted SMTP server in the
 * test process. A server that is down, refusing, too slow at its greeting or wanting TLS is
 * reported unusable and uses up no attempt; greylisting, a 421, a reset or a late reply during a
 * message is retried (with the same Message-ID) until sent; a 550 or 552 fails its delivery at
 * once. Every case ends with each delivery `sent` or `failed`, the other tenants' mails sent once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import {
  startScriptedSmtpServer,
  unusedPort,
  type ScriptedSmtpOptions,
  type ScriptedSmtpServer,
} from '../helpers/smtp-script.ts';
import { tempDir } from '../helpers/store.ts';
import { selfSignedCertificate } from '../helpers/tls-cert.ts';
import { copyDataDir } from '../helpers/store-engine.ts';
import { inStore } from '../helpers/demo-store.ts';

const AS_OF = '2026-11-03T00:00:00Z';
const MONTH = '2026-10';
/** The clock of the first pass (USAGE_CHARGES_TEST_NOW); later passes add seconds to it. */
const T0 = Date.parse('2026-11-03T00:10:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

/** The demo's active contacts in the order a pass sends them (month, tenant name, delivery). */
const SEND_ORDER = [
  'billing@tenant01.example.jp',
  'ap@rules.example.com',
  'cfo@rules.example.com',
  'finance@globex.example.sg',
  'owner@manual-tenant.example.jp',
];
const TENANT_OF: Record<string, string> = {
  'billing@tenant01.example.jp': 'TNT00001',
  'ap@rules.example.com': 'TNT00003',
  'cfo@rules.example.com': 'TNT00003',
  'finance@globex.example.sg': 'TNT00004',
  'owner@manual-tenant.example.jp': 'manual-tenant',
};
const ALL_SENT_ONCE = {
  TNT00001: '1 sent',
  TNT00003: '2 sent',
  TNT00004: '1 sent',
  TNT00005: 'no recipient',
  'manual-tenant': '1 sent',
};

let work: { dir: string; cleanup: () => void };
/** A data dir with the demo seeded for 2026-10 (nothing closed yet), copied for each case. */
let template: string;
let caFile: string;
let tlsKey: { key: string; cert: string };

beforeAll(async () => {
  work = tempDir('uc-smtp-faults-');
  template = path.join(work.dir, 'template');
  const seed = await runCli(['seed-demo', '--as-of', AS_OF], {
    DATA_DIR: template,
    BILLING_TZ: 'UTC',
    LOG_LEVEL: 'error',
  });
  expect(seed.stderr).toBe('');
  expect(seed.code).toBe(0);
  // A throw-away certificate for the TLS server; the client trusts it through SMTP_CA_FILE.
  tlsKey = selfSignedCertificate();
  caFile = path.join(work.dir, 'test-ca.pem');
  fs.writeFileSync(caFile, tlsKey.cert);
});
afterAll(() => work.cleanup());

/** A fresh copy of the seeded demo; returns its settings. */
function demoStore(name: string): Record<string, string> {
  const dir = path.join(work.dir, name);
  copyDataDir(template, dir);
  return {
    DATA_DIR: dir,
    BILLING_TZ: 'UTC',
    LOG_LEVEL: 'error',
    MAIL_FROM: 'Billing <billing@example.com>',
    ISSUER_NAME: 'Example Cloud K.K.',
    MAIL_RETRY_BASE_SECONDS: '60',
    SMTP_TIMEOUT_SECONDS: '10',
  };
}

/** A scripted server, closed when the test (given by its context: the tests run concurrently) ends. */
async function scripted(test: TestContext, options: ScriptedSmtpOptions = {}): Promise<ScriptedSmtpServer> {
  const server = await startScriptedSmtpServer(options);
  test.onTestFinished(() => server.close());
  return server;
}

/**
 * The command, run in this process (through main()) one at a time: the cases run concurrently, their
 * servers answer while a run of another case waits for its turn.
 */
const CHILDREN = 1;
let running = 0;
const queued: (() => void)[] = [];
async function command(args: string[], env: Record<string, string>): Promise<CliRun> {
  if (running >= CHILDREN) await new Promise<void>((resolve) => queued.push(resolve));
  running += 1;
  try {
    return await runCli(args, env);
  } finally {
    running -= 1;
    queued.shift()?.();
  }
}

/** One `run` of the demo month with its clock at T0 + `seconds`. */
function runAt(
  env: Record<string, string>,
  smtpUrl: string,
  seconds: number,
  extra: Record<string, string> = {},
): Promise<CliRun> {
  return command(['run', '--verbose', '--as-of', AS_OF], {
    ...env,
    SMTP_URL: smtpUrl,
    USAGE_CHARGES_TEST_NOW: at(seconds),
    ...extra,
  });
}

interface Counts {
  closed: number;
  sent: number;
  retrying: number;
  failed: number;
}

/** The counts of a pass's summary line. */
function counts(r: CliRun): Counts {
  const m =
    /^run as of \S+: (\d+) statements? closed, 0 failed to close; \d+ files? written, 0 failed; (\d+) mails? sent, (\d+) retrying, (\d+) failed/m.exec(
      r.stdout,
    );
  expect(m, `${r.stdout}\n${r.stderr}`).not.toBeNull();
  return { closed: Number(m![1]), sent: Number(m![2]), retrying: Number(m![3]), failed: Number(m![4]) };
}

/** The recipients of a pass's `  sent ...` lines, sorted. */
function sentTo(r: CliRun): string[] {
  return r.stdout
    .split('\n')
    .flatMap((l) => {
      const m = /^ {2}sent (\S+) 2026-10 to (\S+): 250 /.exec(l);
      if (m) expect(m[1]).toBe(TENANT_OF[m[2]!]);
      return m ? [m[2]!] : [];
    })
    .sort();
}

/** The `  retrying ...` lines of a pass: [recipient, next attempt, attempts, last error]. */
function retrying(r: CliRun): [string, string, number, string][] {
  return [...r.stdout.matchAll(/^ {2}retrying \S+ 2026-10 to (\S+) at (\S+) \(after (\d+) attempts?\): (.+)$/gm)].map(
    (m) => [m[1]!, m[2]!, Number(m[3]), m[4]!],
  );
}

/** The `  failed to send ...` lines of a pass (stderr): [recipient, reason]. */
function failedSends(r: CliRun): [string, string][] {
  return [...r.stderr.matchAll(/^ {2}failed to send \S+ 2026-10 to (\S+): (.+)$/gm)].map((m) => [m[1]!, m[2]!]);
}

/** The reason a pass stopped sending (stderr), and how many deliveries it left for the next one; null if it did not stop. */
function stopped(r: CliRun): { reason: string; waiting: number } | null {
  const m = /^ {2}sending stopped, the mail server is unusable: (.+); (\d+) mails? waits? for the next pass$/m.exec(
    r.stderr,
  );
  return m ? { reason: m[1]!, waiting: Number(m[2]) } : null;
}

interface DeliveryRecord {
  tenant: string;
  recipient: string;
  status: string;
  attempts: number;
  messageId: string;
  lastError: string | null;
  nextAttemptAt: string | null;
  smtpResponse: string | null;
}

/** Every statement delivery of the store, by recipient (read-only). */
function deliveries(env: Record<string, string>): Record<string, DeliveryRecord> {
  return inStore(env, (db) => {
    const rows = db
      .prepare(
        `SELECT t.tenant_name AS tenant, d.recipient, d.status, d.attempts, d.message_id AS messageId, d.last_error AS lastError,
        d.next_attempt_at AS nextAttemptAt, d.smtp_response AS smtpResponse
      FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) WHERE d.kind = 'statement' ORDER BY d.delivery_pk`,
      )
      .all() as DeliveryRecord[];
    expect(rows.map((d) => d.recipient).sort()).toEqual([...SEND_ORDER].sort());
    return Object.fromEntries(rows.map((d) => [d.recipient, d]));
  });
}

/** `status --month 2026-10`. */
async function monthStatus(env: Record<string, string>): Promise<string> {
  const r = await command(['status', '--month', MONTH], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The mails column of each tenant's statement row. */
function expectMonthMails(status: string, expected: Record<string, string>): void {
  for (const [tenant, mails] of Object.entries(expected)) {
    const row = status.split('\n').find((l) => l.startsWith(`${tenant} `));
    expect(row, tenant).toMatch(new RegExp(`^${escape(tenant)}\\s+fixed\\s.*\\s${escape(mails)}$`));
  }
}

/** A delivery's row in the "mails not sent yet, failed, or resent" table, or undefined. */
function openRow(status: string, recipient: string): string | undefined {
  const table = status.split('\nmails not sent yet, failed, or resent:\n')[1] ?? '';
  return table.split('\n').find((l) => new RegExp(`^\\S+\\s+${escape(recipient)}\\s`).test(l));
}

/** Asserts a delivery's open row: status, attempts, next attempt (if any) and last error (if any). */
function expectOpenRow(
  status: string,
  recipient: string,
  row: { status: string; attempts: number; next?: string; error?: string },
): void {
  const parts = [
    TENANT_OF[recipient]!,
    recipient,
    'statement',
    row.status,
    String(row.attempts),
    ...(row.next ? [row.next] : []),
    ...(row.error ? [row.error] : []),
  ];
  expect(openRow(status, recipient), recipient).toMatch(new RegExp(`^${parts.map(escape).join('\\s+')}$`));
}

/**
 * The end of every case: each delivery is sent (or failed, as expected) with the attempts
 * expected (1 for the others), the servers accepted exactly one message for each sent delivery and
 * none for a failed one, and whatever reached a server for a recipient (accepted, refused, cut off
 * or answered too late) carries that delivery's one Message-ID.
 */
function expectEnd(
  env: Record<string, string>,
  servers: ScriptedSmtpServer[],
  expected: Record<string, { status: 'sent' | 'failed'; attempts: number }>,
): void {
  const rows = deliveries(env);
  for (const recipient of SEND_ORDER) {
    const want = expected[recipient] ?? { status: 'sent', attempts: 1 };
    const d = rows[recipient]!;
    expect([d.status, d.attempts], recipient).toEqual([want.status, want.attempts]);
    expect(d.nextAttemptAt, recipient).toBeNull();
    if (want.status === 'sent') {
      expect(d.lastError, recipient).toBeNull();
      expect(d.smtpResponse, recipient).toMatch(/^250 /);
    }
    const reached = servers.flatMap((s) => s.messages).filter((m) => m.envelope.rcptTo.includes(recipient));
    for (const m of reached) {
      expect(m.envelope.rcptTo, recipient).toEqual([recipient]);
      expect(m.messageId, recipient).toBe(d.messageId);
    }
    expect(
      reached.filter((m) => m.outcome === 'accepted'),
      recipient,
    ).toHaveLength(want.status === 'sent' ? 1 : 0);
  }
  expect(new Set(Object.values(rows).map((d) => d.messageId)).size).toBe(SEND_ORDER.length);
}

/** A pass that reports the server unusable: exit 1, nothing sent, no attempt counted, every delivery pending and due. */
function expectUnusable(env: Record<string, string>, r: CliRun, reason: string | RegExp): string {
  expect(r.code, r.stderr).toBe(1);
  expect(hasStackTrace(r.stderr)).toBe(false);
  const stop = stopped(r);
  expect(stop, r.stderr).not.toBeNull();
  if (typeof reason === 'string') expect(stop!.reason).toBe(reason);
  else expect(stop!.reason).toMatch(reason);
  // Not an attempt of any delivery: all pending, due at once, none counted, none failed.
  const rows = Object.values(deliveries(env));
  for (const d of rows)
    expect([d.recipient, d.status, d.attempts, d.nextAttemptAt]).toEqual([d.recipient, 'pending', 0, null]);
  // What the pass tried carries why (the workers of the pool may each have met the server differently).
  expect(rows.some((d) => d.lastError === stop!.reason)).toBe(true);
  expect(stop!.waiting).toBe(SEND_ORDER.length);
  expect(counts(r)).toMatchObject({ sent: 0, retrying: 0, failed: 0 });
  expect(failedSends(r)).toEqual([]);
  return stop!.reason;
}

// Generous per-case limits: the cases share a small, possibly busy machine (no timing is asserted).
describe.concurrent('SMTP faults through `usage-charges run`', () => {
  it('a server that is down, then refusing at the greeting, is reported unusable and counts no attempt; once up, the next run sends every mail once', async (test) => {
    const env = demoStore('down');
    const port = await unusedPort();
    const url = `smtp://127.0.0.1:${port}`;

    // Nothing listens: connection refused. The month is still closed and its files written.
    const down = await runAt(env, url, 0);
    expect(counts(down)).toMatchObject({ closed: 5 });
    expectUnusable(env, down, `connection refused by 127.0.0.1:${port}`);
    const status = await monthStatus(env);
    expectMonthMails(status, {
      TNT00001: '1 pending',
      TNT00003: '2 pending',
      TNT00004: '1 pending',
      TNT00005: 'no recipient',
      'manual-tenant': '1 pending',
    });
    for (const to of SEND_ORDER)
      expect(openRow(status, to), to).toMatch(
        new RegExp(
          `^${escape(TENANT_OF[to]!)}\\s+${escape(to)}\\s+statement\\s+pending\\s+0(\\s+connection refused by 127\\.0\\.0\\.1:${port})?$`,
        ),
      );

    // The server comes up but refuses every session at its greeting.
    let refusing = true;
    const server = await scripted(test, {
      port,
      greeting: () => (refusing ? { reply: { code: 421, message: '4.3.2 service not available' } } : undefined),
    });
    const refused = await runAt(env, url, 60);
    expect(counts(refused)).toMatchObject({ closed: 0 });
    expectUnusable(env, refused, '421 4.3.2 service not available (the server refuses the session)');
    expect(server.connections).toBeGreaterThan(0);
    expect(server.mailFroms).toEqual([]);

    // The server accepts again: every mail goes, once, on its first counted attempt.
    refusing = false;
    const up = await runAt(env, url, 120);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(counts(up)).toEqual({ closed: 0, sent: 5, retrying: 0, failed: 0 });
    expect(sentTo(up)).toEqual([...SEND_ORDER].sort());
    expectEnd(env, [server], {});
    const after = await monthStatus(env);
    expectMonthMails(after, ALL_SENT_ONCE);
    expect(after).not.toContain('mails not sent yet');
  });

  it('greylisting (450 to RCPT TO) of one recipient: retried after MAIL_RETRY_BASE_SECONDS, then twice that, and sent on the third attempt; the others go at once', async (test) => {
    const env = demoStore('greylist');
    const grey = 'cfo@rules.example.com';
    const reply = '450 4.7.1 greylisted, try again later';
    const server = await scripted(test, {
      rcptTo: (to, attempt) =>
        to === grey && attempt <= 2 ? { code: 450, message: '4.7.1 greylisted, try again later' } : undefined,
    });

    const first = await runAt(env, server.url, 0);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(counts(first)).toEqual({ closed: 5, sent: 4, retrying: 1, failed: 0 });
    expect(sentTo(first)).toEqual(SEND_ORDER.filter((r) => r !== grey).sort());
    expect(retrying(first)).toEqual([[grey, at(60), 1, `${reply} (transient)`]]);
    expect(deliveries(env)[grey]).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: at(60),
      lastError: `${reply} (transient)`,
      smtpResponse: reply,
    });
    const status = await monthStatus(env);
    expectMonthMails(status, { ...ALL_SENT_ONCE, TNT00003: '1 sent, 1 pending' });
    expectOpenRow(status, grey, { status: 'pending', attempts: 1, next: at(60), error: `${reply} (transient)` });
    expect(openRow(status, 'ap@rules.example.com')).toBeUndefined();

    // Before its time nothing is tried.
    const early = await runAt(env, server.url, 59);
    expect(early.code).toBe(0);
    expect(counts(early)).toEqual({ closed: 0, sent: 0, retrying: 1, failed: 0 });
    expect(server.rcpts.filter((r) => r.address === grey)).toHaveLength(1);

    // The one mail due is deferred again: nothing was delivered, which the exit code says (3).
    const second = await runAt(env, server.url, 60);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(
      /^ {2}nothing delivered: the mail server deferred every mail it was given \(1 mail\); they wait for their retry$/m,
    );
    expect(counts(second)).toEqual({ closed: 0, sent: 0, retrying: 1, failed: 0 });
    expect(retrying(second)).toEqual([[grey, at(60 + 120), 2, `${reply} (transient)`]]);

    const third = await runAt(env, server.url, 180);
    expect(third.stderr).toBe('');
    expect(third.code).toBe(0);
    expect(counts(third)).toEqual({ closed: 0, sent: 1, retrying: 0, failed: 0 });
    expect(sentTo(third)).toEqual([grey]);
    expect(server.rcpts.filter((r) => r.address === grey).map((r) => r.code)).toEqual([450, 450, 250]);
    expectEnd(env, [server], { [grey]: { status: 'sent', attempts: 3 } });
    expectMonthMails(await monthStatus(env), ALL_SENT_ONCE);
  });

  it('421 in reply to one message (the server closes the session): an attempt, retried by the next pass under the same Message-ID and sent; the rest wait and go once', async (test) => {
    const env = { ...demoStore('421'), SMTP_POOL_SIZE: '1' };
    const target = 'ap@rules.example.com';
    const reply = '421 4.4.2 closing connection, try again later';
    const server = await scripted(test, {
      data: (step) =>
        step.envelope.rcptTo[0] === target && step.attempt === 1
          ? { reply: { code: 421, message: '4.4.2 closing connection, try again later' } }
          : undefined,
    });

    // The 421 answers the end of the data. (A 421 to RCPT TO on a connection that already carried a
    // message is first tried again on a new connection by nodemailer's pool itself, as no byte of
    // the message went out: within the same attempt, unseen by the pass.)
    // One connection: the first mail goes, the second gets the 421 after its data, the pass stops there.
    const first = await runAt(env, server.url, 0);
    expect(first.code).toBe(1);
    expect(hasStackTrace(first.stderr)).toBe(false);
    expect(counts(first)).toEqual({ closed: 5, sent: 1, retrying: 1, failed: 0 });
    expect(sentTo(first)).toEqual([SEND_ORDER[0]]);
    expect(stopped(first)).toEqual({ reason: `${reply} (server unavailable)`, waiting: 3 });
    expect(retrying(first)).toEqual([[target, at(60), 1, `${reply} (server unavailable)`]]);
    const left = deliveries(env);
    expect(left[target]).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: at(60), smtpResponse: reply });
    for (const r of SEND_ORDER.slice(2))
      expect(left[r]).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: null, lastError: null });
    const status = await monthStatus(env);
    expectMonthMails(status, {
      ...ALL_SENT_ONCE,
      TNT00003: '2 pending',
      TNT00004: '1 pending',
      'manual-tenant': '1 pending',
    });
    expectOpenRow(status, target, {
      status: 'pending',
      attempts: 1,
      next: at(60),
      error: `${reply} (server unavailable)`,
    });
    expectOpenRow(status, 'finance@globex.example.sg', { status: 'pending', attempts: 0 });

    const second = await runAt(env, server.url, 60);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(counts(second)).toEqual({ closed: 0, sent: 4, retrying: 0, failed: 0 });
    expect(sentTo(second)).toEqual(SEND_ORDER.slice(1).sort());
    expect(server.messages.filter((m) => m.envelope.rcptTo.includes(target)).map((m) => m.outcome)).toEqual([
      'refused',
      'accepted',
    ]);
    expectEnd(env, [server], { [target]: { status: 'sent', attempts: 2 } });
    expectMonthMails(await monthStatus(env), ALL_SENT_ONCE);
  });

  it("550 to RCPT TO of one recipient and 552 to the DATA of another: both fail at once with the server's reply, run exits 1, the others are sent", async (test) => {
    const env = demoStore('permanent');
    const gone = 'finance@globex.example.sg';
    const big = 'owner@manual-tenant.example.jp';
    const server = await scripted(test, {
      rcptTo: (to) =>
        to === gone ? { code: 550, message: '5.1.1 <finance@globex.example.sg>: mailbox unavailable' } : undefined,
      data: (step) =>
        step.envelope.rcptTo[0] === big
          ? { reply: { code: 552, message: '5.3.4 message size exceeds fixed maximum message size' } }
          : undefined,
    });
    const goneReason = '550 5.1.1 <finance@globex.example.sg>: mailbox unavailable (permanent)';
    const bigReason = '552 5.3.4 message size exceeds fixed maximum message size (permanent)';

    const r = await runAt(env, server.url, 0);
    expect(r.code).toBe(1);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(counts(r)).toEqual({ closed: 5, sent: 3, retrying: 0, failed: 2 });
    expect(stopped(r)).toBeNull();
    expect(sentTo(r)).toEqual(SEND_ORDER.filter((x) => x !== gone && x !== big).sort());
    expect(failedSends(r).sort()).toEqual(
      [
        [gone, goneReason],
        [big, bigReason],
      ].sort(),
    );
    const rows = deliveries(env);
    expect(rows[gone]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: goneReason,
      smtpResponse: goneReason.replace(/ \(permanent\)$/, ''),
    });
    expect(rows[big]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: bigReason,
      smtpResponse: bigReason.replace(/ \(permanent\)$/, ''),
    });
    const status = await monthStatus(env);
    expectMonthMails(status, { ...ALL_SENT_ONCE, TNT00004: '1 failed', 'manual-tenant': '1 failed' });
    expectOpenRow(status, gone, { status: 'failed', attempts: 1, error: goneReason });
    expectOpenRow(status, big, { status: 'failed', attempts: 1, error: bigReason });
    expect(openRow(status, 'ap@rules.example.com')).toBeUndefined();

    // Failed is final: a pass a day later tries neither again.
    const later = await runAt(env, server.url, 86_400);
    expect(later.code).toBe(0);
    expect(counts(later)).toEqual({ closed: 0, sent: 0, retrying: 0, failed: 0 });
    expect(server.rcpts.filter((x) => x.address === gone)).toHaveLength(1);
    expect(server.messages.filter((m) => m.envelope.rcptTo.includes(big)).map((m) => m.outcome)).toEqual(['refused']);
    expectEnd(env, [server], { [gone]: { status: 'failed', attempts: 1 }, [big]: { status: 'failed', attempts: 1 } });
  });

  it('a connection reset during DATA: that delivery is retried by the next pass under the same Message-ID and sent; the others go once', async (test) => {
    const env = { ...demoStore('reset'), SMTP_POOL_SIZE: '1' };
    const target = 'finance@globex.example.sg';
    const server = await scripted(test, {
      data: (step) => (step.envelope.rcptTo[0] === target && step.attempt === 1 ? { reset: true } : undefined),
    });

    const first = await runAt(env, server.url, 0);
    expect(first.code).toBe(1);
    expect(hasStackTrace(first.stderr)).toBe(false);
    expect(counts(first)).toEqual({ closed: 5, sent: 3, retrying: 1, failed: 0 });
    expect(sentTo(first)).toEqual(SEND_ORDER.slice(0, 3).sort());
    const stop = stopped(first);
    expect(stop?.waiting).toBe(1);
    // nodemailer reports the reset as a closed connection or, depending on timing, as ECONNRESET.
    expect(stop?.reason).toMatch(
      /^connection (failed \(ECONNECTION\): Connection closed unexpectedly|reset by (the server|127\.0\.0\.1:\d+))$/,
    );
    expect(retrying(first)).toEqual([[target, at(60), 1, stop!.reason]]);
    const cut = server.messages.filter((m) => m.outcome === 'cut');
    expect(cut.map((m) => m.envelope.rcptTo)).toEqual([[target]]);
    expect(cut[0]!.messageId).toBe(deliveries(env)[target]!.messageId);
    expect(deliveries(env)[target]).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: at(60),
      lastError: stop!.reason,
    });
    expectOpenRow(await monthStatus(env), target, {
      status: 'pending',
      attempts: 1,
      next: at(60),
      error: stop!.reason,
    });

    const second = await runAt(env, server.url, 60);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(counts(second)).toEqual({ closed: 0, sent: 2, retrying: 0, failed: 0 });
    expect(sentTo(second)).toEqual(SEND_ORDER.slice(3).sort());
    expect(server.messages.filter((m) => m.envelope.rcptTo.includes(target)).map((m) => m.outcome)).toEqual([
      'cut',
      'accepted',
    ]);
    expectEnd(env, [server], { [target]: { status: 'sent', attempts: 2 } });
    expectMonthMails(await monthStatus(env), ALL_SENT_ONCE);
  });

  it('a greeting slower than SMTP_TIMEOUT_SECONDS: the server is unusable and no attempt is counted; the next run against a normal server sends every mail once', async (test) => {
    const env = demoStore('slow-greeting');
    const slow = await scripted(test, { greeting: () => ({ untilClientLeaves: true }) });
    const r = await runAt(env, slow.url, 0, { SMTP_TIMEOUT_SECONDS: '1' });
    expect(counts(r)).toMatchObject({ closed: 5 });
    expectUnusable(env, r, /^timed out \(greeting timeout\): /);
    expect(slow.mailFroms).toEqual([]);

    const normal = await scripted(test);
    const next = await runAt(env, normal.url, 60);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(counts(next)).toEqual({ closed: 0, sent: 5, retrying: 0, failed: 0 });
    expectEnd(env, [slow, normal], {});
    expectMonthMails(await monthStatus(env), ALL_SENT_ONCE);
  });

  it('a DATA reply slower than SMTP_TIMEOUT_SECONDS: an attempt, retried; the next run against a normal server sends it under the same Message-ID', async (test) => {
    const env = { ...demoStore('slow-data'), SMTP_POOL_SIZE: '1' };
    const target = SEND_ORDER[0]!;
    const slow = await scripted(test, {
      data: (step) => (step.envelope.rcptTo[0] === target ? { untilClientLeaves: true } : undefined),
    });
    const r = await runAt(env, slow.url, 0, { SMTP_TIMEOUT_SECONDS: '2' });
    expect(r.code).toBe(1);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(counts(r)).toEqual({ closed: 5, sent: 0, retrying: 1, failed: 0 });
    const stop = stopped(r);
    expect(stop).toEqual({ reason: 'timed out (socket timeout): Timeout', waiting: 4 });
    expect(retrying(r)).toEqual([[target, at(60), 1, stop!.reason]]);
    // The slow server got the whole message; its reply came too late.
    expect(slow.messages.map((m) => [m.envelope.rcptTo, m.outcome])).toEqual([[[target], 'late']]);
    const left = deliveries(env);
    expect(left[target]).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: at(60) });
    for (const x of SEND_ORDER.slice(1))
      expect(left[x]).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
    expectOpenRow(await monthStatus(env), target, {
      status: 'pending',
      attempts: 1,
      next: at(60),
      error: stop!.reason,
    });

    const normal = await scripted(test);
    const next = await runAt(env, normal.url, 60);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(counts(next)).toEqual({ closed: 0, sent: 5, retrying: 0, failed: 0 });
    // Both copies of the slow one carry its Message-ID (expectEnd checks every message that reached a server).
    expect(
      [...slow.messages, ...normal.messages].filter((m) => m.envelope.rcptTo.includes(target)).map((m) => m.outcome),
    ).toEqual(['late', 'accepted']);
    expectEnd(env, [slow, normal], { [target]: { status: 'sent', attempts: 2 } });
    expectMonthMails(await monthStatus(env), ALL_SENT_ONCE);
  });

  it('a server that requires STARTTLS: with SMTP_STARTTLS=off the sender is refused (530), the server is unusable and nothing is counted; with SMTP_CA_FILE every mail goes over TLS', async (test) => {
    const env = demoStore('tls');
    const server = await scripted(test, {
      tls: tlsKey,
      mailFrom: (step) =>
        step.secure ? undefined : { code: 530, message: '5.7.0 Must issue a STARTTLS command first' },
    });

    // TLS switched off: the server refuses the sender on the plain session.
    const off = await runAt(env, server.url, 0, { SMTP_STARTTLS: 'off' });
    expect(counts(off)).toMatchObject({ closed: 5 });
    expectUnusable(
      env,
      off,
      '530 5.7.0 Must issue a STARTTLS command first (the server wants TLS or a login, or offers no STARTTLS: check SMTP_URL and SMTP_STARTTLS)',
    );
    expect(server.mailFroms.length).toBeGreaterThan(0);
    expect(server.mailFroms.every((m) => !m.secure && m.code === 530)).toBe(true);
    expect(server.messages).toEqual([]);
    const tried = server.mailFroms.length;
    expectMonthMails(await monthStatus(env), {
      TNT00001: '1 pending',
      TNT00003: '2 pending',
      TNT00004: '1 pending',
      TNT00005: 'no recipient',
      'manual-tenant': '1 pending',
    });

    // With the certificate as SMTP_CA_FILE: every mail goes, each in a TLS session.
    const secure = await runAt(env, server.url, 60, { SMTP_STARTTLS: 'require', SMTP_CA_FILE: caFile });
    expect(secure.stderr).toBe('');
    expect(secure.code).toBe(0);
    expect(counts(secure)).toEqual({ closed: 0, sent: 5, retrying: 0, failed: 0 });
    expect(server.messages).toHaveLength(5);
    expect(server.messages.every((m) => m.secure && m.outcome === 'accepted')).toBe(true);
    expect(server.mailFroms.slice(tried).every((m) => m.secure && m.code === 250)).toBe(true);
    expectEnd(env, [server], {});
    expectMonthMails(await monthStatus(env), ALL_SENT_ONCE);
  });

  it('a TLS server whose certificate cannot be checked (no SMTP_CA_FILE): unusable, no attempt counted, nothing sent in clear; with SMTP_CA_FILE the next run sends every mail', async (test) => {
    const env = demoStore('tls-untrusted');
    const server = await scripted(test, {
      tls: tlsKey,
      mailFrom: (step) =>
        step.secure ? undefined : { code: 530, message: '5.7.0 Must issue a STARTTLS command first' },
    });

    // docs/operations.md: a server "rejecting the login or TLS" is unusable, and a failure before
    // the message was handed over is not counted as an attempt (a wrong setting never fails a delivery).
    const untrusted = await runAt(env, server.url, 0, { SMTP_STARTTLS: 'require' });
    expect(counts(untrusted)).toMatchObject({ closed: 5 });
    expectUnusable(env, untrusted, /certificate/);
    expect(server.mailFroms).toEqual([]);
    expect(server.messages).toEqual([]);

    const secure = await runAt(env, server.url, 60, { SMTP_STARTTLS: 'require', SMTP_CA_FILE: caFile });
    expect(secure.stderr).toBe('');
    expect(secure.code).toBe(0);
    expect(counts(secure)).toEqual({ closed: 0, sent: 5, retrying: 0, failed: 0 });
    expect(server.messages.every((m) => m.secure && m.outcome === 'accepted')).toBe(true);
    expectEnd(env, [server], {});
  });
});
