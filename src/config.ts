/** Configuration: the environment (and an optional `.env` file), validated once at start. */
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
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
  if (/[\r\n]/.test(value)) return false;
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
  RETENTION_MONTHS: z.string().regex(/^\d{1,4}$/, 'must be a whole number of months').refine((v) => Number(v) >= 24, 'must be at least 24 (statements are kept 24 months)'),
  LOCK_TTL_SECONDS: z.string().regex(/^\d{1,6}$/, 'must be a whole number of seconds').refine((v) => Number(v) >= 10, 'must be at least 10 (the lease is renewed every third of it)'),
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
  return {
    dataDir: path.resolve(cwd, v.DATA_DIR),
    billingTimeZone: new Intl.DateTimeFormat('en-US', { timeZone: v.BILLING_TZ }).resolvedOptions().timeZone,
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
  };
}

/** An SMTP URL fit for messages and logs: the password is replaced by `***`. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/:[^:@/]*@/, ':***@');
  }
}
