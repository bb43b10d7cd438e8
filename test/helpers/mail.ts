/** A statement mail for the mail tests: a Japanese statement of 2026-10, with what a test changes. */
import type { StatementMail } from '../../src/mail/render.ts';

export function statementMail(overrides: Partial<StatementMail> = {}): StatementMail {
  return {
    locale: 'ja',
    kind: 'statement',
    tenantName: 'acme',
    displayName: '株式会社エクザンプル',
    billingMonth: '2026-10',
    periodFirstDay: '2026-10-01',
    periodLastDay: '2026-10-31',
    total: '12345',
    currency: 'JPY',
    finalStatement: false,
    attachmentName: 'acme_202610.zip',
    ...overrides,
  };
}
