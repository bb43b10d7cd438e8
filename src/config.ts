/** Configuration: the environment (and an optional `.env` file), validated once at start. */
import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { createRequire } from 'node:module';
// zod/mini: the same checks as zod's classic API, a fraction of its start-up cost (every verb loads the configuration).
import * as z from 'zod/mini';
import { ConfigError } from './domain/errors.ts';
import { CURRENCIES, LOCALES, type Currency, type Locale } from './domain/vocabulary.ts';
import { parseDate } from './domain/instant.ts';
import { ROUNDING_MODES, type RoundingMode } from './domain/money.ts';
import { byText } from './domain/text.ts';
import { RATING_PRESETS, type RatingPreset } from './rating/types.ts';

/** The typed, validated settings every part of the program reads. */
export interface Config {
  dataDir: string;
  /** DATABASE_URL: the PostgreSQL database of the store (a postgres:// URL); null: the SQLite file under DATA_DIR. */
  databaseUrl: string | null;
  billingTimeZone: string;
  defaultCurrency: Currency;
  defaultLocale: Locale;
  smtpUrl: string | null;
  mailFrom: string;
  /** Who issues the statements, shown in every mail; '' where not set. */
  issuer: Issuer;
  logLevel: LogLevel;
  importMaxErrors: number;
  ratingPreset: RatingPreset;
  roundingMode: RoundingMode;
  taxEnabled: boolean;
  /** Consumption-tax rates by the date (in the billing time zone) from which each applies, oldest first. */
  taxRates: { from: string; percent: string }[];
  /** The encoding of statement files for tenants without their own `csv_encoding`; `auto`: by locale (cp932 for ja, utf8-bom otherwise). */
  csvEncoding: 'auto' | 'utf8' | 'utf8-bom' | 'cp932';
  /** Currency symbols that replace the defaults (JPY `\`, USD `$`, EUR `€`, SGD `S$`). */
  currencySymbols: Partial<Record<Currency, string>>;
  /** Months of archived zips kept (at least 24); older zips are deleted, their statements kept. */
  retentionMonths: number;
  /** REVIEW_HOLD: every statement the close finalizes waits for `release` before its mails go. */
  reviewHold: boolean;
  /** REVIEW_HOLD_HOURS: a statement held for review is released by the pass after this many hours; null: only by `release`. */
  reviewHoldHours: number | null;
  /** Seconds the month-end lease holds without a heartbeat (at least 10); a dead holder's lease is taken over after it. */
  lockTtlSeconds: number;
  mail: MailSettings;
  /** node-cron expression of the nightly pass. */
  cronSchedule: string;
  /** Time zone the cron expression is read in (the billing time zone unless set). */
  cronTimeZone: string;
  /** `json` lines, or `pretty` (readable); `auto` is pretty on a terminal, else json. */
  logFormat: 'auto' | 'json' | 'pretty';
  web: WebSettings;
  /** The `.env` file of the working directory and the settings taken from it (the environment did not set them), when any. */
  dotEnv?: { file: string; settings: string[] };
}

/** The web server (`usage-charges serve`). */
export interface WebSettings {
  /** WEB_HOST: the address it listens on (127.0.0.1: this machine only). */
  host: string;
  /** WEB_PORT: its port (0: any free port, printed at start). */
  port: number;
  /** WEB_BASE_URL: the address people reach it at, for links in mails (no trailing slash); null: http://WEB_HOST:WEB_PORT. */
  baseUrl: string | null;
  /** TRUST_PROXY: it runs behind a TLS proxy, whose X-Forwarded-* headers it believes (and cookies are Secure). */
  trustProxy: boolean;
}

/** The company that issues the statements, as every mail shows it ('' where not set). */
export interface Issuer {
  /** ISSUER_NAME: the company name. */
  name: string;
  /** ISSUER_ADDRESS: the postal address, one line. */
  address: string;
  /** ISSUER_CONTACT: the support contact (a mail address, a phone number, or both). */
  contact: string;
  /** ISSUER_URL: an http(s) URL (the support page). */
  url: string;
  /** ISSUER_INVOICE_NUMBER: the qualified-invoice issuer registration number, `T` and 13 digits. */
  invoiceNumber: string;
}

