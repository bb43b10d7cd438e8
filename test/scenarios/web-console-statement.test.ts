/**
 * The operator console's statement page over real HTTP on 127.0.0.1 (docs/operations.md "The
 * console's statement page"): a tenant's month as frozen in the store (lines, totals, files,
 * mails with what the server said, revisions, the audit trail), its zip to download, and the
 * operator's actions: resend, retry, hold, release, void and re-issue, each through the job the
 * command line calls, audited with the operator's e-mail; a viewer sees the page without them;
 * refused input changes nothing; a month-end pass holding the lease is answered at once.
 * Mails are written as .eml files to the site's outbox (no SMTP_URL), but for the store whose
 * pass ran against a real SMTP server on 127.0.0.1 that refused one address.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease } from '../../src/store/leases.ts';
import { MONTH_END_LEASE } from '../../jobs/with-lease.ts';
import { AS_OF, MONTH, copyOf, endTest, inStore, seedTemplate, sha256 } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/store.ts';
import { signedIn, startSite, type Site, type TestBrowser } from '../helpers/web.ts';
import { onPostgres, openStoreOf } from '../helpers/store-engine.ts';
import { closeStore, connection } from '../../src/store/db.ts';

let work: { dir: string; cleanup: () => void };
/** The demo after its month-end pass (mails written as .eml). */
let template: Record<string, string>;
/** The demo after a pass whose SMTP server refused cfo@rules.example.com for good. */
let failing: Record<string, string>;

const REFUSED = 'cfo@rules.example.com';

beforeAll(async () => {
  work = tempDir('uc-web-statement-');
  template = await seedTemplate(work.dir);
  const smtp = await startSmtpServer({
    rcptReplies: { [REFUSED]: { code: 550, message: '5.1.1 mailbox unavailable' } },
  });
  try {
    const env = { ...copyOf(template, work.dir, 'failing-template'), SMTP_URL: smtp.url };
    const r = await runCli(['run', '--as-of', AS_OF], env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    // Its site writes mails to the outbox, as the demo does.
    failing = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'SMTP_URL'));
  } finally {
    await smtp.close();
  }
  const run = await runCli(['run', '--as-of', AS_OF], template);
  expect(run.code, run.stdout + run.stderr).toBe(0);
});
afterAll(() => work.cleanup());
afterEach(endTest);

/** The cells of every table row of a page, as text. */
function rows(html: string): string[][] {
  const text = (cell: string): string =>
    cell
      .replace(/<[^>]+>/g, '')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&')
      .replace(/\s+/g, ' ')
      .trim();
  return [...html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => text(c[1]!)),
  );
}

/** The rows of the tables of one section of a page (from its heading to the next). */
function rowsIn(html: string, heading: string): string[][] {
  const start = html.indexOf(`>${heading}</h2>`);
  if (start < 0) throw new Error(`no section "${heading}" in the page`);
  const end = html.indexOf('<h2', start);
  return rows(html.slice(start, end < 0 ? undefined : end));
}

/** The value of a two-cell row whose first cell is `label`. */
function fact(html: string, label: string): string | undefined {
  return rows(html).find((r) => r.length === 2 && r[0] === label)?.[1];
}

/** An amount with thousands grouped, as the page shows it. */
function grouped(amount: string): string {
  const [whole, fraction] = amount.split('.') as [string, string?];
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** What the page's notice says. */
function notice(html: string): string | undefined {
  return /<p class="notice" role="status">([^<]*)<\/p>/.exec(html)?.[1];
}

function pageError(html: string): string | undefined {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1]?.replaceAll('&#39;', "'");
}

const page = (tenant: string): string => `/tenants/${tenant}/months/${MONTH}`;

/** A stored instant as the page shows it (the demo bills in UTC). */
function shownTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, '');
}

interface Frozen {
  statementPk: number;
  finalizedAt: string;
  summary: {
    lplatforms: {
      lplatformId: string;
      lplatformName: string;
      amount: string;
      resources: { resourceId: string; amount: string }[];
    }[];
    subtotal: string;
    discount: string;
    beforeDiscount: string;
    tax: string;
    total: string;
  };
  lines: { kind: string; productName: string; charged: string; lplatformId: string | null; note: string }[];
}

/** A tenant's current statement of the demo month as frozen in the store. */
function frozen(site: Site, tenant: string): Frozen {
  return inStore(site.env, (db) => {
    const s = db
      .prepare(
        `SELECT s.statement_pk AS statementPk, s.finalized_at AS finalizedAt, s.summary FROM statements s JOIN tenants t USING (tenant_pk)
        WHERE t.tenant_name = ? AND s.billing_month = ? ORDER BY s.revision DESC LIMIT 1`,
      )
      .get(tenant, MONTH) as { statementPk: number; finalizedAt: string; summary: string };
    const lines = (
      db
        .prepare('SELECT detail FROM charge_lines WHERE statement_pk = ? ORDER BY seq')
        .pluck()
        .all(s.statementPk) as string[]
    ).map((d) => JSON.parse(d) as Frozen['lines'][number]);
    return { ...s, summary: JSON.parse(s.summary) as Frozen['summary'], lines };
  });
}

