/**
 * The web server in a real browser: Debian's headless chromium (playwright-core) against the site
 * listening on 127.0.0.1, driven through the pages only (clicking, filling, pressing; nothing
 * fetched behind the page). A tenant's owner signs in by a mailed link, sets a password, signs out
 * and in again with it, reads the billing history and downloads the month's zip (the archived
 * bytes); an operator sees the month; a wrong password says so; a phone shows the history at its
 * width; an owner registers a coupon code; an operator releases a held statement and resends one
 * with a reason. Fails (never skips) when chromium is missing, saying how to install it.
 *
 * New flows are a few lines each with the helpers below: signInByLink, signInWithPassword,
 * setPassword, signOut, clickDownload.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPasswordHash, signInUser } from '../../src/store/sessions.ts';
import { hashPassword } from '../../src/web/passwords.ts';
import { issueSignInLink } from '../../src/web/sign-in.ts';
import { launchWebBrowser, type WebBrowser } from '../helpers/chromium.ts';
import { runCli } from '../helpers/cli.ts';
import { AS_OF, audit, inStore, MONTH, seeded, seedTemplate } from '../helpers/demo-store.ts';
import { tempDir } from '../helpers/store.ts';
import { startSite, type Site } from '../helpers/web.ts';

/** Generous: a busy machine is slow, never wrong. */
const WAIT_MS = 60_000;

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;
/** The demo month closed under REVIEW_HOLD=on: every statement held, no mail sent yet. */
let heldTemplate: Record<string, string>;
let browser: WebBrowser;

beforeAll(async () => {
  browser = await launchWebBrowser();
  work = tempDir('uc-web-browser-');
  template = await seedTemplate(work.dir);
  expect((await runCli(['run', '--as-of', AS_OF], template)).code).toBe(0);
  heldTemplate = { ...(await seeded(work.dir, 'held-template')), REVIEW_HOLD: 'on' };
  expect((await runCli(['run', '--as-of', AS_OF], heldTemplate)).code).toBe(0);
});
afterAll(async () => {
  await browser?.close();
  work?.cleanup();
});

/** A new browser window of a person on the site (desktop unless told), with generous timeouts. */
async function open(
  site: Site,
  kind: 'desktop' | 'phone' = 'desktop',
  language: 'en' | 'ja' = 'en',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.context(kind, language);
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  await page.goto(`${site.base}/`);
  return { context, page };
}

/** Signs in with the e-mail address and password form of the sign-in page. */
async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  const form = page.locator('form[action="/sign-in"]');
  await form.getByLabel('E-mail address').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

/** Asks for a one-time link with the sign-in page's second form; returns the link mailed (the newest .eml). */
async function requestLink(page: Page, site: Site, email: string): Promise<string> {
  const form = page.locator('form[action="/sign-in/link"]');
  await form.getByLabel('E-mail address').fill(email);
  await form.getByRole('button', { name: 'Send the link' }).click();
  await expect.poll(() => page.locator('.notice').textContent()).toContain('a sign-in link is on its way');
  return mailedLink(site, email);
}

/** The newest one-time link in the outbox's mails to `email`. */
async function mailedLink(site: Site, email: string): Promise<string> {
  const links: { at: number; link: string }[] = [];
  for (const f of fs.existsSync(site.outbox) ? fs.readdirSync(site.outbox) : []) {
    const mail = await simpleParser(fs.readFileSync(path.join(site.outbox, f)));
    const to = mail.to && 'text' in mail.to ? mail.to.text : '';
    const link = /https?:\/\/\S+\/sign-in\/link\/\S+/.exec(mail.text ?? '')?.[0];
    if (to === email && link !== undefined) links.push({ at: mail.date!.getTime(), link });
  }
  const newest = links.sort((a, b) => a.at - b.at).at(-1);
  if (newest === undefined) throw new Error(`no sign-in link was mailed to ${email}`);
  return newest.link;
}

