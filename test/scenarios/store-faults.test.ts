/**
 * Disk and store faults through the real command line on the demo store, with a real SMTP server
 * in the test process: a statements folder that cannot be written, a full disk (an injected
 * ENOSPC, USAGE_CHARGES_FAIL_AT) at a zip and at an .eml file, a store locked by another process,
 * and a damaged archive found by a resend. In every case nothing is recorded sent that the server
 * did not accept, and the next run finishes the work.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emlFileName } from '../../src/mail/transport.ts';
import { startChild } from '../helpers/child.ts';
import { hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import {
  AS_OF,
  CONTACTS,
  controlledServer,
  copyOf,
  deliveries,
  endTest,
  expectSentAsAccepted,
  fileSha,
  inStore,
  MONTH,
  RECIPIENTS,
  seedTemplate,
  sha256,
  smtpServer,
  statementFiles,
  storeFile,
  TENANT_OF,
  TENANTS,
  tempFilesLeft,
} from '../helpers/demo-store.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { holdStoreLock } from '../helpers/store-lock.ts';
import { snapshot, tempDir } from '../helpers/store.ts';
import { storeHandle } from '../../src/store/db.ts';

const ENOSPC_REASON =
  'the disk holding DATA_DIR is full (ENOSPC: no space left on device, write (injected at zip-write))';
const BUSY_MESSAGE =
  'error: the store is busy: another usage-charges process is writing to it; nothing was changed, try again when it has finished\n';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;
beforeAll(async () => {
  work = tempDir('uc-store-faults-');
  template = await seedTemplate(work.dir);
});
afterAll(() => work.cleanup());

afterEach(endTest);

/** The accepted messages of the test server, as expectSentAsAccepted takes them. */
function accepted(smtp: TestSmtpServer): { rcptTo: string[]; messageId: string | undefined }[] {
  return smtp.messages
    .filter((m) => !m.refused)
    .map((m) => ({ rcptTo: m.envelope.rcptTo, messageId: m.parsed.messageId }));
}

/** The first line of a pass's summary. */
function summaryLine(r: CliRun): string {
  return /^run as of .*$/m.exec(r.stdout)?.[0] ?? `(no summary)\n${r.stdout}\n${r.stderr}`;
}

function summaryOf(
  closed: number,
  written: number,
  filesFailed: number,
  sent: number,
  withoutRecipient: boolean,
  mode: { eml?: boolean; waiting?: number } = {},
): string {
  const n = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const waiting = mode.waiting ? `; ${n(mode.waiting, 'mail')} waiting because the outbox cannot be written` : '';
  return (
    `run as of 2026-11-03T00:00:00.000Z: ${n(closed, 'statement')} closed, 0 failed to close; ${n(written, 'file')} written, ${filesFailed} failed; ` +
    `${n(sent, 'mail')} ${mode.eml ? 'written to the outbox' : 'sent'}, 0 retrying, 0 failed${waiting}${withoutRecipient ? '; 1 without recipient' : ''}`
  );
}

/** The `  failed to write the files of T M: reason` lines, as [tenant, reason]. */
function filesFailedLines(r: CliRun): [string, string][] {
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('  failed to write the files of '))
    .map((l) => {
      const m = /^ {2}failed to write the files of (\S+) 2026-10: (.+)$/.exec(l);
      expect(m, l).not.toBeNull();
      return [m![1]!, m![2]!];
    });
}

function runsOf(env: Record<string, string>): { status: string; summary: Record<string, unknown> }[] {
  return inStore(env, (db) =>
    (db.prepare('SELECT status, summary FROM runs ORDER BY run_pk').all() as { status: string; summary: string }[]).map(
      (r) => ({ status: r.status, summary: JSON.parse(r.summary) as Record<string, unknown> }),
    ),
  );
}

function count(env: Record<string, string>, sql: string, ...params: unknown[]): number {
  return inStore(
    env,
    (db) =>
      db
        .prepare(sql)
        .pluck()
        .get(...params) as number,
  );
}

