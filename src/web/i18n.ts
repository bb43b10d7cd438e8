/**
 * The words of the web pages, in Japanese and English: the common ones here, the tenant portal's in
 * `words/portal-*.ts`, the operator console's in `words/console-*.ts`.
 */
import type { FastifyRequest } from 'fastify';
import type { Locale } from '../domain/vocabulary.ts';
import { CONSOLE_MONTH_WORDS } from './words/console-month.ts';
import { CONSOLE_STATEMENT_WORDS } from './words/console-statement.ts';
import { PORTAL_CONTRACT_WORDS } from './words/portal-contract.ts';
import { PORTAL_MONTH_WORDS } from './words/portal-month.ts';

const COMMON_WORDS = {
  navHome: { ja: 'ホーム', en: 'Home' },
  somethingWrong: { ja: 'エラー', en: 'Something went wrong' },
  internalError: {
    ja: '処理中にエラーが発生しました。時間をおいて、もう一度お試しください。',
    en: 'The request failed. Try again in a moment.',
  },
  storeBusy: {
    ja: '月次処理の実行中で、データを更新できませんでした。しばらく待ってから、もう一度お試しください。',
    en: 'A month-end pass is writing: nothing was changed. Try again in a moment.',
  },
  navEstimate: { ja: '今月の見込み', en: 'This month (estimate)' },
  navCoupons: { ja: 'クーポン', en: 'Coupons' },
  navContacts: { ja: '送付先', en: 'Statement addresses' },
  navPeople: { ja: 'ユーザー', en: 'People' },
  navTenants: { ja: 'テナント', en: 'Tenants' },
  navImports: { ja: '取り込み', en: 'Imports' },
  formExpired: { ja: 'フォームの有効期限切れ', en: 'The form expired' },
  formExpiredLong: {
    ja: 'フォームの有効期限が切れたか、別の画面から送信されました。ページを開き直して、もう一度送信してください。',
    en: 'The form expired or came from another page. Open the page again and send it again.',
  },
  product: { ja: '利用料金', en: 'Usage charges' },
  signIn: { ja: 'サインイン', en: 'Sign in' },
  signOut: { ja: 'サインアウト', en: 'Sign out' },
  email: { ja: 'メールアドレス', en: 'E-mail address' },
  password: { ja: 'パスワード', en: 'Password' },
  newPassword: { ja: '新しいパスワード', en: 'New password' },
  repeatPassword: { ja: '新しいパスワード（確認）', en: 'New password, again' },
  setPassword: { ja: 'パスワードを設定', en: 'Set the password' },
  orLink: {
    ja: 'パスワードを使わずに、サインイン用のリンクをメールで受け取る',
    en: 'Or get a one-time sign-in link by e-mail',
  },
  sendLink: { ja: 'リンクを送信', en: 'Send the link' },
  linkSent: {
    ja: 'このアドレスが登録されていれば、サインイン用のリンクをお送りしました。リンクは15分間有効です。',
    en: 'If this address is registered, a sign-in link is on its way. It works for 15 minutes.',
  },
  confirmLink: { ja: '下のボタンでサインインします。', en: 'Press the button to sign in.' },
  linkUnusable: {
    ja: 'このリンクは使用済みか、有効期限が切れています。もう一度リンクを送信してください。',
    en: 'This link was used already or has expired. Ask for a new one.',
  },
  wrong: { ja: 'メールアドレスまたはパスワードが違います。', en: 'Wrong e-mail address or password.' },
  locked: {
    ja: 'パスワードの誤りが続いたため、しばらくサインインできません。時間をおくか、リンクでサインインしてください。',
    en: 'Too many wrong passwords: password sign-in is locked for a while. Wait, or sign in with a link.',
  },
  throttled: {
    ja: '試行が多すぎます。少し待ってからもう一度お試しください。',
    en: 'Too many attempts. Wait a little and try again.',
  },
  passwordShort: { ja: 'パスワードは12文字以上にしてください。', en: 'The password must have at least 12 characters.' },
  passwordDiffers: { ja: '2つのパスワードが一致しません。', en: 'The two passwords differ.' },
  passwordSet: { ja: 'パスワードを設定しました。', en: 'The password is set.' },
  signedInAs: { ja: 'サインイン中', en: 'Signed in as' },
  history: { ja: 'ご利用料金の履歴', en: 'Billing history' },
  month: { ja: '対象月', en: 'Month' },
  period: { ja: '対象期間', en: 'Period' },
  state: { ja: '状態', en: 'State' },
  total: { ja: 'ご利用料金', en: 'Total' },
  revision: { ja: '版', en: 'Revision' },
  fixed: { ja: '確定', en: 'Fixed' },
  corrected: { ja: '確定（訂正）', en: 'Fixed (corrected)' },
  held: { ja: '確認中', en: 'Under review' },
  void: { ja: '無効（再作成待ち）', en: 'Void (being closed again)' },
  open: { ja: '未確定', en: 'Not fixed yet' },
  noStatements: { ja: 'まだ明細はありません。', en: 'No statement yet.' },
  monthOverview: { ja: '月次の状況', en: 'The month' },
  closed: { ja: '確定した明細', en: 'Statements fixed' },
  failedToClose: { ja: '確定できなかった明細', en: 'Failed to close' },
  voided: { ja: '無効にした明細', en: 'Voided' },
  heldCount: { ja: '確認待ちの明細', en: 'Held for review' },
  mailsSent: { ja: '送信済みメール', en: 'Mails sent' },
  mailsWaiting: { ja: '送信待ちメール', en: 'Mails waiting' },
  mailsFailed: { ja: '送信失敗メール', en: 'Mails failed' },
  attention: { ja: '対応が必要な明細', en: 'Needs attention' },
  tenant: { ja: 'テナント', en: 'Tenant' },
  reason: { ja: '理由', en: 'Reason' },
  nothingYet: { ja: 'まだ確定した月はありません。', en: 'No month is closed yet.' },
  notFound: { ja: 'ページが見つかりません。', en: 'Page not found.' },
  download: { ja: '明細のダウンロード', en: 'Downloads' },
  tieredCsv: { ja: '旧形式CSV', en: 'Older tiered CSV' },
  detailCsv: { ja: 'Detail形式CSV', en: 'Detail CSV' },
  summaryCsv: { ja: 'Summary形式CSV', en: 'Summary CSV' },
} as const;