/** A one-time link made in the store (as `user link` prints it). */
function issuedLink(site: Site, email: string): string {
  const user = signInUser(site.store, email);
  if (user === undefined) throw new Error(`${email} is not a person of the site`);
  return `${site.base}/sign-in/link/${issueSignInLink(site.store, user, 'sign-in', new Date(), 'printed').token}`;
}

/** Opens a one-time link and confirms it with its button, as a person does. */
async function signInByLink(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await expect.poll(() => page.locator('main').textContent()).toContain('Press the button to sign in.');
  await page.locator('main').getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

/** Sets a password on the password page (where a first sign-in by link lands). */
async function setPassword(page: Page, password: string): Promise<void> {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('New password, again').fill(password);
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.waitForLoadState('load');
}

/** Gives a person a password in the store (for flows that do not start from a link). */
async function givePassword(site: Site, email: string, password: string): Promise<void> {
  setPasswordHash(
    site.store,
    signInUser(site.store, email)!.userPk,
    await hashPassword(password),
    new Date().toISOString(),
  );
}

/** Presses the header's sign-out button. */
async function signOut(page: Page): Promise<void> {
  await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
  await page.waitForLoadState('load');
}

/** Clicks a download link by its text; returns the file's suggested name and bytes. */
async function clickDownload(page: Page, linkText: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: linkText, exact: true }).click(),
  ]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: fs.readFileSync(file) };
}

/** The session cookie of a browser window, if any. */
async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === 'uc_session')?.value;
}

/** The SHA-256 of a tenant's archived zip of the demo month, as the store records it. */
function archivedSha256(site: Site, tenant: string): string {
  return inStore(site.env, (db) =>
    db
      .prepare(
        `SELECT f.sha256 FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
         WHERE t.tenant_name = ? AND s.billing_month = ?`,
      )
      .pluck()
      .get(tenant, MONTH),
  ) as string;
}

const sha256 = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex');

