/**
 * The tenant portal's contract pages over real HTTP on 127.0.0.1, with a real store: coupons
 * (a code the billing team issued, checked, confirmed with the months it applies to, registered,
 * and then discounted by the next month's close), statement addresses (added, deactivated with a
 * warning for the last one, reactivated; the next close mails the addresses active then) and people
 * (an admin invited by a mailed link that signs them in, an admin disabled). Only the tenant's owner
 * sees them: its admin and the billing team get 404, another tenant's owner sees only their own.
 * Every refusal says why and changes nothing; a form without its CSRF token is 403, nothing stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF, audit, inStore, seedTemplate } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';
import { PEOPLE, signedIn, startSite, testBrowser, type Site, type TestBrowser } from '../helpers/web.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

/** The site's clock: 10 November 2026 (the demo's October is closed). */
const NOW = new Date('2026-11-10T03:00:00Z');
const OWNER = 'ap@rules.example.com';
const ADMIN = 'admin@rules.example.com';
const OTHER_OWNER = 'owner@globex.example.sg';
/** The owner of another tenant billed in yen, as TNT00003 is (TNT00004 is billed in SGD). */
const YEN_OWNER = 'owner@nocontact.example.com';
/** The usual people, an owner of TNT00004 and of TNT00005, and a second owner of TNT00003. */
const PEOPLE_HERE = [
  ...PEOPLE,
  [OTHER_OWNER, 'owner', 'TNT00004'],
  [YEN_OWNER, 'owner', 'TNT00005'],
  ['cfo-owner@rules.example.com', 'owner', 'TNT00003'],
] as const;

/** The codes these tests register, issued by the billing team's import. */
const OFFERS = [
  'coupon_code,discount_type,discount_value,currency,valid_months,valid_until,description,tenant_name,redeem_by',
  'SAVE1000X6MO,amount,1000,JPY,6,,1000 off for 6 months,,',
  'EXPIRED2026A,amount,100,JPY,1,,Autumn campaign,,2026-11-05',
  'ONLYTNT00004,percent,5,,2,,For Globex only,TNT00004,',
  'RACE00000001,amount,200,JPY,1,,First come first served,,',
  'DELETEDTNT01,amount,200,JPY,1,,For anybody,,',
  'SGDONLY00010,amount,10,SGD,1,,10 SGD off,,',
].join('\n');

beforeAll(async () => {
  work = tempDir('uc-web-contract-');
  template = await seedTemplate(work.dir);
  expect((await runCli(['run', '--as-of', AS_OF], template)).code).toBe(0);
  const offers = path.join(work.dir, 'offers.csv');
  fs.writeFileSync(offers, `${OFFERS}\n`);
  const r = await runCli(['import', 'coupon-offers', offers], template);
  expect(r.code, r.stdout + r.stderr).toBe(0);
});
afterAll(() => work.cleanup());

const site = (name: string): Promise<Site> =>
  startSite(template, work.dir, name, { people: PEOPLE_HERE, now: () => NOW });

/** A page's text without tags, spaces collapsed (to read messages and table rows). */
const textOf = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

/** Posts a form of the page at `from` (its CSRF token) to `to`. */
async function submit(b: TestBrowser, from: string, to: string, form: Record<string, string>) {
  const page = await b.request(from);
  expect(page.status).toBe(200);
  return b.request(to, { _csrf: b.csrf(page.html), ...form });
}

const one = <T>(env: Record<string, string>, sql: string, ...args: unknown[]): T =>
  inStore(env, (db) => db.prepare(sql).get(...args) as T);
const all = <T>(env: Record<string, string>, sql: string, ...args: unknown[]): T[] =>
  inStore(env, (db) => db.prepare(sql).all(...args) as T[]);

