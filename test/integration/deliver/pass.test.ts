/**
 * The month-end pass as `run` and the scheduler call it: close, files and send in one go, and two
 * passes at once (DESIGN invariant 6) never sending a message twice.
 */
import { describe, expect, it } from 'vitest';
import { leasedPass, monthEndPass, passCounts, passFailed } from '../../../jobs/pass.ts';
import { jobContext } from '../../../jobs/context.ts';
import { MONTH_END_LEASE } from '../../../jobs/with-lease.ts';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import { connection } from '../../../src/store/db.ts';
import { acquireLease, getLease, type AcquireResult } from '../../../src/store/leases.ts';
import { listRuns } from '../../../src/store/runs.ts';
import {
  ALL_RECIPIENTS,
  AS_OF,
  SEND_AT,
  countsByRecipient,
  deliveries,
  deliveryTo,
  demoWorld,
  later,
  once,
  smtpServer,
} from './support.ts';
import { otherStore } from '../../helpers/store.ts';

describe('the month-end pass', () => {
  it('closes, archives and mails the demo month in one pass; the next pass has nothing to do', async () => {
    const server = await smtpServer();
    const w = await demoWorld({ SMTP_URL: server.url });
    const first = await monthEndPass(jobContext(w.db, w.config, { now: () => SEND_AT }), {
      mailer: w.mailer,
      asOf: AS_OF,
    });
    expect(passFailed(first)).toBe(false);
    expect(first.noRecipient).toEqual([{ tenant: 'TNT00005', billingMonth: '2026-10' }]);
    expect(passCounts(first)).toMatchObject({
      closed: 5,
      closeFailed: 0,
      filesWritten: 5,
      filesFailed: 0,
      sent: 5,
      retrying: 0,
      deliveriesFailed: 0,
      recovered: 0,
      waitingForFiles: 0,
      notAttempted: 0,
      noRecipient: 1,
      stopped: null,
    });
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(deliveries(w.db).every((d) => d.status === 'sent')).toBe(true);

    const second = await monthEndPass(jobContext(w.db, w.config, { now: () => later(SEND_AT, 3600) }), {
      mailer: w.mailer,
      asOf: AS_OF,
    });
    expect(passCounts(second)).toMatchObject({ closed: 0, filesWritten: 0, sent: 0, noRecipient: 0, stopped: null });
    expect(server.messages).toHaveLength(5);
  });

  it('a pass whose mail server is down is reported failed; the deliveries wait for the next one', async () => {
    const server = await smtpServer({
      rejectConnections: 1,
      rejectReply: { code: 421, message: '4.3.2 service not available' },
    });
    const w = await demoWorld({ SMTP_URL: server.url, SMTP_POOL_SIZE: '1', MAIL_RETRY_BASE_SECONDS: '0' });
    const first = await leasedPass(jobContext(w.db, w.config, { now: () => SEND_AT }), {
      mailer: w.mailer,
      asOf: AS_OF,
    });
    expect(passFailed(first)).toBe(true);
    expect(first.deliveries.stopped).toBe('421 4.3.2 service not available (the server refuses the session)');
    expect(first.close.closed).toHaveLength(5);
    const second = await leasedPass(jobContext(w.db, w.config, { now: () => later(SEND_AT, 60) }), {
      mailer: w.mailer,
      asOf: AS_OF,
    });
    expect(passFailed(second)).toBe(false);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(connection(w.db).prepare('SELECT status FROM runs ORDER BY run_pk').pluck().all()).toEqual(['failed', 'ok']);
  });
});

