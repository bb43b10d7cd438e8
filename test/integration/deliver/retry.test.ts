/**
 * Failed sends against a real SMTP server: a server that refuses connections or the login stops the
 * step without using up an attempt, and every message still goes exactly once later; a connection
 * broken during a message counts as an attempt; a 5xx fails its delivery at once; a 4xx is retried
 * with exponential backoff until MAIL_MAX_ATTEMPTS; an operator's requeue sends a failed one again.
 */
import { describe, expect, it } from 'vitest';
import { requeueFailed } from '../../../src/store/outbox.ts';
import {
  ALL_RECIPIENTS,
  SEND_AT,
  closeAndBuild,
  closedWorld,
  countsByRecipient,
  deliveries,
  deliveryTo,
  demoWorld,
  later,
  messageTo,
  once,
  send,
  smtpServer,
} from './support.ts';
import { connection } from '../../../src/store/db.ts';

/** The first delivery a send step takes: the demo's statements go in tenant-name order. */
const FIRST = 'billing@tenant01.example.jp';
const REFUSAL = { code: 421, message: '4.3.2 service not available' };

describe('a server that refuses connections', () => {
  // One connection at a time, so that "the rest" of the step is well defined.
  it('stops the step at the first refusal without counting it as an attempt; the next step sends every message once', async () => {
    const { server, w } = await closedWorld(
      { rejectConnections: 1, rejectReply: REFUSAL },
      { SMTP_POOL_SIZE: '1', MAIL_RETRY_BASE_SECONDS: '60' },
    );

    const first = await send(w);
    expect(first.sent).toEqual([]);
    expect(first.failed).toEqual([]);
    expect(first.stopped).toBe('421 4.3.2 service not available (the server refuses the session)');
    expect(first.notAttempted).toBe(5);
    // The refusal came before the message was handed over: not an attempt, no backoff.
    const refused = deliveryTo(w.db, FIRST);
    expect(refused).toMatchObject({
      status: 'pending',
      attempts: 0,
      next_attempt_at: null,
      last_attempt_at: SEND_AT.toISOString(),
      smtp_response: '421 4.3.2 service not available',
      sent_at: null,
    });
    expect(refused.last_error).toBe(first.stopped);
    // Only deliveries with a later attempt time wait; this one is due with the others.
    expect(first.retrying).toEqual([]);
    for (const d of deliveries(w.db).filter((x) => x.recipient !== FIRST)) {
      expect(d).toMatchObject({
        status: 'pending',
        attempts: 0,
        next_attempt_at: null,
        last_error: null,
        last_attempt_at: null,
      });
    }
    expect(server.messages).toEqual([]);

    // The next step, at the same instant (MAIL_RETRY_BASE_SECONDS does not apply), sends all five.
    const second = await send(w);
    expect(second.stopped).toBeNull();
    expect(second.failed).toEqual([]);
    expect(second.retrying).toEqual([]);
    expect(second.notAttempted).toBe(0);
    expect(second.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);

    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(deliveryTo(w.db, FIRST)).toMatchObject({
      status: 'sent',
      attempts: 1,
      last_error: null,
      next_attempt_at: null,
      sent_at: SEND_AT.toISOString(),
    });
    expect(messageTo(server, FIRST).parsed.messageId).toBe(refused.message_id);
    expect(deliveries(w.db).every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
    expect((await send(w, later(SEND_AT, 60))).sent).toEqual([]);
    expect(server.messages).toHaveLength(5);
  });

  it('refused on more steps than MAIL_MAX_ATTEMPTS: each further step tries again at once, nothing fails, and all are delivered exactly once', async () => {
    const { server, w } = await closedWorld(
      { rejectConnections: 3, rejectReply: REFUSAL },
      { SMTP_POOL_SIZE: '1', MAIL_RETRY_BASE_SECONDS: '60', MAIL_MAX_ATTEMPTS: '2' },
    );

    const stopped: (string | null)[] = [];
    for (let step = 0; step < 3; step++) {
      const s = await send(w);
      stopped.push(s.stopped);
      expect(s.sent).toEqual([]);
      expect(s.failed).toEqual([]);
      expect(s.retrying).toEqual([]);
      expect(s.notAttempted).toBe(5);
      expect(deliveryTo(w.db, FIRST)).toMatchObject({
        status: 'pending',
        attempts: 0,
        next_attempt_at: null,
        last_error: s.stopped,
      });
    }
    expect(stopped).toEqual(Array(3).fill('421 4.3.2 service not available (the server refuses the session)'));
    expect(server.connections).toBe(3);
    const last = await send(w);
    expect(last.stopped).toBeNull();
    expect(last.failed).toEqual([]);
    expect(last.sent).toHaveLength(5);
    expect(server.connections).toBe(4);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(
      deliveries(w.db)
        .map((d) => [d.recipient, d.status, d.attempts, d.last_error])
        .sort(),
    ).toEqual(ALL_RECIPIENTS.map((r) => [r, 'sent', 1, null]));
    expect((await send(w)).sent).toEqual([]);
    expect(server.messages).toHaveLength(5);
  });
});

describe('a server that stays unusable', () => {
  // docs/operations.md: a failure before the message was handed over (here the login) is not
  // counted as an attempt, so a wrong setting never fails a delivery, however long it lasts.
  it('a login refused on every step never fails a delivery: every delivery stays pending with no attempt counted', async () => {
    const server = await smtpServer({ auth: { user: 'billing', pass: 'right' } });
    const w = await demoWorld({
      SMTP_URL: `smtp://billing:wrong@127.0.0.1:${server.port}`,
      SMTP_POOL_SIZE: '1',
      MAIL_MAX_ATTEMPTS: '3',
      MAIL_RETRY_BASE_SECONDS: '0',
    });
    await closeAndBuild(w);
    const refusal =
      'login refused: 535 5.7.8 authentication credentials invalid (check the user and password of SMTP_URL)';
    // More steps than MAIL_MAX_ATTEMPTS: the operator's settings, not the delivery, are at fault.
    for (let step = 1; step <= 5; step++) {
      const s = await send(w, later(SEND_AT, step));
      expect(s.stopped).toBe(refusal);
      expect(s.sent).toEqual([]);
      expect(s.failed).toEqual([]);
      expect(s.retrying).toEqual([]);
      expect(s.notAttempted).toBe(5);
    }
    expect(
      deliveries(w.db)
        .map((d) => [d.recipient, d.status, d.attempts, d.next_attempt_at])
        .sort(),
    ).toEqual(ALL_RECIPIENTS.map((r) => [r, 'pending', 0, null]));
    // Always the head of the queue was tried, and the last try is recorded.
    expect(deliveryTo(w.db, FIRST)).toMatchObject({
      last_error: refusal,
      last_attempt_at: later(SEND_AT, 5).toISOString(),
    });
    for (const d of deliveries(w.db).filter((x) => x.recipient !== FIRST))
      expect(d).toMatchObject({ last_error: null, last_attempt_at: null });
    expect(server.logins).toEqual([]);
    expect(server.messages).toEqual([]);
  });

  it('a connection reset during DATA counts as an attempt: after MAIL_MAX_ATTEMPTS the delivery fails with "gave up after"; the others are sent once', async () => {
    const { server, w } = await closedWorld(
      { resetDataOf: (envelope) => envelope.rcptTo.includes(FIRST) },
      { SMTP_POOL_SIZE: '1', MAIL_MAX_ATTEMPTS: '3', MAIL_RETRY_BASE_SECONDS: '0' },
    );

    const reasons: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const at = later(SEND_AT, attempt);
      const s = await send(w, at);
      expect(s.sent).toEqual([]);
      // A connection that breaks stops the step: the server may be going down.
      expect(s.stopped).not.toBeNull();
      expect(s.notAttempted).toBe(4);
      const d = deliveryTo(w.db, FIRST);
      if (attempt < 3) {
        expect(s.failed).toEqual([]);
        // MAIL_RETRY_BASE_SECONDS=0: due again at once.
        expect(d).toMatchObject({
          status: 'pending',
          attempts: attempt,
          next_attempt_at: at.toISOString(),
          last_attempt_at: at.toISOString(),
          last_error: s.stopped,
        });
      } else {
        expect(s.failed).toEqual([
          {
            tenant: 'TNT00001',
            billingMonth: '2026-10',
            recipient: FIRST,
            reason: `gave up after 3 attempts: ${s.stopped}`,
          },
        ]);
        expect(d).toMatchObject({
          status: 'failed',
          attempts: 3,
          next_attempt_at: null,
          last_attempt_at: at.toISOString(),
          last_error: `gave up after 3 attempts: ${s.stopped}`,
          sent_at: null,
        });
      }
      reasons.push(s.stopped!);
    }
    // The reason names the broken connection (nodemailer reports the reset as a closed connection,
    // or, depending on timing, as the socket's ECONNRESET).
    for (const r of reasons)
      expect(r).toMatch(/^connection (failed \(ECONNECTION\): Connection closed unexpectedly|reset by the server)$/);
    expect(server.resets).toBe(3);

    const rest = await send(w, later(SEND_AT, 4));
    expect(rest.stopped).toBeNull();
    expect(rest.failed).toEqual([]);
    expect(rest.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS.filter((r) => r !== FIRST));
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS.filter((r) => r !== FIRST)));
    expect(server.rcptTo.filter((r) => r === FIRST)).toHaveLength(3);
    // A failed delivery is final.
    expect((await send(w, later(SEND_AT, 86_400))).sent).toEqual([]);
    expect(server.rcptTo.filter((r) => r === FIRST)).toHaveLength(3);
  });
});

