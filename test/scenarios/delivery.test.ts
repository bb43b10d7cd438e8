/**
 * Mail delivery through the real command line and a real SMTP server in the test process
 * (DESIGN invariants 3, 4 and 6): every contact gets its statement once, a pass killed mid-send is
 * resumed with the same Message-IDs, two passes at once send nothing twice, resend sends the
 * archived bytes and is audited, failed deliveries are requeued, a dry run changes and sends
 * nothing, backups, and logs that hold no password and no mail body.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AddressObject } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startChild } from '../helpers/child.ts';
import { cli, cliAsync, hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import {
  afterTest,
  archivedZip,
  AS_OF,
  CONTACTS,
  controlledServer,
  deliveries,
  endTest,
  inStore,
  MONTH,
  RECIPIENTS,
  seeded,
  smtpServer,
  TENANT_OF,
} from '../helpers/demo-store.ts';
import { snapshot, tempDir } from '../helpers/store.ts';
import { storeHandle } from '../../src/store/db.ts';
import { onPostgres, withStoreEngine } from '../helpers/store-engine.ts';

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-delivery-');
});
afterAll(() => work.cleanup());

afterEach(endTest);

function messageIdOf(env: Record<string, string>, recipient: string, kind = 'statement'): string {
  const d = deliveries(env).filter((x) => x.recipient === recipient && x.kind === kind);
  expect(d).toHaveLength(1);
  return d[0]!.messageId;
}

function runsOf(env: Record<string, string>): { owner: string; status: string; summary: Record<string, unknown> }[] {
  return inStore(env, (db) =>
    (
      db.prepare('SELECT owner, status, summary FROM runs ORDER BY run_pk').all() as {
        owner: string;
        status: string;
        summary: string;
      }[]
    ).map((r) => ({ ...r, summary: JSON.parse(r.summary) as Record<string, unknown> })),
  );
}

function closedCount(r: CliRun): number {
  const m = /^run as of \S+: (\d+) statements? closed, /m.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}

/** The `  sent T M to ADDR: reply` lines of a pass, as [tenant, recipient]. */
function sentLines(r: CliRun): [string, string][] {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('  sent '))
    .map((l) => {
      const m = /^ {2}sent (\S+) 2026-10 to (\S+): 250 /.exec(l);
      expect(m, l).not.toBeNull();
      return [m![1]!, m![2]!];
    });
}

/** The line of `status --month` for a tenant, with its mails column. */
function expectMonthMails(status: string, expected: Record<string, string>): void {
  for (const [tenant, mails] of Object.entries(expected)) {
    const row = status.split('\n').find((l) => l.startsWith(`${tenant} `));
    expect(row, tenant).toMatch(
      new RegExp(
        `^${tenant}\\s+fixed\\s+\\S+\\s+(JPY|SGD)\\s+\\S+\\s+202610_${tenant}(_\\d{8})?\\.zip\\s+${mails.replace(/[()]/g, '\\$&')}$`,
      ),
    );
  }
}

const ALL_SENT_ONCE = {
  TNT00001: '1 sent',
  TNT00003: '2 sent',
  TNT00004: '1 sent',
  TNT00005: 'no recipient',
  'manual-tenant': '1 sent',
};

function header(parsedHeader: unknown): string {
  return typeof parsedHeader === 'string' ? parsedHeader : String(parsedHeader);
}

