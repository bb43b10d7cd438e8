/**
 * The web server's security over real HTTP, walking every route the server declares (a page added
 * later is in the matrix without anyone adding it): each route × each role (signed out, operator,
 * viewer, a tenant's owner and admin) answers as its audience says, a POST without its CSRF token
 * is refused, a role that may not use a route gets 404 even with the token; a tenant's person never
 * sees another tenant; a display name or a person's name written as HTML stays text on every page;
 * sign-in is throttled; the SMTP password and the password hashes never reach a page, a header, a
 * log line or an error. The matrix observed is kept in docs/security-matrix.md.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { allowed } from '../../src/web/access.ts';
import type { Role } from '../../src/store/users.ts';
import { runCli } from '../helpers/cli.ts';
import { AS_OF, inStore, seedTemplate } from '../helpers/demo-store.ts';
import { tempDir } from '../helpers/store.ts';
import { PEOPLE, signedIn, startSite, testBrowser, type Answer, type Site, type TestBrowser } from '../helpers/web.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-web-security-');
  template = await seedTemplate(work.dir);
  expect((await runCli(['run', '--as-of', AS_OF], template)).code).toBe(0);
});
afterAll(() => work.cleanup());

/** The roles of the matrix, each with a person of the usual site (TNT00003's people for a tenant). */
const ROLES: readonly { who: string; role: Role | null; email: string | null }[] = [
  { who: 'signed out', role: null, email: null },
  { who: 'operator', role: 'operator', email: 'ops@example.com' },
  { who: 'viewer', role: 'viewer', email: 'viewer@example.com' },
  { who: 'owner', role: 'owner', email: 'ap@rules.example.com' },
  { who: 'admin', role: 'admin', email: 'admin@rules.example.com' },
];

/** What a route's parameters are filled with: TNT00003's closed month, its zip. */
const SAMPLE: Record<string, string> = {
  month: '2026-10',
  tenant: 'TNT00003',
  file: '2026-10.zip',
  token: 'A'.repeat(43),
};

/** Where a route's parameter means something else. */
const ROUTE_SAMPLE: Record<string, Record<string, string>> = {
  '/tenants/:tenant/months/:month/revisions/:file': { file: '1.zip' },
};

/** A route's address with its parameters filled in. */
function concrete(url: string): string {
  return url.replace(/:([A-Za-z_]+)/g, (_, name: string) => ROUTE_SAMPLE[url]?.[name] ?? SAMPLE[name] ?? 'x');
}

/** One browser per role, signed in as its person. */
async function browsers(site: Site): Promise<Map<string, TestBrowser>> {
  const out = new Map<string, TestBrowser>();
  for (const r of ROLES) out.set(r.who, r.email === null ? testBrowser(site.base) : await signedIn(site, r.email));
  return out;
}

/** Every GET page a role may open, with its answer. */
async function pagesOf(site: Site, b: TestBrowser, role: Role | null): Promise<{ url: string; answer: Answer }[]> {
  const out: { url: string; answer: Answer }[] = [];
  for (const route of site.app.declaredRoutes) {
    if (route.method !== 'GET' || !allowed(route.access, role)) continue;
    out.push({ url: concrete(route.url), answer: await b.request(concrete(route.url)) });
  }
  return out;
}

/** How a route answered one role, for the matrix. */
function cell(a: Answer): string {
  return a.location === null ? String(a.status) : `${a.status} → ${a.location}`;
}