/** The word files merged; a key in two of them (the later would silently replace the earlier) is refused. */
export function mergeWords<T extends Record<string, { ja: string; en: string }>>(...parts: T[]): T {
  const merged: Record<string, { ja: string; en: string }> = {};
  for (const part of parts) {
    for (const [key, word] of Object.entries(part)) {
      if (key in merged) throw new Error(`the word "${key}" is in two word files`);
      merged[key] = word;
    }
  }
  return merged as T;
}

const WORDS = mergeWords<Record<string, { ja: string; en: string }>>(
  COMMON_WORDS,
  PORTAL_MONTH_WORDS,
  PORTAL_CONTRACT_WORDS,
  CONSOLE_STATEMENT_WORDS,
  CONSOLE_MONTH_WORDS,
) as typeof COMMON_WORDS &
  typeof PORTAL_MONTH_WORDS &
  typeof PORTAL_CONTRACT_WORDS &
  typeof CONSOLE_STATEMENT_WORDS &
  typeof CONSOLE_MONTH_WORDS;

export type Words = { [K in keyof typeof WORDS]: string };

/** The words of a locale. */
export function wordsOf(locale: Locale): Words {
  return WORDS_OF[locale];
}

/** Each locale's words, made once (a page asks for them several times). */
const WORDS_OF: Record<Locale, Words> = {
  ja: Object.freeze(Object.fromEntries(Object.entries(WORDS).map(([k, v]) => [k, v.ja]))) as Words,
  en: Object.freeze(Object.fromEntries(Object.entries(WORDS).map(([k, v]) => [k, v.en]))) as Words,
};

/** The locale a browser asks for: Japanese when its first language is, else English. */
export function browserLocale(acceptLanguage: string | undefined): Locale {
  return /^\s*ja\b/i.test(acceptLanguage ?? '') ? 'ja' : 'en';
}

/** The locale of a request's pages: the tenant's for its people, else the browser's. */
export function pageLocale(request: FastifyRequest): Locale {
  const tenantLocale = request.session?.user.tenantLocale;
  if (tenantLocale === 'ja' || tenantLocale === 'en') return tenantLocale;
  return browserLocale(request.headers['accept-language']);
}

/** Fills each `{name}` of a phrase with its value (a name without a value stays as it is). */
export function fill(phrase: string, values: Record<string, string | number>): string {
  return phrase.replace(/\{(\w+)\}/g, (all, name: string) => (name in values ? String(values[name]) : all));
}
