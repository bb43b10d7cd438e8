/** Statement mails from the eta templates under `templates/<locale>/`: subject, plain text and HTML. */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.ts';
import { Eta, type TemplateFunction } from 'eta';
import { UsageChargesError } from '../domain/errors.ts';
import { Decimal } from '../domain/money.ts';
import type { Currency, Locale } from '../domain/vocabulary.ts';
import type { Issuer } from '../config.ts';

export type { Issuer };

/** The facts one statement mail tells a tenant's contact. */
export interface StatementMail {
  locale: Locale;
  kind: 'statement' | 'resend';
  tenantName: string;
  displayName: string;
  /** The recipient's name from the contacts file (`contact_name`), '' when it has none. */
  contactName: string;
  /** YYYY-MM */
  billingMonth: string;
  /** YYYY-MM-DD */
  periodFirstDay: string;
  /** YYYY-MM-DD, inclusive */
  periodLastDay: string;
  /** Decimal text, as frozen with the statement. */
  total: string;
  currency: Currency;
  /** The consumption tax in the total, one entry per rate (decimal text); empty: the total holds no tax. */
  taxes: { percent: string; amount: string }[];
  /** The tenant is deleted: this is its last statement. */
  finalStatement: boolean;
  attachmentName: string;
  /** Who issues the statement (the ISSUER_* settings). */
  issuer: Issuer;
  /** This statement corrects one sent earlier (a re-issue): its revision, the earlier total (decimal text, as frozen) and why. null or absent: not a correction. */
  correction?: MailCorrection | null;
}

/** What a corrected statement (a re-issue) tells beyond an ordinary one. */
export interface MailCorrection {
  /** The revision this mail carries: 2 for the first correction, 3 for the next, ... */
  revision: number;
  /** The revision it replaces, the one mailed before. */
  previousRevision: number;
  /** The total of the earlier revision: decimal text, as frozen with it. */
  previousTotal: string;
  /** Why the statement was re-issued, as the operator wrote it. */
  reason: string;
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
  /** The contact's name, '' when none. */
  contactName: string;
  /**
   * The lines that address the mail. ja: `株式会社エクザンプル 御中` with no contact name, else the
   * company then `山田 太郎 様` (a department such as `経理部` gets `御中`). en: the company and
   * `Attn: <contact>` when there is a contact name, else none (the greeting names the company).
   */
  addressee: string[];
  /** Whom the greeting names (en: `Dear <greetingName>,`): the contact, else the company. */
  greetingName: string;
  /** The company as the subject addresses it: ja `株式会社エクザンプル 御中`, en the display name. */
  company: string;
  /** `2026年10月` or `October 2026`. */
  month: string;
  /** `2026年10月1日` or `2026-10-01`. */
  firstDay: string;
  lastDay: string;
  /** The total: `12,345円` (ja, JPY) or `12,345 JPY`, `1,234.56 USD`. */
  amount: string;
  /** The total holds consumption tax. */
  taxIncluded: boolean;
  /** The tax in the total by rate, formatted as `amount` (`10%`, `3,151円`). */
  taxes: { rate: string; amount: string }[];
  attachmentName: string;
  /** The issuer, each field one line, '' where not set. */
  issuer: Issuer;
  /** Any issuer field is set. */
  hasIssuer: boolean;
  /** The mail carries a corrected statement that replaces one sent earlier. */
  corrected: boolean;
  /** The statement's revision: 1 when not a correction. */
  revision: number;
  /** The earlier total, formatted as `amount` (`13,000円`); '' when not a correction. */
  previousAmount: string;
  /** The corrected total minus the earlier one, signed and formatted as `amount` (`-655円`, `+12.50 USD`; no sign when equal); '' when not a correction. */
  difference: string;
  /** Why the statement was corrected, one line; '' when not a correction. */
  correctionReason: string;
}