describe('run with an SMTP server', () => {
  it('sends every active contact its statement once, lists the mails, and status shows them sent', async () => {
    const env = await seeded(work.dir, 'send');
    const smtp = await smtpServer();
    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^run as of 2026-11-03T00:00:00\.000Z: 5 statements closed, 0 failed to close; 5 files written, 0 failed; 5 mails sent, 0 retrying, 0 failed; 1 without recipient$/m,
    );
    expect(
      sentLines(r)
        .map(([t, a]) => `${t} ${a}`)
        .sort(),
    ).toEqual(RECIPIENTS.map((a) => `${TENANT_OF.get(a)} ${a}`).sort());
    expect(r.stdout).toContain(`mails: smtp://127.0.0.1:${smtp.port}\n`);
    expect(r.stdout).toContain('  no recipient: TNT00005 2026-10 has no active contact');

    // The server got one message per contact, each to that contact alone, under the Message-ID the store holds.
    expect(smtp.messages.map((m) => m.envelope.rcptTo)).toHaveLength(RECIPIENTS.length);
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    const files = inStore(
      env,
      (db) =>
        db
          .prepare(
            `SELECT t.tenant_name AS tenant, f.zip_name AS zipName, f.zip_path AS zipPath FROM statement_files f
      JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)`,
          )
          .all() as { tenant: string; zipName: string; zipPath: string }[],
    );
    for (const m of smtp.messages) {
      const to = m.envelope.rcptTo[0]!;
      const tenant = TENANT_OF.get(to)!;
      expect(m.refused).toBe(false);
      expect(m.parsed.messageId).toBe(messageIdOf(env, to));
      expect(header(m.parsed.headers.get('x-usage-charges-tenant'))).toBe(tenant);
      expect(header(m.parsed.headers.get('x-usage-charges-month'))).toBe(MONTH);
      const file = files.find((f) => f.tenant === tenant)!;
      expect(m.parsed.attachments.map((a) => a.filename)).toEqual([file.zipName]);
      expect(m.parsed.attachments[0]!.content.equals(archivedZip(env, file.zipPath))).toBe(true);
    }
    expect(new Set(smtp.messages.map((m) => m.parsed.messageId)).size).toBe(RECIPIENTS.length);
    expect(deliveries(env).map((d) => [d.recipient, d.kind, d.status, d.attempts])).toEqual(
      expect.arrayContaining(RECIPIENTS.map((a) => [a, 'statement', 'sent', 1])),
    );
    expect(deliveries(env)).toHaveLength(RECIPIENTS.length);

    const status = await runCli(['status', '--month', MONTH], env);
    expect(status.code).toBe(0);
    expectMonthMails(status.stdout, ALL_SENT_ONCE);
    // Nothing is listed as not sent, failed or resent.
    expect(status.stdout).not.toContain('mails not sent yet');

    // A second pass sends nothing more.
    const again = await runCli(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /: 0 statements closed, 0 failed to close; 0 files written, 0 failed; 0 mails sent, 0 retrying, 0 failed$/m,
    );
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);
  });
});

describe('a pass killed while sending', () => {
  it('is resumed by the next run --wait: every delivery ends sent, every contact has its statement, a message sent twice has one Message-ID', async () => {
    const env = { ...(await seeded(work.dir, 'killed')), LOCK_TTL_SECONDS: '10' };
    // One connection, so that the messages go one after the other: the third one stalls.
    const stalling = await controlledServer(3);
    const first = startChild(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      SMTP_URL: stalling.url,
      SMTP_POOL_SIZE: '1',
    });
    const inFlight = await stalling.stalled;
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const stalledTo = inFlight.envelope.rcptTo;
    expect(stalledTo).toHaveLength(1);

    // What the killed pass left: two sent, the one in flight `sending`, the rest pending; its run `running` and its lease.
    const left = deliveries(env);
    expect(left).toHaveLength(RECIPIENTS.length);
    expect(
      left
        .filter((d) => d.status === 'sent')
        .map((d) => d.recipient)
        .sort(),
    ).toEqual(
      stalling.messages
        .filter((m) => m.acknowledged)
        .map((m) => m.envelope.rcptTo[0])
        .sort(),
    );
    expect(left.filter((d) => d.status === 'sent')).toHaveLength(2);
    expect(left.filter((d) => d.status === 'sending').map((d) => d.recipient)).toEqual(stalledTo);
    expect(left.filter((d) => d.status === 'pending')).toHaveLength(2);
    const deadRuns = runsOf(env);
    expect(deadRuns.map((r) => r.status)).toEqual(['running']);
    const deadOwner = deadRuns[0]!.owner;
    expect(inStore(env, (db) => db.prepare('SELECT owner FROM run_lock').pluck().all())).toEqual([deadOwner]);
    await stalling.close();

    const smtp = await smtpServer();
    const second = await runCli(['run', '--verbose', '--as-of', AS_OF, '--wait'], { ...env, SMTP_URL: smtp.url });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    // The killed pass was a process of this host: its lease is taken over at once, not after it
    // expires (SQLite's one lease; on PostgreSQL each pass has its own, and the deliveries it left
    // are taken back once its connection, and so its claims, are gone).
    if (!onPostgres())
      expect(second.stdout).toContain(
        `took over the month-end lease of ${deadOwner}, whose process is no longer running on this host (its pass did not finish)`,
      );
    expect(second.stdout).toMatch(
      /: 0 statements closed, 0 failed to close; 0 files written, 0 failed; 3 mails sent, 0 retrying, 0 failed$/m,
    );
    expect(second.stdout).toContain('  1 delivery a stopped pass left unfinished was sent again with its Message-ID\n');

    // Every delivery ends sent; every contact has its statement (acknowledged by one server or the other).
    const end = deliveries(env);
    expect(end.map((d) => d.status)).toEqual(RECIPIENTS.map(() => 'sent'));
    const received = [...stalling.messages.filter((m) => m.acknowledged), ...smtp.messages];
    expect(received.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    // Counting the stalled message too, only its recipient got two, both with its one Message-ID.
    const all = [...stalling.messages, ...smtp.messages];
    const byRecipient = new Map<string, string[]>();
    for (const m of all)
      byRecipient.set(m.envelope.rcptTo[0]!, [
        ...(byRecipient.get(m.envelope.rcptTo[0]!) ?? []),
        m.parsed.messageId ?? '',
      ]);
    expect([...byRecipient.keys()].sort()).toEqual(RECIPIENTS);
    for (const [to, ids] of byRecipient) {
      expect(new Set(ids).size, to).toBe(1);
      expect(ids[0], to).toBe(messageIdOf(env, to));
      expect(ids.length, to).toBe(to === stalledTo[0] ? 2 : 1);
    }

    // The killed pass is marked interrupted by the one that took over; the lease is released.
    const runs = runsOf(env);
    expect(runs.map((r) => [r.owner === deadOwner, r.status])).toEqual([
      [true, 'interrupted'],
      [false, 'ok'],
    ]);
    expect(runs[1]!.summary).toMatchObject({ closed: 0, sent: 3, recovered: 1, deliveriesFailed: 0 });
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM run_lock').pluck().get())).toBe(0);
    expectMonthMails((await runCli(['status', '--month', MONTH], env)).stdout, ALL_SENT_ONCE);
  });
});

