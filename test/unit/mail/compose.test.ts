import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import { composeMessage, newMessageId, parseSender, type Envelope } from '../../../src/mail/compose.ts';
import { renderStatementMail } from '../../../src/mail/render.ts';
import { statementMail } from '../../helpers/mail.ts';

const MAIL = statementMail({ locale: 'en', displayName: 'Example Corp' });
const ENVELOPE: Envelope = {
  from: 'Billing Desk <billing@example.com>',
  to: 'contact@example.net',
  messageId: '<abc-123@example.com>',
};
const ZIP = { name: 'acme_202610.zip', bytes: Buffer.from('PK\u0003\u0004 not really a zip') };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageChargesError);
    return (err as UsageChargesError).code;
  }
  throw new Error('expected a UsageChargesError');
}

describe('composeMessage', () => {
  it('builds the nodemailer options of one statement mail', () => {
    const m = composeMessage(MAIL, ENVELOPE, ZIP);
    const r = renderStatementMail(MAIL);
    expect(m.from).toEqual({ name: 'Billing Desk', address: 'billing@example.com' });
    expect(m.to).toEqual({ name: '', address: 'contact@example.net' });
    expect(m.subject).toBe(r.subject);
    expect(m.text).toBe(r.text);
    expect(m.html).toBe(r.html);
    expect(m.messageId).toBe('<abc-123@example.com>');
    expect(m.date).toBeUndefined();
    expect(m.attachments).toEqual([
      { filename: 'acme_202610.zip', content: ZIP.bytes, contentType: 'application/zip' },
    ]);
    expect(m.headers).toEqual({
      'Auto-Submitted': 'auto-generated',
      'X-Usage-Charges-Tenant': 'acme',
      'X-Usage-Charges-Month': '2026-10',
    });
    expect(m.replyTo).toBeUndefined();
  });

  it('sets the Reply-To it is given, as an address object', async () => {
    const m = composeMessage(MAIL, { ...ENVELOPE, replyTo: 'Billing Support <support@example.com>' }, ZIP);
    expect(m.replyTo).toEqual({ name: 'Billing Support', address: 'support@example.com' });
    const parsed = await simpleParser(await new MailComposer(m).compile().build());
    expect(parsed.replyTo?.value).toEqual([{ name: 'Billing Support', address: 'support@example.com' }]);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(composeMessage(MAIL, { ...ENVELOPE, replyTo: null }, ZIP).replyTo).toBeUndefined();
    expect(code(() => composeMessage(MAIL, { ...ENVELOPE, replyTo: 'support\r\nBcc: x@example.com' }, ZIP))).toBe(
      'E_MAIL_SENDER',
    );
  });

  it.each([
    ['an encoded word', '=?UTF-8?Q?Acme=0D=0ABcc:_evil@example.com?='],
    ['two encoded words', '=?UTF-8?B?QWNtZQ==?= =?UTF-8?Q?=0ABcc:_evil@example.com?='],
    ['an encoded word in Japanese text', '株式会社 =?ISO-2022-JP?B?GyRCJTUbKEI=?= 御中'],
  ])('shows a display name written as %s in the subject as it is, on one line', async (_label, displayName) => {
    const m = composeMessage({ ...MAIL, displayName }, ENVELOPE, ZIP);
    const raw = await new MailComposer(m).compile().build();
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(renderStatementMail({ ...MAIL, displayName }).subject);
    expect(parsed.subject).toContain(displayName);
    expect(parsed.headers.get('x-usage-charges-tenant')).toBe('acme');
    expect(raw.toString('latin1')).not.toMatch(/^bcc:/im);
  });

  it('leaves a subject without "=?" to nodemailer as it is', () => {
    expect(composeMessage({ ...MAIL, displayName: 'Example = Corp?' }, ENVELOPE, ZIP).subject).toBe(
      renderStatementMail({ ...MAIL, displayName: 'Example = Corp?' }).subject,
    );
  });

  it('sends a tenant name written as an encoded word in the tenant header as it is', async () => {
    const tenantName = '=?UTF-8?Q?a=0D=0Ab?=';
    const raw = await new MailComposer(composeMessage({ ...MAIL, tenantName }, ENVELOPE, ZIP)).compile().build();
    // mailparser leaves an X- header as written: it is base64 encoded words whose bytes are the name.
    const value = String((await simpleParser(raw)).headers.get('x-usage-charges-tenant'));
    const words = value.split(/\s+/).map((w) => /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(w));
    expect(
      words.every((w) => w !== null),
      value,
    ).toBe(true);
    expect(Buffer.concat(words.map((w) => Buffer.from(w![1]!, 'base64'))).toString('utf8')).toBe(tenantName);
  });

  it('makes the tenant header one line', () => {
    const m = composeMessage({ ...MAIL, tenantName: 'acme\r\nBcc: evil@example.com' }, ENVELOPE, ZIP);
    expect((m.headers as Record<string, string>)['X-Usage-Charges-Tenant']).toBe('acme Bcc: evil@example.com');
  });

  it.each([
    ['CR LF', 'contact@example.net\r\nBcc: evil@example.com'],
    ['LF', 'contact@example.net\nevil@example.com'],
    ['U+2028', 'contact@example.net\u2028'],
    ['NUL', 'contact@example.net\u0000'],
    ['two addresses', 'contact@example.net, evil@example.com'],
    ['two addresses with ;', 'contact@example.net;evil@example.com'],
    ['a name', 'Contact <contact@example.net>'],
    ['a group', 'friends: contact@example.net;'],
    ['no domain', 'contact'],
    ['empty', ''],
  ])('refuses a recipient with %s (E_MAIL_ADDRESS)', (_label, to) => {
    expect(code(() => composeMessage(MAIL, { ...ENVELOPE, to }, ZIP))).toBe('E_MAIL_ADDRESS');
  });

  it('refuses a sender with a line break', () => {
    expect(
      code(() =>
        composeMessage(MAIL, { ...ENVELOPE, from: 'Billing\r\nBcc: evil@example.com <billing@example.com>' }, ZIP),
      ),
    ).toBe('E_MAIL_SENDER');
  });

  it('refuses a Message-ID that is not <id@domain>', () => {
    for (const messageId of [
      'abc@example.com',
      '<abc>',
      '<a b@example.com>',
      '<abc@example.com>\r\nBcc: x@example.com',
      '<a@b@c>',
    ]) {
      expect(code(() => composeMessage(MAIL, { ...ENVELOPE, messageId }, ZIP))).toBe('E_MAIL_MESSAGE_ID');
    }
  });

  it('refuses an attachment name that is not a plain file name', () => {
    for (const name of ['', 'a/b.zip', 'a\\b.zip', 'a\r\nb.zip']) {
      expect(code(() => composeMessage(MAIL, ENVELOPE, { ...ZIP, name }))).toBe('E_MAIL_ATTACHMENT');
    }
  });
});

describe('parseSender', () => {
  it.each([
    ['billing@example.com', { name: '', address: 'billing@example.com' }],
    ['Billing <billing@example.com>', { name: 'Billing', address: 'billing@example.com' }],
    ['"Billing, Cloud" <billing@example.com>', { name: 'Billing, Cloud', address: 'billing@example.com' }],
    ['  請求担当 <billing@example.com> ', { name: '請求担当', address: 'billing@example.com' }],
  ])('%s', (from, expected) => {
    expect(parseSender(from)).toEqual(expected);
  });
});

describe('newMessageId', () => {
  it('is a random id in the domain of the sender', () => {
    const a = newMessageId('Billing <billing@Mail.Example.com>');
    const b = newMessageId('billing@mail.example.com');
    expect(a).toMatch(/^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@mail\.example\.com>$/);
    expect(b).toMatch(/@mail\.example\.com>$/);
    expect(a).not.toBe(b);
  });

  it('is accepted by composeMessage', () => {
    const messageId = newMessageId('usage-charges@localhost.localdomain');
    expect(composeMessage(MAIL, { ...ENVELOPE, messageId }, ZIP).messageId).toBe(messageId);
  });
});
