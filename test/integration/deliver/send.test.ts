/**
 * Sending the outbox to a real SMTP server: one message per active contact, the archived zip byte
 * for byte under its Message-ID; outbox rows made in the finalize transaction with the address
 * frozen; the SMTP pool sending many deliveries, each once.
 */
import { describe, expect, it } from 'vitest';
import { closeDue } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { importText, csv } from '../../helpers/store.ts';
import {
  ALL_RECIPIENTS,
  AS_OF,
  CLOSED_AT,
  DEMO_RECIPIENTS,
  SEND_AT,
  archived,
  closeAndBuild,
  closedWorld,
  countsByRecipient,
  deliveries,
  deliveryTo,
  demoWorld,
  fileOf,
  messageTo,
  once,
  send,
  sha256,
  smtpServer,
} from './support.ts';
import { connection, storeEngine } from '../../../src/store/db.ts';

describe('sending the demo month', () => {
  it('mails every active contact of every closed tenant once: the archived zip under the stored Message-ID', async () => {
    const { server, w, close } = await closedWorld();
    expect(close.failed).toEqual([]);
    expect(close.closed.map((c) => [c.tenant, c.recipients]).sort()).toEqual([
      ['TNT00001', 1],
      ['TNT00003', 2],
      ['TNT00004', 1],
      ['TNT00005', 0],
      ['manual-tenant', 1],
    ]);

    const summary = await send(w);
    expect(summary.stopped).toBeNull();
    expect(summary.failed).toEqual([]);
    expect(summary.retrying).toEqual([]);
    expect(summary.recovered).toBe(0);
    expect(summary.notAttempted).toBe(0);
    expect(summary.waitingForFiles).toBe(0);
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);

    // Exactly one message per active contact; none to the inactive one, none for TNT00005.
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(server.messages).toHaveLength(5);
    expect(server.rcptTo.sort()).toEqual(ALL_RECIPIENTS);

    const rows = deliveries(w.db);
    expect(rows.map((d) => d.recipient).sort()).toEqual(ALL_RECIPIENTS);
    expect(rows.filter((d) => d.tenant_name === 'TNT00005')).toEqual([]);
    for (const [tenant, recipients] of Object.entries(DEMO_RECIPIENTS)) {
      const file = fileOf(w.db, tenant);
      const onDisk = archived(w, file);
      expect(sha256(onDisk)).toBe(file.sha256);
      for (const recipient of recipients) {
        const d = deliveryTo(w.db, recipient);
        expect(d).toMatchObject({
          tenant_name: tenant,
          kind: 'statement',
          status: 'sent',
          attempts: 1,
          last_error: null,
          next_attempt_at: null,
          sent_at: SEND_AT.toISOString(),
        });
        expect(d.smtp_response).toMatch(/^250 /);
        expect(summary.sent.find((s) => s.recipient === recipient)).toEqual({
          tenant,
          billingMonth: '2026-10',
          recipient,
          kind: 'statement',
          messageId: d.message_id,
          response: d.smtp_response,
        });

        const m = messageTo(server, recipient);
        expect(m.envelope).toEqual({ mailFrom: 'billing@example.com', rcptTo: [recipient] });
        expect(m.parsed.messageId).toBe(d.message_id);
        expect(m.parsed.headers.get('x-usage-charges-tenant')).toBe(tenant);
        expect(m.parsed.headers.get('x-usage-charges-month')).toBe('2026-10');
        expect(m.parsed.attachments).toHaveLength(1);
        const attachment = m.parsed.attachments[0]!;
        expect(attachment.filename).toBe(file.zip_name);
        expect(attachment.contentType).toBe('application/zip');
        expect(Buffer.compare(attachment.content, onDisk)).toBe(0);
        expect(sha256(attachment.content)).toBe(file.sha256);
      }
    }
    // Every Message-ID is its own.
    expect(new Set(rows.map((d) => d.message_id)).size).toBe(5);
    for (const d of rows) expect(d.message_id).toMatch(/^<[0-9a-f-]{36}@example\.com>$/);

    // The no-contact tenant's statement is archived, and the close recorded it as not mailed.
    expect(sha256(archived(w, fileOf(w.db, 'TNT00005')))).toBe(fileOf(w.db, 'TNT00005').sha256);
    expect(
      connection(w.db)
        .prepare(
          "SELECT subject, json_extract(detail, '$.billingMonth') AS month FROM audit_log WHERE action = 'no-recipient'",
        )
        .all(),
    ).toEqual([{ subject: 'TNT00005', month: '2026-10' }]);

    // A second step sends nothing more.
    const again = await send(w, new Date(SEND_AT.getTime() + 3_600_000));
    expect(again.sent).toEqual([]);
    expect(server.messages).toHaveLength(5);
  });
});