describe('a pass asked to stop (SIGTERM) while sending', () => {
  it('finishes the message in flight, records it sent, sends no other, releases the lease; the next run sends the rest', async () => {
    const env = await seeded(work.dir, 'sigterm');
    const stalling = await controlledServer(2);
    const first = startChild(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      // (warn: the pass says when it has the stop request)
      LOG_LEVEL: 'warn',
      SMTP_URL: stalling.url,
      SMTP_POOL_SIZE: '1',
    });
    const inFlight = await stalling.stalled;
    first.child.kill('SIGTERM');
    // The stop is asked for while the second message waits for its reply; once the pass has it
    // (however slow the machine), the server answers.
    await first.waitForStderr(/stop requested: finishing the message in flight/);
    stalling.release();
    const stopped = await first.exited;
    expect(stopped.signal).toBeNull();
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('stopped early on request; the next pass goes on from here');

    const left = deliveries(env);
    expect(
      left
        .filter((d) => d.status === 'sent')
        .map((d) => d.recipient)
        .sort(),
    ).toEqual(stalling.messages.map((m) => m.envelope.rcptTo[0]).sort());
    expect(left.filter((d) => d.status === 'sent').map((d) => d.recipient)).toContain(inFlight.envelope.rcptTo[0]);
    expect(left.filter((d) => d.status === 'sent')).toHaveLength(2);
    expect(left.filter((d) => d.status === 'pending')).toHaveLength(RECIPIENTS.length - 2);
    expect(left.filter((d) => d.status === 'sending')).toEqual([]);
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM run_lock').pluck().get())).toBe(0);
    // Recorded as a pass that stopped early on request, not as a finished one.
    expect(runsOf(env).map((r) => r.status)).toEqual(['interrupted']);
    await stalling.close();

    const smtp = await smtpServer();
    const second = await runCli(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url });
    expect(second.code).toBe(0);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length - 2);
    expect(deliveries(env).map((d) => d.status)).toEqual(RECIPIENTS.map(() => 'sent'));
  });
});