describe('the web pages in a real browser', () => {
  it("a tenant's owner signs in by a mailed link, sets a password, signs in with it, downloads the month's zip and signs out", async () => {
    const site = await startSite(template, work.dir, 'owner');
    const { context, page } = await open(site);
    // Signed out, every page is the sign-in page.
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    await signInByLink(page, await requestLink(page, site, 'ap@rules.example.com'));
    expect(new URL(page.url()).pathname).toBe('/password');
    await setPassword(page, 'correct horse battery');
    await expect.poll(() => page.locator('.notice').textContent()).toBe('The password is set.');

    await signOut(page);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await sessionCookie(context)).toBeUndefined();
    await signInWithPassword(page, 'ap@rules.example.com', 'correct horse battery');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('h1').textContent()).toBe('Billing history: TNT00003');
    const row = page.locator('tbody tr', { hasText: MONTH });
    expect(await row.locator('td').allTextContents()).toEqual([
      MONTH,
      '2026-10-01 – 2026-10-31',
      'Fixed',
      expect.stringMatching(/^\d{1,3}(,\d{3})* JPY$/),
      '202610_TNT00003.zip · Detail CSV · Summary CSV · Older tiered CSV',
    ]);
    expect(await page.locator('main').textContent()).not.toMatch(/TNT00001|TNT00004|manual-tenant/);

    const zip = await clickDownload(page, '202610_TNT00003.zip');
    expect(zip.name).toBe('202610_TNT00003.zip');
    expect(sha256(zip.bytes)).toBe(archivedSha256(site, 'TNT00003'));
    const detail = await clickDownload(page, 'Detail CSV');
    expect(detail.name).toBe('202610_TNT00003_ecl-detail.csv');
    expect(detail.bytes.length).toBeGreaterThan(0);

    expect(await sessionCookie(context)).toEqual(expect.any(String));
    await signOut(page);
    expect(await sessionCookie(context)).toBeUndefined();
    await page.goto(`${site.base}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.locator('h1').textContent()).toBe('Sign in');

    expect(audit(site.env, 'sign-in').map((e) => [e.detail.email, e.detail.how])).toEqual([
      ['ap@rules.example.com', 'link'],
      ['ap@rules.example.com', 'password'],
    ]);
    expect(audit(site.env, 'download').map((e) => [e.subject, e.detail.file, e.detail.email])).toEqual([
      ['TNT00003', '202610_TNT00003.zip', 'ap@rules.example.com'],
      ['TNT00003', '202610_TNT00003_ecl-detail.csv', 'ap@rules.example.com'],
    ]);
    expect(audit(site.env, 'sign-out')).toHaveLength(2);
  });

  it('an operator signs in by a printed link and sees the month', async () => {
    const site = await startSite(template, work.dir, 'operator');
    const { page } = await open(site);
    await signInByLink(page, issuedLink(site, 'ops@example.com'));
    // A first sign-in asks for a password; the header's first link leads to the month.
    expect(new URL(page.url()).pathname).toBe('/password');
    await page.locator('header nav').getByRole('link').first().click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('h1').textContent()).toBe('The month');
    expect(await page.locator('h2').first().textContent()).toBe(MONTH);
    const counts = await page
      .locator('table.counts tr')
      .evaluateAll((rows) => rows.map((r) => [r.querySelector('th')!.textContent, r.querySelector('td')!.textContent]));
    expect(counts).toContainEqual(['Statements fixed', '5']);
    expect(await page.locator('header .who').textContent()).toContain('ops@example.com');
  });

  it('a wrong password says so, and signs nobody in', async () => {
    const site = await startSite(template, work.dir, 'wrong');
    await givePassword(site, 'ops@example.com', 'correct horse battery');
    const { context, page } = await open(site);
    await signInWithPassword(page, 'ops@example.com', 'not the password');
    expect(await page.locator('.error').textContent()).toBe('Wrong e-mail address or password.');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // The address stays filled in; the password does not.
    const form = page.locator('form[action="/sign-in"]');
    expect(await form.getByLabel('E-mail address').inputValue()).toBe('ops@example.com');
    expect(await form.getByLabel('Password').inputValue()).toBe('');
    expect(await sessionCookie(context)).toBeUndefined();
    expect(audit(site.env, 'sign-in-failed').map((e) => e.detail.email)).toEqual(['ops@example.com']);

    await signInWithPassword(page, 'ops@example.com', 'correct horse battery');
    expect(await page.locator('h1').textContent()).toBe('The month');
  });

  it("on a phone, in Japanese: a tenant's history fits the screen and its zip downloads", async () => {
    const site = await startSite(template, work.dir, 'phone');
    await givePassword(site, 'billing@tenant01.example.jp', 'correct horse battery');
    const { page } = await open(site, 'phone', 'ja');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    const form = page.locator('form[action="/sign-in"]');
    await form.getByLabel('メールアドレス').fill('billing@tenant01.example.jp');
    await form.getByLabel('パスワード').fill('correct horse battery');
    await form.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('ご利用料金の履歴: TNT00001');
    // Laid out at the phone's width: nothing wider than the screen.
    const widths = (await page.evaluate(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    )) as { scroll: number; client: number };
    expect(widths.client).toBe(375);
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);

    // The tenant was deleted on 2026-10-28: its zip is named with that day.
    const zip = await clickDownload(page, '202610_TNT00001_20261028.zip');
    expect(zip.name).toBe('202610_TNT00001_20261028.zip');
    expect(sha256(zip.bytes)).toBe(archivedSha256(site, 'TNT00001'));
  });
  it("a tenant's owner registers a coupon code: the details and months first, then Register", async () => {
    // The site's clock in 2026-11: a coupon registered now applies from 2026-12.
    const site = await startSite(template, work.dir, 'coupon', { now: () => new Date('2026-11-15T03:00:00Z') });
    await givePassword(site, 'ap@rules.example.com', 'correct horse battery');
    const { page } = await open(site);
    await signInWithPassword(page, 'ap@rules.example.com', 'correct horse battery');
    await page.locator('header nav').getByRole('link', { name: 'Coupons' }).click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).toBe('/coupons');

    // A code that is not 12 capital letters or digits is refused, saying why.
    await page.getByLabel('Coupon code').fill('RULES-10');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.error').textContent()).toMatch(/12/);

    // Lowercase is read as capitals; the confirmation shows the months it will apply to.
    await page.getByLabel('Coupon code').fill(' rules10pct26 ');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForLoadState('load');
    const details = await page.locator('main dl').textContent();
    expect(details).toContain('RULES10PCT26');
    expect(details).toContain('2026-12');
    expect(details).toContain('2027-02');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.notice').textContent()).toBe(
      'The coupon RULES10PCT26 is registered. It applies to 2026-12 – 2027-02.',
    );
    expect(await page.locator('main table').textContent()).toContain('RULES10PCT26');
    const stored = inStore(site.env, (db) =>
      db
        .prepare(
          "SELECT c.registered_at, c.discount_type, c.discount_value FROM coupons c JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00003' AND c.coupon_code = 'RULES10PCT26'",
        )
        .get(),
    );
    expect(stored).toEqual({
      registered_at: '2026-11-15T03:00:00.000Z',
      discount_type: 'percent',
      discount_value: '10',
    });
    expect(audit(site.env, 'coupon-registered').map((e) => [e.subject, e.detail.email])).toEqual([
      ['TNT00003', 'ap@rules.example.com'],
    ]);
  });

  it('an operator releases a held statement and resends a statement with a reason', async () => {
    const site = await startSite(heldTemplate, work.dir, 'operator-actions');
    await givePassword(site, 'ops@example.com', 'correct horse battery');
    const { page } = await open(site);
    await signInWithPassword(page, 'ops@example.com', 'correct horse battery');
    // From the tenants list to TNT00003's statement.
    await page.locator('header nav').getByRole('link', { name: 'Tenants' }).click();
    await page.waitForLoadState('load');
    await page.getByRole('link', { name: 'TNT00003', exact: true }).click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).toBe(`/tenants/TNT00003/months/${MONTH}`);

    await page.locator('summary', { hasText: 'Release' }).click();
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.notice').textContent()).toBe('Released: the next month-end pass sends its mails.');
    expect(audit(site.env, 'release').map((e) => [e.subject, e.detail.by])).toEqual([['TNT00003', 'ops@example.com']]);

    // A resend needs a reason: the browser keeps the form until it has one.
    await page.locator('summary', { hasText: 'Resend the statement' }).click();
    const resend = page.locator('form[action$="/resend"]');
    await resend.getByRole('button', { name: 'Resend' }).click();
    expect(new URL(page.url()).pathname).toBe(`/tenants/TNT00003/months/${MONTH}`);
    expect(audit(site.env, 'resend')).toEqual([]);
    await resend.getByLabel('Reason').fill('the tenant asked for a copy');
    await resend.getByLabel(/^To/).fill('ap@rules.example.com');
    await resend.getByRole('button', { name: 'Resend' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.notice').textContent()).toBe('Resent: 1 sent, 0 to be retried, 0 failed.');
    const resent = audit(site.env, 'resend');
    expect(resent.map((e) => [e.subject, e.detail.by, e.detail.reason])).toEqual([
      ['TNT00003', 'ops@example.com', 'the tenant asked for a copy'],
    ]);
    const mails = fs.readdirSync(site.outbox);
    expect(mails).toHaveLength(1);
    const mail = await simpleParser(fs.readFileSync(path.join(site.outbox, mails[0]!)));
    expect(mail.attachments.map((a) => a.filename)).toEqual(['202610_TNT00003.zip']);
    expect(sha256(mail.attachments[0]!.content)).toBe(archivedSha256(site, 'TNT00003'));
  });
});