/** The sign-in links mailed (the .eml files of the outbox), oldest first. */
async function mailedLinks(outbox: string): Promise<{ to: string; link: string; text: string }[]> {
  const out: { to: string; link: string; text: string; at: number }[] = [];
  for (const f of fs.existsSync(outbox) ? fs.readdirSync(outbox) : []) {
    const m = await simpleParser(fs.readFileSync(path.join(outbox, f)));
    const link = /https?:\/\/\S+\/sign-in\/link\/\S+/.exec(m.text ?? '')?.[0];
    if (link !== undefined)
      out.push({ to: m.to && 'text' in m.to ? m.to.text : '', link, text: m.text ?? '', at: m.date!.getTime() });
  }
  return out.sort((a, b) => a.at - b.at).map(({ to, link, text }) => ({ to, link, text }));
}

describe('who sees the contract pages', () => {
  it('the owner does, with the header links; the admin of the same tenant and the billing team get 404', async () => {
    const s = await site('access');
    const owner = await signedIn(s, OWNER);
    for (const url of ['/coupons', '/contacts', '/people']) {
      const page = await owner.request(url);
      expect(page.status, url).toBe(200);
      expect(page.html).toContain(`<a href="${url}" aria-current="page">`);
    }
    const home = await owner.request('/');
    expect(home.html).toContain('<a href="/coupons">Coupons</a>');
    for (const email of [ADMIN, 'ops@example.com', 'viewer@example.com']) {
      const b = await signedIn(s, email);
      expect((await b.request('/')).html).not.toContain('href="/coupons"');
      for (const url of ['/coupons', '/contacts', '/people']) {
        const page = await b.request(url);
        expect(page.status, `${email} ${url}`).toBe(404);
        expect(page.html).toContain('Page not found.');
      }
      // Their forms are not found either (with a valid token), and nothing is stored.
      const token = b.csrf((await b.request('/')).html);
      for (const [url, form] of [
        ['/coupons/check', { code: 'SAVE1000X6MO' }],
        ['/coupons', { code: 'SAVE1000X6MO' }],
        ['/contacts', { email: 'x@rules.example.com', name: '' }],
        ['/contacts/active', { email: 'cfo@rules.example.com', active: '0' }],
        ['/people', { email: 'y@rules.example.com', name: '' }],
        ['/people/disable', { email: ADMIN }],
      ] as const)
        expect((await b.request(url, { _csrf: token, ...form })).status, `${email} POST ${url}`).toBe(404);
    }
    expect(one(s.env, "SELECT COUNT(*) AS n FROM coupons WHERE coupon_code = 'SAVE1000X6MO'")).toEqual({ n: 0 });
    expect(one(s.env, "SELECT active FROM contacts WHERE email = 'cfo@rules.example.com'")).toEqual({ active: 1 });
    expect(one(s.env, 'SELECT disabled_at FROM users WHERE email = ?', ADMIN)).toEqual({ disabled_at: null });
    // Signed out: the sign-in page.
    expect(await testBrowser(s.base).request('/coupons')).toMatchObject({ status: 303, location: '/sign-in' });
  });

  it('a form without its CSRF token is 403 and stores nothing', async () => {
    const s = await site('csrf');
    const owner = await signedIn(s, OWNER);
    const before = all(s.env, 'SELECT action FROM audit_log ORDER BY audit_pk').length;
    for (const [url, form] of [
      ['/coupons', { code: 'SAVE1000X6MO' }],
      ['/contacts', { email: 'x@rules.example.com', name: 'X' }],
      ['/contacts/active', { email: 'cfo@rules.example.com', active: '0' }],
      ['/people', { email: 'y@rules.example.com', name: 'Y' }],
      ['/people/disable', { email: ADMIN }],
    ] as const) {
      for (const token of [undefined, 'not-the-token']) {
        const r = await owner.request(url, token === undefined ? form : { ...form, _csrf: token });
        expect(r.status, url).toBe(403);
        expect(r.html).toContain('The form expired or came from another page.');
      }
    }
    expect(one(s.env, "SELECT COUNT(*) AS n FROM coupons WHERE coupon_code = 'SAVE1000X6MO'")).toEqual({ n: 0 });
    expect(one(s.env, "SELECT COUNT(*) AS n FROM contacts WHERE email = 'x@rules.example.com'")).toEqual({ n: 0 });
    expect(one(s.env, "SELECT active FROM contacts WHERE email = 'cfo@rules.example.com'")).toEqual({ active: 1 });
    expect(one(s.env, "SELECT COUNT(*) AS n FROM users WHERE email = 'y@rules.example.com'")).toEqual({ n: 0 });
    expect(one(s.env, 'SELECT disabled_at FROM users WHERE email = ?', ADMIN)).toEqual({ disabled_at: null });
    expect(all(s.env, 'SELECT action FROM audit_log ORDER BY audit_pk')).toHaveLength(before);
    expect(await mailedLinks(s.outbox)).toEqual([]);
  });
});

