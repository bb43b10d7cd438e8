import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SETTINGS, loadConfig, mailSettingWarnings, redactUrl } from '../../src/config.ts';
import { ConfigError } from '../../src/domain/errors.ts';
import { tempDir } from '../helpers/store.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function cwd(envFile?: string): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  if (envFile !== undefined) fs.writeFileSync(path.join(t.dir, '.env'), envFile);
  return t.dir;
}

function configError(env: NodeJS.ProcessEnv, dir = cwd()): string {
  try {
    loadConfig({ env, cwd: dir });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has a default for every setting', () => {
    const dir = cwd();
    const c = loadConfig({ env: {}, cwd: dir });
    expect(c).toEqual({
      dataDir: path.join(dir, 'data/runtime'),
      databaseUrl: null,
      billingTimeZone: 'UTC',
      defaultCurrency: 'JPY',
      defaultLocale: 'ja',
      smtpUrl: null,
      mailFrom: 'usage-charges@localhost.localdomain',
      issuer: { name: '', address: '', contact: '', url: '', invoiceNumber: '' },
      logLevel: 'info',
      importMaxErrors: 100,
      ratingPreset: 'ror',
      roundingMode: 'half-up',
      taxEnabled: false,
      taxRates: [
        { from: '2014-04-01', percent: '8' },
        { from: '2019-10-01', percent: '10' },
      ],
      csvEncoding: 'auto',
      currencySymbols: {},
      retentionMonths: 24,
      reviewHold: false,
      reviewHoldHours: null,
      lockTtlSeconds: 120,
      mail: {
        replyTo: null,
        ehloName: 'localhost.localdomain',
        starttls: 'auto',
        poolSize: 5,
        rateLimit: 0,
        timeoutSeconds: 60,
        maxAttempts: 8,
        retryBaseSeconds: 60,
        caFile: null,
        dkim: null,
      },
      cronSchedule: '0 2 * * *',
      cronTimeZone: 'UTC',
      logFormat: 'auto',
      web: { host: '127.0.0.1', port: 8080, baseUrl: null, trustProxy: false },
    });
  });

  it('reads .env, and the environment wins over it', () => {
    const dir = cwd('BILLING_TZ=Asia/Tokyo\nDEFAULT_CURRENCY=USD\n');
    expect(loadConfig({ env: {}, cwd: dir }).billingTimeZone).toBe('Asia/Tokyo');
    const c = loadConfig({ env: { DEFAULT_CURRENCY: 'EUR' }, cwd: dir });
    expect(c.defaultCurrency).toBe('EUR');
    expect(c.billingTimeZone).toBe('Asia/Tokyo');
  });

  it('says which settings came from .env (to be logged at start), and none when there is no .env', () => {
    const dir = cwd('BILLING_TZ=Asia/Tokyo\nDEFAULT_CURRENCY=USD\n');
    expect(loadConfig({ env: { DEFAULT_CURRENCY: 'EUR' }, cwd: dir }).dotEnv).toEqual({
      file: path.join(dir, '.env'),
      settings: ['BILLING_TZ'],
    });
    expect(loadConfig({ env: { BILLING_TZ: 'UTC', DEFAULT_CURRENCY: 'EUR' }, cwd: dir }).dotEnv).toBeUndefined();
    expect(loadConfig({ env: {}, cwd: cwd() }).dotEnv).toBeUndefined();
  });

  it.each([
    [{ BILLING_TZ: 'Mars/Olympus' }, 'BILLING_TZ="Mars/Olympus" (from environment): is not an IANA time zone'],
    [{ DEFAULT_CURRENCY: 'yen' }, 'DEFAULT_CURRENCY="yen" (from environment): must be one of JPY, USD, EUR, SGD'],
    [{ DEFAULT_LOCALE: 'fr' }, 'DEFAULT_LOCALE="fr" (from environment): must be one of ja, en'],
    [
      { SMTP_URL: 'http://mail.example.com' },
      'SMTP_URL="http://mail.example.com/" (from environment): must be an smtp:// or smtps:// URL',
    ],
    [{ SMTP_URL: 'not a url' }, 'SMTP_URL="not a url" (from environment): must be an smtp:// or smtps:// URL'],
    [{ MAIL_FROM: 'billing' }, 'MAIL_FROM="billing" (from environment): must be an e-mail address'],
    [{ MAIL_FROM: 'a@example.com\r\nBcc: x@example.com' }, 'MAIL_FROM='],
    [
      { MAIL_FROM: 'Billing\t<billing@example.com>' },
      'MAIL_FROM="Billing\\t<billing@example.com>" (from environment): must be an e-mail address, optionally as "Name <address>"',
    ],
    [
      { MAIL_FROM: 'Bill\x7fing <billing@example.com>' },
      'MAIL_FROM="Bill\x7fing <billing@example.com>" (from environment): must be an e-mail address',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL="loud" (from environment): must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ IMPORT_MAX_ERRORS: '0' }, 'IMPORT_MAX_ERRORS="0" (from environment): must be a whole number from 1 to 999999'],
    [{ DATA_DIR: '' }, 'DATA_DIR="" (from environment): must not be empty'],
    [{ RATING_PRESET: 'aws' }, 'RATING_PRESET="aws" (from environment): must be ror or ecl'],
    [{ ROUNDING_MODE: 'banker' }, 'ROUNDING_MODE="banker" (from environment): must be half-up, up or down'],
    [{ TAX: 'yes' }, 'TAX="yes" (from environment): must be auto (on for ecl, off for ror), on or off'],
    [
      { TAX_RATES: '2019-10-01:10' },
      'TAX_RATES="2019-10-01:10" (from environment): "2019-10-01:10" is not DATE=PERCENT (for example 2019-10-01=10)',
    ],
    [
      { TAX_RATES: '2019-02-30=10' },
      'TAX_RATES="2019-02-30=10" (from environment): "2019-02-30=10" is not DATE=PERCENT',
    ],
    [
      { TAX_RATES: '2019-10-01=10,2019-10-01=8' },
      'TAX_RATES="2019-10-01=10,2019-10-01=8" (from environment): names one date twice',
    ],
    [{ CSV_ENCODING: 'sjis' }, 'CSV_ENCODING="sjis" (from environment): must be auto, utf8, utf8-bom or cp932'],
    [
      { CURRENCY_SYMBOLS: 'YEN=¥' },
      'CURRENCY_SYMBOLS="YEN=¥" (from environment): "YEN=¥" is not CURRENCY=SYMBOL (for example JPY=¥)',
    ],
    [
      { RETENTION_MONTHS: '12' },
      'RETENTION_MONTHS="12" (from environment): must be at least 24 (statements are kept 24 months)',
    ],
    [
      { LOCK_TTL_SECONDS: '9' },
      'LOCK_TTL_SECONDS="9" (from environment): must be at least 10 (the lease is renewed every third of it)',
    ],
    [{ LOCK_TTL_SECONDS: '2m' }, 'LOCK_TTL_SECONDS="2m" (from environment): must be a whole number of seconds'],
    [
      { ISSUER_INVOICE_NUMBER: '1234567890123' },
      'ISSUER_INVOICE_NUMBER="1234567890123" (from environment): must be the qualified-invoice registration number: T and 13 digits',
    ],
    [
      { ISSUER_INVOICE_NUMBER: 'T123456789012' },
      'ISSUER_INVOICE_NUMBER="T123456789012" (from environment): must be the qualified-invoice registration number: T and 13 digits',
    ],
    [
      { ISSUER_INVOICE_NUMBER: 'T12345678901234' },
      'ISSUER_INVOICE_NUMBER="T12345678901234" (from environment): must be the qualified-invoice registration number',
    ],
    [
      { ISSUER_INVOICE_NUMBER: 't1234567890123' },
      'ISSUER_INVOICE_NUMBER="t1234567890123" (from environment): must be the qualified-invoice registration number',
    ],
    [
      { ISSUER_INVOICE_NUMBER: 'Ｔ１２３４５６７８９０１２３' },
      'ISSUER_INVOICE_NUMBER="Ｔ１２３４５６７８９０１２３" (from environment): must be the qualified-invoice registration number',
    ],
    [
      { ISSUER_URL: 'example.com/support' },
      'ISSUER_URL="example.com/support" (from environment): must be an http:// or https:// URL, or empty',
    ],
    [{ WEB_PORT: '65536' }, 'WEB_PORT="65536" (from environment): must be from 0 to 65535'],
    [{ WEB_PORT: 'http' }, 'WEB_PORT="http" (from environment): must be a whole number'],
    [{ WEB_HOST: 'two words' }, 'WEB_HOST="two words" (from environment): must be an IP address'],
    [
      { WEB_BASE_URL: 'billing.example.com' },
      'WEB_BASE_URL="billing.example.com" (from environment): must be an http:// or https:// address',
    ],
    [
      { WEB_BASE_URL: 'https://billing.example.com/?a=1' },
      'WEB_BASE_URL="https://billing.example.com/?a=1" (from environment): must be an http:// or https:// address without a query',
    ],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY="yes" (from environment): must be off, or on behind a TLS proxy'],
    [
      { ISSUER_URL: 'javascript:alert(1)' },
      'ISSUER_URL="javascript:alert(1)" (from environment): must be an http:// or https:// URL',
    ],
    [
      { ISSUER_NAME: 'Example\nBcc: x@example.com' },
      'ISSUER_NAME="Example\\nBcc: x@example.com" (from environment): must be one line',
    ],
    [
      { ISSUER_ADDRESS: 'x'.repeat(301) },
      'ISSUER_ADDRESS="' + 'x'.repeat(301) + '" (from environment): must be at most 300 characters',
    ],
    [
      { MAIL_REPLY_TO: 'support' },
      'MAIL_REPLY_TO="support" (from environment): must be an e-mail address, optionally as "Name <address>", or empty for no Reply-To',
    ],
    [
      { SMTP_EHLO_NAME: '192.0.2.1' },
      'SMTP_EHLO_NAME="192.0.2.1" (from environment): must be a host name (for example mail.example.com), not an IP address',
    ],
    [{ SMTP_EHLO_NAME: '[192.0.2.1]' }, 'SMTP_EHLO_NAME="[192.0.2.1]" (from environment): must be a host name'],
    [
      { SMTP_EHLO_NAME: 'mail example.com' },
      'SMTP_EHLO_NAME="mail example.com" (from environment): must be a host name',
    ],
  ])('refuses %j with a message naming the setting', (env, message) => {
    expect(configError(env)).toContain(`configuration: ${message}`);
  });

  it('names .env as the source of a bad value found there', () => {
    expect(configError({}, cwd('BILLING_TZ=Nowhere\n'))).toContain('BILLING_TZ="Nowhere" (from .env)');
  });

  it.each([[{ LOCK_TTL_SECONDS: '2m' }], [{ RETENTION_MONTHS: 'two years' }], [{ SMTP_POOL_SIZE: 'four' }]])(
    'names one problem, not two, for a value that is not a number: %j',
    (env) => {
      expect(configError(env).split('\n')).toHaveLength(1);
    },
  );

  it('lists every bad value at once', () => {
    const message = configError({ BILLING_TZ: 'x', LOG_LEVEL: 'y' });
    expect(message.split('\n')).toHaveLength(2);
  });

  it('never shows the SMTP password in a message', () => {
    const message = configError({ SMTP_URL: 'smtp://user:s3cret@', LOG_LEVEL: 'loud' });
    expect(message).not.toContain('s3cret');
    expect(redactUrl('smtps://user:s3cret@mail.example.com:465')).toBe('smtps://user:***@mail.example.com:465');
  });

  it('hides everything between the scheme and the last @ of a value that is not a URL', () => {
    // A "/" in the password makes the value no URL at all (the host would be "user:pa").
    const redacted = redactUrl('smtp://user:pa/ss@host');
    expect(redacted).toBe('smtp://***@host');
    expect(redacted).not.toContain('pa/ss');
    expect(redactUrl('smtp://us@er:pa/ss@host:25')).toBe('smtp://***@host:25');
    expect(configError({ SMTP_URL: 'smtp://user:pa/ss@host' })).not.toContain('pa/ss');
    // Without `//` a value parses as a URL with no host: it is hidden the same way.
    expect(redactUrl('mailer:s3cret@mail.example.com:587')).toBe('mailer:***@mail.example.com:587');
    expect(redactUrl('smtp:mailer:s3cret@host')).toBe('smtp:***@host');
    expect(configError({ SMTP_URL: 'mailer:s3cret@mail.example.com:587' })).not.toContain('s3cret');
  });

  it('takes DATABASE_URL as a postgres:// URL, and never shows its password', () => {
    const url = 'postgres://usage:s3cret@db.example.com:5432/usage_charges';
    expect(loadConfig({ env: { DATABASE_URL: url }, cwd: cwd() }).databaseUrl).toBe(url);
    const socket = 'postgresql:///usage_charges?host=/run/postgresql';
    expect(loadConfig({ env: { DATABASE_URL: socket }, cwd: cwd() }).databaseUrl).toBe(socket);
    const message = configError({ DATABASE_URL: 'mysql://usage:s3cret@db.example.com/usage' });
    expect(message).toContain('DATABASE_URL="mysql://usage:***@db.example.com/usage" (from environment)');
    expect(message).toContain('must be a postgres:// or postgresql:// URL');
    expect(message).not.toContain('s3cret');
  });

  it('refuses a MAIL_FROM with a line separator the mail composer would refuse', () => {
    expect(configError({ MAIL_FROM: 'Billing\u2028<billing@example.com>' })).toContain('MAIL_FROM');
  });

  it('turns tax on by default for the ecl preset only, and sorts the tax rates', () => {
    expect(loadConfig({ env: { RATING_PRESET: 'ecl' }, cwd: cwd() }).taxEnabled).toBe(true);
    expect(loadConfig({ env: { RATING_PRESET: 'ror', TAX: 'on' }, cwd: cwd() }).taxEnabled).toBe(true);
    expect(loadConfig({ env: { RATING_PRESET: 'ecl', TAX: 'off' }, cwd: cwd() }).taxEnabled).toBe(false);
    expect(loadConfig({ env: { TAX_RATES: '2019-10-01=10, 1997-04-01=5' }, cwd: cwd() }).taxRates).toEqual([
      { from: '1997-04-01', percent: '5' },
      { from: '2019-10-01', percent: '10' },
    ]);
  });

  it('accepts the forms a server uses', () => {
    const c = loadConfig({
      env: {
        SMTP_URL: 'smtps://user:pw@mail.example.com:465',
        MAIL_FROM: 'Billing <billing@example.com>',
        BILLING_TZ: 'Asia/Tokyo',
      },
      cwd: cwd(),
    });
    expect(c.smtpUrl).toBe('smtps://user:pw@mail.example.com:465');
    expect(c.mailFrom).toBe('Billing <billing@example.com>');
  });

  it('reads the issuer, the Reply-To and the EHLO name', () => {
    const c = loadConfig({
      env: {
        ISSUER_NAME: ' 株式会社サンプルクラウド ',
        ISSUER_ADDRESS: '〒100-0005 東京都千代田区丸の内1-1-1',
        ISSUER_CONTACT: 'support@example.co.jp / 03-1234-5678',
        ISSUER_URL: 'https://example.co.jp/support',
        ISSUER_INVOICE_NUMBER: 'T1234567890123',
        MAIL_REPLY_TO: 'Support <support@example.co.jp>',
        SMTP_EHLO_NAME: 'mta1.example.co.jp',
      },
      cwd: cwd(),
    });
    expect(c.issuer).toEqual({
      name: '株式会社サンプルクラウド',
      address: '〒100-0005 東京都千代田区丸の内1-1-1',
      contact: 'support@example.co.jp / 03-1234-5678',
      url: 'https://example.co.jp/support',
      invoiceNumber: 'T1234567890123',
    });
    expect(c.mail.replyTo).toBe('Support <support@example.co.jp>');
    expect(c.mail.ehloName).toBe('mta1.example.co.jp');
  });

  it('says the EHLO name is the domain of MAIL_FROM unless SMTP_EHLO_NAME is set', () => {
    expect(loadConfig({ env: { MAIL_FROM: 'Billing <billing@Example.COM>' }, cwd: cwd() }).mail.ehloName).toBe(
      'example.com',
    );
  });

  it('warns when a mail server is set and MAIL_FROM is the default, or no issuer is named', () => {
    const smtp = { SMTP_URL: 'smtp://127.0.0.1:25' };
    const warnings = mailSettingWarnings(loadConfig({ env: smtp, cwd: cwd() }));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(
      'MAIL_FROM is still the default (usage-charges@localhost.localdomain) while SMTP_URL is set',
    );
    expect(warnings[1]).toContain('ISSUER_NAME is not set');
    expect(
      mailSettingWarnings(
        loadConfig({ env: { ...smtp, MAIL_FROM: 'billing@example.com', ISSUER_NAME: 'Example' }, cwd: cwd() }),
      ),
    ).toEqual([]);
    // No mail server: mails are written as .eml files, nothing goes to a tenant yet.
    expect(mailSettingWarnings(loadConfig({ env: {}, cwd: cwd() }))).toEqual([]);
  });

  it('documents every setting in .env.example and the README', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const [name, fallback] of Object.entries(SETTINGS)) {
      expect(example).toMatch(new RegExp(`^#? ?${name}=${fallback.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
      expect(readme).toContain(`\`${name}\``);
    }
  });
});

describe('web settings', () => {
  it('reads the address, port, base URL (without a trailing slash) and the proxy setting', () => {
    const c = loadConfig({
      env: { WEB_HOST: '::1', WEB_PORT: '0', WEB_BASE_URL: 'https://billing.example.com/', TRUST_PROXY: 'on' },
      cwd: cwd(),
    });
    expect(c.web).toEqual({ host: '::1', port: 0, baseUrl: 'https://billing.example.com', trustProxy: true });
  });
});
