/**
 * What the demo month's mails say, sent through a real SMTP server: the issuer, the way each
 * contact is addressed (the contact's name read when the mail is sent, resends included), the
 * amount and whether tax is in it, the headers and the EHLO name.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.ts';
import { createResendDeliveries } from '../../../src/store/outbox.ts';
import { newMessageId } from '../../../src/mail/compose.ts';
import { csv, importText } from '../../helpers/store.ts';
import { SAMPLE_ISSUER } from '../../helpers/mail.ts';
import { SEND_AT, closedWorld, deliveryTo, later, messageTo, send } from './support.ts';
import { connection } from '../../../src/store/db.ts';

const ISSUER_ENV = {
  ISSUER_NAME: SAMPLE_ISSUER.name,
  ISSUER_ADDRESS: SAMPLE_ISSUER.address,
  ISSUER_CONTACT: SAMPLE_ISSUER.contact,
  ISSUER_URL: SAMPLE_ISSUER.url,
  ISSUER_INVOICE_NUMBER: SAMPLE_ISSUER.invoiceNumber,
  MAIL_REPLY_TO: 'Billing Support <support@example.com>',
};

/** Whole yen grouped in thousands, from decimal text (`34662` -> `34,662`). */
function yen(amount: string): string {
  return new Decimal(amount).toFixed(0).replace(/\B(?=(\d{3})+$)/g, ',');
}

function statementTotal(w: Awaited<ReturnType<typeof closedWorld>>['w'], tenant: string): string {
  const summary = connection(w.db)
    .prepare(
      `SELECT s.summary FROM statements s JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = ? AND s.billing_month = '2026-10'`,
    )
    .pluck()
    .get(tenant) as string;
  return (JSON.parse(summary) as { total: string }).total;
}

describe('the mails of the demo month', () => {
  it('show the issuer, address each contact as a Japanese business form does, and carry the headers', async () => {
    const { server, w } = await closedWorld({}, ISSUER_ENV);
    const summary = await send(w);
    expect(summary.failed).toEqual([]);
    expect(server.messages).toHaveLength(5);
    // EHLO names the sender's domain, never this machine's name or an IP literal.
    expect(new Set(server.ehloNames)).toEqual(new Set(['example.com']));
    for (const m of server.messages) {
      for (const part of [m.parsed.text ?? '', m.parsed.html || '']) {
        for (const value of Object.values(SAMPLE_ISSUER)) expect(part).toContain(value);
      }
      expect(m.parsed.headers.get('auto-submitted')).toBe('auto-generated');
      expect(m.parsed.replyTo?.value).toEqual([{ name: 'Billing Support', address: 'support@example.com' }]);
    }

    // TNT00001: ja, deleted in October (its final statement), its contact named 経理部 (a department).
    const final = messageTo(server, 'billing@tenant01.example.jp').parsed;
    expect(final.subject).toBe('【ご利用料金のお知らせ】2026年10月分 tenant01 御中');
    expect(final.text!.startsWith('tenant01\n経理部 御中\n\n')).toBe(true);
    expect(final.html).toContain('tenant01<br>経理部 御中');
    for (const part of [final.text!, final.html as string]) {
      expect(part).toContain('本明細が最終のご利用料金明細となります');
      expect(part).not.toContain('今後とも');
      expect(part).toContain('消費税は含まれておりません');
    }
    const t1Total = statementTotal(w, 'TNT00001');
    expect(final.text).toContain(`ご利用料金\u3000：${yen(t1Total)}円（税抜）`);

    // manual-tenant: ja, its contact has no name: the company, with 御中.
    const manual = messageTo(server, 'owner@manual-tenant.example.jp').parsed;
    expect(manual.text!.startsWith('manual-tenant 御中\n\n')).toBe(true);
    expect(manual.text).toContain('今後ともよろしくお願い申し上げます。');
    expect(manual.text).not.toContain('様');

    // TNT00003: en, two named contacts, each greeted by name.
    expect(
      messageTo(server, 'ap@rules.example.com').parsed.text!.startsWith(
        'Example Rules Co.\nAttn: Accounts Payable\n\nDear Accounts Payable,\n',
      ),
    ).toBe(true);
    expect(messageTo(server, 'cfo@rules.example.com').parsed.text).toContain('Dear CFO,');
    expect(messageTo(server, 'cfo@rules.example.com').parsed.text).toContain('(tax not included)');
  });

  it("uses the contact's name as it is when the mail is sent, and none for a resend to another address", async () => {
    const { server, w } = await closedWorld({}, ISSUER_ENV);
    // The contacts file names the person after the statement was finalized, before the mail went out.
    await importText(
      w.db,
      'contacts',
      csv('tenant_name,email,contact_name', 'manual-tenant,owner@manual-tenant.example.jp,山田 太郎'),
    );
    await send(w);
    expect(
      messageTo(server, 'owner@manual-tenant.example.jp').parsed.text!.startsWith('manual-tenant\n山田 太郎 様\n\n'),
    ).toBe(true);

    const d = deliveryTo(w.db, 'owner@manual-tenant.example.jp');
    const resends = connection(w.db).transaction(() =>
      createResendDeliveries(
        w.db,
        d.statement_pk,
        [
          { contactPk: d.contact_pk, email: d.recipient },
          { contactPk: null, email: 'auditor@example.org' },
        ],
        'lost',
        'operator',
        () => newMessageId('billing@example.com'),
        SEND_AT.toISOString(),
      ),
    )();
    const at = later(SEND_AT, 60);
    const resent = await send(w, at, { only: resends });
    expect(resent.sent).toHaveLength(2);
    const again = server.messages
      .filter((m) => m.envelope.rcptTo.includes('owner@manual-tenant.example.jp'))
      .at(-1)!.parsed;
    expect(again.subject).toBe('[再送] 【ご利用料金のお知らせ】2026年10月分 manual-tenant 御中');
    expect(again.text!.startsWith('manual-tenant\n山田 太郎 様\n\n')).toBe(true);
    // An address given to `resend --to` is nobody in the contacts file: the company is addressed.
    expect(messageTo(server, 'auditor@example.org').parsed.text!.startsWith('manual-tenant 御中\n\n')).toBe(true);
  });

  it('says the total includes tax, and how much, when the statement has tax lines (ecl)', async () => {
    const { server, w } = await closedWorld({}, { ...ISSUER_ENV, RATING_PRESET: 'ecl' });
    await send(w);
    const summary = JSON.parse(
      connection(w.db)
        .prepare(
          `SELECT s.summary FROM statements s JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'manual-tenant'`,
        )
        .pluck()
        .get() as string,
    ) as {
      total: string;
      taxes: { percent: string; amount: string }[];
    };
    expect(summary.taxes.length).toBeGreaterThan(0);
    const text = messageTo(server, 'owner@manual-tenant.example.jp').parsed.text!;
    expect(text).toContain(`ご利用料金\u3000：${yen(summary.total)}円（税込）`);
    for (const t of summary.taxes) expect(text).toContain(`うち消費税：${yen(t.amount)}円（${t.percent}%対象）`);
    expect(text).toContain('ご利用料金は消費税を含む金額です。');
    expect(text).not.toContain('税抜');
  });
});