describe('the outbox rows are made with the statement', () => {
  it('exist as pending right after the close, stamped with the finalize instant, before any file or send', async () => {
    const server = await smtpServer();
    const w = await demoWorld({ SMTP_URL: server.url });
    closeDue(jobContext(w.db, w.config, { now: () => CLOSED_AT }), { asOf: AS_OF });
    const rows = deliveries(w.db);
    const expected = Object.entries(DEMO_RECIPIENTS).flatMap(([tenant, rs]) =>
      rs.map((r) => [tenant, r, 'statement', 'pending', 0, null, null, null]),
    );
    expect(
      rows
        .map((d) => [
          d.tenant_name,
          d.recipient,
          d.kind,
          d.status,
          d.attempts,
          d.next_attempt_at,
          d.last_error,
          d.sent_at,
        ])
        .sort(),
    ).toEqual(expected.sort());
    const finalized = connection(w.db).prepare(`SELECT s.statement_pk, s.finalized_at FROM statements s`).all() as {
      statement_pk: number;
      finalized_at: string;
    }[];
    for (const d of rows) {
      expect(d.created_at).toBe(CLOSED_AT.toISOString());
      expect(finalized.find((s) => s.statement_pk === d.statement_pk)?.finalized_at).toBe(CLOSED_AT.toISOString());
    }
    // No files yet: a send step waits for them and sends nothing.
    expect(connection(w.db).prepare('SELECT COUNT(*) FROM statement_files').pluck().get()).toBe(0);
    const summary = await send(w);
    expect(summary.sent).toEqual([]);
    expect(summary.waitingForFiles).toBe(5);
    expect(server.messages).toEqual([]);
    expect(deliveries(w.db).every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);
  });

  it('a statement whose deliveries cannot be written is not finalized either', async () => {
    const server = await smtpServer();
    const w = await demoWorld({ SMTP_URL: server.url });
    // A write of TNT00004's delivery fails inside the close's transaction.
    connection(w.db).exec(
      storeEngine(w.db) === 'postgres'
        ? `CREATE FUNCTION test_refuse_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'simulated failure writing the outbox'; END $$;
          CREATE TRIGGER test_refuse_delivery BEFORE INSERT ON deliveries FOR EACH ROW
          WHEN (NEW.recipient = 'finance@globex.example.sg') EXECUTE FUNCTION test_refuse_delivery()`
        : `CREATE TRIGGER test_refuse_delivery BEFORE INSERT ON deliveries WHEN NEW.recipient = 'finance@globex.example.sg'
      BEGIN SELECT RAISE(ABORT, 'simulated failure writing the outbox'); END`,
    );
    const first = closeDue(jobContext(w.db, w.config, { now: () => CLOSED_AT }), { asOf: AS_OF });
    expect(first.failed.map((f) => [f.tenant, f.billingMonth])).toEqual([['TNT00004', '2026-10']]);
    expect(first.failed[0]!.reason).toContain('simulated failure writing the outbox');
    expect(first.closed.map((c) => c.tenant).sort()).toEqual(['TNT00001', 'TNT00003', 'TNT00005', 'manual-tenant']);
    const tnt4 = () =>
      connection(w.db)
        .prepare(`SELECT s.status FROM statements s JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00004'`)
        .pluck()
        .all();
    expect(tnt4()).toEqual(['estimated']);
    expect(
      connection(w.db)
        .prepare(
          `SELECT COUNT(*) FROM charge_lines l JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
      WHERE t.tenant_name = 'TNT00004'`,
        )
        .pluck()
        .get(),
    ).toBe(0);
    expect(deliveries(w.db).filter((d) => d.tenant_name === 'TNT00004')).toEqual([]);

    connection(w.db).exec(
      `DROP TRIGGER test_refuse_delivery${storeEngine(w.db) === 'postgres' ? ' ON deliveries' : ''}`,
    );
    const second = closeDue(jobContext(w.db, w.config, { now: () => CLOSED_AT }), { asOf: AS_OF });
    expect(second.closed.map((c) => [c.tenant, c.recipients])).toEqual([['TNT00004', 1]]);
    expect(tnt4()).toEqual(['fixed']);
    expect(
      deliveries(w.db)
        .filter((d) => d.tenant_name === 'TNT00004')
        .map((d) => [d.recipient, d.status]),
    ).toEqual([['finance@globex.example.sg', 'pending']]);
  });

  it('freezes the recipient address: a contact changed after the close still gets the mail at the old address', async () => {
    const { server, w } = await closedWorld();
    const before = deliveryTo(w.db, 'finance@globex.example.sg');
    connection(w.db)
      .prepare(`UPDATE contacts SET email = 'new-finance@globex.example.sg' WHERE email = 'finance@globex.example.sg'`)
      .run();

    const summary = await send(w);
    expect(summary.sent.map((s) => s.recipient).sort()).toEqual(ALL_RECIPIENTS);
    expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
    expect(server.rcptTo).not.toContain('new-finance@globex.example.sg');
    expect(messageTo(server, 'finance@globex.example.sg').parsed.messageId).toBe(before.message_id);
    expect(deliveryTo(w.db, 'finance@globex.example.sg')).toMatchObject({
      status: 'sent',
      contact_pk: before.contact_pk,
    });
  });

  it('a contact made inactive before the close gets no delivery', async () => {
    const server = await smtpServer();
    const w = await demoWorld({ SMTP_URL: server.url });
    await importText(w.db, 'contacts', csv('tenant_name,email,active', 'TNT00003,cfo@rules.example.com,false'));
    const close = await closeAndBuild(w);
    expect(close.closed.find((c) => c.tenant === 'TNT00003')?.recipients).toBe(1);
    expect(
      deliveries(w.db)
        .filter((d) => d.tenant_name === 'TNT00003')
        .map((d) => d.recipient),
    ).toEqual(['ap@rules.example.com']);

    await send(w);
    const expected = ALL_RECIPIENTS.filter((r) => r !== 'cfo@rules.example.com');
    expect(countsByRecipient(server)).toEqual(once(expected));
    expect(server.rcptTo).not.toContain('cfo@rules.example.com');
  });
});