describe('two passes at once', () => {
  it('while one pass is sending, another exits with E_LOCKED or waits, and no message goes twice', async () => {
    let dataStarted!: () => void;
    const sending = new Promise<void>((resolve) => (dataStarted = resolve));
    const server = await smtpServer({ dataDelayMs: 100, onDataStart: () => dataStarted() });
    const w = await demoWorld({ SMTP_URL: server.url, SMTP_POOL_SIZE: '1', LOCK_TTL_SECONDS: '10' });
    // A second process: its own connection to the same store.
    const other = otherStore(w);
    try {
      const firstPass = leasedPass(jobContext(w.db, w.config, { now: () => SEND_AT }), {
        mailer: w.mailer,
        asOf: AS_OF,
      });
      await sending;
      expect(deliveries(w.db).some((d) => d.status === 'sending')).toBe(true);

      const refused = await leasedPass(jobContext(other, w.config, { now: () => SEND_AT }), {
        mailer: w.mailer,
        asOf: AS_OF,
      }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(UsageChargesError);
      expect((refused as UsageChargesError).code).toBe('E_LOCKED');

      let waited = false;
      const waitingPass = leasedPass(jobContext(other, w.config, { now: () => SEND_AT }), {
        mailer: w.mailer,
        asOf: AS_OF,
        wait: true,
        onWait: () => (waited = true),
      });
      const first = await firstPass;
      const second = await waitingPass;
      expect(waited).toBe(true);
      expect(first.deliveries.sent).toHaveLength(5);
      expect(passCounts(second)).toMatchObject({ closed: 0, filesWritten: 0, sent: 0, recovered: 0, stopped: null });
      expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
      expect(server.messages).toHaveLength(5);
      expect(connection(other).prepare('SELECT status FROM runs ORDER BY run_pk').pluck().all()).toEqual(['ok', 'ok']);
    } finally {
      connection(other).close();
    }
  });
});

describe('a pass that loses its lease', () => {
  it('while a message is in flight: the message is recorded, no further message is claimed, and the pass rejects with E_LEASE_LOST', async () => {
    const first = 'billing@tenant01.example.jp';
    let takeover: AcquireResult | null = null;
    let takeOver = (): void => undefined;
    // The first message's reply comes after a second: time for the lease to be taken over and for
    // the pass's heartbeat (every third of the lease's time to live) to find it lost.
    const server = await smtpServer({ dataDelayMs: (n) => (n === 1 ? 1200 : 0), onDataStart: () => takeOver() });
    const w = await demoWorld({ SMTP_URL: server.url, SMTP_POOL_SIZE: '1', SMTP_TIMEOUT_SECONDS: '5' });
    // A lease of one second, renewed every 333 ms (LOCK_TTL_SECONDS itself is at least 10).
    const config = { ...w.config, lockTtlSeconds: 1 };
    // Another process, on its own connection, whose clock says the lease has expired.
    const other = otherStore(w);
    try {
      let owner = '';
      takeOver = () => {
        if (takeover !== null) return;
        takeover = acquireLease(
          other,
          MONTH_END_LEASE,
          'another-host:4242:cafe',
          60_000,
          new Date(Date.now() + 10_000),
        );
      };
      const outcome = await leasedPass(jobContext(w.db, config, { now: () => SEND_AT }), {
        mailer: w.mailer,
        asOf: AS_OF,
        onStart: (held) => (owner = held.owner),
      }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(takeover).toMatchObject({ acquired: true, tookOverFrom: owner });
      expect(outcome).toBeInstanceOf(UsageChargesError);
      expect((outcome as UsageChargesError).code).toBe('E_LEASE_LOST');
      expect((outcome as UsageChargesError).message).toBe(
        'the month-end lease was lost (it expired and another pass took it over); this pass stopped',
      );

      // The message the server accepted is recorded; nothing after it was claimed or sent.
      expect(server.rcptTo).toEqual([first]);
      expect(server.messages).toHaveLength(1);
      expect(deliveryTo(w.db, first)).toMatchObject({ status: 'sent', attempts: 1, sent_at: SEND_AT.toISOString() });
      const rest = deliveries(w.db).filter((d) => d.recipient !== first);
      expect(rest.map((d) => [d.recipient, d.status, d.attempts, d.last_attempt_at])).toEqual(
        rest.map((d) => [d.recipient, 'pending', 0, null]),
      );
      expect(rest).toHaveLength(4);
      // The lease is the other process's (the lost pass did not release it), and the pass is recorded failed.
      expect(getLease(w.db, MONTH_END_LEASE)?.owner).toBe('another-host:4242:cafe');
      const [run] = listRuns(w.db, 1);
      expect(run).toMatchObject({ owner, status: 'failed' });
      expect(JSON.parse(run!.summary)).toEqual({ error: (outcome as Error).message });
    } finally {
      connection(other).close();
    }
  });
});
