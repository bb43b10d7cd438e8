/** Where statement mails go: a pooled SMTP connection, or `.eml` files in the data dir's outbox. */
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Options as MailOptions } from 'nodemailer/lib/mailer';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import { redactUrl, type Config } from '../config.ts';
import { writeFileAtomic } from '../archive/zip.ts';
import { ConfigError, UsageChargesError } from '../domain/errors.ts';

export type { MailOptions };

/** What a transport said about one accepted message. */
export interface SendResult {
  /** The server's final reply, or `written <path>` for an `.eml` file. */
  response: string;
  /** The `.eml` file written (absolute path), in file mode. */
  file?: string;
}

/** Sends composed messages; one per process, closed at the end. */
/** What it means that a mailer cannot be used: for people and the log. */
export function mailerUnusable(mailer: Pick<Mailer, 'kind'>): string {
  return mailer.kind === 'smtp' ? 'the mail server is unusable' : 'the outbox cannot be written';
}

export interface Mailer {
  readonly kind: 'smtp' | 'eml';
  /** where mails go, safe to print (password redacted) */
  readonly target: string;
  /** Sends one message; rejects with nodemailer's error (see classifySendError). */
  send(message: MailOptions): Promise<SendResult>;
  /** Checks that mails can go out now: the SMTP server greets and accepts the login, or the outbox is writable. */
  verify(): Promise<void>;
  /** Closes pooled connections; a message still queued fails. */
  close(): void;
}

/** The folder of `.eml` files under the data dir. */
export const OUTBOX_DIR = 'outbox';

interface DkimOption {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

function readDkim(config: Config): DkimOption | undefined {
  const dkim = config.mail.dkim;
  if (dkim === null) return undefined;
  let privateKey: string;
  try {
    privateKey = fs.readFileSync(dkim.privateKeyFile, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `configuration: DKIM_PRIVATE_KEY_FILE=${JSON.stringify(dkim.privateKeyFile)}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new ConfigError(
      `configuration: DKIM_PRIVATE_KEY_FILE=${JSON.stringify(dkim.privateKeyFile)}: is not a PEM private key`,
    );
  }
  return { domainName: dkim.domainName, keySelector: dkim.keySelector, privateKey };
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `configuration: SMTP_CA_FILE=${JSON.stringify(file)}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(`configuration: SMTP_CA_FILE=${JSON.stringify(file)}: holds no PEM certificate`);
  return pem;
}

function credentials(url: URL): { user: string; pass: string } {
  try {
    return { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
  } catch {
    throw new ConfigError(
      'configuration: SMTP_URL: the user or password has a bad %-escape (write special characters as %XX)',
    );
  }
}

/**
 * The pool options of an SMTP URL and the mail settings. The URL is taken apart here rather than
 * handed to nodemailer, so that its query string cannot switch on options nobody configured.
 */
export function smtpOptions(config: Config, smtpUrl: string): SMTPPoolOptions {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const timeout = config.mail.timeoutSeconds * 1000;
  const options: SMTPPoolOptions = {
    pool: true,
    maxConnections: config.mail.poolSize,
    maxMessages: 100,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    // The EHLO name: nodemailer's default is this machine's host name, or an IP literal when it has no dot, which many servers score as spam.
    ...(config.mail.ehloName === '' ? {} : { name: config.mail.ehloName }),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    // A second longer than the greeting's: a server that never greets ends on the greeting timeout
    // (a session failure, no attempt counted), never on the idle timer, which would count one.
    socketTimeout: timeout + 1000,
    dnsTimeout: timeout,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (!secure && config.mail.starttls === 'require') options.requireTLS = true;
  if (!secure && config.mail.starttls === 'off') options.ignoreTLS = true;
  if (config.mail.rateLimit > 0) {
    options.rateDelta = 1000;
    options.rateLimit = config.mail.rateLimit;
  }
  if (url.username !== '') options.auth = credentials(url);
  if (config.mail.caFile !== null) options.tls = { ca: [readCa(config.mail.caFile)] };
  const dkim = readDkim(config);
  if (dkim) options.dkim = dkim;
  return options;
}

function smtpMailer(config: Config, smtpUrl: string): Mailer {
  const transporter = nodemailer.createTransport({ ...smtpOptions(config, smtpUrl), pool: true });
  return {
    kind: 'smtp',
    target: redactUrl(smtpUrl),
    async send(message) {
      const info = await transporter.sendMail(message);
      return { response: info.response };
    },
    async verify() {
      await transporter.verify();
    },
    close() {
      transporter.close();
    },
  };
}

/** The file name of a Message-ID: `<abc@host>` -> `abc@host.eml`; the same ID always gives the same name. */
export function emlFileName(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  const safe = bare
    .replace(/[^A-Za-z0-9._@+=-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 200);
  if (safe === '')
    throw new UsageChargesError('E_MAIL_MESSAGE_ID', `Message-ID ${JSON.stringify(messageId)} gives no file name`);
  return `${safe}.eml`;
}

function emlMailer(config: Config): Mailer {
  const outbox = path.join(config.dataDir, OUTBOX_DIR);
  const dkim = readDkim(config);
  const transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(dkim ? { dkim } : {}),
  });
  return {
    kind: 'eml',
    target: outbox,
    async send(message) {
      if (!message.messageId)
        throw new UsageChargesError(
          'E_MAIL_MESSAGE_ID',
          'a message written to the outbox needs a Message-ID (a resend must replace the same file)',
        );
      const info = await transporter.sendMail(message);
      const file = path.join(outbox, emlFileName(info.messageId));
      await mkdir(outbox, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, info.message as Buffer, 'eml-write');
      return { response: `written ${path.relative(config.dataDir, file).split(path.sep).join('/')}`, file };
    },
    async verify() {
      await mkdir(outbox, { recursive: true, mode: 0o700 });
      await access(outbox, fs.constants.W_OK);
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * The mailer the configuration asks for: SMTP when SMTP_URL is set, else `.eml` files under
 * DATA_DIR/outbox. Key and CA files are read here, once; an unreadable one is a ConfigError.
 */
export function createMailer(config: Config): Mailer {
  return config.smtpUrl === null ? emlMailer(config) : smtpMailer(config, config.smtpUrl);
}