/** How many messages each recipient received. */
function receivedBy(smtp: TestSmtpServer): Map<string, number> {
  const by = new Map<string, number>();
  for (const m of smtp.messages) for (const to of m.envelope.rcptTo) by.set(to, (by.get(to) ?? 0) + 1);
  return by;
}

/** Every message's attachment is its tenant's archived zip, whose SHA-256 is the recorded one. */
function expectAttachmentsArchived(env: Record<string, string>, smtp: TestSmtpServer): void {
  const files = statementFiles(env);
  for (const m of smtp.messages) {
    const file = files.find((f) => f.tenant === TENANT_OF.get(m.envelope.rcptTo[0]!))!;
    expect(m.parsed.attachments.map((a) => a.filename)).toEqual([file.zipName]);
    expect(sha256(m.parsed.attachments[0]!.content)).toBe(file.sha256);
    expect(fileSha(env, file.zipPath)).toBe(file.sha256);
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the statements folder cannot be written', () => {
  it('run closes the statements, reports each zip failed with its reason, exits 1 and sends nothing; once fixed, the next run writes the zips and sends each contact once', async () => {
    const env = copyOf(template, work.dir, 'folder');
    const smtp = await smtpServer();
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    // A file where the month's folder must be (permissions would not stop the tests' root user).
    const blocker = path.join(env.DATA_DIR!, 'statements', '202610');
    fs.mkdirSync(path.dirname(blocker), { recursive: true });
    fs.writeFileSync(blocker, 'not a folder\n');

    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv);
    expect(r.code).toBe(1);
    expect(summaryLine(r)).toBe(summaryOf(5, 0, 5, 0, true));
    for (const t of TENANTS) expect(r.stdout).toMatch(new RegExp(`^  closed ${t} 2026-10: total \\S+ (JPY|SGD)$`, 'm'));
    expect(r.stdout).toContain(`\n  ${RECIPIENTS.length} deliveries wait for their statement's files\n`);
    const failed = filesFailedLines(r);
    expect(failed.map(([t]) => t)).toEqual(TENANTS);
    for (const [tenant, reason] of failed) {
      // The reason names the folder by its setting, the system's error and what it means.
      expect(reason, tenant).toBe(
        'DATA_DIR/statements/202610 cannot be created: EEXIST (a file of that name is in the way)',
      );
    }
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);

    // The statements are closed; no file is recorded, no mail was sent or claimed, the failures are audited.
    expect(count(env, "SELECT COUNT(*) FROM statements WHERE status = 'fixed'")).toBe(5);
    expect(statementFiles(env)).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
    expect(
      deliveries(env)
        .map((d) => [d.recipient, d.status, d.attempts])
        .sort(),
    ).toEqual(RECIPIENTS.map((a) => [a, 'pending', 0]));
    expectSentAsAccepted(env, accepted(smtp));
    const audit = inStore(
      env,
      (db) =>
        db.prepare("SELECT subject, detail FROM audit_log WHERE action = 'files-failed' ORDER BY subject").all() as {
          subject: string;
          detail: string;
        }[],
    );
    expect(audit.map((a) => [a.subject, JSON.parse(a.detail) as unknown])).toEqual(
      failed.map(([t, reason]) => [t, { billingMonth: MONTH, reason }]).sort(),
    );
    expect(runsOf(env)).toEqual([
      {
        status: 'failed',
        summary: expect.objectContaining({
          closed: 5,
          filesWritten: 0,
          filesFailed: 5,
          sent: 0,
          waitingForFiles: RECIPIENTS.length,
        }),
      },
    ]);
    expect(fs.statSync(blocker).isFile()).toBe(true);

    // Fixed: the next run writes the five zips and sends each contact its statement once.
    fs.rmSync(blocker);
    const next = await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(summaryLine(next)).toBe(summaryOf(0, 5, 0, RECIPIENTS.length, false));
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expect(statementFiles(env).map((f) => f.tenant)).toEqual(TENANTS);
    expectAttachmentsArchived(env, smtp);
    expect(deliveries(env).map((d) => [d.status, d.attempts])).toEqual(RECIPIENTS.map(() => ['sent', 1]));
    expectSentAsAccepted(env, accepted(smtp));
    expect(tempFilesLeft(env)).toEqual([]);
  });
});

