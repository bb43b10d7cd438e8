/** Configuration: the environment (and an optional `.env` file), validated once at start. */
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import cron from 'node-cron';
import { z } from 'zod';
import { ConfigError } from './domain/errors.ts';
import { CURRENCIES, LOCALES, type Currency, type Locale } from './domain/vocabulary.ts';
import { parseDate } from './domain/instant.ts';
import { ROUNDING_MODES, type RoundingMode } from './domain/money.ts';
import { byText } from './domain/text.ts';
import { RATING_PRESETS, type RatingPreset } from './rating/types.ts';

/** The typed, validated settings every part of the program reads. */
export interface Config {
  dataDir: string;
  billingTimeZone: string;
  defaultCurrency: Currency;
  defaultLocale: Locale;
  smtpUrl: string | null;
  mailFrom: string;
  logLevel: LogLevel;
  importMaxErrors: number;
  ratingPreset: RatingPreset;
  roundingMode: RoundingMode;
  taxEnabled: boolean;
  /** Consumption-tax rates by the date (in the billing time zone) from which each applies, oldest first. */
  taxRates: { from: string; percent: string }[];
  csvEncoding: 'utf8' | 'cp932';
  /** Currency symbols that replace the defaults (JPY `\`, USD `$`, EUR `€`, SGD `S$`). */
  currencySymbols: Partial<Record<Currency, string>>;
  /** Months of archived zips kept (at least 24); older zips are deleted, their statements kept. */
  retentionMonths: number;
  /** Seconds the month-end lease holds without a heartbeat (at least 10); a dead holder's lease is taken over after it. */
  lockTtlSeconds: number;
  mail: MailSettings;
  /** node-cron expression of the nightly pass. */
  cronSchedule: string;
  /** Time zone the cron expression is read in (the billing time zone unless set). */
  cronTimeZone: string;
  /** `json` lines, or `pretty` (readable); `auto` is pretty on a terminal, else json. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** The `.env` file of the working directory and the settings taken from it (the environment did not set them), when any. */
  dotEnv?: { file: string; settings: string[] };
}

/** How statement mails are sent and retried. */
export interface MailSettings {
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
  BILLING_TZ: 'UTC',
  DEFAULT_CURRENCY: 'JPY',
  DEFAULT_LOCALE: 'ja',
  SMTP_URL: '',
  MAIL_FROM: 'usage-charges@localhost.localdomain',
  LOG_LEVEL: 'info',
  IMPORT_MAX_ERRORS: '100',
  RATING_PRESET: 'ror',
  ROUNDING_MODE: 'half-up',
  TAX: 'auto',
  TAX_RATES: '2014-04-01=8,2019-10-01=10',
  CSV_ENCODING: 'utf8',
  CURRENCY_SYMBOLS: '',
  RETENTION_MONTHS: '24',
  LOCK_TTL_SECONDS: '120',
  SMTP_STARTTLS: 'auto',
  SMTP_POOL_SIZE: '5',
  SMTP_RATE_LIMIT: '0',
  SMTP_TIMEOUT_SECONDS: '60',
  SMTP_CA_FILE: '',
  MAIL_MAX_ATTEMPTS: '8',
  MAIL_RETRY_BASE_SECONDS: '60',
  DKIM_DOMAIN: '',
  DKIM_SELECTOR: '',
  DKIM_PRIVATE_KEY_FILE: '',
  CRON_SCHEDULE: '0 2 * * *',
  CRON_TZ: '',
  LOG_FORMAT: 'auto',
} as const;
export type SettingName = keyof typeof SETTINGS;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
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

function wholeNumber(min: number, max: number): z.ZodType<string> {
  return z.string().regex(/^\d{1,9}$/, { message: 'must be a whole number', abort: true }).refine((v) => Number(v) >= min && Number(v) <= max, `must be from ${min} to ${max}`);
}