function count(site: Site, sql: string, ...args: unknown[]): number {
  return inStore(
    site.env,
    (db) =>
      db
        .prepare(sql)
        .pluck()
        .get(...args) as number,
  );
}

/** The audit entries of an action, oldest first. */
function audited(site: Site, action: string): { subject: string; detail: Record<string, unknown> }[] {
  return inStore(site.env, (db) =>
    (
      db.prepare('SELECT subject, detail FROM audit_log WHERE action = ? ORDER BY audit_pk').all(action) as {
        subject: string;
        detail: string;
      }[]
    ).map((r) => ({ subject: r.subject, detail: JSON.parse(r.detail) as Record<string, unknown> })),
  );
}

/** Posts one of the page's forms (with the page's CSRF token); returns the answer. */
async function post(b: TestBrowser, url: string, action: string, form: Record<string, string> = {}) {
  const p = await b.request(url);
  return b.request(`${url}/${action}`, { _csrf: b.csrf(p.html), ...form });
}

/** The .eml files of the outbox, parsed, by name. */
async function outbox(site: Site): Promise<Map<string, Awaited<ReturnType<typeof simpleParser>>>> {
  const out = new Map<string, Awaited<ReturnType<typeof simpleParser>>>();
  if (!fs.existsSync(site.outbox)) return out;
  for (const name of fs
    .readdirSync(site.outbox)
    .filter((n) => n.endsWith('.eml'))
    .sort())
    out.set(name, await simpleParser(fs.readFileSync(path.join(site.outbox, name))));
  return out;
}

const CATALOG_HEADER =
  'product_id,priority,applicable_from,applicable_to,category,resource_identifier,unit_code,unit_price,product_name,description,charge_type,time_basis,monthly_cap,plan_group,rule,rule_params,currency,service,menu,submenu,plan,usage_label';
/** The template's monthly price corrected from 200 to 150 yen (TNT00001's two L-Platforms use it). */
const TEMPLATE_FIX =
  'TE-0001,1,2020-01-01T00:00:00.000+0900,,template,TE_01,month,150,Template,Template,,,,,,,JPY,,,,,';

async function fixTemplatePrice(site: Site): Promise<void> {
  const file = path.join(site.env.DATA_DIR!, 'catalog-fix.csv');
  fs.writeFileSync(file, `${CATALOG_HEADER}\n${TEMPLATE_FIX}\n`);
  const r = await runCli(['import', 'catalog', file], site.env);
  expect(r.code, r.stderr).toBe(0);
}

