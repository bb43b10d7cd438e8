/**
 * Picking up after trouble: deliveries a stopped pass left in `sending` go again under their stored
 * Message-ID; a damaged or missing archived zip is rebuilt from the frozen lines and repaired, and
 * one that cannot be reproduced is never sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendDue } from '../../../jobs/deliver.ts';
import { jobContext } from '../../../jobs/context.ts';
import type { Mailer } from '../../../src/mail/transport.ts';
import { claimDelivery, recoverInterrupted } from '../../../src/store/outbox.ts';
import { closeStore } from '../../../src/store/db.ts';
import { otherStore } from '../../helpers/store.ts';
import { overwriteArchived, removeArchived } from '../../helpers/archive.ts';
import {
  ALL_RECIPIENTS,
  SEND_AT,
  archived,
  closeAndBuild,
  closedWorld,
  countsByRecipient,
  deliveries,
  deliveryTo,
  demoWorld,
  fileOf,
  later,
  messageTo,
  once,
  send,
  sha256,
} from './support.ts';
import { connection, storeEngine, type Db } from '../../../src/store/db.ts';

/**
 * Claims a delivery as a pass of another process that then dies: its own connection, closed
 * (with it, on PostgreSQL, the claim it held).
 */
function claimedByDeadPass(w: { db: Db; dir: string }, deliveryPk: number, at: string): boolean {
  const dead = otherStore(w);
  const postgres = storeEngine(dead) === 'postgres';
  const pid = postgres ? connection(dead).prepare('SELECT pg_backend_pid()').pluck().get() : null;
  try {
    return claimDelivery(dead, deliveryPk, at);
  } finally {
    closeStore(dead);
    // The server ends the dead connection's backend (and its claims) a moment after it closes.
    while (
      postgres &&
      connection(w.db).prepare('SELECT count(*) FROM pg_stat_activity WHERE pid = ?').pluck().get(pid) !== 0
    )
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

describe('a pass that stopped mid-send', () => {
  it('a delivery left in `sending` before its message went out is sent by the next step, with the stored Message-ID', async () => {
    const { server, w } = await closedWorld();
    const victim = deliveryTo(w.db, 'cfo@rules.example.com');
    // The crashed pass claimed it and died before sending.
    expect(claimedByDeadPass(w, victim.delivery_pk, SEND_AT.toISOString())).toBe(true);
    expect(deliveryTo(w.db, victim.recipient)).toMatchObject({ status: 'sending', attempts: 1 });

    const at = later(SEND_AT, 600);
    const summary = await send(w, at);
    expect(summary.recovered).toBe(1);
    expect(summary.failed).toEqual([]);
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);
    expect(summary.sent.find((s) => s.recipient === victim.recipient)?.messageId).toBe(victim.message_id);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(messageTo(server, victim.recipient).parsed.messageId).toBe(victim.message_id);
    expect(deliveryTo(w.db, victim.recipient)).toMatchObject({
      status: 'sent',
      attempts: 2,
      message_id: victim.message_id,
      last_error: null,
      sent_at: at.toISOString(),
    });
    expect(deliveries(w.db).every((d) => d.status === 'sent')).toBe(true);

    // Nothing is left to recover.
    expect((await send(w, later(at, 60))).recovered).toBe(0);
    expect(server.messages).toHaveLength(5);
  });

  it('a message the server accepted before the pass died goes again under the same Message-ID (the one duplicate allowed)', async () => {
    const { server, w } = await closedWorld();
    const victim = deliveryTo(w.db, 'finance@globex.example.sg');

    // A pass whose process dies right after the server's 250: the result is never recorded.
    let accepted!: () => void;
    const serverAccepted = new Promise<void>((resolve) => (accepted = resolve));
    const dying: Mailer = {
      kind: w.mailer.kind,
      target: w.mailer.target,
      async send(message) {
        await w.mailer.send(message);
        accepted();
        return new Promise(() => undefined);
      },
      verify: () => w.mailer.verify(),
      close: () => undefined,
    };
    // The dying pass is another process's: its own connection, closed when it dies.
    const dead = otherStore(w);
    void sendDue(jobContext(dead, w.config, { now: () => SEND_AT }), dying, { only: [victim.delivery_pk] });
    await serverAccepted;
    closeStore(dead);
    expect(deliveryTo(w.db, victim.recipient)).toMatchObject({ status: 'sending', attempts: 1 });
    expect(server.messages).toHaveLength(1);

    const summary = await send(w, later(SEND_AT, 600));
    expect(summary.recovered).toBe(1);
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);
    const twice = server.messages.filter((m) => m.envelope.rcptTo.includes(victim.recipient));
    expect(twice).toHaveLength(2);
    expect(twice.map((m) => m.parsed.messageId)).toEqual([victim.message_id, victim.message_id]);
    expect(Buffer.compare(twice[0]!.parsed.attachments[0]!.content, twice[1]!.parsed.attachments[0]!.content)).toBe(0);
    expect(countsByRecipient(server)).toEqual({ ...once(ALL_RECIPIENTS), [victim.recipient]: 2 });
    expect(deliveryTo(w.db, victim.recipient)).toMatchObject({
      status: 'sent',
      attempts: 2,
      message_id: victim.message_id,
    });
  });
});