describe('two passes at once', () => {
  it('send each contact exactly one message; exactly one pass closes the statements', async () => {
    const env = await seeded(work.dir, 'race');
    const smtp = await smtpServer();
    // Two processes: the point is two passes at once on one store.
    const runs = await Promise.all([
      cliAsync(['run', '--verbose', '--as-of', AS_OF, '--wait'], { ...env, SMTP_URL: smtp.url }),
      cliAsync(['run', '--verbose', '--as-of', AS_OF, '--wait'], { ...env, SMTP_URL: smtp.url }),
    ]);
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    if (onPostgres()) {
      // Passes at once share the work on PostgreSQL (a claim per tenant and per delivery).
      expect(runs.map(closedCount).reduce((a, b) => a + b)).toBe(5);
      expect(runs.map((r) => sentLines(r).length).reduce((a, b) => a + b)).toBe(RECIPIENTS.length);
    } else {
      expect(runs.map(closedCount).sort()).toEqual([0, 5]);
      expect(runs.map((r) => sentLines(r).length).sort()).toEqual([0, RECIPIENTS.length]);
    }
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expect(new Set(smtp.messages.map((m) => m.parsed.messageId)).size).toBe(RECIPIENTS.length);
    expect(
      inStore(env, (db) => db.prepare("SELECT COUNT(*) FROM statements WHERE status = 'fixed'").pluck().get()),
    ).toBe(5);
    const recorded = runsOf(env).map((r) => [r.status, r.summary.closed] as const);
    if (onPostgres()) {
      expect(recorded.map(([status]) => status)).toEqual(['ok', 'ok']);
      expect(recorded.reduce((sum, [, closed]) => sum + Number(closed), 0)).toBe(5);
    } else
      expect([...recorded].sort()).toEqual([
        ['ok', 0],
        ['ok', 5],
      ]);
    expect(deliveries(env).map((d) => d.status)).toEqual(RECIPIENTS.map(() => 'sent'));
  });
});

