import { describe, expect, it } from 'vitest';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import { composeMessage, newMessageId, parseSender, type Envelope } from '../../../src/mail/compose.ts';
import { renderStatementMail } from '../../../src/mail/render.ts';
import { statementMail } from '../../helpers/mail.ts';

const MAIL = statementMail({ locale: 'en', displayName: 'Example Corp' });
const ENVELOPE: Envelope = { from: 'Billing Desk <billing@example.com>', to: 'contact@example.net', messageId: '<abc-123@example.com>' };
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
    expect(m.attachments).toEqual([{ filename: 'acme_202610.zip', content: ZIP.bytes, contentType: 'application/zip' }]);
    expect(m.headers).toEqual({ 'X-Usage-Charges-Tenant': 'acme', 'X-Usage-Charges-Month': '2026-10' });
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
    expect(code(() => composeMessage(MAIL, { ...ENVELOPE, from: 'Billing\r\nBcc: evil@example.com <billing@example.com>' }, ZIP))).toBe('E_MAIL_SENDER');
  });

  it('refuses a Message-ID that is not <id@domain>', () => {
    for (const messageId of ['abc@example.com', '<abc>', '<a b@example.com>', '<abc@example.com>\r\nBcc: x@example.com', '<a@b@c>']) {
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