describe('a server that does not answer', () => {
  it('a reply later than SMTP_TIMEOUT_SECONDS stops the step; the message goes again later under the same Message-ID', async () => {
    // The first message's reply comes only once the client has given up on it (after the 1 s
    // timeout, however slow the machine); the server did get that message.
    const { server, w } = await closedWorld(
      { replyLateTo: (n) => n === 1 },
      { SMTP_POOL_SIZE: '1', SMTP_TIMEOUT_SECONDS: '1', MAIL_RETRY_BASE_SECONDS: '60' },
    );
    const first = await send(w);
    expect(first.sent).toEqual([]);
    expect(first.stopped).toBe('timed out (socket timeout): Timeout');
    expect(first.notAttempted).toBe(4);
    const d = deliveryTo(w.db, FIRST);
    expect(d).toMatchObject({
      status: 'pending',
      attempts: 1,
      next_attempt_at: later(SEND_AT, 60).toISOString(),
      last_error: first.stopped,
    });

    const second = await send(w, later(SEND_AT, 60));
    expect(second.stopped).toBeNull();
    expect(second.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);
    expect(deliveryTo(w.db, FIRST)).toMatchObject({ status: 'sent', attempts: 2 });
    // The unanswered message reached the server: it is there twice, under one Message-ID.
    expect(countsByRecipient(server)).toEqual({ ...once(ALL_RECIPIENTS), [FIRST]: 2 });
    expect(server.messages.filter((m) => m.envelope.rcptTo.includes(FIRST)).map((m) => m.parsed.messageId)).toEqual([
      d.message_id,
      d.message_id,
    ]);
  });
});