describe('resend', () => {
  it('sends the archived zip again to each contact, audited, under new Message-IDs; --to sends only there; bad requests exit 2', async () => {
    const env = await seeded(work.dir, 'resend');
    const smtp = await smtpServer();
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    expect((await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv)).code).toBe(0);
    const originals = smtp.messages.filter((m) => TENANT_OF.get(m.envelope.rcptTo[0]!) === 'TNT00003');
    expect(originals).toHaveLength(2);
    smtp.messages.length = 0;

    const r = await runCli(['resend', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'lost in spam'], smtpEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const resent = r.stdout.trimEnd().split('\n');
    expect(resent).toHaveLength(2);
    for (const [i, to] of CONTACTS.TNT00003!.entries()) {
      expect(resent[i]).toBe(
        `resent TNT00003 2026-10 to ${to}: 250 OK: message queued (Message-ID ${messageIdOf(env, to, 'resend')})`,
      );
    }

    // Each contact got one new message: the archived bytes, whose SHA-256 is the stored one.
    expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(CONTACTS.TNT00003);
    const file = inStore(
      env,
      (db) =>
        db
          .prepare(
            `SELECT f.zip_name AS zipName, f.zip_path AS zipPath, f.sha256 FROM statement_files f
      JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00003' AND s.billing_month = ?`,
          )
          .get(MONTH) as { zipName: string; zipPath: string; sha256: string },
    );
    const archived = archivedZip(env, file.zipPath);
    expect(crypto.createHash('sha256').update(archived).digest('hex')).toBe(file.sha256);
    for (const m of smtp.messages) {
      const to = m.envelope.rcptTo[0]!;
      const original = originals.find((o) => o.envelope.rcptTo[0] === to)!;
      expect(m.parsed.attachments).toHaveLength(1);
      expect(m.parsed.attachments[0]!.filename).toBe(file.zipName);
      expect(m.parsed.attachments[0]!.content.equals(archived)).toBe(true);
      expect(crypto.createHash('sha256').update(m.parsed.attachments[0]!.content).digest('hex')).toBe(file.sha256);
      expect(m.parsed.messageId).toBe(messageIdOf(env, to, 'resend'));
      expect(m.parsed.messageId).not.toBe(original.parsed.messageId);
      expect(m.parsed.messageId).not.toBe(messageIdOf(env, to));
      expect(original.parsed.subject).toBe('Usage charges for October 2026 - Example Rules Co.');
      expect(m.parsed.subject).toBe(`[Resent] ${original.parsed.subject}`);
      expect(m.parsed.text).toContain('This is a resend of an earlier notice.');
    }
    expect(new Set(smtp.messages.map((m) => m.parsed.messageId)).size).toBe(2);

    // The audit log has the resend with its reason.
    const audit = inStore(
      env,
      (db) =>
        db.prepare("SELECT action, subject, detail FROM audit_log WHERE action = 'resend'").all() as {
          action: string;
          subject: string;
          detail: string;
        }[],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.subject).toBe('TNT00003');
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({
      billingMonth: MONTH,
      to: CONTACTS.TNT00003,
      reason: 'lost in spam',
      by: expect.stringMatching(/^\S+@\S+$/),
    });
    expect(
      deliveries(env)
        .filter((d) => d.kind === 'resend')
        .map((d) => [d.recipient, d.status, d.reason]),
    ).toEqual(CONTACTS.TNT00003!.map((a) => [a, 'sent', 'lost in spam']));

    // status shows it under recent resends; status --month lists each resend with its reason.
    const status = await runCli(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('\nrecent resends:\n');
    expect(status.stdout).toMatch(
      /^\S+\s+TNT00003\s+2026-10\s+ap@rules\.example\.com cfo@rules\.example\.com\s+lost in spam\s+\S+@\S+$/m,
    );
    // The resend held the lease and is recorded as a resend; "last pass" is still the month-end pass.
    const recorded = inStore(
      env,
      (db) =>
        db.prepare('SELECT kind, status, as_of AS asOf FROM runs ORDER BY run_pk').all() as {
          kind: string;
          status: string;
          asOf: string;
        }[],
    );
    expect(recorded.map((x) => [x.kind, x.status])).toEqual([
      ['pass', 'ok'],
      ['resend', 'ok'],
    ]);
    expect(status.stdout).toContain(`\nlast pass: ok, started `);
    expect(status.stdout).toContain(` (as of ${recorded[0]!.asOf})\n`);
    expect(JSON.parse((await runCli(['status', '--json'], env)).stdout).lastRun.as_of).toBe(recorded[0]!.asOf);
    const month = await runCli(['status', '--month', MONTH], env);
    expect(month.code).toBe(0);
    expectMonthMails(month.stdout, { ...ALL_SENT_ONCE, TNT00003: '4 sent (2 resent)' });
    expect(month.stdout).toContain('\nmails not sent yet, failed, or resent:\n');
    for (const to of CONTACTS.TNT00003!) {
      expect(month.stdout).toMatch(
        new RegExp(
          `^TNT00003\\s+${to.replace(/\./g, '\\.')}\\s+resend\\s+sent\\s+1\\s+\\S+\\s+lost in spam\\s+\\S+@\\S+$`,
          'm',
        ),
      );
    }

    // --to: only that address.
    smtp.messages.length = 0;
    const to = await runCli(['resend', '--tenant', 'TNT00003', '--month', MONTH, '--to', 'other@example.com'], smtpEnv);
    expect(to.stderr).toBe('');
    expect(to.code).toBe(0);
    expect(to.stdout).toMatch(
      /^resent TNT00003 2026-10 to other@example\.com: 250 OK: message queued \(Message-ID <[^>]+>\)\n$/,
    );
    expect(smtp.messages.map((m) => m.envelope.rcptTo)).toEqual([['other@example.com']]);
    expect((smtp.messages[0]!.parsed.to as AddressObject).text).toBe('other@example.com');
    expect(smtp.messages[0]!.parsed.attachments[0]!.content.equals(archived)).toBe(true);

    // Bad requests: exit 2, a message, no stack trace, nothing sent or recorded.
    smtp.messages.length = 0;
    const before = inStore(env, (db) => snapshot(storeHandle(db)));
    const bad: [string[], RegExp][] = [
      [['resend', '--tenant', 'NOPE', '--month', MONTH], /^error: --tenant: tenant "NOPE" does not exist\n$/],
      [
        ['resend', '--tenant', 'TNT00003', '--month', '2026-09'],
        /^error: --month: TNT00003 has no finalized statement for 2026-09 \(only a finalized statement is sent\)\n$/,
      ],
      [
        ['resend', '--tenant', 'TNT00003', '--month', MONTH, '--to', 'a@b\r\nBcc: x@y'],
        /^error: --to: .* is not an e-mail address\n$/s,
      ],
      [
        ['resend', '--tenant', 'TNT00005', '--month', MONTH],
        /^error: --to: TNT00005 has no active contact; give the address with --to\n$/,
      ],
    ];
    const results: CliRun[] = [];
    for (const [args] of bad) results.push(await runCli(args, smtpEnv));
    for (const [i, [args, message]] of bad.entries()) {
      const e = results[i]!;
      expect(e.code, args.join(' ')).toBe(2);
      expect(e.stderr, args.join(' ')).toMatch(message);
      expect(e.stdout, args.join(' ')).toBe('');
      expect(hasStackTrace(e.stderr)).toBe(false);
    }
    expect(smtp.messages).toHaveLength(0);
    expect(inStore(env, (db) => snapshot(storeHandle(db)))).toEqual(before);
  });
});

describe('retry --failed', () => {
  it('a 550 fails one delivery (run exits 1 and says why); retry --failed --month requeues it; the next run sends it with its Message-ID', async () => {
    const env = await seeded(work.dir, 'retry');
    const refusing = await smtpServer({
      rcptReplies: { 'cfo@rules.example.com': { code: 550, message: '5.1.1 mailbox unavailable' } },
    });
    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: refusing.url });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /: 5 statements closed, 0 failed to close; 5 files written, 0 failed; 4 mails sent, 0 retrying, 1 failed; 1 without recipient$/m,
    );
    const failedLine = /^ {2}failed to send TNT00003 2026-10 to cfo@rules\.example\.com: (.+)$/m.exec(r.stderr);
    expect(failedLine, r.stderr).not.toBeNull();
    expect(failedLine![1]).toContain('550 5.1.1 mailbox unavailable');
    expect(failedLine![1]).toMatch(/\(permanent\)$/);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(refusing.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(
      RECIPIENTS.filter((a) => a !== 'cfo@rules.example.com'),
    );
    const failed = deliveries(env).find((d) => d.recipient === 'cfo@rules.example.com')!;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastError: failedLine![1] });
    expectMonthMails((await runCli(['status', '--month', MONTH], env)).stdout, {
      ...ALL_SENT_ONCE,
      TNT00003: '1 sent, 1 failed',
    });

    // Nothing of another month to requeue; this month's failure is requeued.
    const other = await runCli(['retry', '--failed', '--month', '2026-09'], env);
    expect(other).toMatchObject({ code: 0, stdout: 'no failed deliveries of 2026-09\n', stderr: '' });
    const retry = await runCli(['retry', '--failed', '--month', MONTH], env);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toBe(
      `  requeued TNT00003 2026-10 to cfo@rules.example.com (was: ${failedLine![1]})\n` +
        '1 deliveries requeued; the next pass sends them (`usage-charges run` to send them now)\n',
    );
    expect(deliveries(env).find((d) => d.recipient === 'cfo@rules.example.com')).toMatchObject({
      status: 'pending',
      attempts: 0,
      messageId: failed.messageId,
    });
    expect(
      inStore(env, (db) =>
        db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'retry' AND subject = ?").pluck().get(MONTH),
      ),
    ).toBe(1);

    const accepting = await smtpServer();
    const next = await runCli(['run', '--verbose', '--as-of', AS_OF], { ...env, SMTP_URL: accepting.url });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(sentLines(next)).toEqual([['TNT00003', 'cfo@rules.example.com']]);
    expect(accepting.messages).toHaveLength(1);
    expect(accepting.messages[0]!.envelope.rcptTo).toEqual(['cfo@rules.example.com']);
    expect(accepting.messages[0]!.parsed.messageId).toBe(failed.messageId);
    expect(deliveries(env).map((d) => d.status)).toEqual(RECIPIENTS.map(() => 'sent'));
    expectMonthMails((await runCli(['status', '--month', MONTH], env)).stdout, ALL_SENT_ONCE);
  });
});

