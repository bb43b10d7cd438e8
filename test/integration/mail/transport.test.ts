import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config.ts';
import { buildZip } from '../../../src/archive/zip.ts';
import { ConfigError } from '../../../src/domain/errors.ts';
import { classifySendError, type SendFailure } from '../../../src/mail/classify.ts';
import { composeMessage, newMessageId, type Envelope } from '../../../src/mail/compose.ts';
import { createMailer, emlFileName, smtpOptions, type Mailer } from '../../../src/mail/transport.ts';
import { afterTest, endTest, smtpServer } from '../../helpers/demo-store.ts';
import { statementMail } from '../../helpers/mail.ts';

const MAIL_FROM = 'Billing Desk <billing@example.com>';
const RECIPIENT = 'contact@example.net';

afterEach(endTest);

function tempFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uc-mail-'));
  afterTest(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function config(env: Record<string, string> = {}): Config {
  const dir = tempFolder();
  return loadConfig({
    env: { DATA_DIR: path.join(dir, 'data'), MAIL_FROM, SMTP_TIMEOUT_SECONDS: '5', ...env },
    cwd: dir,
  });
}

function mailer(cfg: Config): Mailer {
  const m = createMailer(cfg);
  afterTest(() => m.close());
  return m;
}

/** A test SMTP server, closed when the test ends. */
const server = smtpServer;

const STATEMENT = statementMail();

let zipBytes: Buffer | undefined;
async function zip(): Promise<{ name: string; bytes: Buffer }> {
  zipBytes ??= buildZip(
    [{ name: 'acme_202610_list.csv', bytes: Buffer.from('a,b\r\n1,2\r\n') }],
    new Date('2026-11-01T00:00:00Z'),
  );
  return { name: 'acme_202610.zip', bytes: zipBytes };
}

function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return { from: MAIL_FROM, to: RECIPIENT, messageId: newMessageId(MAIL_FROM), ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<SendFailure> {
  try {
    await promise;
  } catch (err) {
    return classifySendError(err);
  }
  throw new Error('expected the send to fail');
}

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('SMTP mailer', () => {
  it('delivers the composed message with its attachment byte for byte', async () => {
    const s = await server();
    const m = mailer(config({ SMTP_URL: s.url }));
    expect(m.kind).toBe('smtp');
    expect(m.target).toBe(s.url);
    await m.verify();
    const env = envelope();
    const message = composeMessage(STATEMENT, env, await zip());
    const result = await m.send(message);
    expect(result.response).toMatch(/^250 /);
    expect(result.file).toBeUndefined();

    expect(s.messages).toHaveLength(1);
    const { parsed, envelope: smtpEnvelope, raw } = s.messages[0]!;
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
    expect(parsed.from?.value).toEqual([{ name: 'Billing Desk', address: 'billing@example.com' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([{ name: '', address: RECIPIENT }]);
    expect(parsed.messageId).toBe(env.messageId);
    expect(parsed.date).toBeInstanceOf(Date);
    expect(parsed.text).toContain('12,345円');
    expect(parsed.html).toContain('12,345円');
    expect(parsed.headers.get('x-usage-charges-tenant')).toBe('acme');
    expect(parsed.headers.get('x-usage-charges-month')).toBe('2026-10');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('acme_202610.zip');
    expect(parsed.attachments[0]!.contentType).toBe('application/zip');
    expect(Buffer.compare(parsed.attachments[0]!.content, (await zip()).bytes)).toBe(0);
    expect(smtpEnvelope).toEqual({ mailFrom: 'billing@example.com', rcptTo: [RECIPIENT] });
    expect(raw.toString('latin1')).not.toMatch(/^X-Mailer:/im);
  });

  it('gives the domain of MAIL_FROM in EHLO, marks the mail auto-generated and sets no Reply-To by default', async () => {
    const s = await server();
    const m = mailer(config({ SMTP_URL: s.url }));
    await m.send(composeMessage(STATEMENT, envelope(), await zip()));
    expect(s.ehloNames).toEqual(['example.com']);
    const { parsed } = s.messages[0]!;
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.replyTo).toBeUndefined();
  });

  it('gives SMTP_EHLO_NAME in EHLO and sends MAIL_REPLY_TO as the Reply-To', async () => {
    const s = await server();
    const cfg = config({
      SMTP_URL: s.url,
      SMTP_EHLO_NAME: 'mta1.example.com',
      MAIL_REPLY_TO: 'Billing Support <support@example.com>',
    });
    const m = mailer(cfg);
    await m.send(composeMessage(STATEMENT, envelope({ replyTo: cfg.mail.replyTo }), await zip()));
    expect(s.ehloNames).toEqual(['mta1.example.com']);
    const { parsed, envelope: smtpEnvelope } = s.messages[0]!;
    expect(parsed.replyTo?.value).toEqual([{ name: 'Billing Support', address: 'support@example.com' }]);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    // Replies go to the desk; the envelope sender stays MAIL_FROM's.
    expect(smtpEnvelope.mailFrom).toBe('billing@example.com');
  });

  it('lets no display or tenant name add a header or a recipient', async () => {
    const s = await server();
    const m = mailer(config({ SMTP_URL: s.url }));
    const evil = {
      ...STATEMENT,
      locale: 'en' as const,
      displayName: 'Evil Corp\r\nBcc: evil@example.com',
      tenantName: 'acme\r\nBcc: evil2@example.com\r\n',
    };
    await m.send(composeMessage(evil, envelope(), await zip()));
    const { parsed, envelope: smtpEnvelope, raw } = s.messages[0]!;
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.bcc).toBeUndefined();
    expect(raw.toString('latin1')).not.toMatch(/^Bcc:/im);
    expect(smtpEnvelope.rcptTo).toEqual([RECIPIENT]);
    expect(parsed.subject).toBe('Usage charges for October 2026 - Evil Corp Bcc: evil@example.com');
    expect(parsed.headers.get('x-usage-charges-tenant')).toBe('acme Bcc: evil2@example.com');
  });

  it('reads a 550 to RCPT as permanent, and keeps sending to others', async () => {
    const s = await server({
      rcptReplies: { 'gone@example.net': { code: 550, message: '5.1.1 mailbox unavailable' } },
    });
    const m = mailer(config({ SMTP_URL: s.url }));
    const f = await failure(m.send(composeMessage(STATEMENT, envelope({ to: 'gone@example.net' }), await zip())));
    expect(f).toMatchObject({ permanent: true, serverDown: false, response: '550 5.1.1 mailbox unavailable' });
    expect(f.reason).toContain('550');
    await m.send(composeMessage(STATEMENT, envelope(), await zip()));
    expect(s.messages.map((x) => x.envelope.rcptTo)).toEqual([[RECIPIENT]]);
  });

  it('reads a 451 as transient', async () => {
    const s = await server({ rcptReplies: { [RECIPIENT]: { code: 451, message: '4.3.0 try again later' } } });
    const m = mailer(config({ SMTP_URL: s.url }));
    const f = await failure(m.send(composeMessage(STATEMENT, envelope(), await zip())));
    expect(f).toMatchObject({ permanent: false, serverDown: false });
    expect(f.reason).toContain('451');
  });

  it('reads a 554 to DATA as permanent', async () => {
    const s = await server({ dataReply: { code: 554, message: '5.6.0 content refused' } });
    const m = mailer(config({ SMTP_URL: s.url }));
    const f = await failure(m.send(composeMessage(STATEMENT, envelope(), await zip())));
    expect(f).toMatchObject({ permanent: true, serverDown: false });
    expect(f.reason).toContain('554');
  });

  it('reads a closed port as transient with the server down', async () => {
    const port = await closedPort();
    const m = mailer(config({ SMTP_URL: `smtp://127.0.0.1:${port}` }));
    const f = await failure(m.send(composeMessage(STATEMENT, envelope(), await zip())));
    expect(f).toMatchObject({ permanent: false, serverDown: true, response: null });
    expect(f.reason).toBe(`connection refused by 127.0.0.1:${port}`);
    await expect(m.verify()).rejects.toThrow();
  });

  it('reads a refused greeting as transient with the server down, then sends on a new connection', async () => {
    const s = await server({ rejectConnections: 1 });
    const m = mailer(config({ SMTP_URL: s.url }));
    const f = await failure(m.send(composeMessage(STATEMENT, envelope(), await zip())));
    expect(f).toMatchObject({ permanent: false, serverDown: true });
    await m.send(composeMessage(STATEMENT, envelope(), await zip()));
    expect(s.messages).toHaveLength(1);
    expect(s.connections).toBe(2);
  });

  it('reads a refused session (greeting 554, sender 553, no STARTTLS when required) as transient with the server down', async () => {
    const blocked = await server({
      rejectConnections: 1,
      rejectReply: { code: 554, message: '5.7.1 client host blocked' },
    });
    let f = await failure(
      mailer(config({ SMTP_URL: blocked.url })).send(composeMessage(STATEMENT, envelope(), await zip())),
    );
    expect(f).toMatchObject({ permanent: false, serverDown: true });
    expect(f.reason).toContain('554');

    const sender = await server({ mailFromReply: { code: 553, message: '5.7.1 sender not owned by user' } });
    f = await failure(
      mailer(config({ SMTP_URL: sender.url })).send(composeMessage(STATEMENT, envelope(), await zip())),
    );
    expect(f).toMatchObject({ permanent: false, serverDown: true });
    expect(f.reason).toContain('MAIL_FROM');

    const plain = await server();
    f = await failure(
      mailer(config({ SMTP_URL: plain.url, SMTP_STARTTLS: 'require' })).send(
        composeMessage(STATEMENT, envelope(), await zip()),
      ),
    );
    expect(f).toMatchObject({ permanent: false, serverDown: true });
    expect(f.reason).toContain('SMTP_STARTTLS');
    expect(plain.messages).toHaveLength(0);
  });

  it('logs in with the user and password of the URL (URL-decoded) and never shows the password', async () => {
    const pass = 'p@ss:w/rd %';
    const s = await server({ auth: { user: 'mailer@example.com', pass } });
    const m = mailer(config({ SMTP_URL: s.url }));
    expect(m.target).toBe(`smtp://mailer%40example.com:***@127.0.0.1:${s.port}`);
    await m.send(composeMessage(STATEMENT, envelope(), await zip()));
    expect(s.logins).toEqual(['mailer@example.com']);
    expect(s.messages).toHaveLength(1);
  });

  it('reads a refused login as transient with the server down', async () => {
    const s = await server({ auth: { user: 'mailer', pass: 'right-secret' } });
    const m = mailer(config({ SMTP_URL: `smtp://mailer:wrong-secret@127.0.0.1:${s.port}` }));
    const f = await failure(m.send(composeMessage(STATEMENT, envelope(), await zip())));
    expect(f).toMatchObject({ permanent: false, serverDown: true });
    expect(f.reason).toContain('535');
    expect(f.reason).not.toContain('wrong-secret');
    expect(s.messages).toHaveLength(0);
  });

  it('signs with DKIM when configured', async () => {
    const s = await server();
    const keyFile = dkimKey();
    const m = mailer(
      config({ SMTP_URL: s.url, DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 'uc2026', DKIM_PRIVATE_KEY_FILE: keyFile }),
    );
    await m.send(composeMessage(STATEMENT, envelope(), await zip()));
    const signature = dkimSignature(s.messages[0]!.parsed);
    expect(signature).toMatch(/(^|[;\s])d=example\.com;/);
    expect(signature).toMatch(/(^|[;\s])s=uc2026;/);
  });

  it('refuses key and CA files it cannot read, naming the setting', () => {
    const dir = tempFolder();
    expect(() =>
      createMailer(config({ SMTP_URL: 'smtp://127.0.0.1:25', SMTP_CA_FILE: path.join(dir, 'missing-ca.pem') })),
    ).toThrow(/SMTP_CA_FILE/);
    expect(() =>
      createMailer(
        config({
          SMTP_URL: 'smtp://127.0.0.1:25',
          DKIM_DOMAIN: 'example.com',
          DKIM_SELECTOR: 's1',
          DKIM_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem'),
        }),
      ),
    ).toThrow(/DKIM_PRIVATE_KEY_FILE/);
    fs.writeFileSync(path.join(dir, 'junk.pem'), 'not a key');
    expect(() =>
      createMailer(
        config({ DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_FILE: path.join(dir, 'junk.pem') }),
      ),
    ).toThrow(ConfigError);
  });
});

/** The DKIM-Signature header as written (mailparser parses it into an object). */
function dkimSignature(parsed: ParsedMail): string {
  const lines = parsed.headerLines.filter((h) => h.key === 'dkim-signature');
  expect(lines).toHaveLength(1);
  return lines[0]!.line.replace(/\r?\n[ \t]+/g, ' ');
}

function dkimKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const file = path.join(tempFolder(), 'dkim.pem');
  fs.writeFileSync(file, privateKey, { mode: 0o600 });
  return file;
}

describe('.eml mailer (no SMTP_URL)', () => {
  it('writes outbox/<Message-ID>.eml (0600) that reads back as the same message', async () => {
    const cfg = config();
    const m = mailer(cfg);
    expect(m.kind).toBe('eml');
    expect(m.target).toBe(path.join(cfg.dataDir, 'outbox'));
    const env = envelope({ messageId: '<3f2c-uuid@example.com>' });
    const message = composeMessage(STATEMENT, env, await zip());
    const result = await m.send(message);
    const file = path.join(cfg.dataDir, 'outbox', '3f2c-uuid@example.com.eml');
    expect(result).toEqual({ response: 'written outbox/3f2c-uuid@example.com.eml', file });
    if (process.platform !== 'win32') {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    }
    const raw = fs.readFileSync(file);
    expect(raw.toString('latin1')).toContain('\r\n');
    expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.messageId).toBe(env.messageId);
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('acme_202610.zip');
    expect(Buffer.compare(parsed.attachments[0]!.content, (await zip()).bytes)).toBe(0);
  });

  it('writes a message sent again with the same Message-ID over the same file', async () => {
    const cfg = config();
    const m = mailer(cfg);
    const env = envelope();
    await m.send(composeMessage(STATEMENT, env, await zip()));
    await m.send(composeMessage({ ...STATEMENT, kind: 'resend' }, env, await zip()));
    const files = fs.readdirSync(path.join(cfg.dataDir, 'outbox'));
    expect(files).toEqual([`${env.messageId.slice(1, -1)}.eml`]);
    const parsed = await simpleParser(fs.readFileSync(path.join(cfg.dataDir, 'outbox', files[0]!)));
    expect(parsed.subject).toMatch(/^\[再送\] /);
  });

  it('checks that the outbox can be written', async () => {
    const cfg = config();
    await mailer(cfg).verify();
    expect(fs.statSync(path.join(cfg.dataDir, 'outbox')).isDirectory()).toBe(true);
  });

  it('signs with DKIM when configured', async () => {
    const cfg = config({ DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 'uc2026', DKIM_PRIVATE_KEY_FILE: dkimKey() });
    const result = await mailer(cfg).send(composeMessage(STATEMENT, envelope(), await zip()));
    const parsed = await simpleParser(fs.readFileSync(result.file!));
    const signature = dkimSignature(parsed);
    expect(signature).toMatch(/(^|[;\s])d=example\.com;/);
    expect(signature).toMatch(/(^|[;\s])s=uc2026;/);
  });

  it('reads a file write error as transient with the outbox down', async () => {
    const cfg = config();
    fs.mkdirSync(path.dirname(path.join(cfg.dataDir, 'outbox')), { recursive: true });
    fs.writeFileSync(path.join(cfg.dataDir, 'outbox'), 'a file where the folder should be');
    const f = await failure(mailer(cfg).send(composeMessage(STATEMENT, envelope(), await zip())));
    expect(f).toMatchObject({ permanent: false, serverDown: true, response: null });
  });
});

describe('smtpOptions', () => {
  it('takes the URL apart and applies the mail settings', () => {
    const cfg = config({
      SMTP_URL: 'smtp://mail.example.com',
      SMTP_POOL_SIZE: '3',
      SMTP_RATE_LIMIT: '10',
      SMTP_TIMEOUT_SECONDS: '20',
    });
    expect(smtpOptions(cfg, cfg.smtpUrl!)).toMatchObject({
      pool: true,
      maxConnections: 3,
      maxMessages: 100,
      rateDelta: 1000,
      rateLimit: 10,
      host: 'mail.example.com',
      port: 587,
      secure: false,
      connectionTimeout: 20_000,
      greetingTimeout: 20_000,
      socketTimeout: 21_000,
      logger: false,
      debug: false,
    });
    const plain = smtpOptions(cfg, cfg.smtpUrl!);
    expect(plain.auth).toBeUndefined();
    expect(plain.requireTLS).toBeUndefined();
    expect(plain.ignoreTLS).toBeUndefined();
  });

  it('reads smtps://, credentials and STARTTLS modes', () => {
    const cfg = config({ SMTP_URL: 'smtps://us%3Aer:p%40ss%2Fw@[::1]?ignoreTLS=true', SMTP_RATE_LIMIT: '0' });
    const o = smtpOptions(cfg, cfg.smtpUrl!);
    expect(o).toMatchObject({ host: '::1', port: 465, secure: true, auth: { user: 'us:er', pass: 'p@ss/w' } });
    expect(o.ignoreTLS).toBeUndefined();
    expect(o.rateLimit).toBeUndefined();
    const req = config({ SMTP_URL: 'smtp://mail.example.com:2525', SMTP_STARTTLS: 'require' });
    expect(smtpOptions(req, req.smtpUrl!)).toMatchObject({ port: 2525, requireTLS: true });
    const off = config({ SMTP_URL: 'smtp://mail.example.com:25', SMTP_STARTTLS: 'off' });
    expect(smtpOptions(off, off.smtpUrl!)).toMatchObject({ port: 25, ignoreTLS: true });
  });

  it('reads the CA file once', () => {
    const file = path.join(tempFolder(), 'ca.pem');
    fs.writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const cfg = config({ SMTP_URL: 'smtp://mail.example.com', SMTP_CA_FILE: file });
    expect(smtpOptions(cfg, cfg.smtpUrl!).tls).toEqual({ ca: [fs.readFileSync(file, 'utf8')] });
  });
});

describe('emlFileName', () => {
  it.each([
    ['<abc@host>', 'abc@host.eml'],
    ['<3f2c-uuid@mail.example.com>', '3f2c-uuid@mail.example.com.eml'],
    ['<../../etc/passwd@x>', '__.._etc_passwd@x.eml'],
    ['<a/b\\c:d@x>', 'a_b_c_d@x.eml'],
  ])('%s -> %s', (id, name) => {
    expect(emlFileName(id)).toBe(name);
  });
});
