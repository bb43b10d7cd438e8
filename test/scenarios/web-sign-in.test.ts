/**
 * Signing in to the web server over real HTTP on 127.0.0.1: a one-time link mailed (as .eml) and
 * confirmed, a password set, signing out and in again with it, the session renewed at each sign-in
 * and ended at sign-out, the CSRF token required on every form, the lockout after wrong passwords,
 * the same answer for an unknown address, a link used once; each person's first page (the billing
 * team's month, a tenant's own history). Every step audited.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF, audit, inStore, seedTemplate, sha256 } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';
import { startSite, testBrowser, type TestBrowser } from '../helpers/web.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-web-');
  template = await seedTemplate(work.dir);
  expect((await runCli(['run', '--as-of', AS_OF], template)).code).toBe(0);
});
afterAll(() => work.cleanup());

/** A demo store with an operator and TNT00003's owner, and its web server on 127.0.0.1. */
async function site(name: string) {
  return startSite(template, work.dir, name, {
    people: [
      ['ops@example.com', 'operator'],
      ['ap@rules.example.com', 'owner', 'TNT00003'],
    ],
  });
}

const browser = testBrowser;

/** The one-time links mailed so far, newest last. */
async function mailedLinks(outbox: string): Promise<{ to: string; link: string }[]> {
  const out: { to: string; link: string; at: number }[] = [];
  for (const f of fs.existsSync(outbox) ? fs.readdirSync(outbox) : []) {
    const m = await simpleParser(fs.readFileSync(path.join(outbox, f)));
    const link = /https?:\/\/\S+\/sign-in\/link\/\S+/.exec(m.text ?? '')?.[0];
    if (link !== undefined) out.push({ to: m.to && 'text' in m.to ? m.to.text : '', link, at: m.date!.getTime() });
  }
  return out.sort((a, b) => a.at - b.at).map(({ to, link }) => ({ to, link }));
}

/** Signs a browser in by the link mailed to `email` (the newest one), as a person would. */
async function signInByLink(b: TestBrowser, base: string, outbox: string, email: string): Promise<void> {
  const page = await b.request('/sign-in');
  await b.request('/sign-in/link', { _csrf: b.csrf(page.html), email });
  const link = (await mailedLinks(outbox)).at(-1)!.link.slice(base.length);
  const confirm = await b.request(link);
  expect((await b.request(link, { _csrf: b.csrf(confirm.html) })).status).toBe(303);
}