const schema = z.object({
  DATA_DIR: z.string().min(1, 'must not be empty'),
  BILLING_TZ: z.string().refine(isTimeZone, 'is not an IANA time zone (for example UTC or Asia/Tokyo)'),
  DEFAULT_CURRENCY: z.enum(CURRENCIES as [Currency, ...Currency[]], { error: `must be one of ${CURRENCIES.join(', ')}` }),
  DEFAULT_LOCALE: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }),
  SMTP_URL: z.string().refine((v) => v === '' || isSmtpUrl(v), 'must be an smtp:// or smtps:// URL with a host, or empty to write .eml files'),
  MAIL_FROM: z.string().refine(isSender, 'must be an e-mail address, optionally as "Name <address>"'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  IMPORT_MAX_ERRORS: z.string().regex(/^[1-9]\d{0,5}$/, 'must be a whole number from 1 to 999999'),
  RATING_PRESET: z.enum(RATING_PRESETS, { error: `must be ${RATING_PRESETS.join(' or ')}` }),
  ROUNDING_MODE: z.enum(ROUNDING_MODES, { error: `must be ${ROUNDING_MODES.join(', ').replace(/, (?=[^,]*$)/, ' or ')}` }),
  TAX: z.enum(['auto', 'on', 'off'], { error: 'must be auto (on for ecl, off for ror), on or off' }),
  CSV_ENCODING: z.enum(['utf8', 'cp932'], { error: 'must be utf8 or cp932' }),
  CURRENCY_SYMBOLS: z.string().transform((v, ctx) => {
    const out: Partial<Record<Currency, string>> = {};
    for (const part of v.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
      const m = /^(JPY|USD|EUR|SGD)=(\S{1,4})$/.exec(part);
      if (!m || /[",]/.test(m[2]!)) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not CURRENCY=SYMBOL (for example JPY=¥)` });
        return z.NEVER;
      }
      out[m[1] as Currency] = m[2]!;
    }
    return out;
  }),
  RETENTION_MONTHS: z.string().regex(/^\d{1,4}$/, { message: 'must be a whole number of months', abort: true }).refine((v) => Number(v) >= 24, 'must be at least 24 (statements are kept 24 months)'),
  LOCK_TTL_SECONDS: z.string().regex(/^\d{1,6}$/, { message: 'must be a whole number of seconds', abort: true }).refine((v) => Number(v) >= 10, 'must be at least 10 (the lease is renewed every third of it)'),
  SMTP_STARTTLS: z.enum(['auto', 'require', 'off'], { error: 'must be auto, require or off' }),
  SMTP_POOL_SIZE: wholeNumber(1, 100),
  SMTP_RATE_LIMIT: wholeNumber(0, 100000),
  SMTP_TIMEOUT_SECONDS: wholeNumber(1, 3600),
  SMTP_CA_FILE: z.string(),
  MAIL_MAX_ATTEMPTS: wholeNumber(1, 100),
  MAIL_RETRY_BASE_SECONDS: wholeNumber(0, 86400),
  DKIM_DOMAIN: z.string().refine((v) => v === '' || /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(v), 'must be a domain name'),
  DKIM_SELECTOR: z.string().refine((v) => v === '' || /^[a-z0-9](?:[a-z0-9._-]{0,62})$/i.test(v), 'must be a DKIM selector (letters, digits, dot, dash)'),
  DKIM_PRIVATE_KEY_FILE: z.string(),
  CRON_SCHEDULE: z.string().refine((v) => cron.validate(v), 'is not a cron expression (five fields, or six with seconds; for example 0 2 * * *)'),
  CRON_TZ: z.string().refine((v) => v === '' || isTimeZone(v), 'is not an IANA time zone (empty: the billing time zone)'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }),
  TAX_RATES: z.string().transform((v, ctx) => {
    const rates = parseTaxRates(v);
    if (typeof rates === 'string') {
      ctx.addIssue({ code: 'custom', message: rates });
      return z.NEVER;
    }
    return rates;
  }),
});

/** Parses `YYYY-MM-DD=percent,...` into rates in date order, or says what is wrong. */
export function parseTaxRates(text: string): { from: string; percent: string }[] | string {
  const rates: { from: string; percent: string }[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
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
      fileValues = dotenv.parse(fs.readFileSync(envFile));
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
      const shown = name === 'SMTP_URL' ? redactUrl(raw[name] ?? '') : raw[name];
      return `configuration: ${name}=${JSON.stringify(shown)} (from ${origin[name]}): ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const v = parsed.data;
  const fromFile = Object.keys(origin).filter((name) => origin[name] === '.env');
  const dkimParts = [v.DKIM_DOMAIN, v.DKIM_SELECTOR, v.DKIM_PRIVATE_KEY_FILE];
  if (dkimParts.some((x) => x !== '') && dkimParts.some((x) => x === '')) {
    throw new ConfigError('configuration: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE go together: set all three to sign mails, or none');
  }
  const dkim = v.DKIM_DOMAIN === '' ? null : { domainName: v.DKIM_DOMAIN, keySelector: v.DKIM_SELECTOR, privateKeyFile: v.DKIM_PRIVATE_KEY_FILE };
  const billingTimeZone = new Intl.DateTimeFormat('en-US', { timeZone: v.BILLING_TZ }).resolvedOptions().timeZone;
  return {
    dataDir: path.resolve(cwd, v.DATA_DIR),
    billingTimeZone,
    defaultCurrency: v.DEFAULT_CURRENCY,
    defaultLocale: v.DEFAULT_LOCALE,
    smtpUrl: v.SMTP_URL === '' ? null : v.SMTP_URL,
    mailFrom: v.MAIL_FROM,
    logLevel: v.LOG_LEVEL,
    importMaxErrors: Number(v.IMPORT_MAX_ERRORS),
    ratingPreset: v.RATING_PRESET,
    roundingMode: v.ROUNDING_MODE,
    taxEnabled: v.TAX === 'on' || (v.TAX === 'auto' && v.RATING_PRESET === 'ecl'),
    taxRates: v.TAX_RATES,
    csvEncoding: v.CSV_ENCODING,
    currencySymbols: v.CURRENCY_SYMBOLS,
    retentionMonths: Number(v.RETENTION_MONTHS),
    lockTtlSeconds: Number(v.LOCK_TTL_SECONDS),
    mail: {
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
    cronTimeZone: v.CRON_TZ === '' ? billingTimeZone : new Intl.DateTimeFormat('en-US', { timeZone: v.CRON_TZ }).resolvedOptions().timeZone,
    logFormat: v.LOG_FORMAT,
    ...(fromFile.length > 0 ? { dotEnv: { file: envFile, settings: fromFile } } : {}),
  };
}

/** An SMTP URL fit for messages and logs: the password is replaced by `***`. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    // Only a URL with a host is shown parsed; `user:pass@host` without `//` parses as a path.
    if (!value.includes('://') || url.hostname === '') throw new TypeError('not a URL with a host');
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: hide everything between the scheme and the last @, where a password would be.
    return value.replace(/^([a-z][a-z0-9+.-]*:(?:\/\/)?)?.*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
  }
}
