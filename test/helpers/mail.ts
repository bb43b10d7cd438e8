/** A statement mail for the mail tests: a Japanese statement of 2026-10, with what a test changes. */
import type { StatementMail } from '../../src/mail/render.ts';

export function statementMail(overrides: Partial<StatementMail> = {}): StatementMail {
  return {
    locale: 'ja',
    kind: 'statement',
    tenantName: 'acme',
    displayName: '株式会社エクザンプル',
    contactName: '',
    billingMonth: '2026-10',
    periodFirstDay: '2026-10-01',
    periodLastDay: '2026-10-31',
    total: '12345',
    currency: 'JPY',
    taxes: [],
    finalStatement: false,
    attachmentName: 'acme_202610.zip',
    issuer: { name: '', address: '', contact: '', url: '', invoiceNumber: '' },
    ...overrides,
  };
}

/** An issuer with every setting filled, as an operator would configure it. */
export const SAMPLE_ISSUER = {
  name: '株式会社サンプルクラウド',
  address: '〒100-0005 東京都千代田区丸の内1-1-1 サンプルビル12階',
  contact: 'support@cloud.example.co.jp / 03-1234-5678（平日9:00〜18:00）',
  url: 'https://cloud.example.co.jp/support/billing',
  invoiceNumber: 'T1234567890123',
};

/** The mails the layout checks and the screenshots show: ja and en, a tenant as usual and a deleted one. */
export function sampleMails(): { name: string; mail: StatementMail }[] {
  const ja = (o: Partial<StatementMail>): StatementMail =>
    statementMail({
      contactName: '経理部 山田 太郎',
      total: '34662',
      taxes: [{ percent: '10', amount: '3151' }],
      issuer: SAMPLE_ISSUER,
      ...o,
    });
  const en = (o: Partial<StatementMail>): StatementMail =>
    statementMail({
      locale: 'en',
      displayName: 'Globex Singapore Pte. Ltd.',
      contactName: 'Accounts Payable',
      tenantName: 'TNT00004',
      total: '1234567.89',
      currency: 'SGD',
      attachmentName: 'TNT00004_202610.zip',
      issuer: {
        ...SAMPLE_ISSUER,
        name: 'Sample Cloud K.K.',
        address: 'Sample Bldg. 12F, 1-1-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005, Japan',
        contact: 'support@cloud.example.co.jp / +81 3 1234 5678',
      },
      ...o,
    });
  return [
    { name: 'ja-normal', mail: ja({}) },
    // A long unbroken tenant name and file name, as an import may hold them.
    {
      name: 'ja-deleted',
      mail: ja({
        finalStatement: true,
        contactName: '',
        displayName: '株式会社ロングネームインターナショナルホールディングス',
        tenantName: 'TNT_LONG_NAME_WITHOUT_ANY_BREAK_OPPORTUNITY_0001',
        attachmentName: 'TNT_LONG_NAME_WITHOUT_ANY_BREAK_OPPORTUNITY_0001_202610.zip',
      }),
    },
    { name: 'en-normal', mail: en({}) },
    { name: 'en-deleted', mail: en({ finalStatement: true, contactName: '' }) },
  ];
}