describe('run --dry-run', () => {
  it('with --keep changes nothing in the store, sends nothing, and leaves the zips and .eml files in the folder it prints', async () => {
    const env = await seeded(work.dir, 'dry');
    const smtp = await smtpServer();
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    const statusBefore = await runCli(['status', '--json'], env);
    const monthBefore = await runCli(['status', '--month', MONTH, '--json'], env);
    const before = inStore(env, (db) => snapshot(storeHandle(db)));

    const r = await runCli(['run', '--verbose', '--as-of', AS_OF, '--dry-run', '--keep'], smtpEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m =
      /^dry run: nothing in (.+) was changed and nothing was sent; what the pass would write and send is in (.+)$/m.exec(
        r.stdout,
      );
    expect(m, r.stdout).not.toBeNull();
    // Where the store is: the data dir, or on PostgreSQL the database (its URL without a password).
    expect(m![1]).toBe(onPostgres() ? `PostgreSQL ${withStoreEngine(env).DATABASE_URL}` : env.DATA_DIR);
    const dir = m![2]!;
    afterTest(() => fs.rmSync(dir, { recursive: true, force: true }));
    expect(r.stdout).toMatch(
      /^dry run as of 2026-11-03T00:00:00\.000Z: 5 statements closed, 0 failed to close; 5 files written, 0 failed; 5 mails written to the outbox, 0 retrying, 0 failed; 1 without recipient$/m,
    );
    expect(r.stdout).toContain(`mails: ${path.join(dir, 'outbox')}\n`);

    // Nothing reached the server; the store, its status and the data dir are as they were.
    expect(smtp.connections).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    expect(inStore(env, (db) => snapshot(storeHandle(db)))).toEqual(before);
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM statements').pluck().get())).toBe(0);
    expect(deliveries(env)).toEqual([]);
    expect((await runCli(['status', '--json'], env)).stdout).toBe(statusBefore.stdout);
    expect((await runCli(['status', '--month', MONTH, '--json'], env)).stdout).toBe(monthBefore.stdout);
    expect(fs.existsSync(path.join(env.DATA_DIR!, 'statements'))).toBe(false);
    expect(fs.existsSync(path.join(env.DATA_DIR!, 'outbox'))).toBe(false);

    // The printed folder holds what the pass would have written and sent.
    expect(fs.readdirSync(path.join(dir, 'statements', '202610')).sort()).toEqual([
      '202610_TNT00001_20261028.zip',
      '202610_TNT00003.zip',
      '202610_TNT00004.zip',
      '202610_TNT00005.zip',
      '202610_manual-tenant.zip',
    ]);
    const emls = fs.readdirSync(path.join(dir, 'outbox'));
    expect(emls).toHaveLength(RECIPIENTS.length);
    expect(emls.every((f) => f.endsWith('.eml'))).toBe(true);
    const to = emls
      .map((f) => /^To: (.+)$/m.exec(fs.readFileSync(path.join(dir, 'outbox', f), 'utf8'))?.[1]?.trim())
      .sort();
    expect(to).toEqual(RECIPIENTS);

    // The real pass afterwards does everything once.
    const real = await runCli(['run', '--verbose', '--as-of', AS_OF], smtpEnv);
    expect(real.code).toBe(0);
    expect(closedCount(real)).toBe(5);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);
  });
});