describe('a full disk (injected ENOSPC)', () => {
  it("at the second zip: that statement's files fail with the reason, no temporary or partial zip is left and nothing is sent for it; the others are written and sent; the next run completes it", async () => {
    const env = copyOf(template, work.dir, 'enospc-zip');
    const smtp = await smtpServer();
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], {
      ...smtpEnv,
      USAGE_CHARGES_FAIL_AT: 'zip-write#2:ENOSPC',
    });
    expect(r.code).toBe(1);
    const failed = filesFailedLines(r);
    // The zips are written four at a time: which one is the second to be written may vary.
    expect(failed).toHaveLength(1);
    const [victim, reason] = failed[0]!;
    expect(reason).toBe(ENOSPC_REASON);
    const victimContacts = CONTACTS[victim] ?? [];
    const others = RECIPIENTS.filter((a) => !victimContacts.includes(a));
    expect(summaryLine(r)).toBe(summaryOf(5, 4, 1, others.length, true));
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);

    // The four others are recorded and archived; the folder holds exactly their zips: no temporary
    // file, no partial zip of the failed statement, and no record of it.
    const files = statementFiles(env);
    expect(files.map((f) => f.tenant)).toEqual(TENANTS.filter((t) => t !== victim));
    for (const f of files) expect(fileSha(env, f.zipPath), f.tenant).toBe(f.sha256);
    expect(fs.readdirSync(path.join(env.DATA_DIR!, 'statements', '202610')).sort()).toEqual(
      files.map((f) => f.zipName).sort(),
    );
    expect(tempFilesLeft(env)).toEqual([]);
    expect(
      inStore(env, (db) => db.prepare("SELECT subject, detail FROM audit_log WHERE action = 'files-failed'").all()),
    ).toEqual([{ subject: victim, detail: JSON.stringify({ billingMonth: MONTH, reason: ENOSPC_REASON }) }]);

    // The others' contacts got their statement; the failed statement's deliveries wait, untried.
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(others);
    expectAttachmentsArchived(env, smtp);
    expect(
      deliveries(env)
        .filter((d) => d.tenant === victim)
        .map((d) => [d.status, d.attempts]),
    ).toEqual(victimContacts.map(() => ['pending', 0]));
    expectSentAsAccepted(env, accepted(smtp));

    // The next run (a disk with room again) writes it and sends it; each contact has one message in all.
    const next = await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(summaryLine(next)).toBe(summaryOf(0, 1, 0, victimContacts.length, false));
    expect(next.stdout).toMatch(
      new RegExp(`^  wrote statements/202610/202610_${victim}(_\\d{8})?\\.zip \\(\\d+ bytes\\)$`, 'm'),
    );
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expect(statementFiles(env).map((f) => f.tenant)).toEqual(TENANTS);
    expectAttachmentsArchived(env, smtp);
    expectSentAsAccepted(env, accepted(smtp));
    expect(deliveries(env).map((d) => d.status)).toEqual(RECIPIENTS.map(() => 'sent'));
    expect(tempFilesLeft(env)).toEqual([]);
  });

  it('at the second .eml file (no SMTP_URL): that delivery is not recorded sent and no partial .eml is left; sending stops with the reason; the next run sends the rest, each contact once', async () => {
    const env = copyOf(template, work.dir, 'enospc-eml');
    const outbox = path.join(env.DATA_DIR!, 'outbox');
    /** The .eml files of the outbox, and the deliveries recorded sent, by file name. */
    const sentFiles = (): string[] =>
      deliveries(env)
        .filter((d) => d.status === 'sent')
        .map((d) => emlFileName(d.messageId))
        .sort();
    const written = (): string[] => fs.readdirSync(outbox).sort();

    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      USAGE_CHARGES_FAIL_AT: 'eml-write#2:ENOSPC',
    });
    expect(r.code).toBe(1);
    expect(summaryLine(r)).toBe(summaryOf(5, 5, 0, 1, true, { eml: true, waiting: RECIPIENTS.length - 1 }));
    const stopped = /^ {2}sending stopped, (.+); (\d+) mails? waits? for the next pass$/m.exec(r.stderr);
    expect(stopped, r.stderr).not.toBeNull();
    expect(stopped![1]).toContain('ENOSPC');
    expect(stopped![1]).toContain('no space left on device');
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);

    // One message written and recorded sent; the one that hit the full disk is pending again, its
    // attempt not counted (the environment failed, not the message); nothing else was tried.
    expect(written()).toHaveLength(1);
    expect(written()).toEqual(sentFiles());
    expect(tempFilesLeft(env)).toEqual([]);
    const left = deliveries(env);
    expect(left.filter((d) => d.status === 'sent')).toHaveLength(1);
    expect(left.filter((d) => d.status === 'pending')).toHaveLength(RECIPIENTS.length - 1);
    const hit = left.filter((d) => d.lastError !== null);
    expect(hit).toHaveLength(1);
    expect(hit[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(hit[0]!.lastError).toContain('no space left on device');

    const next = await runCli(['run', '--verbose', '--as-of', AS_OF], env);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(summaryLine(next)).toBe(summaryOf(0, 0, 0, RECIPIENTS.length - 1, false, { eml: true }));
    expect(written()).toHaveLength(RECIPIENTS.length);
    expect(written()).toEqual(sentFiles());
    const to = written()
      .map((f) => /^To: (.+)$/m.exec(fs.readFileSync(path.join(outbox, f), 'utf8'))?.[1]?.trim())
      .sort();
    expect(to).toEqual(RECIPIENTS);
    expect(deliveries(env).map((d) => d.status)).toEqual(RECIPIENTS.map(() => 'sent'));
    expect(tempFilesLeft(env)).toEqual([]);
  });
});