describe('the statement page', () => {
  it('shows the month as frozen in the store: lines, totals, files, mails, revisions, audit; the zip downloads, audited', async () => {
    const site = await startSite(template, work.dir, 'page');
    const ops = await signedIn(site, 'ops@example.com');
    const p = await ops.request(page('TNT00003'));
    expect(p.status).toBe(200);
    const all = rowsIn(p.html, 'Charges');
    const f = frozen(site, 'TNT00003');

    // The tenant and the month.
    expect(fact(p.html, 'Display name')).toBe(
      inStore(site.env, (db) =>
        db.prepare("SELECT display_name FROM tenants WHERE tenant_name = 'TNT00003'").pluck().get(),
      ),
    );
    expect(fact(p.html, 'Currency')).toBe('JPY');
    expect(fact(p.html, 'Encoding of the statement files')).toBe('utf8-bom (the default setting)');
    expect(fact(p.html, 'Current revision')).toBe('1');
    expect(fact(p.html, 'State')).toBe('Fixed');
    expect(fact(p.html, 'Period')).toBe('2026-10-01 – 2026-10-31');
    expect(fact(p.html, 'Finalized')).toBe(shownTime(f.finalizedAt));
    expect(fact(p.html, 'Total')).toBe(`${grouped(f.summary.total)} JPY`);

    // Each L-Platform with its amount, each resource with its amount, each line with what it charged.
    for (const lp of f.summary.lplatforms) {
      expect(all).toContainEqual([`L-Platform ${lp.lplatformId} ${lp.lplatformName}`, grouped(lp.amount)]);
      for (const r of lp.resources)
        expect(all.find((row) => row.length === 2 && row[0]!.startsWith(`Resource ${r.resourceId}`))?.[1]).toBe(
          grouped(r.amount),
        );
    }
    const lineRows = all.filter((r) => r.length === 5 && r[0] !== 'Item');
    expect(lineRows.map((r) => r[4])).toEqual(f.lines.map((l) => grouped(l.charged)));
    const kinds: Record<string, string> = {
      usage: 'Usage',
      fee: 'Fee',
      cap: 'Monthly cap',
      free_link: 'Free link',
      coupon: 'Coupon',
    };
    expect(lineRows.map((r) => r[0])).toEqual(
      f.lines.map((l) => (l.productName === '' ? kinds[l.kind] : `${kinds[l.kind]}: ${l.productName}`)),
    );
    // The coupon last, with its code.
    expect(lineRows.at(-1)!.slice(0, 2)).toEqual(['Coupon', 'coupon WELCOME2026A']);
    // The totals.
    expect(fact(p.html, 'Before coupons')).toBe(`${grouped(f.summary.beforeDiscount)} JPY`);
    expect(fact(p.html, 'Coupons')).toBe(`-${grouped(f.summary.discount)} JPY`);
    expect(fact(p.html, 'Subtotal')).toBe(`${grouped(f.summary.subtotal)} JPY`);
    expect(fact(p.html, 'Tax')).toBe(`${grouped(f.summary.tax)} JPY`);
    expect(all.filter((r) => r[0] === 'Total').at(-1)).toEqual(['Total', `${grouped(f.summary.total)} JPY`]);

    // The file: its name, size, SHA-256 and encoding as recorded.
    const file = inStore(site.env, (db) =>
      db
        .prepare(
          'SELECT zip_name AS zipName, zip_path AS zipPath, sha256, bytes FROM statement_files WHERE statement_pk = ?',
        )
        .get(f.statementPk),
    ) as { zipName: string; zipPath: string; sha256: string; bytes: number };
    const fileRow = rowsIn(p.html, 'Files').find((r) => r[1] === file.zipName)!;
    expect(fileRow.slice(0, 5)).toEqual([
      '1',
      file.zipName,
      `${grouped(String(file.bytes))} bytes`,
      file.sha256,
      'utf8-bom',
    ]);

    // Its mails: both contacts, written (the demo has no SMTP server), one attempt each.
    const mails = rowsIn(p.html, 'Mails').slice(1);
    expect(mails.map((r) => r.slice(0, 4))).toEqual([
      ['1', 'ap@rules.example.com', 'Regular', expect.stringMatching(/^Sent 2026-\d\d-\d\d \d\d:\d\d:\d\d$/)],
      ['1', 'cfo@rules.example.com', 'Regular', expect.stringMatching(/^Sent 2026-/)],
    ]);
    for (const m of mails) expect(m[4]).toMatch(/^1 \(last 2026-\d\d-\d\d \d\d:\d\d:\d\d\)$/);
    for (const m of mails) expect(m[5]).toMatch(/^written /);

    // The revision and the audit trail of the tenant's month.
    expect(rowsIn(p.html, 'Revisions').slice(1)).toEqual([
      ['1', 'Current', `${grouped(f.summary.total)} JPY`, shownTime(f.finalizedAt), '', ''],
    ]);
    expect(
      rowsIn(p.html, 'Audit trail')
        .find((r) => r[1] === 'close')
        ?.slice(1),
    ).toEqual(['close', '', '', `total=${f.summary.total} lines=${f.lines.length}`]);

    // The operator sees the actions that apply: mails went, so resend and re-issue, no hold nor void.
    expect(p.html).toContain(`action="${page('TNT00003')}/resend"`);
    expect(p.html).toContain(`action="${page('TNT00003')}/reissue-preview"`);
    expect(p.html).not.toContain(`action="${page('TNT00003')}/void"`);
    expect(p.html).not.toContain(`action="${page('TNT00003')}/hold"`);

    // The zip: the archived bytes, audited with who downloaded it.
    const zip = await ops.request(`${page('TNT00003')}.zip`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-disposition')).toBe(`attachment; filename="${file.zipName}"`);
    expect(sha256(zip.bytes)).toBe(file.sha256);
    expect(audited(site, 'download')).toEqual([
      {
        subject: 'TNT00003',
        detail: { billingMonth: MONTH, revision: 1, file: file.zipName, by: 'ops@example.com' },
      },
    ]);
    // The same revision by its number; a revision that does not exist is not found.
    expect(sha256((await ops.request(`${page('TNT00003')}/revisions/1.zip`)).bytes)).toBe(file.sha256);
    expect((await ops.request(`${page('TNT00003')}/revisions/2.zip`)).status).toBe(404);

    // In Japanese.
    const ja = await signedIn(site, 'ops@example.com', 'ja');
    const pj = await ja.request(page('TNT00003'));
    expect(fact(pj.html, '状態')).toBe('確定');
    expect(fact(pj.html, '合計')).toBe(`${grouped(f.summary.total)} JPY`);
  });

  it('a viewer sees the page without the forms; anyone else, and any other address, gets 404', async () => {
    const site = await startSite(template, work.dir, 'viewer');
    const viewer = await signedIn(site, 'viewer@example.com');
    const p = await viewer.request(page('TNT00004'));
    expect(p.status).toBe(200);
    expect(fact(p.html, 'Total')).toBe(`${frozen(site, 'TNT00004').summary.total} SGD`);
    expect(p.html).not.toContain('action="/tenants/');
    expect((await viewer.request(`${page('TNT00004')}.zip`)).status).toBe(200);

    const ops = await signedIn(site, 'ops@example.com');
    for (const url of [
      '/tenants/TNT99999/months/2026-10',
      '/tenants/TNT00004/months/2026-09',
      '/tenants/TNT00004/months/2026-13',
      '/tenants/tnt00004/months/2026-10',
      '/tenants/TNT00004/months/2026-09.zip',
    ])
      expect((await ops.request(url)).status, url).toBe(404);
    // A tenant's own people do not see the billing team's pages, not even of their tenant.
    const owner = await signedIn(site, 'ap@rules.example.com');
    expect((await owner.request(page('TNT00003'))).status).toBe(404);
    expect((await owner.request(`${page('TNT00003')}.zip`)).status).toBe(404);
  });

  it('a long audit trail: the page shows the newest 10, the audit pages the whole trail 100 at a time, none missed nor repeated', async () => {
    const site = await startSite(template, work.dir, 'audit-trail');
    const ops = await signedIn(site, 'ops@example.com');
    // 230 downloads, each audited: with the close's entry and the mails', more than two pages.
    for (let i = 0; i < 230; i++) expect((await ops.request(`${page('TNT00003')}.zip`)).status).toBe(200);
    const expected = inStore(
      site.env,
      (db) =>
        db
          .prepare(
            `SELECT action FROM audit_log WHERE subject IN ('TNT00003', '*') AND json_extract(detail, '$.billingMonth') = ?
            ORDER BY at DESC, audit_pk DESC`,
          )
          .pluck()
          .all(MONTH) as string[],
    );
    expect(expected.length).toBeGreaterThan(230);
    const trail = (html: string) => rows(html).filter((r) => r.length === 5 && r[0] !== 'When');
    const older = (html: string) => /<a href="([^"]*)">Older entries<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');

    const p = await ops.request(page('TNT00003'));
    expect(trail(p.html.slice(p.html.indexOf('>Audit trail</h2>'))).map((r) => r[1])).toEqual(expected.slice(0, 10));
    let next = older(p.html);
    expect(next).toMatch(new RegExp(`^${page('TNT00003')}/audit\\?before=\\d+$`));

    // From the first page of the whole trail to its end, following "Older entries".
    let url: string | undefined = `${page('TNT00003')}/audit`;
    const seen: string[] = [];
    let pages = 0;
    while (url !== undefined) {
      const a = await ops.request(url);
      expect(a.status, url).toBe(200);
      const shown = trail(a.html);
      expect(shown.length, url).toBeLessThanOrEqual(100);
      seen.push(...shown.map((r) => r[1]!));
      expect(a.html.includes('>Newest entries</a>'), url).toBe(pages > 0);
      pages++;
      url = older(a.html);
    }
    expect(pages).toBe(Math.ceil(expected.length / 100));
    expect(seen).toEqual(expected);
    // The statement page's link leads to the entries after its 20.
    next = next!;
    expect(trail((await ops.request(next)).html).map((r) => r[1])).toEqual(expected.slice(10, 110));

    // A key that is not one: not found. A viewer reads the trail; a tenant's person does not.
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999'])
      expect((await ops.request(`${page('TNT00003')}/audit?before=${bad}`)).status, bad).toBe(404);
    expect((await ops.request('/tenants/TNT00003/months/2026-09/audit')).status).toBe(404);
    expect((await (await signedIn(site, 'viewer@example.com')).request(next)).status).toBe(200);
    expect((await (await signedIn(site, 'ap@rules.example.com')).request(next)).status).toBe(404);
  });

  it('a page shown again is the store as it is now: every change by any process shows at once', async () => {
    const site = await startSite(template, work.dir, 'changes');
    const ops = await signedIn(site, 'ops@example.com');
    const viewer = await signedIn(site, 'viewer@example.com');
    const state = async (b: TestBrowser = ops) => fact((await b.request(page('TNT00005'))).html, 'State');
    const cli = async (...args: string[]) => {
      const r = await runCli(args, site.env);
      expect(r.code, r.stderr).toBe(0);
    };
    // TNT00005: nothing mailed (it has no contact), so it can be held.
    expect(await state()).toBe('Fixed');
    expect(await state()).toBe('Fixed');
    expect((await ops.request(page('TNT00005'))).html).toContain('This tenant has no active contact');

    // Held and released by the command line, in other processes (the release is one entry of every tenant).
    await cli('hold', '--tenant', 'TNT00005', '--month', MONTH, '--reason', 'check');
    expect(await state()).toBe('Held for review');
    expect(await state(viewer)).toBe('Held for review');
    await cli('release', '--month', MONTH, '--reason', 'checked');
    expect(await state()).toBe('Fixed');
    const trail = rowsIn((await ops.request(page('TNT00005'))).html, 'Audit trail').map((r) => r[1]);
    expect(trail.slice(1, 3)).toEqual(['release', 'hold']);

    // A contact imported: the warning goes.
    const contacts = path.join(site.env.DATA_DIR!, 'contacts-05.csv');
    fs.writeFileSync(contacts, 'tenant_name,email,contact_name,active\nTNT00005,ap@tenant05.example.jp,AP,true\n');
    await cli('import', 'contacts', contacts);
    expect((await ops.request(page('TNT00005'))).html).not.toContain('This tenant has no active contact');

    // Written by another connection straight into the store (as another machine would): shown.
    const other = openStoreOf(site.env.DATA_DIR!);
    connection(other).prepare("UPDATE tenants SET display_name = 'Renamed Co.' WHERE tenant_name = 'TNT00005'").run();
    closeStore(other);
    expect(fact((await ops.request(page('TNT00005'))).html, 'Display name')).toBe('Renamed Co.');

    // Each role and language its own page: the viewer never gets the operator's forms, nor English the Japanese.
    expect((await ops.request(page('TNT00005'))).html).toContain(`action="${page('TNT00005')}/hold"`);
    expect((await viewer.request(page('TNT00005'))).html).not.toContain('action="/tenants/');
    const ja = await signedIn(site, 'ops@example.com', 'ja');
    expect(fact((await ja.request(page('TNT00005'))).html, '状態')).toBe('確定');
    expect(await state()).toBe('Fixed');
  });

  it("the dashboard's rows that need attention link to the page", async () => {
    const site = await startSite(failing, work.dir, 'dashboard');
    const ops = await signedIn(site, 'ops@example.com');
    const home = await ops.request('/');
    expect(home.html).toContain(`<a href="${page('TNT00003')}">TNT00003</a>`);
  });
});