/** How statement mails are sent and retried. */
export interface MailSettings {
  /** MAIL_REPLY_TO: where replies go (an address or `Name <address>`), or null for none. */
  replyTo: string | null;
  /** SMTP_EHLO_NAME, else the domain of MAIL_FROM: the name the client gives in EHLO. */
  ehloName: string;
  /** TLS on an smtp:// server: `auto` upgrades when offered, `require` refuses a plain session, `off` never upgrades. */
  starttls: 'auto' | 'require' | 'off';
  /** Connections kept open to the SMTP server at most. */
  poolSize: number;
  /** Messages per second at most (0: no limit). */
  rateLimit: number;
  /** Seconds a connection, greeting or reply may take before the attempt counts as a transient failure. */
  timeoutSeconds: number;
  /** Attempts of one delivery before it is marked failed (transient errors only; a 5xx fails at once). */
  maxAttempts: number;
  /** Delay before the first retry; each later one doubles it (capped at six hours). */
  retryBaseSeconds: number;
  /** PEM file of certificate authorities the SMTP server's certificate may chain to, besides the system ones. */
  caFile: string | null;
  /** DKIM signing, when DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE are all set. */
  dkim: { domainName: string; keySelector: string; privateKeyFile: string } | null;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every setting with its default, in the order `.env.example` and the README list them. */
export const SETTINGS = {
  DATA_DIR: './data/runtime',
  DATABASE_URL: '',
  BILLING_TZ: 'UTC',
  DEFAULT_CURRENCY: 'JPY',
  DEFAULT_LOCALE: 'ja',
  SMTP_URL: '',
  MAIL_FROM: 'usage-charges@localhost.localdomain',
  MAIL_REPLY_TO: '',
  ISSUER_NAME: '',
  ISSUER_ADDRESS: '',
  ISSUER_CONTACT: '',
  ISSUER_URL: '',
  ISSUER_INVOICE_NUMBER: '',
  LOG_LEVEL: 'info',
  IMPORT_MAX_ERRORS: '100',
  RATING_PRESET: 'ror',
  ROUNDING_MODE: 'half-up',
  TAX: 'auto',
  TAX_RATES: '2014-04-01=8,2019-10-01=10',
  CSV_ENCODING: 'auto',
  REVIEW_HOLD: 'off',
  REVIEW_HOLD_HOURS: '',
  CURRENCY_SYMBOLS: '',
  RETENTION_MONTHS: '24',
  LOCK_TTL_SECONDS: '120',
  SMTP_STARTTLS: 'auto',
  SMTP_POOL_SIZE: '5',
  SMTP_RATE_LIMIT: '0',
  SMTP_TIMEOUT_SECONDS: '60',
  SMTP_CA_FILE: '',
  SMTP_EHLO_NAME: '',
  MAIL_MAX_ATTEMPTS: '8',
  MAIL_RETRY_BASE_SECONDS: '60',
  DKIM_DOMAIN: '',
  DKIM_SELECTOR: '',
  DKIM_PRIVATE_KEY_FILE: '',
  CRON_SCHEDULE: '0 2 * * *',
  CRON_TZ: '',
  LOG_FORMAT: 'auto',
  WEB_HOST: '127.0.0.1',
  WEB_PORT: '8080',
  WEB_BASE_URL: '',
  TRUST_PROXY: 'off',
} as const;

function isTimeZone(tz: string): boolean {
  // UTC (the default) without Intl: its time zone data takes longer to load than the rest of a start.
  if (tz === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// dotenv and node-cron load only when needed (a .env file, a CRON_SCHEDULE other than the
// default): most verbs start without them.
const require = createRequire(import.meta.url);

/** Whether a cron expression is one node-cron runs; the default is. */
function isCronExpression(v: string): boolean {
  if (v === SETTINGS.CRON_SCHEDULE) return true;
  return (require('node-cron') as { validate(expression: string): boolean }).validate(v);
}

const ADDRESS = z.email();
/** A sender such as `billing@example.com` or `Billing <billing@example.com>`. */
function isSender(value: string): boolean {
  // The same characters the mail composer refuses in a header: controls and line separators.
  if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(value)) return false;
  const m = /^\s*([^<>]*?)\s*<([^<>]+)>\s*$/.exec(value);
  return ADDRESS.safeParse(m ? m[2] : value).success;
}

function isSmtpUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
}

/**
 * A PostgreSQL URL libpq takes: postgres:// or postgresql://, with a host, or with none (the local
 * Unix socket, or a `host=` folder in the query string).
 */
export function isPostgresUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
}

