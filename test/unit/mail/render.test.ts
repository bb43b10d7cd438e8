import { describe, expect, it } from 'vitest';
import { UsageChargesError } from '../../../src/domain/errors.ts';
import type { Currency } from '../../../src/domain/vocabulary.ts';
import {
  formatAmount,
  oneLine,
  renderStatementMail,
  templateData,
  type MailCorrection,
  type StatementMail,
} from '../../../src/mail/render.ts';
import { SAMPLE_ISSUER, sampleMails, statementMail } from '../../helpers/mail.ts';

const mail = statementMail;

const FINAL_JA = '本明細が最終のご利用料金明細となります';
const FINAL_EN = 'this is your final statement';

describe('renderStatementMail (ja)', () => {
  it('renders a statement notice', () => {
    const r = renderStatementMail(mail());
    expect(r.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
    for (const part of [r.text, r.html]) {
      expect(part).toContain('株式会社エクザンプル 御中');
      expect(part).not.toContain('様');
      expect(part).toContain('2026年10月分');
      expect(part).toContain('2026年10月1日〜2026年10月31日');
      expect(part).toContain('12,345円');
      expect(part).not.toContain('JPY');
      expect(part).toContain('acme_202610.zip');
      expect(part).toContain('確定');
      expect(part).toContain('お問い合わせ');
      expect(part).not.toContain(FINAL_JA);
      expect(part).not.toContain('再送');
    }
    expect(r.text.startsWith('株式会社エクザンプル 御中\n\n')).toBe(true);
  });

  it('says that a deleted tenant gets its final statement', () => {
    const r = renderStatementMail(mail({ finalStatement: true }));
    expect(r.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
    expect(r.text).toContain(FINAL_JA);
    expect(r.html).toContain(FINAL_JA);
  });

  it('marks a resend in the subject and the body', () => {
    const r = renderStatementMail(mail({ kind: 'resend' }));
    expect(r.subject).toBe('[再送] 【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
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

  it('greets a named contact, and says whether tax is included', () => {
    const r = renderStatementMail(
      en({
        contactName: 'Accounts Payable',
        currency: 'JPY',
        total: '34662',
        taxes: [{ percent: '10', amount: '3151' }],
      }),
    );
    expect(r.text.startsWith('Example Corp\nAttn: Accounts Payable\n\nDear Accounts Payable,\n')).toBe(true);
    for (const part of [r.text, r.html]) {
      expect(part).toContain('34,662 JPY');
      expect(part).toContain('tax included');
      expect(part).toContain('consumption tax');
      expect(part).toContain('3,151 JPY');
    }
    expect(renderStatementMail(en()).text).toContain('(tax not included)');
    expect(renderStatementMail(en()).text).toContain('The total does not include consumption tax.');
  });

  it('names every month in English', () => {
    expect(renderStatementMail(en({ billingMonth: '2027-01' })).subject).toBe(
      'Usage charges for January 2027 - Example Corp',
    );
    expect(renderStatementMail(en({ billingMonth: '2026-12' })).subject).toBe(
      'Usage charges for December 2026 - Example Corp',
    );
  });
});

describe('a mail a Japanese reader believes (ja)', () => {
  it('addresses a named contact with 様 under the company, a department with 御中', () => {
    for (const [contactName, lines] of [
      ['山田 太郎', ['株式会社エクザンプル', '山田 太郎 様']],
      ['経理部 山田 太郎', ['株式会社エクザンプル', '経理部 山田 太郎 様']],
      ['山田 太郎 様', ['株式会社エクザンプル', '山田 太郎 様']],
      ['経理部', ['株式会社エクザンプル', '経理部 御中']],
      ['経理課', ['株式会社エクザンプル', '経理課 御中']],
      ['請求書受付窓口', ['株式会社エクザンプル', '請求書受付窓口 御中']],
    ] as const) {
      const r = renderStatementMail(mail({ contactName }));
      expect(r.text.startsWith(`${lines.join('\n')}\n\n`), contactName).toBe(true);
      expect(r.html).toContain(`${lines[0]}<br>${lines[1]}`);
      expect(r.text).not.toContain('御中 様');
      expect(r.text).not.toContain('様 様');
      // The subject names the company, the same for every contact.
      expect(r.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
    }
  });

  it('does not repeat an honorific the display name already has', () => {
    const r = renderStatementMail(mail({ displayName: '株式会社エクザンプル 御中' }));
    expect(r.text.startsWith('株式会社エクザンプル 御中\n')).toBe(true);
    expect(r.subject).toBe('【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
  });

  it('writes yen as 34,662円 and other currencies with their code', () => {
    expect(renderStatementMail(mail({ total: '34662' })).text).toContain('ご利用料金　：34,662円');
    expect(renderStatementMail(mail({ total: '1234567' })).html).toContain('1,234,567円');
    expect(renderStatementMail(mail({ total: '1234.50', currency: 'USD' })).text).toContain('1,234.50 USD');
  });

  it('says whether tax is included, and how much, from the tax lines', () => {
    const taxed = renderStatementMail(mail({ total: '34662', taxes: [{ percent: '10', amount: '3151' }] }));
    for (const part of [taxed.text, taxed.html]) {
      expect(part).toContain('税込');
      expect(part).toContain('消費税を含む金額です');
      expect(part).toContain('3,151円');
      expect(part).toContain('10%対象');
      expect(part).not.toContain('税抜');
    }
    const twoRates = renderStatementMail(
      mail({
        taxes: [
          { percent: '8.00', amount: '80' },
          { percent: '10', amount: '1000' },
        ],
      }),
    ).text;
    expect(twoRates).toContain('うち消費税：80円（8%対象）');
    expect(twoRates).toContain('うち消費税：1,000円（10%対象）');
    const untaxed = renderStatementMail(mail({ taxes: [] }));
    for (const part of [untaxed.text, untaxed.html]) {
      expect(part).toContain('税抜');
      expect(part).toContain('消費税は含まれておりません');
      expect(part).not.toContain('税込');
    }
  });

  it('does not wish a deleted tenant continued business', () => {
    const normal = renderStatementMail(mail());
    expect(normal.text).toContain('今後ともよろしく');
    expect(normal.html).toContain('今後ともよろしく');
    const final = renderStatementMail(mail({ finalStatement: true }));
    for (const part of [final.text, final.html]) {
      expect(part).not.toContain('今後とも');
      expect(part).not.toContain('平素より');
      expect(part).toContain('これまで弊社クラウドサービスをご利用いただき、誠にありがとうございました');
      expect(part).toContain('何卒よろしくお願い申し上げます。');
    }
  });
});

describe('the issuer in every mail', () => {
  for (const locale of ['ja', 'en'] as const) {
    it(`shows every issuer setting in the text and the HTML (${locale})`, () => {
      for (const finalStatement of [false, true]) {
        for (const kind of ['statement', 'resend'] as const) {
          const r = renderStatementMail(mail({ locale, finalStatement, kind, issuer: SAMPLE_ISSUER }));
          for (const part of [r.text, r.html]) {
            expect(part).toContain(SAMPLE_ISSUER.name);
            expect(part).toContain(SAMPLE_ISSUER.address);
            expect(part).toContain(SAMPLE_ISSUER.contact);
            expect(part).toContain(SAMPLE_ISSUER.url);
            expect(part).toContain(SAMPLE_ISSUER.invoiceNumber);
            expect(part).toContain(
              locale === 'ja'
                ? '適格請求書発行事業者登録番号：T1234567890123'
                : 'Qualified invoice issuer registration number: T1234567890123',
            );
          }
          expect(r.html).toContain(`<a href="${SAMPLE_ISSUER.url}"`);
        }
      }
    });

    it(`leaves out an issuer setting that is not set, and the block when none is (${locale})`, () => {
      const r = renderStatementMail(mail({ locale, issuer: { ...SAMPLE_ISSUER, invoiceNumber: '', url: '' } }));
      expect(r.text).toContain(SAMPLE_ISSUER.name);
      expect(r.text).not.toMatch(/登録番号|registration number/);
      expect(r.html).not.toContain('<a ');
      const none = renderStatementMail(mail({ locale }));
      expect(none.text).not.toMatch(/――|--------|お問い合わせ：|Support:/);
    });
  }

  it('leaves no run of empty lines in the text part of any variant', () => {
    for (const { mail: m } of sampleMails()) {
      for (const kind of ['statement', 'resend'] as const) {
        for (const issuer of [m.issuer, { name: '', address: '', contact: '', url: '', invoiceNumber: '' }]) {
          expect(renderStatementMail({ ...m, kind, issuer }).text).not.toMatch(/\n\s*\n\s*\n/);
        }
      }
    }
  });

  it('escapes the issuer in the HTML', () => {
    const r = renderStatementMail(
      mail({ issuer: { ...SAMPLE_ISSUER, name: 'A&B <Cloud>', url: 'https://example.com/?a=1&b="2"' } }),
    );
    expect(r.html).toContain('A&amp;B &lt;Cloud&gt;');
    expect(r.html).toContain('href="https://example.com/?a=1&amp;b=&quot;2&quot;"');
    expect(r.text).toContain('A&B <Cloud>');
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
    expect(renderStatementMail(mail({ displayName: '\r\n  Example \n\n Corp  \u0000' })).subject).toBe(
      '【ご利用料金のお知らせ】2026年10月分 Example Corp 御中',
    );
    expect(oneLine(' a\r\n\r\nb\u2028 ')).toBe('a b');
  });

  it('keeps an ideographic space inside a name', () => {
    expect(renderStatementMail(mail({ displayName: '山田\u3000商店' })).subject).toContain('山田\u3000商店 御中');
  });

  it('refuses malformed facts with E_MAIL_DATA', () => {
    for (const bad of [
      { billingMonth: '202610' },
      { billingMonth: '2026-13' },
      { periodLastDay: '2026-10-32' },
      { total: '1e5' },
      { total: '1,234' },
    ]) {
      expect(() => renderStatementMail(mail(bad))).toThrow(UsageChargesError);
      try {
        renderStatementMail(mail(bad));
      } catch (err) {
        expect((err as UsageChargesError).code).toBe('E_MAIL_DATA');
      }
    }
  });
});

describe('a corrected statement', () => {
  const correction = (o: Partial<MailCorrection> = {}): MailCorrection => ({
    revision: 2,
    previousRevision: 1,
    previousTotal: '13000',
    reason: '10月20日の通信量が二重に計上されていたため',
    ...o,
  });
  const en = (o: Partial<StatementMail> = {}): StatementMail =>
    mail({ locale: 'en', displayName: 'Example Corp', total: '1234.56', currency: 'USD', ...o });

  it('marks the subject and tells the earlier and corrected totals, the credit and the reason (ja)', () => {
    const r = renderStatementMail(mail({ correction: correction() }));
    expect(r.subject).toBe('【訂正】【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
    const apology =
      '先にお送りした2026年10月分のご利用料金のお知らせに誤りがございました。' +
      '訂正後の明細をお送りいたします。ご迷惑をおかけしましたことをお詫び申し上げます。';
    expect(r.text.replace(/\n(?=訂正後の明細)/, '')).toContain(apology);
    expect(r.html).toContain(`<p>${apology}</p>`);
    expect(r.text).toContain(
      [
        '  訂正前の金額：13,000円',
        '  訂正後の金額：12,345円（税抜）',
        '  差額　　　　：-655円',
        '  訂正の理由　：10月20日の通信量が二重に計上されていたため',
        '',
      ].join('\n'),
    );
    expect(r.text).not.toContain('ご利用料金　：');
    expect(r.text).not.toContain('明細は添付のファイルにてご確認ください。');
    for (const part of [r.text, r.html]) {
      expect(part).toContain('先にお送りした明細に代えて、添付の明細をご利用ください。');
      expect(part).toContain('上記の訂正後のご利用料金は確定した金額です。');
    }
    expect(r.html).toMatch(/>訂正前の金額<\/th>\s*<td[^>]*>13,000円<\/td>/);
    expect(r.html).toMatch(/>訂正後の金額<br>（税抜）<\/th>\s*<td[^>]*>12,345円<\/td>/);
    expect(r.html).toMatch(/>差額<\/th>\s*<td[^>]*>-655円<\/td>/);
    expect(r.html).toMatch(/>訂正の理由<\/th>\s*<td[^>]*>10月20日の通信量が二重に計上されていたため<\/td>/);
  });

  it('keeps the tax lines under the corrected total, and a debit positive (ja)', () => {
    const r = renderStatementMail(
      mail({
        total: '34662',
        taxes: [{ percent: '10', amount: '3151' }],
        correction: correction({ previousTotal: '33428' }),
      }),
    );
    expect(r.text).toContain(
      [
        '  訂正前の金額：33,428円',
        '  訂正後の金額：34,662円（税込）',
        '  　うち消費税：3,151円（10%対象）',
        '  差額　　　　：+1,234円',
      ].join('\n'),
    );
    expect(r.html).toMatch(/>差額<\/th>\s*<td[^>]*>\+1,234円<\/td>/);
  });

  it('marks the subject and tells the earlier and corrected totals, the debit and the reason (en)', () => {
    const r = renderStatementMail(
      en({ correction: correction({ previousTotal: '1222.06', reason: 'Storage for 20 October was not counted' }) }),
    );
    expect(r.subject).toBe('Corrected: Usage charges for October 2026 - Example Corp');
    expect(r.text).toContain(
      [
        '  Earlier total:   1,222.06 USD',
        '  Corrected total: 1,234.56 USD (tax not included)',
        '  Difference:      +12.50 USD',
        '  Reason:          Storage for 20 October was not counted',
        '',
      ].join('\n'),
    );
    for (const part of [r.text, r.html]) {
      expect(part).toContain('The usage charges notice we sent you earlier for October 2026 contained an error.');
      expect(part).toContain('Please find the corrected statement attached.');
      expect(part).toContain('Please use the attached statement in place of the one sent earlier.');
      expect(part).not.toContain('have been finalized');
    }
    expect(r.html).toMatch(/>Earlier total<\/th>\s*<td[^>]*>1,222.06 USD<\/td>/);
    expect(r.html).toMatch(/>Corrected total<br>\(tax not included\)<\/th>\s*<td[^>]*>1,234.56 USD<\/td>/);
    expect(r.html).toMatch(/>Difference<\/th>\s*<td[^>]*>\+12.50 USD<\/td>/);
    expect(r.html).toMatch(/>Reason<\/th>\s*<td[^>]*>Storage for 20 October was not counted<\/td>/);
  });

  it('signs a credit negative, and keeps the decimals of the longer total (en)', () => {
    const credit = renderStatementMail(en({ total: '1000.5', correction: correction({ previousTotal: '2100.25' }) }));
    expect(credit.text).toContain('  Earlier total:   2,100.25 USD\n');
    expect(credit.text).toContain('  Corrected total: 1,000.5 USD (tax not included)\n');
    expect(credit.text).toContain('  Difference:      -1,099.75 USD\n');
    const yen = renderStatementMail(en({ total: '34662', currency: 'JPY', correction: correction() }));
    expect(yen.text).toContain('  Difference:      +21,662 JPY\n');
    const same = renderStatementMail(en({ correction: correction({ previousTotal: '1234.560' }) }));
    expect(same.text).toContain('  Difference:      0.000 USD\n');
  });

  it('computes the difference on the decimal text, never through a JS number', () => {
    const r = renderStatementMail(
      mail({
        total: '12345678901234567890123.01',
        correction: correction({ previousTotal: '12345678901234567890123' }),
      }),
    );
    expect(r.text).toContain('  差額　　　　：+0.01円\n');
    expect(r.text).toContain('  訂正前の金額：12,345,678,901,234,567,890,123円\n');
  });

  it('escapes the reason in the HTML only', () => {
    for (const locale of ['ja', 'en'] as const) {
      const r = renderStatementMail(mail({ locale, correction: correction({ reason: 'tax <b>& rounding</b>' }) }));
      expect(r.html).toContain('tax &lt;b&gt;&amp; rounding&lt;/b&gt;');
      expect(r.html).not.toContain('<b>');
      expect(r.text).toContain('tax <b>& rounding</b>');
    }
  });

  it('makes a reason with line breaks one line', () => {
    const reason = '10月20日の通信量が\r\n二重に計上されていたため\u2028Bcc: evil@example.com';
    for (const locale of ['ja', 'en'] as const) {
      const r = renderStatementMail(mail({ locale, correction: correction({ reason }) }));
      const oneLineReason = '10月20日の通信量が 二重に計上されていたため Bcc: evil@example.com';
      expect(r.text).toContain(`${locale === 'ja' ? '  訂正の理由　：' : '  Reason:          '}${oneLineReason}\n`);
      expect(r.html).toContain(`>${oneLineReason}</td>`);
      expect(r.text).not.toMatch(/^Bcc:/m);
    }
  });

  it('leaves out the reason line when no reason is given', () => {
    const r = renderStatementMail(mail({ correction: correction({ reason: ' \n ' }) }));
    expect(r.text).toContain('  差額　　　　：-655円\n  テナント名　：acme\n');
    expect(r.html).not.toContain('訂正の理由');
  });

  it('carries both marks when a correction is resent', () => {
    const ja = renderStatementMail(mail({ kind: 'resend', correction: correction() }));
    expect(ja.subject).toBe('[再送] 【訂正】【ご利用料金のお知らせ】2026年10月分 株式会社エクザンプル 御中');
    for (const part of [ja.text, ja.html]) {
      expect(part).toContain('本メールは、先にお送りした訂正のお知らせの再送です。');
      expect(part).toContain('差額');
    }
    const english = renderStatementMail(en({ kind: 'resend', correction: correction({ previousTotal: '1222.06' }) }));
    expect(english.subject).toBe('[Resent] Corrected: Usage charges for October 2026 - Example Corp');
    for (const part of [english.text, english.html]) {
      expect(part).toContain('This is a resend of an earlier correction notice.');
      expect(part).toContain('+12.50 USD');
    }
  });

  it('leaves a mail that corrects nothing as it was', () => {
    for (const locale of ['ja', 'en'] as const) {
      for (const kind of ['statement', 'resend'] as const) {
        const plain = renderStatementMail(mail({ locale, kind }));
        for (const correctionValue of [undefined, null]) {
          expect(renderStatementMail(mail({ locale, kind, correction: correctionValue }))).toEqual(plain);
        }
        for (const part of [plain.subject, plain.text, plain.html]) {
          expect(part).not.toMatch(/訂正|差額|Corrected|Earlier total|Difference|Reason/);
        }
      }
    }
    const data = templateData(mail());
    expect(data).toMatchObject({
      corrected: false,
      revision: 1,
      previousAmount: '',
      difference: '',
      correctionReason: '',
    });
    expect(templateData(mail({ correction: correction({ revision: 3, previousRevision: 2 }) }))).toMatchObject({
      corrected: true,
      revision: 3,
      previousAmount: '13,000円',
      difference: '-655円',
      correctionReason: '10月20日の通信量が二重に計上されていたため',
    });
  });

  it('leaves no run of empty lines in the text part of a correction', () => {
    for (const { mail: m } of sampleMails()) {
      for (const kind of ['statement', 'resend'] as const) {
        for (const reason of ['a reason', '']) {
          const text = renderStatementMail({ ...m, kind, correction: correction({ reason }) }).text;
          expect(text).not.toMatch(/\n\s*\n\s*\n/);
        }
      }
    }
  });

  it('refuses a malformed earlier total or revision with E_MAIL_DATA', () => {
    for (const bad of [
      { previousTotal: '1e5' },
      { previousTotal: '1,234' },
      { previousTotal: '' },
      { revision: 1 },
      { revision: 2.5 },
      { previousRevision: 2 },
      { previousRevision: 0 },
    ]) {
      expect(() => renderStatementMail(mail({ correction: correction(bad) })), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'E_MAIL_DATA' }),
      );
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
    for (const bad of ['', '1e3', '1,000', '12.', '.5', 'NaN', ' 1'])
      expect(() => formatAmount(bad, 'JPY')).toThrow(UsageChargesError);
  });
});
