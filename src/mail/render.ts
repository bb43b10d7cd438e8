/** Statement mails from the eta templates under `templates/<locale>/`: subject, plain text and HTML. */
import fs from 'node:fs';
import path from 'node:path';
import { Eta, type TemplateFunction } from 'eta';
import { UsageChargesError } from '../domain/errors.ts';
import type { Currency, Locale } from '../domain/vocabulary.ts';

/** The facts one statement mail tells a tenant's contact. */
export interface StatementMail {
  locale: Locale;
  kind: 'statement' | 'resend';
  tenantName: string;
  displayName: string;
  /** YYYY-MM */
  billingMonth: string;
  /** YYYY-MM-DD */
  periodFirstDay: string;
  /** YYYY-MM-DD, inclusive */
  periodLastDay: string;
  /** Decimal text, as frozen with the statement. */
  total: string;
  currency: Currency;
  /** The tenant is deleted: this is its last statement. */
  finalStatement: boolean;
  attachmentName: string;
}

/** A rendered mail. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** What every template receives as `it`: the mail's facts, already formatted for its locale. */
export interface TemplateData {
  resend: boolean;
  finalStatement: boolean;
  tenantName: string;
  displayName: string;
  /** `2026年10月` or `October 2026`. */
  month: string;
  /** `2026年10月1日` or `2026-10-01`. */
  firstDay: string;
  lastDay: string;
  /** `12,345 JPY`. */
  amount: string;
  attachmentName: string;
}

const TEMPLATES_DIR = path.resolve(import.meta.dirname, '../../templates');
type Part = 'subject' | 'text' | 'html';

// Subject and text are not HTML: escaping there would show `&amp;` to the reader.
const plain = new Eta({ autoEscape: false, autoTrim: false, cache: false });
const escaped = new Eta({ autoEscape: true, autoTrim: false, cache: false });
const compiled = new Map<string, TemplateFunction>();

function engine(part: Part): Eta {
  return part === 'html' ? escaped : plain;
}

function template(locale: Locale, part: Part): TemplateFunction {
  const key = `${locale}/${part}`;
  let fn = compiled.get(key);
  if (fn === undefined) {
    const file = path.join(TEMPLATES_DIR, locale, `${part}.eta`);
    let source: string;
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageChargesError('E_MAIL_TEMPLATE', `mail template templates/${key}.eta cannot be read`, { cause: err });
    }
    try {
      fn = engine(part).compile(source);
    } catch (err) {
      throw new UsageChargesError('E_MAIL_TEMPLATE', `mail template templates/${key}.eta: ${(err as Error).message}`, { cause: err });
    }
    compiled.set(key, fn);
  }
  return fn;
}

// Cc: C0, DEL and C1 controls (CR, LF, NUL, NEL, ...); Zl/Zp: U+2028 and U+2029.
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

/**
 * A value fit for one header line: every control character and line or paragraph separator
 * becomes a space, runs of spaces become one, and the ends are trimmed.
 */
export function oneLine(value: string): string {
  return value.replace(LINE_BREAKING, ' ').replace(/ {2,}/g, ' ').trim();
}

const AMOUNT = /^([+-]?)(\d+)(\.\d+)?$/;

/**
 * An amount for people: the integer digits grouped in thousands, the decimals kept exactly as
 * given, then the currency code (`1234567.5`, `USD` -> `1,234,567.5 USD`). Works on the text, so
 * no digit ever passes through a JS number.
 */
export function formatAmount(total: string, currency: Currency): string {
  const m = AMOUNT.exec(total);
  if (!m) throw new UsageChargesError('E_MAIL_DATA', `amount "${total}" is not decimal text`);
  const [, sign, digits, fraction = ''] = m as unknown as [string, string, string, string | undefined];
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${sign === '-' ? '-' : ''}${grouped}${fraction} ${currency}`;
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function parseMonth(value: string): { year: string; month: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!m) throw new UsageChargesError('E_MAIL_DATA', `billing month "${value}" is not YYYY-MM`);
  return { year: m[1]!, month: Number(m[2]) };
}

function parseDay(value: string): { year: string; month: number; day: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.exec(value);
  if (!m) throw new UsageChargesError('E_MAIL_DATA', `period day "${value}" is not YYYY-MM-DD`);
  return { year: m[1]!, month: Number(m[2]), day: Number(m[3]) };
}

function formatMonth(value: string, locale: Locale): string {
  const { year, month } = parseMonth(value);
  return locale === 'ja' ? `${year}年${month}月` : `${MONTH_NAMES[month - 1]} ${year}`;
}

function formatDay(value: string, locale: Locale): string {
  const { year, month, day } = parseDay(value);
  return locale === 'ja' ? `${year}年${month}月${day}日` : value;
}

/** The data the templates see; every interpolated text is made one line first. */
export function templateData(mail: StatementMail): TemplateData {
  return {
    resend: mail.kind === 'resend',
    finalStatement: mail.finalStatement,
    tenantName: oneLine(mail.tenantName),
    displayName: oneLine(mail.displayName),
    month: formatMonth(mail.billingMonth, mail.locale),
    firstDay: formatDay(mail.periodFirstDay, mail.locale),
    lastDay: formatDay(mail.periodLastDay, mail.locale),
    amount: formatAmount(mail.total, mail.currency),
    attachmentName: oneLine(mail.attachmentName),
  };
}

/**
 * Renders the subject, text and HTML of a statement mail in the mail's locale. Templates are read
 * and compiled on first use and kept; the subject always comes out as one trimmed line.
 */
export function renderStatementMail(mail: StatementMail): RenderedMail {
  const data = templateData(mail);
  const run = (part: Part): string => {
    try {
      return engine(part).render(template(mail.locale, part), data);
    } catch (err) {
      if (err instanceof UsageChargesError) throw err;
      throw new UsageChargesError('E_MAIL_TEMPLATE', `mail template templates/${mail.locale}/${part}.eta: ${(err as Error).message}`, { cause: err });
    }
  };
  return { subject: oneLine(run('subject')), text: run('text'), html: run('html') };
}