describe('coupons', () => {
  it('a code is checked, confirmed with its months, registered (audited) and discounts the next month’s statement', async () => {
    const s = await site('coupons');
    const owner = await signedIn(s, OWNER);
    const list = await owner.request('/coupons');
    // The demo's coupon of TNT00003, registered in September: October to December.
    expect(textOf(list.html)).toContain('WELCOME2026A 1000 JPY off 2026-10 – 2026-12 Welcome coupon 2026-09-15');
    expect(list.html).toContain(
      'A coupon you register applies from the billing month after the month you register it in.',
    );

    // Trimmed, upper-cased; the confirmation shows the details and exactly the months.
    const check = await submit(owner, '/coupons', '/coupons/check', { code: '  save1000x6mo ' });
    expect(check.status).toBe(200);
    const shown = textOf(check.html);
    expect(shown).toContain('Coupon code SAVE1000X6MO');
    expect(shown).toContain('Discount 1000 JPY off');
    expect(shown).toContain('Description 1000 off for 6 months');
    expect(shown).toContain('Billing months it applies to 2026-12 – 2027-05');
    expect(shown).toContain('2026-12, 2027-01, 2027-02, 2027-03, 2027-04, 2027-05');
    expect(one(s.env, "SELECT COUNT(*) AS n FROM coupons WHERE coupon_code = 'SAVE1000X6MO'")).toEqual({ n: 0 });

    const done = await owner.request('/coupons', { _csrf: owner.csrf(check.html), code: 'SAVE1000X6MO' });
    expect(done).toMatchObject({ status: 303, location: '/coupons?registered=SAVE1000X6MO' });
    const after = await owner.request(done.location!);
    expect(after.html).toContain('The coupon SAVE1000X6MO is registered. It applies to 2026-12 – 2027-05.');
    expect(textOf(after.html)).toContain(
      'SAVE1000X6MO 1000 JPY off 2026-12 – 2027-05 1000 off for 6 months 2026-11-10',
    );
    expect(
      one(
        s.env,
        `SELECT t.tenant_name, c.registered_at, c.discount_type, c.discount_value, c.valid_months, c.valid_until
        FROM coupons c JOIN tenants t USING (tenant_pk) WHERE coupon_code = 'SAVE1000X6MO'`,
      ),
    ).toEqual({
      tenant_name: 'TNT00003',
      registered_at: '2026-11-10T03:00:00.000Z',
      discount_type: 'amount',
      discount_value: '1000',
      valid_months: 6,
      valid_until: null,
    });
    expect(audit(s.env, 'coupon-registered')).toEqual([
      {
        subject: 'TNT00003',
        detail: {
          coupon: 'SAVE1000X6MO',
          months: ['2026-12', '2027-01', '2027-02', '2027-03', '2027-04', '2027-05'],
          email: OWNER,
        },
      },
    ]);

    // Again: yours already. Another tenant's owner: used.
    const again = await submit(owner, '/coupons', '/coupons/check', { code: 'SAVE1000X6MO' });
    expect(again.status).toBe(400);
    expect(again.html).toContain('You registered the coupon SAVE1000X6MO already.');
    const other = await signedIn(s, YEN_OWNER);
    const used = await submit(other, '/coupons', '/coupons/check', { code: 'SAVE1000X6MO' });
    expect(used.status).toBe(400);
    // (TNT00005 reads its pages in Japanese.)
    expect(used.html).toContain('クーポン SAVE1000X6MO はすでに使用されています。');
    // Another tenant's owner never sees TNT00003's coupons.
    const theirs = await other.request('/coupons');
    expect(theirs.html).not.toContain('SAVE1000X6MO');
    expect(theirs.html).not.toContain('WELCOME2026A');
    expect(theirs.html).toContain('登録済みのクーポンはありません。');
    expect((await other.request('/coupons?registered=SAVE1000X6MO')).html).not.toContain('SAVE1000X6MO');

    // A server running in November and December; the close of November has no discount of it
    // (the demo's coupon only), December's has 1000 off.
    const usage = path.join(work.dir, 'usage-nov-dec.csv');
    fs.writeFileSync(
      usage,
      [
        'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at',
        'u-2611-9001,TNT00003,TNT00003-WS01,srv-a,srv-a,virtual_server,EC-CMP-2C8G,operating,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z',
        'u-2612-9001,TNT00003,TNT00003-WS01,srv-a,srv-a,virtual_server,EC-CMP-2C8G,operating,2026-12-01T00:00:00Z,2027-01-01T00:00:00Z',
      ].join('\n') + '\n',
    );
    const imported = await runCli(['import', 'usage', usage], s.env);
    expect(imported.code, imported.stderr).toBe(0);
    const run = await runCli(['run', '--as-of', '2027-01-02T00:00:00Z'], s.env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const couponLines = (month: string) =>
      all<{ amount: string; detail: string }>(
        s.env,
        `SELECT l.amount, l.detail FROM charge_lines l JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
        WHERE t.tenant_name = 'TNT00003' AND s.billing_month = ? AND l.line_kind = 'coupon' ORDER BY l.seq`,
        month,
      );
    expect(
      couponLines('2026-11')
        .map((l) => l.detail)
        .join(),
    ).toContain('WELCOME2026A');
    expect(
      couponLines('2026-11')
        .map((l) => l.detail)
        .join(),
    ).not.toContain('SAVE1000X6MO');
    const december = couponLines('2026-12').filter((l) => l.detail.includes('SAVE1000X6MO'));
    expect(december).toHaveLength(1);
    expect(december[0]!.amount).toBe('-1000');
    // In the statement's files too (the ECL detail export of the frozen statement).
    const ecl = await runCli(['export', '--format', 'ecl-detail', '--month', '2026-12', '--tenant', 'TNT00003'], s.env);
    expect(ecl.code, ecl.stderr).toBe(0);
    expect(ecl.stdout).toContain('SAVE1000X6MO');
  });

  it('every refusal says why and stores nothing', async () => {
    const s = await site('coupon-refusals');
    const owner = await signedIn(s, OWNER);
    const refusals: [string, string][] = [
      ['', 'A coupon code is 12 capital letters A-Z or digits 0-9.'],
      ['SAVE1000X6M', 'A coupon code is 12 capital letters A-Z or digits 0-9.'],
      ['SAVE-1000X6M', 'A coupon code is 12 capital letters A-Z or digits 0-9.'],
      ['SAVE1000X6MOO', 'A coupon code is 12 capital letters A-Z or digits 0-9.'],
      ['ＳＡＶＥ1000X6MO', 'A coupon code is 12 capital letters A-Z or digits 0-9.'],
      ['ZZZZZZZZZZZZ', 'There is no coupon with the code ZZZZZZZZZZZZ. Check the code.'],
      // Reserved for another tenant: as unknown as a code never issued.
      ['ONLYTNT00004', 'There is no coupon with the code ONLYTNT00004. Check the code.'],
      // An amount off in another currency (TNT00003 is billed in JPY): not this tenant's to use.
      ['SGDONLY00010', 'There is no coupon with the code SGDONLY00010. Check the code.'],
      // Registered by another tenant through the coupons import (not an issued code): unknown.
      ['WINTERSALE26', 'There is no coupon with the code WINTERSALE26. Check the code.'],
      ['WELCOME2026A', 'You registered the coupon WELCOME2026A already.'],
      ['expired2026a', 'The coupon EXPIRED2026A could be registered until 2026-11-05 only.'],
    ];
    for (const [code, message] of refusals) {
      for (const url of ['/coupons/check', '/coupons']) {
        const r = await submit(owner, '/coupons', url, { code });
        expect(r.status, `${url} ${code}`).toBe(400);
        expect(r.html, `${url} ${code}`).toContain(`<p class="error" role="alert">${message}</p>`);
        // The form keeps what was typed (as read).
        if (code !== '') expect(r.html).toContain(`value="${code.trim().toUpperCase()}"`);
      }
    }
    // The owner of a deleted tenant: no month left to discount.
    const deleted = await signedIn(s, 'billing@tenant01.example.jp');
    const none = await submit(deleted, '/coupons', '/coupons/check', { code: 'DELETEDTNT01' });
    expect(none.status).toBe(400);
    expect(none.html).toContain('クーポン DELETEDTNT01 は、今から登録しても適用される月がありません。');
    // Only the demo's two coupons.
    expect(all(s.env, 'SELECT coupon_code FROM coupons ORDER BY coupon_code')).toEqual([
      { coupon_code: 'WELCOME2026A' },
      { coupon_code: 'WINTERSALE26' },
    ]);
    expect(audit(s.env, 'coupon-registered')).toEqual([]);
    // In the tenant's language.
    const ja = await submit(deleted, '/coupons', '/coupons/check', { code: 'abc' });
    expect(ja.html).toContain('クーポンコードは英大文字（A〜Z）と数字（0〜9）の12桁で入力してください。');
  });

  it('a confirmation of other months (a new month began meanwhile) shows the months again and stores nothing', async () => {
    const s = await site('coupon-months');
    const owner = await signedIn(s, OWNER);
    const check = await submit(owner, '/coupons', '/coupons/check', { code: 'SAVE1000X6MO' });
    const shown = /name="months" value="([^"]+)"/.exec(check.html)![1]!;
    expect(shown.split(' ')).toHaveLength(6);
    const stale = await owner.request('/coupons', {
      _csrf: owner.csrf(check.html),
      code: 'SAVE1000X6MO',
      months: '2026-11 2026-12 2027-01 2027-02 2027-03 2027-04',
    });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain('A new month began since the confirmation');
    expect(stale.html).toContain(`name="months" value="${shown}"`);
    expect(one<{ n: number }>(s.env, "SELECT COUNT(*) AS n FROM coupons WHERE coupon_code = 'SAVE1000X6MO'").n).toBe(0);
    const done = await owner.request('/coupons', {
      _csrf: owner.csrf(check.html),
      code: 'SAVE1000X6MO',
      months: shown,
    });
    expect(done.status).toBe(303);
  });

  it('two owners registering one code at once: exactly one wins, the other is told it is used', async () => {
    const s = await site('coupon-race');
    const a = await signedIn(s, OWNER);
    const b = await signedIn(s, YEN_OWNER);
    const [ta, tb] = [a.csrf((await a.request('/coupons')).html), b.csrf((await b.request('/coupons')).html)];
    const answers = await Promise.all([
      a.request('/coupons', { _csrf: ta, code: 'RACE00000001' }),
      b.request('/coupons', { _csrf: tb, code: 'RACE00000001' }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([303, 400]);
    const loser = answers.find((r) => r.status === 400)!;
    expect(loser.html).toMatch(
      /The coupon RACE00000001 has been used already\.|クーポン RACE00000001 はすでに使用されています。/,
    );
    const winner = answers[0]!.status === 303 ? 'TNT00003' : 'TNT00005';
    expect(
      all(
        s.env,
        "SELECT t.tenant_name FROM coupons c JOIN tenants t USING (tenant_pk) WHERE coupon_code = 'RACE00000001'",
      ),
    ).toEqual([{ tenant_name: winner }]);
    expect(audit(s.env, 'coupon-registered').map((e) => e.subject)).toEqual([winner]);
  });
});

describe('statement addresses', () => {
  it('listed, added, deactivated and reactivated (audited); the next close mails the addresses active then', async () => {
    const s = await site('contacts');
    const owner = await signedIn(s, OWNER);
    const page = await owner.request('/contacts');
    const text = textOf(page.html);
    expect(text).toContain('ap@rules.example.com Accounts Payable Active');
    expect(text).toContain('cfo@rules.example.com CFO Active');
    expect(text).toContain('billing-old@rules.example.com Former billing address Inactive');
    expect(text).toContain('a change here applies from the next statement finalized');

    const refusals: [Record<string, string>, string][] = [
      [{ email: 'not-an-address', name: '' }, 'not-an-address is not an e-mail address.'],
      [{ email: '', name: 'Nobody' }, ' is not an e-mail address.'],
      [{ email: 'ok@rules.example.com', name: 'two\nlines' }, 'The name must be one line of at most 128 characters.'],
      [
        { email: 'ok@rules.example.com', name: 'x'.repeat(129) },
        'The name must be one line of at most 128 characters.',
      ],
      [{ email: 'CFO@rules.example.com', name: '' }, 'cfo@rules.example.com is a statement address already.'],
      [
        { email: 'billing-old@rules.example.com', name: '' },
        'billing-old@rules.example.com is registered already, inactive: reactivate it in the list.',
      ],
    ];
    for (const [form, message] of refusals) {
      const r = await submit(owner, '/contacts', '/contacts', form);
      expect(r.status, message).toBe(400);
      expect(r.html).toContain(message);
    }
    expect(one(s.env, "SELECT COUNT(*) AS n FROM contacts WHERE email LIKE 'ok@%'")).toEqual({ n: 0 });
    expect(audit(s.env, 'contact-added')).toEqual([]);

    const added = await submit(owner, '/contacts', '/contacts', {
      email: ' treasury@rules.example.com ',
      name: 'Treasury',
    });
    expect(added.status).toBe(200);
    expect(added.html).toContain('The address treasury@rules.example.com is added.');
    expect(textOf(added.html)).toContain('treasury@rules.example.com Treasury Active');
    const off = await submit(owner, '/contacts', '/contacts/active', { email: 'cfo@rules.example.com', active: '0' });
    expect(off.html).toContain('The address cfo@rules.example.com is deactivated.');
    expect(textOf(off.html)).toContain('cfo@rules.example.com CFO Inactive');
    const on = await submit(owner, '/contacts', '/contacts/active', {
      email: 'billing-old@rules.example.com',
      active: '1',
    });
    expect(on.html).toContain('The address billing-old@rules.example.com is active again.');
    expect(
      all(
        s.env,
        "SELECT email, contact_name, active FROM contacts c JOIN tenants t USING (tenant_pk) WHERE tenant_name = 'TNT00003' ORDER BY email",
      ),
    ).toEqual([
      { email: 'ap@rules.example.com', contact_name: 'Accounts Payable', active: 1 },
      { email: 'billing-old@rules.example.com', contact_name: 'Former billing address', active: 1 },
      { email: 'cfo@rules.example.com', contact_name: 'CFO', active: 0 },
      { email: 'treasury@rules.example.com', contact_name: 'Treasury', active: 1 },
    ]);
    expect(audit(s.env, 'contact-added')).toEqual([
      { subject: 'TNT00003', detail: { contact: 'treasury@rules.example.com', contactName: 'Treasury', email: OWNER } },
    ]);
    expect(audit(s.env, 'contact-changed')).toEqual([
      { subject: 'TNT00003', detail: { contact: 'cfo@rules.example.com', active: false, email: OWNER } },
      { subject: 'TNT00003', detail: { contact: 'billing-old@rules.example.com', active: true, email: OWNER } },
    ]);

    // Another tenant's owner sees none of these and cannot change them (not found).
    const other = await signedIn(s, OTHER_OWNER);
    const theirs = await other.request('/contacts');
    expect(theirs.html).toContain('finance@globex.example.sg');
    expect(theirs.html).not.toContain('rules.example.com');
    const token = other.csrf(theirs.html);
    expect(
      (await other.request('/contacts/active', { _csrf: token, email: 'ap@rules.example.com', active: '0' })).status,
    ).toBe(404);
    expect(one(s.env, "SELECT active FROM contacts WHERE email = 'ap@rules.example.com'")).toEqual({ active: 1 });

    // November's statement, finalized by the next pass, is mailed to the addresses active now.
    expect((await runCli(['run', '--as-of', '2026-12-02T00:00:00Z'], s.env)).code).toBe(0);
    expect(
      all(
        s.env,
        `SELECT d.recipient FROM deliveries d JOIN statements st USING (statement_pk) JOIN tenants t USING (tenant_pk)
        WHERE t.tenant_name = 'TNT00003' AND st.billing_month = '2026-11' ORDER BY d.recipient`,
      ).map((r) => (r as { recipient: string }).recipient),
    ).toEqual(['ap@rules.example.com', 'billing-old@rules.example.com', 'treasury@rules.example.com']);
  });

  it('the last active address is deactivated only after a warning', async () => {
    const s = await site('contacts-last');
    const owner = await signedIn(s, OTHER_OWNER);
    const warned = await submit(owner, '/contacts', '/contacts/active', {
      email: 'finance@globex.example.sg',
      active: '0',
    });
    expect(warned.status).toBe(200);
    expect(textOf(warned.html)).toContain(
      'This is the last active address Without finance@globex.example.sg no address is active: the next statement finalized would be mailed to nobody. Deactivate it anyway?',
    );
    expect(one(s.env, "SELECT active FROM contacts WHERE email = 'finance@globex.example.sg'")).toEqual({ active: 1 });
    expect(audit(s.env, 'contact-changed')).toEqual([]);
    const done = await owner.request('/contacts/active', {
      _csrf: owner.csrf(warned.html),
      email: 'finance@globex.example.sg',
      active: '0',
      confirm: '1',
    });
    expect(done.html).toContain('The address finance@globex.example.sg is deactivated.');
    expect(done.html).toContain('No address is active: statement mails would reach nobody.');
    expect(one(s.env, "SELECT active FROM contacts WHERE email = 'finance@globex.example.sg'")).toEqual({ active: 0 });
    const back = await submit(owner, '/contacts', '/contacts/active', {
      email: 'finance@globex.example.sg',
      active: '1',
    });
    expect(back.html).not.toContain('No address is active');
    expect(audit(s.env, 'contact-changed').map((e) => e.detail.active)).toEqual([false, true]);
  });
});

describe('people', () => {
  it('an invited admin gets a link that signs them in; an admin disabled can no longer sign in; both audited', async () => {
    const s = await site('people');
    const owner = await signedIn(s, OWNER);
    const page = await owner.request('/people');
    const text = textOf(page.html);
    expect(text).toContain(`${OWNER} (you)`);
    expect(text).toContain(`${ADMIN} Admin Active`);
    expect(text).not.toContain('ops@example.com');
    expect(text).not.toContain('billing@tenant01.example.jp');

    const refusals: [Record<string, string>, string][] = [
      [{ email: 'nobody', name: '' }, 'nobody is not an e-mail address.'],
      [{ email: 'two@rules.example.com', name: 'a\nb' }, 'The name must be one line of at most 100 characters.'],
      [
        { email: 'OPS@example.com', name: '' },
        'OPS@example.com is a person of another account already and cannot be invited.',
      ],
      [
        { email: 'billing@tenant01.example.jp', name: '' },
        'billing@tenant01.example.jp is a person of another account already and cannot be invited.',
      ],
      [{ email: ADMIN, name: '' }, `${ADMIN} is one of your people already.`],
    ];
    for (const [form, message] of refusals) {
      const r = await submit(owner, '/people', '/people', form);
      expect(r.status, message).toBe(400);
      expect(r.html).toContain(message);
    }
    const byOwner = (action: string) => audit(s.env, action).filter((e) => e.detail.by === OWNER);
    expect(byOwner('user-added')).toEqual([]);
    expect(await mailedLinks(s.outbox)).toEqual([]);

    const invited = await submit(owner, '/people', '/people', {
      email: 'new.admin@rules.example.com',
      name: 'New Admin',
    });
    expect(invited.status).toBe(200);
    expect(invited.html).toContain(
      'new.admin@rules.example.com is an admin now; a sign-in link is on its way to them.',
    );
    expect(
      one(
        s.env,
        "SELECT u.role, u.name, t.tenant_name FROM users u JOIN tenants t USING (tenant_pk) WHERE email = 'new.admin@rules.example.com'",
      ),
    ).toEqual({ role: 'admin', name: 'New Admin', tenant_name: 'TNT00003' });
    expect(byOwner('user-added')).toEqual([
      {
        subject: 'TNT00003',
        detail: { email: 'new.admin@rules.example.com', role: 'admin', name: 'New Admin', by: OWNER },
      },
    ]);
    const [mail] = await mailedLinks(s.outbox);
    expect(mail!.to).toBe('new.admin@rules.example.com');
    expect(mail!.text).toContain('Sign in with this link');
    // The link signs the new admin in: their tenant's history, not the owner's pages.
    const newcomer = testBrowser(s.base);
    const link = mail!.link.slice(s.base.length);
    const confirm = await newcomer.request(link);
    expect(confirm.status).toBe(200);
    expect(await newcomer.request(link, { _csrf: newcomer.csrf(confirm.html) })).toMatchObject({
      status: 303,
      location: '/password',
    });
    const home = await newcomer.request('/');
    expect(home.status).toBe(200);
    expect(home.html).toContain('Signed in as new.admin@rules.example.com');
    expect(home.html).toContain('Billing history: TNT00003');
    expect((await newcomer.request('/people')).status).toBe(404);

    // Disabling: not yourself, not an owner, another tenant's person is not found.
    const admin = await signedIn(s, ADMIN);
    for (const [email, message] of [
      [OWNER, 'You cannot disable yourself.'],
      ['cfo-owner@rules.example.com', 'An owner cannot be disabled here.'],
    ]) {
      const r = await submit(owner, '/people', '/people/disable', { email: email! });
      expect(r.status).toBe(400);
      expect(r.html).toContain(message!);
    }
    const other = await signedIn(s, OTHER_OWNER);
    const theirs = await other.request('/people');
    expect(theirs.html).not.toContain('rules.example.com');
    expect((await other.request('/people/disable', { _csrf: other.csrf(theirs.html), email: ADMIN })).status).toBe(404);
    expect(audit(s.env, 'user-disabled')).toEqual([]);

    const disabled = await submit(owner, '/people', '/people/disable', { email: ADMIN });
    expect(disabled.html).toContain(`${ADMIN} is disabled and can no longer sign in.`);
    expect(textOf(disabled.html)).toContain(`${ADMIN} Admin Disabled`);
    expect(
      one<{ disabled_at: string }>(s.env, 'SELECT disabled_at FROM users WHERE email = ?', ADMIN).disabled_at,
    ).toBe(NOW.toISOString());
    expect(audit(s.env, 'user-disabled')).toEqual([
      {
        subject: 'TNT00003',
        detail: { email: ADMIN, role: 'admin', reason: 'disabled by the tenant’s owner on the portal', by: OWNER },
      },
    ]);
    // Their session ended with it.
    expect(await admin.request('/')).toMatchObject({ status: 303, location: '/sign-in' });
    const again = await submit(owner, '/people', '/people/disable', { email: ADMIN });
    expect(again.status).toBe(400);
    expect(again.html).toContain(`${ADMIN} is disabled already.`);
  });
});