const TEMPLATES_DIR = path.join(PACKAGE_ROOT, 'templates');
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
      throw new UsageChargesError('E_MAIL_TEMPLATE', `mail template templates/${key}.eta cannot be read`, {
        cause: err,
      });
    }
    try {
      fn = engine(part).compile(source);
    } catch (err) {
      throw new UsageChargesError('E_MAIL_TEMPLATE', `mail template templates/${key}.eta: ${(err as Error).message}`, {
        cause: err,
      });
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
 * Decimal text with its integer digits grouped in thousands and its decimals kept exactly as given
 * (`-1234567.5` -> `-1,234,567.5`). Works on the text, so no digit ever passes through a JS number.
 */
export function groupedDigits(total: string): string {
  const m = AMOUNT.exec(total);
  if (!m) throw new UsageChargesError('E_MAIL_DATA', `amount "${total}" is not decimal text`);
  const [, sign, digits, fraction = ''] = m as unknown as [string, string, string, string | undefined];
  return `${sign === '-' ? '-' : ''}${digits.replace(/\B(?=(\d{3})+$)/g, ',')}${fraction}`;
}

/** An amount for people: `groupedDigits`, then the currency code (`1234567.5`, `USD` -> `1,234,567.5 USD`). */
export function formatAmount(total: string, currency: Currency): string {
  return `${groupedDigits(total)} ${currency}`;
}

/** An amount as the locale writes it: `34,662円` for yen in Japanese, else `formatAmount`. */
export function localAmount(total: string, currency: Currency, locale: Locale): string {
  const amount = formatAmount(total, currency);
  return locale === 'ja' && currency === 'JPY' ? `${amount.slice(0, -' JPY'.length)}円` : amount;
}

/** Endings of a contact name that is a department or a desk, not a person: addressed with 御中. */
const JA_ORGANIZATION = /(部|課|係|室|局|班|科|センター|グループ|チーム|窓口|事務所|本部|支店|営業所|御中)$/u;
/** An honorific the contacts file may already carry; it is not repeated. */
const JA_HONORIFIC = /\s*(御中|様|さま|殿)$/u;

function jaAddressee(company: string, contact: string): string[] {
  const name = company.replace(JA_HONORIFIC, '');
  if (contact === '') return [`${name} 御中`];
  const bare = contact.replace(JA_HONORIFIC, '');
  return [name, `${bare} ${JA_ORGANIZATION.test(contact) ? '御中' : '様'}`];
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

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

const DECIMALS = /^[+-]?\d+(?:\.(\d+))?$/;

/**
 * `total - previous`, signed, formatted as `localAmount` with as many decimals as the longer of the
 * two (`+1,234円`, `-0.50 USD`; no sign when they are equal). Both must be checked decimal text;
 * the difference is taken with decimal.js, so no amount passes through a JS number.
 */
function signedDifference(total: string, previous: string, currency: Currency, locale: Locale): string {
  const places = Math.max(...[total, previous].map((t) => (DECIMALS.exec(t)?.[1] ?? '').length));
  const difference = new Decimal(total).minus(new Decimal(previous));
  const sign = difference.isZero() ? '' : difference.isNegative() ? '-' : '+';
  return `${sign}${localAmount(difference.abs().toFixed(places), currency, locale)}`;
}

function checkRevisions(c: MailCorrection): void {
  const { revision, previousRevision } = c;
  if (!Number.isSafeInteger(revision) || revision < 2)
    throw new UsageChargesError('E_MAIL_DATA', `correction revision ${revision} is not a whole number from 2`);
  if (!Number.isSafeInteger(previousRevision) || previousRevision < 1 || previousRevision >= revision)
    throw new UsageChargesError(
      'E_MAIL_DATA',
      `correction previous revision ${previousRevision} is not a whole number from 1 below revision ${revision}`,
    );
}

/** The correction fields of the template data: a correction's facts, or those of an ordinary statement. */
function correctionData(
  mail: StatementMail,
): Pick<TemplateData, 'corrected' | 'revision' | 'previousAmount' | 'difference' | 'correctionReason'> {
  const c = mail.correction;
  if (c === undefined || c === null)
    return { corrected: false, revision: 1, previousAmount: '', difference: '', correctionReason: '' };
  checkRevisions(c);
  // localAmount refuses text that is not a plain decimal, before decimal.js reads either total.
  const previousAmount = localAmount(c.previousTotal, mail.currency, mail.locale);
  localAmount(mail.total, mail.currency, mail.locale);
  return {
    corrected: true,
    revision: c.revision,
    previousAmount,
    difference: signedDifference(mail.total, c.previousTotal, mail.currency, mail.locale),
    correctionReason: oneLine(c.reason),
  };
}

/** The data the templates see; every interpolated text is made one line first. */
export function templateData(mail: StatementMail): TemplateData {
  const displayName = oneLine(mail.displayName);
  const contactName = oneLine(mail.contactName);
  const issuer: Issuer = {
    name: oneLine(mail.issuer.name),
    address: oneLine(mail.issuer.address),
    contact: oneLine(mail.issuer.contact),
    url: oneLine(mail.issuer.url),
    invoiceNumber: oneLine(mail.issuer.invoiceNumber),
  };
  return {
    resend: mail.kind === 'resend',
    finalStatement: mail.finalStatement,
    tenantName: oneLine(mail.tenantName),
    displayName,
    contactName,
    addressee:
      mail.locale === 'ja'
        ? jaAddressee(displayName, contactName)
        : contactName === ''
          ? []
          : [displayName, `Attn: ${contactName}`],
    greetingName: contactName === '' ? displayName : contactName,
    company: mail.locale === 'ja' ? jaAddressee(displayName, '')[0]! : displayName,
    month: formatMonth(mail.billingMonth, mail.locale),
    firstDay: formatDay(mail.periodFirstDay, mail.locale),
    lastDay: formatDay(mail.periodLastDay, mail.locale),
    amount: localAmount(mail.total, mail.currency, mail.locale),
    taxIncluded: mail.taxes.length > 0,
    taxes: mail.taxes.map((t) => ({
      rate: `${rate(t.percent)}%`,
      amount: localAmount(t.amount, mail.currency, mail.locale),
    })),
    attachmentName: oneLine(mail.attachmentName),
    issuer,
    hasIssuer: Object.values(issuer).some((v) => v !== ''),
    ...correctionData(mail),
  };
}

/** A tax rate as decimal text without trailing zeros (`10.00` -> `10`, `8.5` -> `8.5`). */
function rate(percent: string): string {
  if (!/^\d+(\.\d+)?$/.test(percent))
    throw new UsageChargesError('E_MAIL_DATA', `tax rate "${percent}" is not decimal text`);
  return percent.includes('.') ? percent.replace(/\.?0+$/, '') : percent;
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
      throw new UsageChargesError(
        'E_MAIL_TEMPLATE',
        `mail template templates/${mail.locale}/${part}.eta: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  return { subject: oneLine(run('subject')), text: run('text'), html: run('html') };
}