describe('mails and their retries', () => {
  it("shows each mail's attempts with the server's reason; retry puts the failed one back in the queue, audited", async () => {
    const site = await startSite(failing, work.dir, 'retry');
    const ops = await signedIn(site, 'ops@example.com');
    const p = await ops.request(page('TNT00003'));
    const mails = rowsIn(p.html, 'Mails').slice(1);
    expect(mails.map((r) => r.slice(1, 4))).toEqual([
      ['ap@rules.example.com', 'Regular', expect.stringMatching(/^Sent /)],
      [REFUSED, 'Regular', 'Failed'],
    ]);
    expect(mails[0]![5]).toMatch(/^250 /);
    expect(mails[1]![4]).toMatch(/^1 \(last /);
    expect(mails[1]![5]).toContain('550 5.1.1 mailbox unavailable');
    expect(p.html).toContain('Puts the 1 failed mail(s) back in the queue');

    const r = await post(ops, page('TNT00003'), 'retry');
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${page('TNT00003')}?done=retried&n=1`);
    const after = await ops.request(r.location!);
    expect(notice(after.html)).toBe('1 mail(s) back in the queue: the next month-end pass sends them.');
    const row = rowsIn(after.html, 'Mails').find((c) => c[1] === REFUSED)!;
    expect(row[3]).toBe('Waiting');
    expect(row[5]).toContain('requeued by an operator after: ');
    expect(
      inStore(site.env, (db) => db.prepare('SELECT status, attempts FROM deliveries WHERE recipient = ?').get(REFUSED)),
    ).toEqual({ status: 'pending', attempts: 0 });
    expect(audited(site, 'retry')).toMatchObject([
      { subject: 'TNT00003', detail: { billingMonth: MONTH, by: 'ops@example.com', deliveries: [expect.any(Number)] } },
    ]);
    // Another tenant's failed mails are not its to retry (none here): nothing more is requeued.
    expect((await post(ops, page('TNT00001'), 'retry')).location).toBe(`${page('TNT00001')}?done=retried&n=0`);
  });
});

describe('resend', () => {
  it('without a reason: 400 and nothing queued; with one: a new delivery sent at once, audited as the operator', async () => {
    const site = await startSite(template, work.dir, 'resend');
    const ops = await signedIn(site, 'ops@example.com');
    const before = count(site, 'SELECT COUNT(*) FROM deliveries');
    const emlBefore = (await outbox(site)).size;

    const bare = await post(ops, page('TNT00001'), 'resend', { reason: '  ' });
    expect(bare.status).toBe(400);
    expect(pageError(bare.html)).toBe('Give a reason.');
    expect(bare.html).toMatch(/<details class="action" open>\s*<summary>Resend the statement/);
    const badTo = await post(ops, page('TNT00001'), 'resend', { reason: 'lost', to: 'not an address' });
    expect(badTo.status).toBe(400);
    expect(pageError(badTo.html)).toBe('The address is not an e-mail address.');
    expect(badTo.html).toContain('value="not an address"');
    expect(count(site, 'SELECT COUNT(*) FROM deliveries')).toBe(before);
    expect(audited(site, 'resend')).toEqual([]);

    const r = await post(ops, page('TNT00001'), 'resend', {
      reason: 'the customer lost the mail',
      to: 'ap-desk@tenant01.example.jp',
    });
    expect(r.status, r.html).toBe(303);
    expect(r.location).toBe(`${page('TNT00001')}?done=resent&sent=1&retrying=0&failed=0`);
    const after = await ops.request(r.location!);
    expect(notice(after.html)).toBe('Resent: 1 sent, 0 to be retried, 0 failed.');
    const resent = inStore(site.env, (db) =>
      db
        .prepare(
          "SELECT recipient, status, reason, requested_by AS requestedBy, message_id AS messageId FROM deliveries WHERE kind = 'resend'",
        )
        .all(),
    ) as { recipient: string; status: string; reason: string; requestedBy: string; messageId: string }[];
    expect(resent).toEqual([
      {
        recipient: 'ap-desk@tenant01.example.jp',
        status: 'sent',
        reason: 'the customer lost the mail',
        requestedBy: 'ops@example.com',
        messageId: expect.any(String),
      },
    ]);
    expect(audited(site, 'resend')).toMatchObject([
      {
        subject: 'TNT00001',
        detail: {
          billingMonth: MONTH,
          to: ['ap-desk@tenant01.example.jp'],
          reason: 'the customer lost the mail',
          by: 'ops@example.com',
        },
      },
    ]);
    // The mail: written to the outbox, the archived zip attached.
    const mails = await outbox(site);
    expect(mails.size).toBe(emlBefore + 1);
    const mail = [...mails.values()].find((m) => m.messageId === resent[0]!.messageId)!;
    expect(mail.subject).toMatch(/^\[再送\] /);
    const zip = inStore(site.env, (db) =>
      db
        .prepare(
          "SELECT f.sha256 FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00001'",
        )
        .pluck()
        .get(),
    );
    expect(sha256(mail.attachments[0]!.content)).toBe(zip);
    // The page lists it, with who asked and why.
    const row = rowsIn(after.html, 'Mails').find((c) => c[1] === 'ap-desk@tenant01.example.jp')!;
    expect(row.slice(2, 4)).toEqual(['Resend', expect.stringMatching(/^Sent /)]);
    expect(row[6]).toMatch(/ ops@example\.com: the customer lost the mail$/);
  });

  it("a viewer's POST is 404 and does nothing", async () => {
    const site = await startSite(template, work.dir, 'viewer-post');
    const viewer = await signedIn(site, 'viewer@example.com');
    const before = count(site, 'SELECT COUNT(*) FROM deliveries');
    for (const action of ['resend', 'retry', 'hold', 'release', 'void', 'reissue-preview', 'reissue']) {
      const r = await post(viewer, page('TNT00005'), action, { reason: 'not mine to do', to: 'x@example.com' });
      expect(r.status, action).toBe(404);
    }
    expect(count(site, 'SELECT COUNT(*) FROM deliveries')).toBe(before);
    expect(count(site, 'SELECT COUNT(*) FROM statement_holds')).toBe(0);
    expect(count(site, 'SELECT COUNT(*) FROM statement_voids')).toBe(0);
    expect(
      count(
        site,
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('resend', 'retry', 'hold', 'release', 'void', 'reissue')",
      ),
    ).toBe(0);
  });

  // SQLite: one pass at a time, so resend and re-issue wait for the month-end lease to be free.
  // PostgreSQL: every worker holds its own lease and claims what it works on, so they go ahead
  // while another worker's pass runs (test/scenarios/postgres-cli.test.ts, kill-matrix-postgres.test.ts).
  it(
    onPostgres()
      ? "while another worker's pass holds its month-end lease, resend and re-issue go ahead, and its lease stays"
      : 'while another pass holds the month-end lease, resend and re-issue answer 409 at once and do nothing',
    async () => {
      const site = await startSite(template, work.dir, 'lease');
      await fixTemplatePrice(site);
      const ops = await signedIn(site, 'ops@example.com');
      const other = 'another-host:4242:abcdef01';
      const leaseName = onPostgres() ? `${MONTH_END_LEASE}:${other}` : MONTH_END_LEASE;
      const held = acquireLease(site.store, leaseName, other, 10 * 60_000, new Date());
      expect(held.acquired).toBe(true);
      const before = count(site, 'SELECT COUNT(*) FROM deliveries');

      const resend = await post(ops, page('TNT00001'), 'resend', { reason: 'lost' });
      const f = frozen(site, 'TNT00001');
      // The preview needs no lease; the re-issue it leads to does (on SQLite).
      const shown = await post(ops, page('TNT00001'), 'reissue-preview', { reason: 'template price' });
      const reissue = await post(ops, page('TNT00001'), 'reissue', {
        reason: 'template price',
        total: String(Number(f.summary.total) - 100),
        seen: /name="seen" value="([0-9a-f]{64})"/.exec(shown.html)![1]!,
      });
      if (onPostgres()) {
        expect(resend.status, resend.html).toBe(303);
        expect(resend.location).toBe(`${page('TNT00001')}?done=resent&sent=1&retrying=0&failed=0`);
        expect(reissue.status, reissue.html).toBe(303);
        expect(reissue.location).toBe(`${page('TNT00001')}?done=reissued&rev=2&sent=1&failed=0&held=0`);
        expect(count(site, 'SELECT COUNT(*) FROM deliveries')).toBe(before + 2);
        expect(count(site, 'SELECT COUNT(*) FROM statements WHERE revision > 1')).toBe(1);
        expect(audited(site, 'resend')).toHaveLength(1);
        expect(audited(site, 'reissue')).toHaveLength(1);
      } else {
        expect(resend.status).toBe(409);
        expect(pageError(resend.html)).toBe('A month-end pass is running; try again when it ends.');
        expect(reissue.status).toBe(409);
        expect(pageError(reissue.html)).toBe('A month-end pass is running; try again when it ends.');
        expect(count(site, 'SELECT COUNT(*) FROM deliveries')).toBe(before);
        expect(count(site, 'SELECT COUNT(*) FROM statements WHERE revision > 1')).toBe(0);
        expect(audited(site, 'resend')).toEqual([]);
        expect(audited(site, 'reissue')).toEqual([]);
      }
      // The other pass's lease is still its own.
      expect(
        inStore(site.env, (db) => db.prepare('SELECT owner FROM run_lock WHERE name = ?').pluck().get(leaseName)),
      ).toBe(other);
    },
  );
});

describe('hold, release and void', () => {
  it('hold then release a statement nobody received yet, each audited as the operator', async () => {
    const site = await startSite(template, work.dir, 'hold');
    const ops = await signedIn(site, 'ops@example.com');
    // TNT00005 has no contact: nothing of it was mailed.
    const p = await ops.request(page('TNT00005'));
    expect(p.html).toContain(`action="${page('TNT00005')}/hold"`);
    expect(p.html).toContain('This tenant has no active contact: give an address.');

    const held = await post(ops, page('TNT00005'), 'hold', { reason: 'check the CPU hours' });
    expect(held.location).toBe(`${page('TNT00005')}?done=held`);
    const h = await ops.request(held.location!);
    expect(notice(h.html)).toBe('Held: none of its mails is sent until it is released.');
    expect(fact(h.html, 'State')).toBe('Held for review');
    expect(fact(h.html, 'Held')).toMatch(/ · held by an operator \(ops@example\.com\): check the CPU hours$/);
    expect(h.html).toContain(`action="${page('TNT00005')}/release"`);
    expect(h.html).not.toContain(`action="${page('TNT00005')}/resend"`);
    expect(
      inStore(site.env, (db) =>
        db.prepare('SELECT kind, held_by AS heldBy, reason, released_at AS releasedAt FROM statement_holds').all(),
      ),
    ).toEqual([{ kind: 'operator', heldBy: 'ops@example.com', reason: 'check the CPU hours', releasedAt: null }]);
    expect(audited(site, 'hold')).toEqual([
      { subject: 'TNT00005', detail: { billingMonth: MONTH, reason: 'check the CPU hours', by: 'ops@example.com' } },
    ]);

    const released = await post(ops, page('TNT00005'), 'release', { reason: 'checked' });
    expect(released.location).toBe(`${page('TNT00005')}?done=released`);
    const rl = await ops.request(released.location!);
    expect(fact(rl.html, 'State')).toBe('Fixed');
    expect(audited(site, 'release')).toEqual([
      {
        subject: 'TNT00005',
        detail: { billingMonth: MONTH, tenants: ['TNT00005'], reason: 'checked', by: 'ops@example.com' },
      },
    ]);
    // Both in the page's audit trail.
    const trail = rowsIn(rl.html, 'Audit trail').filter((r) => ['hold', 'release'].includes(r[1]!));
    expect(trail.map((r) => r.slice(1, 4))).toEqual([
      ['release', 'ops@example.com', 'checked'],
      ['hold', 'ops@example.com', 'check the CPU hours'],
    ]);
  });

  it('void: a reason is required; then the month shows void; a statement already mailed is refused (409), nothing done', async () => {
    const site = await startSite(template, work.dir, 'void');
    const ops = await signedIn(site, 'ops@example.com');
    const total = frozen(site, 'TNT00005').summary.total;

    const bare = await post(ops, page('TNT00005'), 'void', { reason: '' });
    expect(bare.status).toBe(400);
    expect(pageError(bare.html)).toBe('Give a reason.');
    expect(count(site, 'SELECT COUNT(*) FROM statement_voids')).toBe(0);

    const voided = await post(ops, page('TNT00005'), 'void', { reason: 'usage imported twice' });
    expect(voided.location).toBe(`${page('TNT00005')}?done=voided&rev=1&again=0`);
    const v = await ops.request(voided.location!);
    expect(notice(v.html)).toBe(
      'Revision 1 is void. The next month-end pass closes this month again from the data as it is then.',
    );
    expect(fact(v.html, 'State')).toBe('Void');
    expect(fact(v.html, 'Voided')).toMatch(/ \(ops@example\.com\): usage imported twice$/);
    expect(rowsIn(v.html, 'Revisions')[1]!.slice(0, 3)).toEqual(['1', 'Void', `${grouped(total)} JPY`]);
    expect(v.html).not.toContain(`action="${page('TNT00005')}/`);
    expect(audited(site, 'void')).toMatchObject([
      {
        subject: 'TNT00005',
        detail: { billingMonth: MONTH, revision: 1, total, reason: 'usage imported twice', by: 'ops@example.com' },
      },
    ]);

    // TNT00003's mails went: a void is refused, the page says why.
    const refused = await post(ops, page('TNT00003'), 'void', { reason: 'wrong' });
    expect(refused.status).toBe(409);
    expect(pageError(refused.html)).toMatch(/^Not done: a mail of TNT00003 2026-10 was already sent/);
    expect(count(site, 'SELECT COUNT(*) FROM statement_voids')).toBe(1);
  });
});

describe('re-issue', () => {
  it('preview shows both totals, the difference and the L-Platforms that change; confirm makes revision 2 and mails the correction', async () => {
    const site = await startSite(template, work.dir, 'reissue');
    const ops = await signedIn(site, 'ops@example.com');
    const first = frozen(site, 'TNT00001');

    // Nothing changed yet: nothing to re-issue.
    const same = await post(ops, page('TNT00001'), 'reissue-preview', { reason: 'template price' });
    expect(same.status).toBe(409);
    expect(pageError(same.html)).toMatch(
      /^Rated from today's data the month comes out exactly as its current revision/,
    );

    await fixTemplatePrice(site);
    const bare = await post(ops, page('TNT00001'), 'reissue-preview', { reason: '' });
    expect(bare.status).toBe(400);
    const preview = await post(ops, page('TNT00001'), 'reissue-preview', { reason: 'テンプレート月額の誤り' });
    expect(preview.status).toBe(200);
    const newTotal = String(Number(first.summary.total) - 100);
    expect(fact(preview.html, 'Revision 1 (current)')).toBe(`${grouped(first.summary.total)} JPY`);
    expect(fact(preview.html, 'Revision 2 (rated now)')).toBe(`${grouped(newTotal)} JPY`);
    expect(fact(preview.html, 'Difference')).toBe('-100 JPY');
    const changes = rowsIn(preview.html, 'Actions').filter((r) => r.length === 3 && r[0]!.startsWith('TNT00001-'));
    expect(changes.map((r) => r[0])).toEqual(['TNT00001-LPlatform01', 'TNT00001-LPlatform02']);
    for (const [id, before, after] of changes) {
      const lp = first.summary.lplatforms.find((l) => l.lplatformId === id)!;
      expect(before).toBe(grouped(lp.amount));
      expect(after).toBe(grouped(String(Number(lp.amount) - 50)));
    }
    expect(preview.html).toContain(`<input type="hidden" name="total" value="${newTotal}">`);
    // A preview stores nothing.
    expect(count(site, 'SELECT COUNT(*) FROM statements WHERE revision > 1')).toBe(0);
    expect(audited(site, 'reissue')).toEqual([]);

    // A confirm of other figures than the data gives now: the new figures first, nothing done.
    const stale = await post(ops, page('TNT00001'), 'reissue', { reason: 'x', total: first.summary.total });
    expect(stale.status).toBe(409);
    expect(pageError(stale.html)).toBe('The data changed since the preview: check the new figures, then re-issue.');
    expect(fact(stale.html, 'Revision 2 (rated now)')).toBe(`${grouped(newTotal)} JPY`);
    expect(count(site, 'SELECT COUNT(*) FROM statements WHERE revision > 1')).toBe(0);

    const emlBefore = new Set((await outbox(site)).keys());
    const done = await ops.request(`${page('TNT00001')}/reissue`, {
      _csrf: ops.csrf(preview.html),
      reason: 'テンプレート月額の誤り',
      total: newTotal,
      seen: /name="seen" value="([0-9a-f]{64})"/.exec(preview.html)![1]!,
    });
    expect(done.status, done.html).toBe(303);
    expect(done.location).toBe(`${page('TNT00001')}?done=reissued&rev=2&sent=1&failed=0&held=0`);
    const after = await ops.request(done.location!);
    expect(notice(after.html)).toBe('Re-issued as revision 2 (corrected mails: 1 sent, 0 failed).');
    expect(fact(after.html, 'State')).toBe('Corrected');
    expect(fact(after.html, 'Current revision')).toBe('2');
    expect(fact(after.html, 'Total')).toBe(`${grouped(newTotal)} JPY`);
    const revisions = rowsIn(after.html, 'Revisions').slice(1);
    expect(revisions.map((r) => r.slice(0, 3))).toEqual([
      ['1', 'Replaced', `${grouped(first.summary.total)} JPY`],
      ['2', 'Current', `${grouped(newTotal)} JPY`],
    ]);
    expect(revisions[1]!.slice(4)).toEqual(['corrects revision 1: テンプレート月額の誤り', 'ops@example.com']);
    // The page's lines are revision 2's.
    const second = frozen(site, 'TNT00001');
    const lineRows = rowsIn(after.html, 'Charges').filter((r) => r.length === 5 && r[0] !== 'Item');
    expect(lineRows.map((r) => r[4])).toEqual(second.lines.map((l) => grouped(l.charged)));

    expect(
      inStore(site.env, (db) =>
        db
          .prepare(
            `SELECT s.revision, s.total, s.revision_reason AS reason, s.revision_by AS by FROM statements s
            JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00001' AND s.revision = 2`,
          )
          .get(),
      ),
    ).toEqual({ revision: 2, total: newTotal, reason: 'テンプレート月額の誤り', by: 'ops@example.com' });
    expect(audited(site, 'reissue')).toMatchObject([
      {
        subject: 'TNT00001',
        detail: {
          billingMonth: MONTH,
          revision: 2,
          corrects: 1,
          previousTotal: first.summary.total,
          total: newTotal,
          difference: '-100',
          reason: 'テンプレート月額の誤り',
          by: 'ops@example.com',
        },
      },
    ]);
    // The corrected mail, written to the outbox.
    const fresh = [...(await outbox(site))].filter(([name]) => !emlBefore.has(name)).map(([, m]) => m);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.subject).toBe('【訂正】【ご利用料金のお知らせ】2026年10月分 tenant01 御中');
    expect(fresh[0]!.text).toContain('  訂正の理由　：テンプレート月額の誤り\n');
    const mailRows = rowsIn(after.html, 'Mails').filter((r) => r[0] === '2');
    expect(mailRows.map((r) => r.slice(1, 4))).toEqual([
      ['billing@tenant01.example.jp', 'Correction', expect.stringMatching(/^Sent /)],
    ]);
  });
});