describe('a delivery that stops the pass each time it is sent', () => {
  const RESENT = 'the pass sending it stopped before its result was recorded; sent again with the same Message-ID';
  const stoppedTimes = (n: number): string =>
    `the pass sending it stopped before its result was recorded, ${n} times; not sent again automatically (resend sends it)`;

  it('recoverInterrupted: `sending` with attempts >= MAIL_MAX_ATTEMPTS becomes failed, below goes back to pending; nothing else changes', async () => {
    const w = await demoWorld();
    await closeAndBuild(w);
    const [below, at, over, pending] = [
      'billing@tenant01.example.jp',
      'ap@rules.example.com',
      'cfo@rules.example.com',
      'finance@globex.example.sg',
    ].map((r) => deliveryTo(w.db, r));
    for (const d of [below!, at!, over!]) expect(claimedByDeadPass(w, d.delivery_pk, SEND_AT.toISOString())).toBe(true);
    connection(w.db).prepare('UPDATE deliveries SET attempts = ? WHERE delivery_pk = ?').run(2, at!.delivery_pk);
    connection(w.db).prepare('UPDATE deliveries SET attempts = ? WHERE delivery_pk = ?').run(3, over!.delivery_pk);
    const before = deliveries(w.db);

    const now = later(SEND_AT, 600).toISOString();
    expect(recoverInterrupted(w.db, now, 2)).toEqual({
      recovered: 1,
      failed: [at!, over!].map((d, i) => ({
        tenantName: d.tenant_name,
        billingMonth: '2026-10',
        recipient: d.recipient,
        reason: stoppedTimes(2 + i),
      })),
    });
    const updatedAt = (pk: number): string =>
      connection(w.db).prepare('SELECT updated_at FROM deliveries WHERE delivery_pk = ?').pluck().get(pk) as string;
    expect(deliveryTo(w.db, below!.recipient)).toMatchObject({
      status: 'pending',
      attempts: 1,
      next_attempt_at: null,
      last_error: RESENT,
      message_id: below!.message_id,
    });
    expect(deliveryTo(w.db, at!.recipient)).toMatchObject({
      status: 'failed',
      attempts: 2,
      next_attempt_at: null,
      last_error: stoppedTimes(2),
      sent_at: null,
    });
    expect(deliveryTo(w.db, over!.recipient)).toMatchObject({
      status: 'failed',
      attempts: 3,
      next_attempt_at: null,
      last_error: stoppedTimes(3),
      sent_at: null,
    });
    for (const d of [below!, at!, over!]) expect(updatedAt(d.delivery_pk)).toBe(now);
    // Rows that were not `sending` are left as they were.
    const untouched = (rows: typeof before): typeof before =>
      rows.filter((d) => ![below!, at!, over!].some((x) => x.delivery_pk === d.delivery_pk));
    expect(untouched(deliveries(w.db))).toEqual(untouched(before));
    expect(deliveryTo(w.db, pending!.recipient)).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
    // Nothing is left in `sending`: a second call changes nothing.
    expect(recoverInterrupted(w.db, later(SEND_AT, 700).toISOString(), 2)).toEqual({ recovered: 0, failed: [] });
    expect(updatedAt(at!.delivery_pk)).toBe(now);
  });

  it('is failed by the next step after MAIL_MAX_ATTEMPTS stopped passes and never sent again; one below the limit goes again with its Message-ID', async () => {
    const { server, w } = await closedWorld({}, { MAIL_MAX_ATTEMPTS: '2' });
    const poison = deliveryTo(w.db, 'finance@globex.example.sg');
    const victim = deliveryTo(w.db, 'cfo@rules.example.com');

    // A pass claimed the poison message and died; the next one recovered it, claimed it and died
    // again; that one had claimed the victim too.
    expect(claimedByDeadPass(w, poison.delivery_pk, SEND_AT.toISOString())).toBe(true);
    expect(recoverInterrupted(w.db, later(SEND_AT, 60).toISOString(), 2)).toEqual({ recovered: 1, failed: [] });
    expect(deliveryTo(w.db, poison.recipient)).toMatchObject({ status: 'pending', attempts: 1, last_error: RESENT });
    expect(claimedByDeadPass(w, poison.delivery_pk, later(SEND_AT, 60).toISOString())).toBe(true);
    expect(claimedByDeadPass(w, victim.delivery_pk, later(SEND_AT, 60).toISOString())).toBe(true);

    const at = later(SEND_AT, 600);
    const summary = await send(w, at);
    expect(summary.recovered).toBe(1);
    expect(summary.stopped).toBeNull();
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS.filter((r) => r !== poison.recipient));
    expect(summary.sent.find((s) => s.recipient === victim.recipient)?.messageId).toBe(victim.message_id);
    expect(deliveryTo(w.db, poison.recipient)).toMatchObject({
      status: 'failed',
      attempts: 2,
      last_error: stoppedTimes(2),
      next_attempt_at: null,
      sent_at: null,
    });
    expect(deliveryTo(w.db, victim.recipient)).toMatchObject({
      status: 'sent',
      attempts: 2,
      message_id: victim.message_id,
      last_error: null,
      sent_at: at.toISOString(),
    });
    expect(messageTo(server, victim.recipient).parsed.messageId).toBe(victim.message_id);
    expect(server.rcptTo).not.toContain(poison.recipient);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS.filter((r) => r !== poison.recipient)));

    // Failed is final: later steps leave it.
    const again = await send(w, later(at, 86_400));
    expect(again.recovered).toBe(0);
    expect(again.sent).toEqual([]);
    expect(server.rcptTo).not.toContain(poison.recipient);
  });
});