describe('run --dry-run without --keep', () => {
  it('removes its temporary folder when it ends, and says so; the store is unchanged', async () => {
    const env = await seeded(work.dir, 'dry-gone');
    const before = inStore(env, (db) => snapshot(storeHandle(db)));
    // A child process: its temporary folder (TMPDIR) is the point.
    const tmp = path.join(work.dir, 'dry-gone-tmp');
    fs.mkdirSync(tmp);
    const r = cli(['run', '--as-of', AS_OF, '--dry-run'], { ...env, TMPDIR: tmp });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dry run as of 2026-11-03T00:00:00\.000Z: 5 statements closed, /m);
    const place = onPostgres() ? `PostgreSQL ${withStoreEngine(env).DATABASE_URL}` : env.DATA_DIR;
    expect(r.stdout).toContain(
      `dry run: nothing in ${place} was changed and nothing was sent; its temporary copy is removed (--keep keeps it, with the files and mails the pass would write)\n`,
    );
    expect(r.stdout).not.toMatch(/^(statements|mails): /m);
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(inStore(env, (db) => snapshot(storeHandle(db)))).toEqual(before);
  });

  it('keeps its copy readable by the owner only, whatever the umask', async () => {
    const env = await seeded(work.dir, 'dry-mode');
    // In this process the umask is 022 (test/helpers/setup.ts): the modes are the program's own.
    const r = await runCli(['run', '--as-of', AS_OF, '--dry-run', '--keep'], env);
    expect(r.code, r.stderr).toBe(0);
    const dir = /^dry run: .* what the pass would write and send is in (.+)$/m.exec(r.stdout)?.[1];
    expect(dir, r.stdout).toBeDefined();
    afterTest(() => fs.rmSync(dir!, { recursive: true, force: true }));
    expect(fs.statSync(dir!).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir!, 'usage-charges.sqlite')).mode & 0o777).toBe(0o600);
  });

  it('--keep without --dry-run is a usage error that changes nothing', async () => {
    const env = await seeded(work.dir, 'keep-alone');
    const before = inStore(env, (db) => snapshot(storeHandle(db)));
    const r = await runCli(['run', '--as-of', AS_OF, '--keep'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --keep: only with --dry-run\n');
    expect(inStore(env, (db) => snapshot(storeHandle(db)))).toEqual(before);
  });
});