describe('a store locked by another process', () => {
  it('run waits for the lock (held by another process, BEGIN EXCLUSIVE) and, once it is released, does the whole pass once', async () => {
    const env = copyOf(template, work.dir, 'locked-run');
    const smtp = await smtpServer();
    const lock = await holdStoreLock(env.DATA_DIR!);
    const run = startChild(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url });
    await pause(2000);
    // Still waiting, and nothing was written or sent meanwhile (the store can still be read).
    expect(run.child.exitCode).toBeNull();
    expect(count(env, 'SELECT COUNT(*) FROM statements')).toBe(0);
    expect(count(env, 'SELECT COUNT(*) FROM runs')).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    await lock.release();

    const r = await run.exited;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(summaryLine(r)).toBe(summaryOf(5, 5, 0, RECIPIENTS.length, true));
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expectAttachmentsArchived(env, smtp);
    expectSentAsAccepted(env, accepted(smtp));
    expect(runsOf(env).map((x) => x.status)).toEqual(['ok']);
    expect(count(env, 'SELECT COUNT(*) FROM run_lock')).toBe(0);
  });

  it('resend waits for the lock and then sends once to each contact, audited', async () => {
    const env = copyOf(template, work.dir, 'locked-resend');
    const smtp = await smtpServer();
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    expect((await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv)).code).toBe(0);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);

    const lock = await holdStoreLock(env.DATA_DIR!);
    const resend = startChild(
      ['resend', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'store was locked'],
      smtpEnv,
    );
    await pause(2000);
    expect(resend.child.exitCode).toBeNull();
    expect(count(env, "SELECT COUNT(*) FROM deliveries WHERE kind = 'resend'")).toBe(0);
    expect(count(env, "SELECT COUNT(*) FROM audit_log WHERE action = 'resend'")).toBe(0);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);
    await lock.release();

    const r = await resend.exited;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(/:.*$/, '')),
    ).toEqual(CONTACTS.TNT00003!.map((a) => `resent TNT00003 2026-10 to ${a}`));
    expect(smtp.messages.slice(RECIPIENTS.length).map((m) => m.envelope.rcptTo.join(','))).toEqual(CONTACTS.TNT00003);
    expect([...receivedBy(smtp)].sort()).toEqual(RECIPIENTS.map((a) => [a, TENANT_OF.get(a) === 'TNT00003' ? 2 : 1]));
    expectAttachmentsArchived(env, smtp);
    expectSentAsAccepted(env, accepted(smtp));
    expect(count(env, "SELECT COUNT(*) FROM audit_log WHERE action = 'resend' AND subject = 'TNT00003'")).toBe(1);
    expect(
      deliveries(env)
        .filter((d) => d.kind === 'resend')
        .map((d) => [d.recipient, d.status]),
    ).toEqual(CONTACTS.TNT00003!.map((a) => [a, 'sent']));
  });

  it('a message the server accepts while another process holds the lock is recorded sent once the lock is gone, and sent only once', async () => {
    const env = copyOf(template, work.dir, 'locked-mid-send');
    // One connection: the messages go one after the other; the second one's reply waits for the test.
    const stalling = await controlledServer(2);
    const run = startChild(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      SMTP_URL: stalling.url,
      SMTP_POOL_SIZE: '1',
    });
    const inFlight = await stalling.stalled;
    const lock = await holdStoreLock(env.DATA_DIR!);
    stalling.release();
    await pause(1500);
    // The server has accepted it; the pass cannot record it yet: it is still `sending`, and no other message went.
    expect(run.child.exitCode).toBeNull();
    expect(stalling.messages).toHaveLength(2);
    expect(deliveries(env).find((d) => d.recipient === inFlight.envelope.rcptTo[0])).toMatchObject({
      status: 'sending',
      attempts: 1,
    });
    await lock.release();

    const r = await run.exited;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(summaryLine(r)).toBe(summaryOf(5, 5, 0, RECIPIENTS.length, true));
    expect(stalling.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expect(stalling.messages.every((m) => m.acknowledged)).toBe(true);
    expect(deliveries(env).map((d) => [d.status, d.attempts])).toEqual(RECIPIENTS.map(() => ['sent', 1]));
    expectSentAsAccepted(
      env,
      stalling.messages
        .filter((m) => m.acknowledged)
        .map((m) => ({ rcptTo: m.envelope.rcptTo, messageId: m.parsed.messageId })),
    );
  });

  it('retry --failed against a held lock fails after its busy timeout with a clear message, exit 1, no stack trace, and changes nothing', async () => {
    const env = copyOf(template, work.dir, 'locked-retry');
    const smtp = await smtpServer({
      rcptReplies: { 'cfo@rules.example.com': { code: 550, message: '5.1.1 mailbox unavailable' } },
    });
    expect((await runCli(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url })).code).toBe(1);
    expect(
      deliveries(env)
        .filter((d) => d.status === 'failed')
        .map((d) => d.recipient),
    ).toEqual(['cfo@rules.example.com']);
    expectSentAsAccepted(env, accepted(smtp));

    const before = inStore(env, (db) => snapshot(storeHandle(db)));
    const lock = await holdStoreLock(env.DATA_DIR!);
    let r: CliRun;
    try {
      r = await runCli(['retry', '--failed', '--month', MONTH], env);
    } finally {
      await lock.release();
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(BUSY_MESSAGE);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(inStore(env, (db) => snapshot(storeHandle(db)))).toEqual(before);

    // With the lock gone, the same command works.
    const again = await runCli(['retry', '--failed', '--month', MONTH], env);
    expect(again.code).toBe(0);
    expect(deliveries(env).find((d) => d.recipient === 'cfo@rules.example.com')).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
  });
});