describe('the archived zip', () => {
  it('damaged or missing on disk: rebuilt from the frozen lines, sent with the recorded SHA-256, and repaired', async () => {
    const { server, w } = await closedWorld();
    const damaged = fileOf(w.db, 'TNT00003');
    const good = archived(w, damaged);
    const bad = Buffer.from(good);
    const middle = Math.floor(bad.length / 2);
    bad[middle] = bad[middle]! ^ 0xff;
    overwriteArchived(w.db, w.config.dataDir, damaged.zip_path, bad);
    expect(sha256(archived(w, damaged))).not.toBe(damaged.sha256);
    const missing = fileOf(w.db, 'TNT00004');
    const missingBytes = archived(w, missing);
    removeArchived(w.db, w.config.dataDir, missing.zip_path);

    const summary = await send(w);
    expect(summary.failed).toEqual([]);
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    for (const r of ['ap@rules.example.com', 'cfo@rules.example.com']) {
      const attachment = messageTo(server, r).parsed.attachments[0]!;
      expect(attachment.filename).toBe(damaged.zip_name);
      expect(sha256(attachment.content)).toBe(damaged.sha256);
      expect(Buffer.compare(attachment.content, good)).toBe(0);
    }
    const rebuilt = messageTo(server, 'finance@globex.example.sg').parsed.attachments[0]!;
    expect(sha256(rebuilt.content)).toBe(missing.sha256);
    expect(Buffer.compare(rebuilt.content, missingBytes)).toBe(0);

    // Both zips are back in the archive, byte for byte, and the repairs are audited.
    expect(Buffer.compare(archived(w, damaged), good)).toBe(0);
    const audit = connection(w.db)
      .prepare("SELECT subject, detail FROM audit_log WHERE action = 'archive-repaired' ORDER BY subject")
      .all() as { subject: string; detail: string }[];
    expect(audit.map((a) => [a.subject, JSON.parse(a.detail) as unknown])).toEqual([
      ['TNT00003', { billingMonth: '2026-10', zip: damaged.zip_path, was: 'damaged' }],
      ['TNT00004', { billingMonth: '2026-10', zip: missing.zip_path, was: 'missing' }],
    ]);
    expect(Buffer.compare(archived(w, missing), missingBytes)).toBe(0);
    if (storeEngine(w.db) === 'sqlite')
      expect(fs.statSync(path.join(w.config.dataDir, damaged.zip_path)).mode & 0o777).toBe(0o600);
  });

  it('that the frozen lines cannot reproduce (the recorded SHA-256 altered) is never sent; the delivery ends failed with the reason', async () => {
    const { server, w } = await closedWorld({}, { MAIL_MAX_ATTEMPTS: '2', MAIL_RETRY_BASE_SECONDS: '60' });
    const f = fileOf(w.db, 'TNT00004');
    const onDisk = archived(w, f);
    const altered = sha256(Buffer.from('not the statement'));
    connection(w.db)
      .prepare('UPDATE statement_files SET sha256 = ? WHERE statement_pk = ?')
      .run(altered, f.statement_pk);
    const reason = `${f.zip_path} does not match its recorded SHA-256, and the rebuild from the frozen lines does not give the recorded bytes either; nothing was sent`;
    const recipient = 'finance@globex.example.sg';

    const first = await send(w);
    expect(first.stopped).toBeNull();
    expect(first.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS.filter((r) => r !== recipient));
    expect(first.failed).toEqual([]);
    // Not the server's deferral: nothing reached it (a pass is not reported as "every mail deferred" for it).
    expect(first.deferred).toBe(0);
    expect(deliveryTo(w.db, recipient)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: reason,
      smtp_response: null,
      next_attempt_at: later(SEND_AT, 60).toISOString(),
    });

    const second = await send(w, later(SEND_AT, 60));
    expect(second.failed).toEqual([
      { tenant: 'TNT00004', billingMonth: '2026-10', recipient, reason: `gave up after 2 attempts: ${reason}` },
    ]);
    expect(deliveryTo(w.db, recipient)).toMatchObject({
      status: 'failed',
      attempts: 2,
      last_error: `gave up after 2 attempts: ${reason}`,
      sent_at: null,
    });

    // Nothing reached the server for it, and the archived file was left as it was.
    expect(server.rcptTo).not.toContain(recipient);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS.filter((r) => r !== recipient)));
    expect(Buffer.compare(archived(w, f), onDisk)).toBe(0);
  });
});
