import { describe, expect, it } from 'vitest';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import type { Currency } from '../../../src/domain/vocabulary.ts';
import { formatAmount, oneLine, renderStatementMail, type StatementMail } from '../../../src/mail/render.ts';
import { statementMail } from '../../helpers/mail.ts';

const mail = statementMail;

const FINAL_JA = '本明細が最終のご利用料金明細となります';
const FINAL_EN = 'this is your final statement';

describe('renderStatementMail (ja)', () => {
  it('renders a statement notice', () => {
    const r = renderStatementMail(mail());
    expect(r.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 様');
    for (const part of [r.text, r.html]) {
      expect(part).toContain('株式会社エクザンプル 様');
      expect(part).toContain('2026年10月分');
      expect(part).toContain('2026年10月1日〜2026年10月31日');
      expect(part).toContain('12,345 JPY');
      expect(part).toContain('acme_202610.zip');
      expect(part).toContain('確定');
      expect(part).toContain('お問い合わせ');
      expect(part).not.toContain(FINAL_JA);
      expect(part).not.toContain('再送');
    }
    expect(r.text.startsWith('株式会社エクザンプル 様\n\n')).toBe(true);
  });

  it('says that a deleted tenant gets its final statement', () => {
    const r = renderStatementMail(mail({ finalStatement: true }));
    expect(r.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 様');
    expect(r.text).toContain(FINAL_JA);
    expect(r.html).toContain(FINAL_JA);
  });

  it('marks a resend in the subject and the body', () => {
    const r = renderStatementMail(mail({ kind: 'resend' }));
    expect(r.subject).toBe('[再送] 【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 様');
    expect(r.text).toContain('再送');
    expect(r.html).toContain('再送');
  });
});

describe('renderStatementMail (en)', () => {
  const en = (o: Partial<StatementMail> = {}): StatementMail =>
    mail({ locale: 'en', displayName: 'Example Corp', total: '1234.56', currency: 'USD', ...o });

  it('renders a statement notice', () => {
    const r = renderStatementMail(en());
    expect(r.subject).toBe('Usage charges for October 2026 - Example Corp');
    for (const part of [r.text, r.html]) {
      expect(part).toContain('Dear Example Corp,');
      expect(part).toContain('October 2026');
      expect(part).toContain('2026-10-01 to 2026-10-31');
      expect(part).toContain('1,234.56 USD');
      expect(part).toContain('acme_202610.zip');
      expect(part).toContain('final');
      expect(part).toContain('questions');
      expect(part).not.toContain(FINAL_EN);
      expect(part).not.toContain('resend');
    }
  });

  it('says that a deleted tenant gets its final statement', () => {
    const r = renderStatementMail(en({ finalStatement: true }));
    expect(r.subject).toBe('Usage charges for October 2026 - Example Corp');
    expect(r.text).toContain(FINAL_EN);
    expect(r.html).toContain(FINAL_EN);
  });

  it('marks a resend in the subject and the body', () => {
    const r = renderStatementMail(en({ kind: 'resend' }));
    expect(r.subject).toBe('[Resent] Usage charges for October 2026 - Example Corp');
    expect(r.text).toContain('This is a resend');
  });

  it('names every month in English', () => {
    expect(renderStatementMail(en({ billingMonth: '2027-01' })).subject).toBe('Usage charges for January 2027 - Example Corp');
    expect(renderStatementMail(en({ billingMonth: '2026-12' })).subject).toBe('Usage charges for December 2026 - Example Corp');
  });
});

describe('values from the store cannot break a mail', () => {
  it('escapes HTML in the HTML part only', () => {
    const r = renderStatementMail(mail({ displayName: '<script>alert("x")</script> & Co' }));
    expect(r.html).not.toContain('<script>');
    expect(r.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(r.text).toContain('<script>alert("x")</script> & Co');
    expect(r.subject).toContain('<script>alert("x")</script> & Co');
  });

  it.each([
    ['CR LF', 'Evil\r\nBcc: evil@example.com'],
    ['LF', 'Evil\nBcc: evil@example.com'],
    ['CR', 'Evil\rBcc: evil@example.com'],
    ['U+2028', 'Evil\u2028Bcc: evil@example.com'],
    ['U+2029', 'Evil\u2029Bcc: evil@example.com'],
    ['NUL', 'Evil\u0000Bcc: evil@example.com'],
    ['NEL and tab', 'Evil\u0085\tBcc: evil@example.com'],
  ])('keeps the subject one line with %s in the names', (_label, value) => {
    for (const locale of ['ja', 'en'] as const) {
      const r = renderStatementMail(mail({ locale, displayName: value, tenantName: value }));
      expect(r.subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
      expect(r.subject).toContain('Evil Bcc: evil@example.com');
      expect(r.text).not.toMatch(/^Bcc:/m);
    }
  });

  it('trims and collapses the subject', () => {
    expect(renderStatementMail(mail({ displayName: '\r\n  Example \n\n Corp  \u0000' })).subject).toBe('【ご利用料金のお知らせ】2026年10月分 Example Corp 様');
    expect(oneLine(' a\r\n\r\nb\u2028 ')).toBe('a b');
  });

  it('keeps an ideographic space inside a name', () => {
    expect(renderStatementMail(mail({ displayName: '山田\u3000商店' })).subject).toContain('山田\u3000商店 様');
  });

  it('refuses malformed facts with E_MAIL_DATA', () => {
    for (const bad of [{ billingMonth: '202610' }, { billingMonth: '2026-13' }, { periodLastDay: '2026-10-32' }, { total: '1e5' }, { total: '1,234' }]) {
      expect(() => renderStatementMail(mail(bad))).toThrow(UsageChargesError);
      try {
        renderStatementMail(mail(bad));
      } catch (err) {
        expect((err as UsageChargesError).code).toBe('E_MAIL_DATA');
      }
    }
  });
});

describe('formatAmount', () => {
  it.each<[string, Currency, string]>([
    ['0', 'JPY', '0 JPY'],
    ['12', 'JPY', '12 JPY'],
    ['999', 'JPY', '999 JPY'],
    ['1000', 'JPY', '1,000 JPY'],
    ['1234', 'JPY', '1,234 JPY'],
    ['12345', 'JPY', '12,345 JPY'],
    ['123456', 'JPY', '123,456 JPY'],
    ['1234567.5', 'USD', '1,234,567.5 USD'],
    ['1234.56', 'USD', '1,234.56 USD'],
    ['1234.50', 'EUR', '1,234.50 EUR'],
    ['-1200', 'JPY', '-1,200 JPY'],
    ['-0.5', 'SGD', '-0.5 SGD'],
    ['0.000001', 'USD', '0.000001 USD'],
    ['1234.567891', 'USD', '1,234.567891 USD'],
    ['12345678901234567890123.45', 'JPY', '12,345,678,901,234,567,890,123.45 JPY'],
  ])('%s %s -> %s', (total, currency, expected) => {
    expect(formatAmount(total, currency)).toBe(expected);
  });

  it('refuses text that is not a plain decimal', () => {
    for (const bad of ['', '1e3', '1,000', '12.', '.5', 'NaN', ' 1']) expect(() => formatAmount(bad, 'JPY')).toThrow(UsageChargesError);
  });
});