describe('a permanent refusal', () => {
  it('550 for one address fails that delivery at once; every other one is sent', async () => {
    const gone = 'finance@globex.example.sg';
    const { server, w } = await closedWorld({
      rcptReplies: { [gone]: { code: 550, message: '5.1.1 mailbox unavailable' } },
    });

    const summary = await send(w);
    expect(summary.stopped).toBeNull();
    expect(summary.notAttempted).toBe(0);
    expect(summary.retrying).toEqual([]);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatchObject({ tenant: 'TNT00004', billingMonth: '2026-10', recipient: gone });
    expect(summary.failed[0]!.reason).toContain('550 5.1.1 mailbox unavailable');
    const d = deliveryTo(w.db, gone);
    expect(d).toMatchObject({
      status: 'failed',
      attempts: 1,
      next_attempt_at: null,
      smtp_response: '550 5.1.1 mailbox unavailable',
      sent_at: null,
    });
    expect(d.last_error).toBe(summary.failed[0]!.reason);
    expect(d.last_error).toMatch(/550 5\.1\.1 mailbox unavailable.*\(permanent\)$/);

    const others = ALL_RECIPIENTS.filter((r) => r !== gone);
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(others);
    expect(countsByRecipient(server)).toEqual(once(others));
    expect(server.rcptTo.filter((r) => r === gone)).toHaveLength(1);
    for (const r of others) expect(deliveryTo(w.db, r).status).toBe('sent');

    // A failed delivery is final: a later step does not try it again.
    const again = await send(w, later(SEND_AT, 86_400));
    expect(again.sent).toEqual([]);
    expect(again.failed).toEqual([]);
    expect(server.rcptTo.filter((r) => r === gone)).toHaveLength(1);
  });
});