describe('the SMTP pool', () => {
  it('with SMTP_POOL_SIZE=3 sends 12 deliveries each exactly once, over at most 3 connections at a time', async () => {
    const server = await smtpServer({ dataDelayMs: 60 });
    const w = await demoWorld({ SMTP_URL: server.url, SMTP_POOL_SIZE: '3' });
    const extra = [
      'TNT00001,ops@tenant01.example.jp',
      'TNT00001,audit@tenant01.example.jp',
      'manual-tenant,second@manual-tenant.example.jp',
      'manual-tenant,third@manual-tenant.example.jp',
      'TNT00003,controller@rules.example.com',
      'TNT00004,ap@globex.example.sg',
      'TNT00004,cfo@globex.example.sg',
    ];
    await importText(w.db, 'contacts', csv('tenant_name,email', ...extra));
    const close = await closeAndBuild(w);
    expect(close.closed.map((c) => [c.tenant, c.recipients]).sort()).toEqual([
      ['TNT00001', 3],
      ['TNT00003', 3],
      ['TNT00004', 3],
      ['TNT00005', 0],
      ['manual-tenant', 3],
    ]);
    const recipients = [...ALL_RECIPIENTS, ...extra.map((e) => e.split(',')[1]!)].sort();
    expect(recipients).toHaveLength(12);

    const summary = await send(w);
    expect(summary.failed).toEqual([]);
    expect(summary.stopped).toBeNull();
    expect(summary.sent).toHaveLength(12);
    expect(countsByRecipient(server)).toEqual(once(recipients));
    expect(server.maxOpenConnections).toBeLessThanOrEqual(3);
    expect(server.maxOpenConnections).toBeGreaterThan(1);
    const rows = deliveries(w.db);
    expect(rows.every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
    for (const d of rows) {
      const m = messageTo(server, d.recipient);
      expect(m.parsed.messageId).toBe(d.message_id);
      expect(sha256(m.parsed.attachments[0]!.content)).toBe(fileOf(w.db, d.tenant_name).sha256);
    }
    expect((await send(w, new Date(SEND_AT.getTime() + 60_000))).sent).toEqual([]);
    expect(server.messages).toHaveLength(12);
  });
});

describe('the due deliveries are read a page at a time', () => {
  it.each([1, 2, 3, 500])(
    'with pages of %i, every delivery is sent exactly once, in month, tenant and delivery order',
    async (pageSize) => {
      const { server, w } = await closedWorld({}, { SMTP_POOL_SIZE: '1' });
      const order = connection(w.db)
        .prepare(
          `SELECT d.recipient FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
      ORDER BY s.billing_month, t.tenant_name, d.delivery_pk`,
        )
        .pluck()
        .all() as string[];
      const progress: [number, number][] = [];
      const summary = await send(
        w,
        SEND_AT,
        { pageSize },
        { progress: (_stage, done, total) => progress.push([done, total]) },
      );
      expect(summary.failed).toEqual([]);
      expect(summary.sent.map((s) => s.recipient)).toEqual(order);
      expect(countsByRecipient(server)).toEqual(once(ALL_RECIPIENTS));
      expect(progress.at(-1)).toEqual([ALL_RECIPIENTS.length, ALL_RECIPIENTS.length]);
      expect(deliveries(w.db).every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
    },
  );
});