describe('every route, every role', () => {
  it('answers as its audience says; a POST needs the token, and a role not allowed gets 404 even with it', async () => {
    const site = await startSite(template, work.dir, 'matrix');
    const bs = await browsers(site);
    const tokens = new Map<string, string>();
    for (const [who, b] of bs) if (who !== 'signed out') tokens.set(who, b.csrf((await b.request('/')).html));
    const actions = () =>
      inStore(site.env, (db) => db.prepare('SELECT action FROM audit_log ORDER BY audit_pk').pluck().all() as string[]);
    const auditBefore = actions().length;
    const lines: string[] = [];
    // The sign-out ends the browser's session: it is checked below, on its own.
    const routes = site.app.declaredRoutes.filter((r) => r.url !== '/sign-out');
    expect(routes.length).toBeGreaterThan(8);
    for (const route of routes) {
      const url = concrete(route.url);
      const cells: string[] = [];
      for (const r of ROLES) {
        const b = bs.get(r.who)!;
        const ok = allowed(route.access, r.role);
        const what = `${route.method} ${url} as ${r.who}`;
        if (route.method === 'GET') {
          const a = await b.request(url);
          cells.push(cell(a));
          if (route.access === 'public') expect(a.status, what).toBeLessThan(500);
          else if (ok) {
            expect(a.status, what).toBeLessThan(400);
            expect(a.location, what).not.toBe('/sign-in');
          } else if (r.role === null) expect(a, what).toMatchObject({ status: 303, location: '/sign-in' });
          else expect(a.status, what).toBe(404);
          continue;
        }
        // Without the token: refused (403) or, for a role that may not use it, not found.
        const bare = await b.request(url, {});
        expect(bare.status, `${what} without a token`).toBe(ok || r.role === null ? 403 : 404);
        let shown = cell(bare);
        if (!ok && r.role !== null) {
          const withToken = await b.request(url, { _csrf: tokens.get(r.who)! });
          expect(withToken.status, `${what} with its token`).toBe(404);
          shown = `${shown} (404 with token)`;
        }
        cells.push(shown);
      }
      lines.push(`| ${route.method} | \`${route.url}\` | ${route.access} | ${cells.join(' | ')} |`);
    }
    // Nothing was done: the only entries are the sign-ins and the downloads the GETs made.
    expect(new Set(actions().slice(auditBefore))).toEqual(new Set(['download']));
    const table = [
      '# Who may use each route',
      '',
      'Observed by `test/scenarios/web-security.test.ts` on the demo (TNT00003, 2026-10), every route the',
      'server declares × every role; regenerated with `npx vitest run test/scenarios/web-security.test.ts -u`.',
      'A POST is sent without its CSRF token (403: refused, nothing done); a role that may not use a',
      'route gets 404 with the token too. `/sign-out` is tested on its own (it ends the session).',
      '',
      `| method | route | audience | ${ROLES.map((r) => r.who).join(' | ')} |`,
      `| --- | --- | --- | ${ROLES.map(() => '---').join(' | ')} |`,
      ...lines,
      '',
    ].join('\n');
    await expect(table).toMatchFileSnapshot('../../docs/security-matrix.md');
  });

  it('signing out ends the session: its cookie no longer opens a page, and needs the token', async () => {
    const site = await startSite(template, work.dir, 'sign-out');
    const b = await signedIn(site, 'ap@rules.example.com');
    const cookie = b.jar.get('uc_session')!;
    expect((await b.request('/sign-out', {})).status).toBe(403);
    expect((await b.request('/')).status).toBe(200);
    const out = await b.request('/sign-out', { _csrf: b.csrf((await b.request('/')).html) });
    expect(out).toMatchObject({ status: 303, location: '/sign-in' });
    const stale = testBrowser(site.base);
    stale.jar.set('uc_session', cookie);
    expect(await stale.request('/')).toMatchObject({ status: 303, location: '/sign-in' });
    expect(await stale.request('/statements/2026-10.zip')).toMatchObject({ status: 303, location: '/sign-in' });
  });
});

describe('one tenant never sees another', () => {
  it("a tenant's pages show no other tenant, and another tenant's month is not found", async () => {
    const site = await startSite(template, work.dir, 'tenants');
    // TNT00001's owner: TNT00003's statement of 2026-10 exists, theirs is another one.
    const b = await signedIn(site, 'billing@tenant01.example.jp');
    const pages = await pagesOf(site, b, 'owner');
    expect(pages.length).toBeGreaterThan(1);
    for (const { url, answer } of pages) {
      expect(answer.html, url).not.toMatch(/TNT00003|TNT00004|TNT00005|manual-tenant|rules\.example\.com/);
    }
    // The billing team's address of a tenant's statement, with any tenant in it: not found.
    const staffRoutes = site.app.declaredRoutes.filter((r) => r.method === 'GET' && r.url.includes(':tenant'));
    for (const route of staffRoutes) {
      for (const tenant of ['TNT00003', 'TNT00001']) {
        const url = route.url.replace(':tenant', tenant).replace(/:([A-Za-z_]+)/g, (_, n: string) => SAMPLE[n] ?? 'x');
        expect((await b.request(url)).status, url).toBe(404);
      }
    }
  });
  it("another tenant's address or person, put in a form, is not found and not changed", async () => {
    const site = await startSite(template, work.dir, 'tenant-ids');
    const b = await signedIn(site, 'billing@tenant01.example.jp');
    const token = b.csrf((await b.request('/')).html);
    const actions = () =>
      inStore(site.env, (db) => db.prepare('SELECT action FROM audit_log ORDER BY audit_pk').pluck().all() as string[]);
    const before = actions().length;
    for (const [url, form] of [
      ['/contacts/active', { email: 'ap@rules.example.com', active: '0', confirm: '1' }],
      ['/people/disable', { email: 'admin@rules.example.com' }],
    ] as const) {
      expect((await b.request(url, { _csrf: token, ...form })).status, url).toBe(404);
    }
    expect(actions().slice(before)).toEqual([]);
    const stillActive = inStore(
      site.env,
      (db) =>
        db
          .prepare(
            "SELECT c.active FROM contacts c JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00003' AND c.email = 'ap@rules.example.com'",
          )
          .pluck()
          .get() as number,
    );
    expect(stillActive).toBe(1);
    expect((await signedIn(site, 'admin@rules.example.com')).jar.has('uc_session')).toBe(true);
  });
});