describe('a transient refusal', () => {
  it('451 for one address is retried with backoff base, base x2, base x4, then fails after MAIL_MAX_ATTEMPTS', async () => {
    const busy = 'ap@rules.example.com';
    const { server, w } = await closedWorld(
      { rcptReplies: { [busy]: { code: 451, message: '4.3.0 try again later' } } },
      { MAIL_RETRY_BASE_SECONDS: '30', MAIL_MAX_ATTEMPTS: '4' },
    );

    const first = await send(w);
    expect(first.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS.filter((r) => r !== busy));
    expect(first.failed).toEqual([]);
    expect(first.stopped).toBeNull();

    // Attempt n at t(n) is retried at t(n) + 30 s x 2^(n-1).
    let at = SEND_AT;
    for (const [attempt, delay] of [
      [1, 30],
      [2, 60],
      [3, 120],
    ] as const) {
      const next = later(at, delay);
      const d = deliveryTo(w.db, busy);
      expect(d).toMatchObject({
        status: 'pending',
        attempts: attempt,
        next_attempt_at: next.toISOString(),
        last_attempt_at: at.toISOString(),
        smtp_response: '451 4.3.0 try again later',
      });
      expect(d.last_error).toBe('451 4.3.0 try again later (transient)');
      expect(server.rcptTo.filter((r) => r === busy)).toHaveLength(attempt);

      // Not due a second early: nothing is tried, and it is reported as waiting.
      const early = await send(w, later(next, -1));
      expect(early.sent).toEqual([]);
      expect(early.failed).toEqual([]);
      expect(early.retrying).toEqual([
        {
          deliveryPk: d.delivery_pk,
          tenantName: 'TNT00003',
          billingMonth: '2026-10',
          recipient: busy,
          attempts: attempt,
          nextAttemptAt: next.toISOString(),
          lastError: d.last_error,
        },
      ]);
      expect(server.rcptTo.filter((r) => r === busy)).toHaveLength(attempt);

      at = next;
      const due = await send(w, at);
      expect(due.sent).toEqual([]);
      expect(due.failed).toEqual(
        attempt < 3
          ? []
          : [
              {
                tenant: 'TNT00003',
                billingMonth: '2026-10',
                recipient: busy,
                reason: 'gave up after 4 attempts: 451 4.3.0 try again later (transient)',
              },
            ],
      );
    }
    const failed = deliveryTo(w.db, busy);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 4,
      next_attempt_at: null,
      last_attempt_at: at.toISOString(),
      smtp_response: '451 4.3.0 try again later',
    });
    expect(failed.last_error).toBe('gave up after 4 attempts: 451 4.3.0 try again later (transient)');
    expect(server.rcptTo.filter((r) => r === busy)).toHaveLength(4);

    // Final: a later step leaves it, and no message for it ever reached the server.
    expect((await send(w, later(at, 86_400))).failed).toEqual([]);
    expect(server.rcptTo.filter((r) => r === busy)).toHaveLength(4);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS.filter((r) => r !== busy)));
  });
});

describe('requeue of a failed delivery', () => {
  it('puts it back to pending with attempts 0 and the same Message-ID; the next step sends it', async () => {
    const gone = 'owner@manual-tenant.example.jp';
    const { server, w } = await closedWorld({
      rcptReplies: { [gone]: { code: 550, message: '5.1.1 mailbox unavailable' } },
    });
    await send(w);
    const failed = deliveryTo(w.db, gone);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });

    // The mailbox is fixed, and an operator requeues the delivery.
    server.setRcptReply(gone, null);
    const requeuedAt = later(SEND_AT, 3600);
    expect(
      connection(w.db)
        .transaction(() => requeueFailed(w.db, [failed.delivery_pk], requeuedAt.toISOString()))
        .immediate(),
    ).toBe(1);
    const requeued = deliveryTo(w.db, gone);
    expect(requeued).toMatchObject({
      status: 'pending',
      attempts: 0,
      next_attempt_at: null,
      message_id: failed.message_id,
    });
    expect(requeued.last_error).toBe(`requeued by an operator after: ${failed.last_error}`);
    // A second requeue of a row that is no longer failed changes nothing.
    expect(
      connection(w.db)
        .transaction(() => requeueFailed(w.db, [failed.delivery_pk], requeuedAt.toISOString()))
        .immediate(),
    ).toBe(0);

    const summary = await send(w, later(requeuedAt, 1));
    expect(summary.sent.map((s) => [s.recipient, s.messageId])).toEqual([[gone, failed.message_id]]);
    expect(deliveryTo(w.db, gone)).toMatchObject({
      status: 'sent',
      attempts: 1,
      last_error: null,
      message_id: failed.message_id,
    });
    expect(messageTo(server, gone).parsed.messageId).toBe(failed.message_id);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
  });
});