/** An address to listen on: an IP address or a host name. */
function isListenAddress(value: string): boolean {
  return isIP(value) !== 0 || isHostName(value) || value === 'localhost';
}

function isWebUrl(value: string): boolean {
  if (/[\s\p{Cc}]/u.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** A DNS host name that is not an IPv4 address written as one. */
function isHostName(value: string): boolean {
  return HOST_NAME.test(value) && !/^[\d.]+$/.test(value);
}

/** An issuer text: one line (no control or line-separator characters), at most `max` characters. */
function issuerText(max: number) {
  return z.pipe(
    z.string().check(
      z.refine((v) => !/[\p{Cc}\p{Zl}\p{Zp}]/u.test(v), 'must be one line (no control characters)'),
      z.refine((v) => v.trim().length <= max, `must be at most ${max} characters`),
    ),
    z.transform((v) => v.trim()),
  );
}

function wholeNumber(min: number, max: number) {
  return countWhere(
    /^\d{1,9}$/,
    'must be a whole number',
    (v) => Number(v) >= min && Number(v) <= max,
    `must be from ${min} to ${max}`,
  );
}

/** A text setting that passes `test`, else `message`. */
function textWhere(test: (v: string) => boolean, message: string): z.ZodMiniString<string> {
  return z.string().check(z.refine(test, message));
}

/** A count written as digits (`digits` of them at most, else `wrongForm`) that passes `test`. */
function countWhere(digits: RegExp, wrongForm: string, test: (v: string) => boolean, message: string) {
  return z.string().check(z.regex(digits, { message: wrongForm, abort: true }), z.refine(test, message));
}

/** A setting whose text `parse` turns into a value, or into the message of what is wrong. */
function parsedText<T>(parse: (v: string) => T | { problem: string }) {
  return z.pipe(
    z.string(),
    z.transform((v: string, ctx) => {
      const out = parse(v);
      if (typeof out === 'object' && out !== null && 'problem' in out) {
        ctx.issues.push({ code: 'custom', message: out.problem, input: v });
        return z.NEVER;
      }
      return out as T;
    }),
  );
}

const schema = z.object({
  DATA_DIR: z.string().check(z.minLength(1, 'must not be empty')),
  DATABASE_URL: textWhere(
    (v) => v === '' || isPostgresUrl(v),
    'must be a postgres:// or postgresql:// URL (postgres://user:password@host:5432/database), or empty for the SQLite file under DATA_DIR',
  ),
  BILLING_TZ: textWhere(isTimeZone, 'is not an IANA time zone (for example UTC or Asia/Tokyo)'),
  DEFAULT_CURRENCY: z.enum(CURRENCIES as [Currency, ...Currency[]], {
    error: `must be one of ${CURRENCIES.join(', ')}`,
  }),
  DEFAULT_LOCALE: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }),
  SMTP_URL: textWhere(
    (v) => v === '' || isSmtpUrl(v),
    'must be an smtp:// or smtps:// URL with a host, or empty to write .eml files',
  ),
  MAIL_FROM: textWhere(isSender, 'must be an e-mail address, optionally as "Name <address>"'),
  MAIL_REPLY_TO: textWhere(
    (v) => v === '' || isSender(v),
    'must be an e-mail address, optionally as "Name <address>", or empty for no Reply-To',
  ),
  ISSUER_NAME: issuerText(200),
  ISSUER_ADDRESS: issuerText(300),
  ISSUER_CONTACT: issuerText(200),
  ISSUER_URL: textWhere((v) => v === '' || isWebUrl(v), 'must be an http:// or https:// URL, or empty'),
  ISSUER_INVOICE_NUMBER: textWhere(
    (v) => v === '' || /^T\d{13}$/.test(v),
    'must be the qualified-invoice registration number: T and 13 digits (for example T1234567890123), or empty',
  ),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  IMPORT_MAX_ERRORS: z.string().check(z.regex(/^[1-9]\d{0,5}$/, 'must be a whole number from 1 to 999999')),
  RATING_PRESET: z.enum(RATING_PRESETS, { error: `must be ${RATING_PRESETS.join(' or ')}` }),
  ROUNDING_MODE: z.enum(ROUNDING_MODES, {
    error: `must be ${ROUNDING_MODES.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`,
  }),
  TAX: z.enum(['auto', 'on', 'off'], { error: 'must be auto (on for ecl, off for ror), on or off' }),
  CSV_ENCODING: z.enum(['auto', 'utf8', 'utf8-bom', 'cp932'], { error: 'must be auto, utf8, utf8-bom or cp932' }),
  REVIEW_HOLD: z.enum(['off', 'on'], {
    error: 'must be off (statements are mailed when finalized) or on (they wait for release)',
  }),
  REVIEW_HOLD_HOURS: textWhere(
    (v) => v === '' || (/^\d{1,4}$/.test(v) && Number(v) >= 1),
    'must be a whole number of hours from 1 (empty: held statements wait for release)',
  ),
  CURRENCY_SYMBOLS: parsedText((v) => {
    const out: Partial<Record<Currency, string>> = {};
    for (const part of v
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')) {
      const m = /^(JPY|USD|EUR|SGD)=(\S{1,4})$/.exec(part);
      if (!m || /[",]/.test(m[2]!)) return { problem: `"${part}" is not CURRENCY=SYMBOL (for example JPY=¥)` };
      out[m[1] as Currency] = m[2]!;
    }
    return out;
  }),
  RETENTION_MONTHS: countWhere(
    /^\d{1,4}$/,
    'must be a whole number of months',
    (v) => Number(v) >= 24,
    'must be at least 24 (statements are kept 24 months)',
  ),
  LOCK_TTL_SECONDS: countWhere(
    /^\d{1,6}$/,
    'must be a whole number of seconds',
    (v) => Number(v) >= 10,
    'must be at least 10 (the lease is renewed every third of it)',
  ),
  SMTP_STARTTLS: z.enum(['auto', 'require', 'off'], { error: 'must be auto, require or off' }),
  SMTP_POOL_SIZE: wholeNumber(1, 100),
  SMTP_RATE_LIMIT: wholeNumber(0, 100000),
  SMTP_TIMEOUT_SECONDS: wholeNumber(1, 3600),
  SMTP_CA_FILE: z.string(),
  SMTP_EHLO_NAME: textWhere(
    (v) => v === '' || isHostName(v),
    'must be a host name (for example mail.example.com), not an IP address; empty: the domain of MAIL_FROM',
  ),
  MAIL_MAX_ATTEMPTS: wholeNumber(1, 100),
  MAIL_RETRY_BASE_SECONDS: wholeNumber(0, 86400),
  DKIM_DOMAIN: textWhere(
    (v) => v === '' || /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(v),
    'must be a domain name',
  ),
  DKIM_SELECTOR: textWhere(
    (v) => v === '' || /^[a-z0-9](?:[a-z0-9._-]{0,62})$/i.test(v),
    'must be a DKIM selector (letters, digits, dot, dash)',
  ),
  DKIM_PRIVATE_KEY_FILE: z.string(),
  CRON_SCHEDULE: textWhere(
    isCronExpression,
    'is not a cron expression (five fields, or six with seconds; for example 0 2 * * *)',
  ),
  CRON_TZ: textWhere((v) => v === '' || isTimeZone(v), 'is not an IANA time zone (empty: the billing time zone)'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }),
  WEB_HOST: textWhere(isListenAddress, 'must be an IP address (127.0.0.1, ::1, 0.0.0.0) or a host name'),
  WEB_PORT: wholeNumber(0, 65535),
  WEB_BASE_URL: textWhere(
    (v) => v === '' || (isWebUrl(v) && !/[?#]/.test(v)),
    'must be an http:// or https:// address without a query (for example https://billing.example.com), or empty',
  ),
  TRUST_PROXY: z.enum(['off', 'on'], {
    error: 'must be off, or on behind a TLS proxy that sets X-Forwarded-For and -Proto',
  }),
  TAX_RATES: parsedText((v) => {
    const rates = parseTaxRates(v);
    return typeof rates === 'string' ? { problem: rates } : rates;
  }),
});

/** Parses `YYYY-MM-DD=percent,...` into rates in date order, or says what is wrong. */
export function parseTaxRates(text: string): { from: string; percent: string }[] | string {
  const rates: { from: string; percent: string }[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const m = /^(\d{4}-\d{2}-\d{2})=(\d{1,2}(?:\.\d{1,4})?)$/.exec(part);
    if (!m || !parseDate(m[1]!).ok) return `"${part}" is not DATE=PERCENT (for example 2019-10-01=10)`;
    rates.push({ from: m[1]!, percent: m[2]! });
  }
  rates.sort((a, b) => byText(a.from, b.from));
  if (new Set(rates.map((r) => r.from)).size !== rates.length) return 'names one date twice';
  return rates;
}

/** Where the values come from: the process environment wins over the `.env` file. */
export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** The folder whose `.env` is read; the working directory by default. */
  cwd?: string;
}

/** Reads, validates and types the configuration; a bad value throws a ConfigError naming it. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const envFile = path.join(cwd, '.env');
  let fileValues: Record<string, string> = {};
  if (fs.existsSync(envFile)) {
    try {
      fileValues = (require('dotenv') as typeof import('dotenv')).parse(fs.readFileSync(envFile));
    } catch (err) {
      throw new ConfigError(`.env: cannot be read: ${(err as Error).message}`);
    }
  }
  const raw: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(SETTINGS)) {
    const fromEnv = env[name];
    if (fromEnv !== undefined) {
      raw[name] = fromEnv;
      origin[name] = 'environment';
    } else if (fileValues[name] !== undefined) {
      raw[name] = fileValues[name]!;
      origin[name] = '.env';
    } else {
      raw[name] = fallback;
      origin[name] = 'default';
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const shown = name === 'SMTP_URL' || name === 'DATABASE_URL' ? redactUrl(raw[name] ?? '') : raw[name];
      return `configuration: ${name}=${JSON.stringify(shown)} (from ${origin[name]}): ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const v = parsed.data;
  const fromFile = Object.keys(origin).filter((name) => origin[name] === '.env');
  const dkimParts = [v.DKIM_DOMAIN, v.DKIM_SELECTOR, v.DKIM_PRIVATE_KEY_FILE];
  if (dkimParts.some((x) => x !== '') && dkimParts.some((x) => x === '')) {
    throw new ConfigError(
      'configuration: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE go together: set all three to sign mails, or none',
    );
  }
  const dkim =
    v.DKIM_DOMAIN === ''
      ? null
      : { domainName: v.DKIM_DOMAIN, keySelector: v.DKIM_SELECTOR, privateKeyFile: v.DKIM_PRIVATE_KEY_FILE };
  const billingTimeZone =
    v.BILLING_TZ === 'UTC'
      ? 'UTC'
      : new Intl.DateTimeFormat('en-US', { timeZone: v.BILLING_TZ }).resolvedOptions().timeZone;
  return {
    dataDir: path.resolve(cwd, v.DATA_DIR),
    databaseUrl: v.DATABASE_URL === '' ? null : v.DATABASE_URL,
    billingTimeZone,
    defaultCurrency: v.DEFAULT_CURRENCY,
    defaultLocale: v.DEFAULT_LOCALE,
    smtpUrl: v.SMTP_URL === '' ? null : v.SMTP_URL,
    mailFrom: v.MAIL_FROM,
    issuer: {
      name: v.ISSUER_NAME,
      address: v.ISSUER_ADDRESS,
      contact: v.ISSUER_CONTACT,
      url: v.ISSUER_URL,
      invoiceNumber: v.ISSUER_INVOICE_NUMBER,
    },
    logLevel: v.LOG_LEVEL,
    importMaxErrors: Number(v.IMPORT_MAX_ERRORS),
    ratingPreset: v.RATING_PRESET,
    roundingMode: v.ROUNDING_MODE,
    taxEnabled: v.TAX === 'on' || (v.TAX === 'auto' && v.RATING_PRESET === 'ecl'),
    taxRates: v.TAX_RATES,
    csvEncoding: v.CSV_ENCODING,
    reviewHold: v.REVIEW_HOLD === 'on',
    reviewHoldHours: v.REVIEW_HOLD_HOURS === '' ? null : Number(v.REVIEW_HOLD_HOURS),
    currencySymbols: v.CURRENCY_SYMBOLS,
    retentionMonths: Number(v.RETENTION_MONTHS),
    lockTtlSeconds: Number(v.LOCK_TTL_SECONDS),
    mail: {
      replyTo: v.MAIL_REPLY_TO === '' ? null : v.MAIL_REPLY_TO,
      ehloName: v.SMTP_EHLO_NAME === '' ? senderDomain(v.MAIL_FROM) : v.SMTP_EHLO_NAME,
      starttls: v.SMTP_STARTTLS,
      poolSize: Number(v.SMTP_POOL_SIZE),
      rateLimit: Number(v.SMTP_RATE_LIMIT),
      timeoutSeconds: Number(v.SMTP_TIMEOUT_SECONDS),
      maxAttempts: Number(v.MAIL_MAX_ATTEMPTS),
      retryBaseSeconds: Number(v.MAIL_RETRY_BASE_SECONDS),
      caFile: v.SMTP_CA_FILE === '' ? null : path.resolve(cwd, v.SMTP_CA_FILE),
      dkim: dkim === null ? null : { ...dkim, privateKeyFile: path.resolve(cwd, dkim.privateKeyFile) },
    },
    cronSchedule: v.CRON_SCHEDULE,
    cronTimeZone:
      v.CRON_TZ === ''
        ? billingTimeZone
        : new Intl.DateTimeFormat('en-US', { timeZone: v.CRON_TZ }).resolvedOptions().timeZone,
    logFormat: v.LOG_FORMAT,
    web: {
      host: v.WEB_HOST,
      port: Number(v.WEB_PORT),
      baseUrl: v.WEB_BASE_URL === '' ? null : v.WEB_BASE_URL.replace(/\/+$/, ''),
      trustProxy: v.TRUST_PROXY === 'on',
    },
    ...(fromFile.length > 0 ? { dotEnv: { file: envFile, settings: fromFile } } : {}),
  };
}

/** The domain of a sender (`Name <user@example.com>` -> `example.com`), in ASCII (punycode). */
export function senderDomain(from: string): string {
  const m = /<([^<>]+)>\s*$/.exec(from);
  const address = (m ? m[1]! : from).trim();
  return domainToASCII(address.slice(address.lastIndexOf('@') + 1));
}

/**
 * What the mail settings should make an operator look at before mails go out (printed at the start
 * of `run` and `schedule`): a real mail server with the default sender, or no issuer name.
 */
export function mailSettingWarnings(config: Config): string[] {
  if (config.smtpUrl === null) return [];
  const warnings: string[] = [];
  if (config.mailFrom === SETTINGS.MAIL_FROM) {
    warnings.push(
      `MAIL_FROM is still the default (${SETTINGS.MAIL_FROM}) while SMTP_URL is set: set it to your billing address, or tenants get mail from a sender that looks like phishing and many servers refuse it`,
    );
  }
  if (config.issuer.name === '') {
    warnings.push(
      'ISSUER_NAME is not set while SMTP_URL is set: statement mails do not say which company sends them (set ISSUER_NAME, ISSUER_ADDRESS, ISSUER_CONTACT and ISSUER_URL)',
    );
  }
  return warnings;
}

/**
 * An SMTP or database URL (or a libpq `key=value` connection string) fit for messages and logs:
 * the password is replaced by `***`, wherever it is given.
 */
export function redactUrl(value: string): string {
  return hideUserPassword(value).replace(/(password=)('(?:[^'\\]|\\.)*'|[^&\s]*)/gi, '$1***');
}

function hideUserPassword(value: string): string {
  try {
    const url = new URL(value);
    // Only a URL with a host is shown parsed; `user:pass@host` without `//` parses as a path.
    if (!value.includes('://') || url.hostname === '') throw new TypeError('not a URL with a host');
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: hide everything between the scheme and the last @, where a password would be.
    return value.replace(
      /^([a-z][a-z0-9+.-]*:(?:\/\/)?)?.*@/i,
      (_m, scheme: string | undefined) => `${scheme ?? ''}***@`,
    );
  }
}