describe('a damaged archive found by resend', () => {
  it('a zip overwritten with garbage is rebuilt from the frozen lines: the rebuilt bytes are sent and replace the file, whose SHA-256 matches the record again', async () => {
    const env = copyOf(template, work.dir, 'garbage-zip');
    const smtp = await smtpServer();
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    expect((await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv)).code).toBe(0);
    const file = statementFiles(env).find((f) => f.tenant === 'TNT00003')!;
    const zip = path.join(env.DATA_DIR!, file.zipPath);
    const original = fs.readFileSync(zip);
    expect(sha256(original)).toBe(file.sha256);
    fs.writeFileSync(zip, Buffer.from('PK\u0003\u0004 this is not the statement any more'));
    expect(fileSha(env, file.zipPath)).not.toBe(file.sha256);

    const r = await runCli(
      ['resend', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'damaged archive'],
      smtpEnv,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const resent = smtp.messages.slice(RECIPIENTS.length);
    expect(resent.map((m) => m.envelope.rcptTo.join(','))).toEqual(CONTACTS.TNT00003);
    for (const m of resent) {
      expect(m.parsed.attachments.map((a) => a.filename)).toEqual([file.zipName]);
      expect(m.parsed.attachments[0]!.content.equals(original)).toBe(true);
    }
    // The archive holds the statement again, byte for byte; the record is unchanged.
    expect(fs.readFileSync(zip).equals(original)).toBe(true);
    expect(statementFiles(env).find((f) => f.tenant === 'TNT00003')).toEqual(file);
    expect(tempFilesLeft(env)).toEqual([]);
    expectSentAsAccepted(env, accepted(smtp));
    expect(
      deliveries(env)
        .filter((d) => d.kind === 'resend')
        .map((d) => [d.recipient, d.status]),
    ).toEqual(CONTACTS.TNT00003!.map((a) => [a, 'sent']));
  });

  describe('when the recorded SHA-256 cannot be matched (the record tampered with)', () => {
    let env: Record<string, string>;
    let smtp: TestSmtpServer;
    let r: CliRun;
    let zipBefore: Buffer;
    let zipPath: string;
    beforeAll(async () => {
      env = copyOf(template, work.dir, 'tampered-sha');
      smtp = await startSmtpServer();
      const smtpEnv = { ...env, SMTP_URL: smtp.url };
      expect((await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv)).code).toBe(0);
      zipPath = statementFiles(env).find((f) => f.tenant === 'TNT00003')!.zipPath;
      zipBefore = fs.readFileSync(path.join(env.DATA_DIR!, zipPath));
      const db = new Database(storeFile(env), { fileMustExist: true });
      try {
        db.prepare('UPDATE statement_files SET sha256 = ? WHERE zip_path = ?').run('0'.repeat(64), zipPath);
      } finally {
        db.close();
      }
      r = await runCli(['resend', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'tampered'], smtpEnv);
    });
    afterAll(() => smtp.close());

    it('resend sends nothing, records no delivery as sent, leaves the archived file as it was, and says why without a stack trace', () => {
      expect(smtp.messages).toHaveLength(RECIPIENTS.length);
      expectSentAsAccepted(env, accepted(smtp));
      expect(deliveries(env).filter((d) => d.kind === 'resend' && d.status === 'sent')).toEqual([]);
      expect(fs.readFileSync(path.join(env.DATA_DIR!, zipPath)).equals(zipBefore)).toBe(true);
      expect(tempFilesLeft(env)).toEqual([]);
      expect(r.stdout + r.stderr).toContain(
        `${zipPath} does not match its recorded SHA-256, and the rebuild from the frozen lines does not give the recorded bytes either; nothing was sent`,
      );
      expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    });

    // Resend checks the archive before it queues anything: no delivery is left to fail on every later pass.
    it('resend exits 1 with the E_ARCHIVE error on stderr and leaves no resend delivery to retry', () => {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*does not match its recorded SHA-256/m);
      expect(deliveries(env).filter((d) => d.kind === 'resend')).toEqual([]);
    });
  });
});