describe('names written as HTML', () => {
  it('stay text on every page of every role', async () => {
    const site = await startSite(template, work.dir, 'html-names');
    const tenants = fs.readFileSync(path.join(import.meta.dirname, '../../data/demo/tenants.csv'), 'utf8');
    const header = tenants.split('\n')[0]!.split(',');
    const row = tenants
      .split('\n')
      .find((l) => l.startsWith('TNT00003,'))!
      .split(',');
    row[header.indexOf('display_name')] = '"<script>alert(""tenant"")</script>"';
    const file = path.join(work.dir, 'html-names-tenants.csv');
    fs.writeFileSync(file, `${header.join(',')}\n${row.join(',')}\n`);
    const imported = await runCli(['import', 'tenants', file], site.env);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const added = await runCli(
      [
        'user',
        'add',
        'x@rules.example.com',
        '--tenant',
        'TNT00003',
        '--role',
        'admin',
        '--name',
        '<script>alert("person")</script>',
      ],
      site.env,
    );
    expect(added.code, added.stderr).toBe(0);
    let seen = 0;
    for (const r of ROLES) {
      const b = r.email === null ? testBrowser(site.base) : await signedIn(site, r.email);
      for (const { url, answer } of await pagesOf(site, b, r.role)) {
        if (!(answer.headers.get('content-type') ?? '').startsWith('text/html')) continue;
        expect(answer.html, `${url} as ${r.who}`).not.toMatch(/<script/i);
        if (answer.html.includes('&lt;script&gt;')) seen++;
      }
    }
    // The names are shown somewhere (escaped), so the check above did look at them.
    expect(seen).toBeGreaterThan(0);
  });
});

describe('sign-in throttling', () => {
  it('answers 429 to the eleventh attempt of a minute from one address, even with the right password', async () => {
    const site = await startSite(template, work.dir, 'throttle', { people: [PEOPLE[0]!] });
    const b = testBrowser(site.base);
    const token = b.csrf((await b.request('/sign-in')).html);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (await b.request('/sign-in', { _csrf: token, email: `nobody${i}@example.com`, password: 'x' })).status,
      );
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    expect((await b.request('/sign-in/link', { _csrf: token, email: 'ops@example.com' })).status).toBe(200);
  });
});

describe('secrets', () => {
  it('the SMTP password and the password hashes never reach a page, a header, a log line or an error', async () => {
    // A mail server that is not there: the sign-in link cannot be mailed, and that is logged.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const secret = 'Sm7pS3cret-for-tests';
    let logged = '';
    const log = createLogger(
      { logLevel: 'debug', logFormat: 'json' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logged += chunk.toString();
          done();
        },
      }),
      false,
    );
    const site = await startSite(template, work.dir, 'secrets', {
      env: { SMTP_URL: `smtp://billing:${secret}@127.0.0.1:${port}`, SMTP_TIMEOUT_SECONDS: '5' },
      log,
    });
    const seen: string[] = [];
    const keep = (a: Answer) => seen.push(a.html, JSON.stringify([...a.headers]));
    // Each role with a password set, then every page of each.
    for (const r of ROLES.filter((x) => x.email !== null)) {
      const b = await signedIn(site, r.email!);
      const form = await b.request('/password');
      keep(
        await b.request('/password', {
          _csrf: b.csrf(form.html),
          password: 'a long password 1',
          again: 'a long password 1',
        }),
      );
      for (const { answer } of await pagesOf(site, b, r.role)) keep(answer);
    }
    // An invitation the mail server cannot take: the admin is added, the page says the mail did not go.
    const owner = await signedIn(site, 'ap@rules.example.com');
    const invite = await owner.request('/people', {
      _csrf: owner.csrf((await owner.request('/people')).html),
      email: 'new-admin@rules.example.com',
      name: 'New admin',
    });
    expect(invite.status).toBe(502);
    expect(invite.html).toContain('could not be sent');
    keep(invite);
    expect(logged).toContain('the invitation could not be mailed');
    const b = testBrowser(site.base);
    const token = b.csrf((await b.request('/sign-in')).html);
    keep(await b.request('/sign-in', { _csrf: token, email: 'ops@example.com', password: 'wrong password' }));
    const link = await b.request('/sign-in/link', { _csrf: token, email: 'ops@example.com' });
    expect(link.status).toBe(200);
    keep(link);
    for (const url of ['/healthz', '/metrics', '/no-such-page']) keep(await b.request(url));
    expect(logged).toContain('the sign-in link could not be mailed');
    const hashes = inStore(
      site.env,
      (db) => db.prepare('SELECT password_hash FROM users WHERE password_hash IS NOT NULL').pluck().all() as string[],
    );
    expect(hashes).toHaveLength(4);
    for (const text of [...seen, logged]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('scrypt$');
      for (const h of hashes) expect(text).not.toContain(h.split('$').at(-1));
    }
  });
});
