/** One statement mail as nodemailer message options: addresses checked, headers one line each. */
import { randomUUID } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { Options as MailOptions } from 'nodemailer/lib/mailer';
import { encodeWord } from 'nodemailer/lib/mime-funcs';
import * as z from 'zod';
import { UsageChargesError } from '../domain/errors.ts';
import { oneLine, renderStatementMail, type StatementMail } from './render.ts';

/** Who sends a mail, to whom, and under which Message-ID. */
export interface Envelope {
  /** MAIL_FROM: an address, or `Name <address>`. */
  from: string;
  /** One plain address. */
  to: string;
  /** `<...@...>` */
  messageId: string;
  /** MAIL_REPLY_TO: where replies go (an address, or `Name <address>`); null or absent: no Reply-To. */
  replyTo?: string | null;
}

/** The zip a mail carries. */
export interface MailAttachment {
  name: string;
  bytes: Buffer;
}

const EMAIL = z.email();
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
const MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+>$/;

function addressError(what: 'recipient' | 'sender' | 'reply-to', value: string): UsageChargesError {
  // A bad recipient is that delivery's problem; a bad sender (MAIL_FROM, MAIL_REPLY_TO) is the settings', the same for every message.
  return new UsageChargesError(
    what === 'recipient' ? 'E_MAIL_ADDRESS' : 'E_MAIL_SENDER',
    `${what} ${JSON.stringify(value)} is not one plain e-mail address`,
  );
}

/** A recipient: exactly one bare address (no name, no list), or E_MAIL_ADDRESS. */
function recipient(to: string): { name: string; address: string } {
  if (typeof to !== 'string' || CONTROL.test(to) || to.length > 254 || !EMAIL.safeParse(to).success)
    throw addressError('recipient', String(to));
  return { name: '', address: to };
}

/** MAIL_FROM (or MAIL_REPLY_TO) as an address object: `Name <address>` or a bare address, or E_MAIL_SENDER. */
export function parseSender(from: string, what: 'sender' | 'reply-to' = 'sender'): { name: string; address: string } {
  if (CONTROL.test(from)) throw addressError(what, from);
  const m = /^\s*([^<>]*?)\s*<([^<>]+)>\s*$/.exec(from);
  const address = (m ? m[2]! : from).trim();
  if (!EMAIL.safeParse(address).success) throw addressError(what, from);
  const name = m ? m[1]!.replace(/^"(.*)"$/, '$1') : '';
  return { name, address };
}

/** A new Message-ID in the sender's domain: `<uuid@domain>`. */
export function newMessageId(mailFrom: string): string {
  const { address } = parseSender(mailFrom);
  const domain = domainToASCII(address.slice(address.lastIndexOf('@') + 1));
  if (domain === '') throw addressError('sender', mailFrom);
  return `<${randomUUID()}@${domain}>`;
}

/**
 * A header text (the subject, the tenant header) as a value a mail client shows as it is. nodemailer passes a valid RFC 2047
 * encoded word through unchanged, so a tenant name written like one (`=?UTF-8?Q?...?=`) would be
 * decoded by the client into other text, a line break included; a subject holding `=?` is
 * therefore sent as encoded words of its own text (base64 UTF-8), which decode to exactly it.
 */
function literalText(subject: string): string {
  return subject.includes('=?') ? encodeWord(subject, 'B', 52) : subject;
}

/**
 * The nodemailer options of one statement mail: rendered subject, text and HTML, the zip under its
 * own name, and headers naming the tenant and month; `Auto-Submitted: auto-generated` (RFC 3834:
 * no vacation or out-of-office replies) and a Reply-To when one is configured. Addresses go in as
 * address objects so that no value can add a header or a recipient; the Date header is left to nodemailer.
 */
export function composeMessage(mail: StatementMail, envelope: Envelope, attachment: MailAttachment): MailOptions {
  const to = recipient(envelope.to);
  const from = parseSender(envelope.from);
  if (!MESSAGE_ID.test(envelope.messageId)) {
    throw new UsageChargesError(
      'E_MAIL_MESSAGE_ID',
      `Message-ID ${JSON.stringify(envelope.messageId)} is not <id@domain>`,
    );
  }
  if (attachment.name === '' || CONTROL.test(attachment.name) || /[/\\]/.test(attachment.name)) {
    throw new UsageChargesError(
      'E_MAIL_ATTACHMENT',
      `attachment name ${JSON.stringify(attachment.name)} is not a plain file name`,
    );
  }
  const replyTo =
    envelope.replyTo === undefined || envelope.replyTo === null ? null : parseSender(envelope.replyTo, 'reply-to');
  const { subject, text, html } = renderStatementMail(mail);
  return {
    from,
    to,
    ...(replyTo === null ? {} : { replyTo }),
    subject: literalText(subject),
    text,
    html,
    messageId: envelope.messageId,
    attachments: [{ filename: attachment.name, content: attachment.bytes, contentType: 'application/zip' }],
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Usage-Charges-Tenant': literalText(oneLine(mail.tenantName)),
      'X-Usage-Charges-Month': oneLine(mail.billingMonth),
    },
    // The content is in memory; nothing in a message may make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