describe('backup', () => {
  it('writes a readable SQLite copy of the store, owner-only; an existing file is refused with exit 2', async () => {
    const env = await seeded(work.dir, 'backup');
    expect((await runCli(['run', '--verbose', '--as-of', AS_OF], env)).code).toBe(0);
    const file = path.join(work.dir, 'backup.sqlite');
    // A child process: the file's mode is the point (the program's umask included).
    const r = cli(['backup', file], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^backed up the store to ${file.replace(/[.\\]/g, '\\$&')} \\(\\d+ bytes\\)\\n$`),
    );
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(work.dir).filter((f) => f.includes('.partial'))).toEqual([]);
    const copy = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('SELECT COUNT(*) FROM statements').pluck().get()).toBe(5);
      expect(copy.prepare('SELECT COUNT(*) FROM deliveries').pluck().get()).toBe(RECIPIENTS.length);
      // On PostgreSQL every row but the zips' bytes, which the database's own backups hold (a
      // store restored from the file makes each zip again from its frozen lines when it is read).
      // (The file's record of its schema is its own: when each migration was applied to it.)
      const { archived_zips: zips, ...rows } = inStore(env, (db) => snapshot(storeHandle(db)));
      expect(zips === undefined || onPostgres()).toBe(true);
      const copied = snapshot(storeHandle(copy));
      if (onPostgres()) {
        const versions = (t: Record<string, unknown[]>): unknown[] =>
          t.schema_migrations!.map((m) => (m as { version: number }).version);
        expect(versions(copied)).toEqual(versions(rows));
        delete copied.schema_migrations;
        delete rows.schema_migrations;
      }
      expect(copied).toEqual(rows);
    } finally {
      copy.close();
    }

    const size = fs.statSync(file).size;
    const again = await runCli(['backup', file], env);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(`error: ${file}: already exists; give a new file name (a backup never overwrites)\n`);
    expect(fs.statSync(file).size).toBe(size);
  });
});

describe('logs', () => {
  it('at trace level in JSON hold no SMTP password and no mail body', async () => {
    const env = await seeded(work.dir, 'logs');
    const smtp = await smtpServer({ auth: { user: 'user', pass: 's3cret-pw' } });
    expect(smtp.url).toBe(`smtp://user:s3cret-pw@127.0.0.1:${smtp.port}`);
    // A child process: what the process writes to its standard error is the point.
    const r = await cliAsync(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      SMTP_URL: smtp.url,
      LOG_LEVEL: 'trace',
      LOG_FORMAT: 'json',
    });
    expect(r.code).toBe(0);
    // It did log in and send.
    expect(smtp.logins.length).toBeGreaterThan(0);
    expect(smtp.logins.every((u) => u === 'user')).toBe(true);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);
    expect(
      smtp.messages.some((m) => (m.parsed.text ?? '').includes('平素より弊社クラウドサービスをご利用いただき')),
    ).toBe(true);

    const output = r.stdout + r.stderr;
    expect(r.stdout).toContain(`mails: smtp://user:***@127.0.0.1:${smtp.port}\n`);
    expect(output).not.toContain('s3cret-pw');
    expect(output).not.toContain(encodeURIComponent('s3cret-pw').replace(/-/g, '%2D'));
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(5);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => e.msg)).toEqual(
      expect.arrayContaining(['pass started', 'statement finalized', 'delivery sent', 'pass finished']),
    );
    expect(entries.every((e) => typeof e.level === 'number' && typeof e.time === 'number')).toBe(true);
    // No body text of either locale, nor the HTML, reaches the logs.
    for (const body of [
      '平素より弊社クラウドサービスをご利用いただき',
      'ご利用料金が確定いたしましたので',
      'Thank you for using our cloud services',
      'Please find the statement attached',
      '<html',
    ]) {
      expect(r.stderr).not.toContain(body);
    }
    expect(hasStackTrace(output)).toBe(false);
  });
});