describe('signing in', () => {
  it('by a mailed link, then a password; the session renewed at sign-in and ended at sign-out', async () => {
    const { env, base, outbox } = await site('flow');
    const b = browser(base);
    expect(await b.request('/')).toMatchObject({ status: 303, location: '/sign-in' });
    const page = await b.request('/sign-in');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<form method="post" action="/sign-in" class="card">');
    const sent = await b.request('/sign-in/link', { _csrf: b.csrf(page.html), email: 'OPS@example.com' });
    expect(sent.html).toContain('If this address is registered, a sign-in link is on its way.');
    const [mail] = await mailedLinks(outbox);
    expect(mail!.to).toBe('ops@example.com');
    expect(mail!.link.startsWith(`${base}/sign-in/link/`)).toBe(true);
    const link = mail!.link.slice(base.length);

    // Opening the link signs nobody in (a mail scanner may open it); its button does.
    const confirm = await b.request(link);
    expect(confirm.status).toBe(200);
    expect(b.jar.has('uc_session')).toBe(false);
    const signedIn = await b.request(link, { _csrf: b.csrf(confirm.html) });
    expect(signedIn).toMatchObject({ status: 303, location: '/password' });
    const first = b.jar.get('uc_session')!;
    // Used once: opened again, from anywhere, it says so.
    const later = browser(base);
    const reused = await later.request(link);
    expect(reused.status).toBe(410);
    expect(reused.html).toContain('This link was used already or has expired.');
    expect((await later.request(link, { _csrf: later.csrf(reused.html) })).status).toBe(410);

    const form = await b.request('/password');
    expect((await b.request('/password', { _csrf: b.csrf(form.html), password: 'short', again: 'short' })).status).toBe(
      400,
    );
    const set = await b.request('/password', {
      _csrf: b.csrf(form.html),
      password: 'correct horse battery',
      again: 'correct horse battery',
    });
    expect(set.html).toContain('The password is set.');
    const home = await b.request('/');
    expect(home.status).toBe(200);
    expect(home.html).toContain('<h2>2026-10</h2>');
    expect(home.html).toContain('<tr><th>Statements fixed</th><td class="num">5</td></tr>');

    const out = await b.request('/sign-out', { _csrf: b.csrf(home.html) });
    expect(out).toMatchObject({ status: 303, location: '/sign-in' });
    // The old session is over, even if its cookie is sent again.
    const stale = browser(base);
    stale.jar.set('uc_session', first);
    expect(await stale.request('/')).toMatchObject({ status: 303, location: '/sign-in' });

    const again = await b.request('/sign-in');
    const byPassword = await b.request('/sign-in', {
      _csrf: b.csrf(again.html),
      email: 'ops@example.com',
      password: 'correct horse battery',
    });
    expect(byPassword).toMatchObject({ status: 303, location: '/' });
    expect(b.jar.get('uc_session')).not.toBe(first);
    expect(byPassword.headers.getSetCookie().join('\n')).toMatch(
      /uc_session=[^;]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax/,
    );
    expect(audit(env, 'sign-in').map((e) => [e.detail.email, e.detail.how])).toEqual([
      ['ops@example.com', 'link'],
      ['ops@example.com', 'password'],
    ]);
    expect(audit(env, 'password-set')).toHaveLength(1);
    expect(audit(env, 'sign-out')).toHaveLength(1);
  });

  it('a tenant owner sees their own history only, and downloads the zip that was mailed', async () => {
    const { env, base, outbox } = await site('tenant');
    const b = browser(base);
    await signInByLink(b, base, outbox, 'ap@rules.example.com');
    const home = await b.request('/');
    expect(home.html).toContain('<h1>Billing history: TNT00003</h1>');
    expect(home.html).toMatch(
      /<tr class="month-fixed"><td class="nowrap" data-label="Month"><a href="\/months\/2026-10">2026-10<\/a><\/td><td class="nowrap" data-label="Period">2026-10-01 – 2026-10-31<\/td><td class="nowrap" data-label="State">Fixed<\/td><td class="num" data-label="Total">\d{1,3}(,\d{3})* JPY<\/td><td data-label="Downloads"><a href="\/statements\/2026-10\.zip" download>202610_TNT00003\.zip<\/a> · <a href="\/statements\/2026-10_ecl-detail\.csv" download>Detail CSV<\/a> · <a href="\/statements\/2026-10_ecl-summary\.csv" download>Summary CSV<\/a> · <a href="\/statements\/2026-10_ecl-tiered\.csv" download>Older tiered CSV<\/a><\/td><\/tr>/,
    );
    expect(home.html).not.toMatch(/TNT00001|TNT00004|manual-tenant/);

    // The zip is the archived one, byte for byte: what the tenant was mailed.
    const zip = await fetch(`${base}/statements/2026-10.zip`, {
      headers: { cookie: `uc_session=${b.jar.get('uc_session')}` },
    });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(zip.headers.get('content-disposition')).toBe('attachment; filename="202610_TNT00003.zip"');
    const archived = inStore(env, (db) =>
      db
        .prepare(
          "SELECT f.sha256 FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00003'",
        )
        .pluck()
        .get(),
    );
    expect(sha256(Buffer.from(await zip.arrayBuffer()))).toBe(archived);
    // Each ECL file is the one `export` writes of the frozen statement, byte for byte.
    for (const format of ['ecl-detail', 'ecl-summary', 'ecl-tiered']) {
      const csv = await fetch(`${base}/statements/2026-10_${format}.csv`, {
        headers: { cookie: `uc_session=${b.jar.get('uc_session')}` },
      });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="202610_TNT00003_${format}.csv"`);
      const out = path.join(env.DATA_DIR!, `${format}.csv`);
      const exported = await runCli(
        ['export', '--format', format, '--month', '2026-10', '--tenant', 'TNT00003', '--out', out],
        env,
      );
      expect(exported.code, exported.stderr).toBe(0);
      expect(Buffer.from(await csv.arrayBuffer()).equals(fs.readFileSync(out))).toBe(true);
    }
    expect(audit(env, 'download').map((e) => [e.subject, e.detail.file, e.detail.email])).toEqual([
      ['TNT00003', '202610_TNT00003.zip', 'ap@rules.example.com'],
      ['TNT00003', '202610_TNT00003_ecl-detail.csv', 'ap@rules.example.com'],
      ['TNT00003', '202610_TNT00003_ecl-summary.csv', 'ap@rules.example.com'],
      ['TNT00003', '202610_TNT00003_ecl-tiered.csv', 'ap@rules.example.com'],
    ]);
    // A month without a statement, or anything else, is not found; signed out, the sign-in.
    for (const url of [
      '/statements/2026-09.zip',
      '/statements/2026-10.csv',
      '/statements/2026-10_ecl-other.csv',
      '/statements/..%2F2026-10.zip',
    ]) {
      const missing = await b.request(url);
      expect(missing.status).toBe(404);
      expect(missing.html).toContain('<h1>Page not found.</h1>');
    }
    expect(await browser(base).request('/statements/2026-10.zip')).toMatchObject({ status: 303, location: '/sign-in' });
  });

  it('the billing team has no tenant statement to download there', async () => {
    const { base, outbox } = await site('team-download');
    const b = browser(base);
    await signInByLink(b, base, outbox, 'ops@example.com');
    expect((await b.request('/statements/2026-10.zip')).status).toBe(404);
  });

  it('refuses a form without its CSRF token, and says the same for an unknown address', async () => {
    const { base, outbox } = await site('csrf');
    const b = browser(base);
    const page = await b.request('/sign-in');
    expect((await b.request('/sign-in', { email: 'ops@example.com', password: 'x' })).status).toBe(403);
    expect((await b.request('/sign-in/link', { _csrf: 'forged', email: 'ops@example.com' })).status).toBe(403);
    const unknown = await b.request('/sign-in/link', { _csrf: b.csrf(page.html), email: 'nobody@example.com' });
    expect(unknown.status).toBe(200);
    expect(unknown.html).toContain('If this address is registered, a sign-in link is on its way.');
    expect(await mailedLinks(outbox)).toEqual([]);
  });

  it(`locks the password sign-in after 5 wrong passwords, the right one included`, async () => {
    const { env, base, outbox } = await site('lockout');
    const b = browser(base);
    await signInByLink(b, base, outbox, 'ops@example.com');
    const form = await b.request('/password');
    await b.request('/password', {
      _csrf: b.csrf(form.html),
      password: 'correct horse battery',
      again: 'correct horse battery',
    });
    const home = await b.request('/');
    await b.request('/sign-out', { _csrf: b.csrf(home.html) });

    const page = await b.request('/sign-in');
    for (let i = 0; i < 5; i++) {
      const wrong = await b.request('/sign-in', {
        _csrf: b.csrf(page.html),
        email: 'ops@example.com',
        password: `wrong ${i}`,
      });
      expect(wrong.status).toBe(401);
      expect(wrong.html).toContain('Wrong e-mail address or password.');
    }
    const locked = await b.request('/sign-in', {
      _csrf: b.csrf(page.html),
      email: 'ops@example.com',
      password: 'correct horse battery',
    });
    expect(locked.status).toBe(429);
    expect(locked.html).toContain('Too many wrong passwords');
    expect(audit(env, 'sign-in-failed')).toHaveLength(5);
    expect(audit(env, 'sign-in-failed')[4]!.detail.lockedUntil).toEqual(expect.any(String));
  });
});
