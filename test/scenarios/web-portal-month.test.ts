/**
 * The tenant portal's month pages over real HTTP on 127.0.0.1 (docs/portal.md): the history with
 * its chart (fixed, corrected, under review, void), a month's Summary (the frozen totals of its
 * current revision, the revision it corrects and why), the estimate of the open month (the same as
 * `usage-charges estimate` for the same instant), and 404 for everything that is not the session
 * tenant's finalized month.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/money.ts';
import { AS_OF, copyOf, inStore, seedTemplate, sha256 } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';
import { PEOPLE, signedIn, startSite, type Person } from '../helpers/web.ts';
import { parseCsv, readZip } from '../helpers/zip-read.ts';

let work: { dir: string; cleanup: () => void };
/** The demo after its first pass, consumption tax on: 2026-10 fixed for every tenant. */
let closed: Record<string, string>;
/**
 * Then TNT00001's 2026-10 re-issued as revision 2 (a price corrected), and 2026-11 closed under
 * review: TNT00004's held, TNT00003's voided (being closed again).
 */
let revised: Record<string, string>;

const GLOBEX: Person = ['finance@globex.example.sg', 'owner', 'TNT00004'];
const ALL: readonly Person[] = [...PEOPLE, GLOBEX];
const REASON = 'テンプレート月額の誤り';
const CATALOG_FIX = [
  'product_id,priority,applicable_from,applicable_to,category,resource_identifier,unit_code,unit_price,product_name,description,charge_type,time_basis,monthly_cap,plan_group,rule,rule_params,currency,service,menu,submenu,plan,usage_label',
  'TE-0001,1,2020-01-01T00:00:00.000+0900,,template,TE_01,month,150,Template,Template,,,,,,,JPY,,,,,',
].join('\n');

async function cliOk(args: string[], env: Record<string, string>): Promise<string> {
  const r = await runCli(args, env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  work = tempDir('uc-web-portal-month-');
  closed = { ...(await seedTemplate(work.dir)), TAX: 'on' };
  await cliOk(['run', '--as-of', AS_OF], closed);
  revised = copyOf(closed, work.dir, 'revised');
  const fix = path.join(work.dir, 'catalog-fix.csv');
  fs.writeFileSync(fix, `${CATALOG_FIX}\n`);
  await cliOk(['import', 'catalog', fix], revised);
  await cliOk(['reissue', '--tenant', 'TNT00001', '--month', '2026-10', '--reason', REASON], revised);
  await cliOk(['run', '--as-of', '2026-12-03T00:00:00Z'], { ...revised, REVIEW_HOLD: 'on' });
  await cliOk(['void', '--tenant', 'TNT00003', '--month', '2026-11', '--reason', 'price wrong'], revised);
}, 240_000);
afterAll(() => work.cleanup());

/** A month's current revision in the store: its total and frozen summary. */
interface Frozen {
  revision: number;
  total: string;
  summary: {
    lplatforms: { lplatformId: string; amount: string; resources: { resourceId: string; amount: string }[] }[];
    discount: string;
    subtotal: string;
    taxes: { percent: string; base: string; amount: string }[];
    tax: string;
    total: string;
  };
}
function frozen(env: Record<string, string>, tenant: string, month: string): Frozen {
  const row = inStore(
    env,
    (db) =>
      db
        .prepare(
          `SELECT s.revision, s.total, s.summary FROM current_statements c JOIN statements s USING (statement_pk)
          JOIN tenants t ON t.tenant_pk = s.tenant_pk WHERE t.tenant_name = ? AND s.billing_month = ?`,
        )
        .get(tenant, month) as { revision: number; total: string; summary: string },
  );
  return { revision: row.revision, total: row.total, summary: JSON.parse(row.summary) as Frozen['summary'] };
}

/** An amount as the pages show it in English: grouped in thousands, then the currency. */
function en(amount: string, currency: string): string {
  const [int, frac] = amount.replace('-', '').split('.');
  return `${amount.startsWith('-') ? '-' : ''}${int!.replace(/\B(?=(\d{3})+$)/g, ',')}${frac === undefined ? '' : `.${frac}`} ${currency}`;
}

/** The text of the table cells of a class, in page order. */
function cells(html: string, cls: string): string[] {
  return [...html.matchAll(new RegExp(`<td class="num ${cls}">([^<]*)</td>`, 'g'))].map((m) => m[1]!);
}

/** A shown amount as a decimal (grouping and currency taken off). */
function decimalOf(shown: string): Decimal {
  return new Decimal(shown.replace(/,/g, '').replace(/ ?(JPY|SGD|円)$/, ''));
}

describe('the history and its chart', () => {
  it('draws a bar for each fixed month, a mark for a void month, and links each month to its Summary', async () => {
    const site = await startSite(revised, work.dir, 'history-3', { people: ALL });
    const b = await signedIn(site, 'ap@rules.example.com');
    const home = await b.request('/');
    expect(home.status).toBe(200);
    const october = frozen(site.env, 'TNT00003', '2026-10');
    // The chart: an image with a title, the axis in yen with thousands separators.
    expect(home.html).toMatch(/<svg class="chart" viewBox="0 0 \d+ \d+" role="img" aria-labelledby="chart-title">/);
    expect(home.html).toContain('<title id="chart-title">Monthly totals</title>');
    expect(home.html).toContain('>1,000,000 JPY</text>');
    expect(home.html).toContain('>500,000 JPY</text>');
    // The fixed month: a bar labelled with its frozen total, linked to its Summary.
    const label = `2026-10: ${en(october.total, 'JPY')} (Fixed)`;
    expect(home.html).toContain(
      `<a href="/months/2026-10" aria-label="${label}">\n<g class="bar bar-fixed">\n<title>${label}</title>`,
    );
    const bar = /<g class="bar bar-fixed">[\s\S]*?<rect class="chart-bar" x="64" y="[\d.]+" width="([\d.]+)"/.exec(
      home.html,
    );
    // 793,277 of an axis to 1,000,000 over 284 units.
    expect(Number(bar![1])).toBeCloseTo((Number(october.total) / 1_000_000) * 284, 0);
    // The void month: a mark, no bar, no total, no download.
    expect(home.html).toContain(
      '<a href="/months/2026-11" aria-label="2026-11: Void (being closed again)">\n<g class="bar bar-void">',
    );
    expect(home.html).toContain('void (being closed again)</text>');
    expect(home.html.match(/class="chart-bar"/g)).toHaveLength(1);
    expect(home.html).not.toContain('/statements/2026-11');
    // The table: both months linked, the fixed one's total.
    expect(home.html).toContain('<td class="nowrap" data-label="Month"><a href="/months/2026-10">2026-10</a></td>');
    expect(home.html).toContain(`<td class="num" data-label="Total">${en(october.total, 'JPY')}</td>`);
    expect(home.html).toContain(
      '<tr class="month-void"><td class="nowrap" data-label="Month"><a href="/months/2026-11">2026-11</a>',
    );
    expect(home.html).not.toMatch(/style=/);
  });

  it('a month under review: no total, no download, in the table, the chart or by its address', async () => {
    const site = await startSite(revised, work.dir, 'history-held', { people: ALL });
    const b = await signedIn(site, GLOBEX[0]);
    const held = inStore(
      site.env,
      (db) =>
        db
          .prepare(
            `SELECT s.total, h.kind FROM statement_holds h JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
            WHERE t.tenant_name = 'TNT00004' AND s.billing_month = '2026-11' AND h.released_at IS NULL`,
          )
          .get() as { total: string; kind: string },
    );
    expect(held.kind).toBe('review');
    expect(new Decimal(held.total).isZero()).toBe(false);
    const heldTotal = en(held.total, 'SGD');
    const home = await b.request('/');
    expect(home.html).toContain(
      '<a href="/months/2026-11" aria-label="2026-11: Under review">\n<g class="bar bar-held">',
    );
    expect(home.html).toContain(`2026-10: ${en(frozen(site.env, 'TNT00004', '2026-10').total, 'SGD')} (Fixed)`);
    expect(home.html).toContain(
      '<tr class="month-held"><td class="nowrap" data-label="Month"><a href="/months/2026-11">2026-11</a>',
    );
    expect(home.html).not.toContain(heldTotal);
    expect(home.html).not.toContain('/statements/2026-11');
    expect(home.html).toContain('/statements/2026-10.zip');

    const page = await b.request('/months/2026-11');
    expect(page.status).toBe(200);
    expect(page.html).toContain('The billing team is reviewing this statement.');
    expect(page.html).toContain('<dd>Under review</dd>');
    expect(page.html).not.toContain(heldTotal);
    expect(page.html).not.toContain('grand-total');
    expect(page.html).not.toContain('/statements/');
    for (const file of ['2026-11.zip', '2026-11_ecl-detail.csv', '2026-11_ecl-summary.csv'])
      expect((await b.request(`/statements/${file}`)).status).toBe(404);
    expect((await b.request('/statements/2026-10.zip')).status).toBe(200);

    // Released from the command line (another process): the history shows it at once, with its total.
    const r = await runCli(['release', '--month', '2026-11', '--tenant', 'TNT00004', '--reason', 'checked'], site.env);
    expect(r.code, r.stderr).toBe(0);
    const after = await b.request('/');
    expect(after.html).toContain(heldTotal);
    expect(after.html).toContain(
      '<tr class="month-fixed"><td class="nowrap" data-label="Month"><a href="/months/2026-11">2026-11</a>',
    );
  });
});

describe("a month's Summary", () => {
  it('shows the frozen totals of the current revision: per L-Platform, its resources, the coupon, tax and total', async () => {
    const site = await startSite(closed, work.dir, 'summary-3');
    const b = await signedIn(site, 'admin@rules.example.com');
    const page = await b.request('/months/2026-10');
    expect(page.status).toBe(200);
    const f = frozen(site.env, 'TNT00003', '2026-10');
    const s = f.summary;
    expect(s.total).toBe(f.total);
    expect(page.html).toContain('<h1>Summary: 2026-10</h1>');
    expect(page.html).toContain('<dd>Example Rules Co. (TNT00003)</dd>');
    expect(page.html).toContain('<dd>2026-10-01 – 2026-10-31</dd>');
    expect(page.html).toContain('<dd>Fixed</dd>');
    expect(page.html).toContain('<dd>Revision 1</dd>');
    expect(cells(page.html, 'grand-total')).toEqual([en(f.total, 'JPY')]);
    expect(cells(page.html, 'lp-amount')).toEqual(s.lplatforms.map((lp) => en(lp.amount, 'JPY')));
    for (const lp of s.lplatforms) {
      expect(page.html).toContain(lp.lplatformId);
      for (const r of lp.resources) expect(page.html).toContain(`${en(r.amount, 'JPY')}</td>`);
    }
    // The coupon with its discount, the subtotal and the tax as frozen.
    expect(new Decimal(s.discount).isZero()).toBe(false);
    expect(page.html).toMatch(
      new RegExp(
        `<tr class="coupon"><td>Coupon WELCOME2026A</td><td class="num">${en(new Decimal(s.discount).negated().toFixed(), 'JPY')}</td></tr>`,
      ),
    );
    expect(page.html).toContain(`<tr><th>Subtotal (before tax)</th><td class="num">${en(s.subtotal, 'JPY')}</td></tr>`);
    expect(s.taxes.length).toBeGreaterThan(0);
    for (const x of s.taxes)
      expect(page.html).toContain(
        `<tr class="tax"><td>Tax at ${x.percent}% (on ${en(x.base, 'JPY')})</td><td class="num">${en(x.amount, 'JPY')}</td></tr>`,
      );
    expect(new Decimal(s.tax).isZero()).toBe(false);
    expect(page.html).toContain(`<tr><th>Tax</th><td class="num">${en(s.tax, 'JPY')}</td></tr>`);
    // The same downloads as the history, and they answer with the archived bytes.
    expect(page.html).toContain('<a href="/statements/2026-10.zip" download>202610_TNT00003.zip</a>');
    const zip = await b.request('/statements/2026-10.zip');
    expect(zip.status).toBe(200);
    const archived = inStore(
      site.env,
      (db) =>
        db
          .prepare(
            `SELECT f.sha256 FROM statement_files f JOIN current_statements c USING (statement_pk) JOIN tenants t ON t.tenant_pk = c.tenant_pk
            WHERE t.tenant_name = 'TNT00003' AND c.billing_month = '2026-10'`,
          )
          .pluck()
          .get() as string,
    );
    expect(sha256(zip.bytes)).toBe(archived);
    expect(page.html).not.toMatch(/style=/);
  });

  it('a corrected month, in Japanese: revision 2 correcting revision 1, with the reason and the earlier total', async () => {
    const site = await startSite(revised, work.dir, 'summary-ja', { people: ALL });
    const b = await signedIn(site, 'billing@tenant01.example.jp', 'en');
    const page = await b.request('/months/2026-10');
    expect(page.status).toBe(200);
    const f = frozen(site.env, 'TNT00001', '2026-10');
    expect(f.revision).toBe(2);
    const first = inStore(
      site.env,
      (db) =>
        db
          .prepare(
            `SELECT s.total FROM statements s JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = 'TNT00001' AND s.billing_month = '2026-10' AND s.revision = 1`,
          )
          .pluck()
          .get() as string,
    );
    const yen = (amount: string): string => `${en(amount, 'JPY').slice(0, -4)}円`;
    expect(page.html).toContain('<html lang="ja">');
    expect(page.html).toContain('<h1>ご利用料金の内訳: 2026-10</h1>');
    expect(page.html).toContain('<dd>確定（訂正）</dd>');
    expect(page.html).toContain('<dd>第2版</dd>');
    expect(page.html).toContain(
      `この明細は第1版を訂正したものです（訂正前のご利用料金: ${yen(first)}）。訂正の理由: ${REASON}`,
    );
    expect(cells(page.html, 'grand-total')).toEqual([yen(f.total)]);
    expect(cells(page.html, 'lp-amount')).toEqual(f.summary.lplatforms.map((lp) => yen(lp.amount)));
    expect(page.html).toContain('クーポン割引');
    expect(page.html).toContain('ご請求金額（税込）');

    // The history marks it corrected, its bar too.
    const home = await b.request('/');
    expect(home.html).toContain(`aria-label="2026-10: ${yen(f.total)} (確定（訂正）)">\n<g class="bar bar-corrected">`);
    expect(home.html).toContain('<title id="chart-title">月別のご利用料金</title>');
  });

  it('a void month says it is being closed again, with no amounts and no downloads', async () => {
    const site = await startSite(revised, work.dir, 'summary-void', { people: ALL });
    const b = await signedIn(site, 'ap@rules.example.com');
    const page = await b.request('/months/2026-11');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<dd>Void (being closed again)</dd>');
    expect(page.html).toContain('This statement was voided.');
    expect(page.html).not.toContain('grand-total');
    expect(page.html).not.toContain('/statements/');
  });

  it("404 for another tenant's month, an unknown or open month, a bad address, and for the billing team", async () => {
    const site = await startSite(revised, work.dir, 'summary-404', { people: ALL });
    // TNT00001 has no 2026-11; TNT00003 and TNT00004 have.
    const tenant01 = await signedIn(site, 'billing@tenant01.example.jp');
    const other = await tenant01.request('/months/2026-11');
    expect(other.status).toBe(404);
    expect(other.html).not.toMatch(/TNT00003|TNT00004|SGD/);
    const ap = await signedIn(site, 'ap@rules.example.com');
    for (const url of [
      '/months/2026-12',
      '/months/2027-01',
      '/months/2026-13',
      '/months/2026-1',
      '/months/..%2F2026-10',
    ])
      expect((await ap.request(url)).status, url).toBe(404);
    for (const email of ['viewer@example.com', 'ops@example.com']) {
      const staff = await signedIn(site, email);
      expect((await staff.request('/months/2026-10')).status, email).toBe(404);
      expect((await staff.request('/estimate')).status, email).toBe(404);
    }
    // Signed out: the sign-in page.
    const anonymous = await fetch(`${site.base}/months/2026-10`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/sign-in');
  });
});

describe('the estimate', () => {
  const NOW = '2026-11-10T09:00:00Z';

  it('is what `usage-charges estimate` gives for the same instant, marked as an estimate up to yesterday', async () => {
    const site = await startSite(closed, work.dir, 'estimate-4', { people: ALL, now: () => new Date(NOW) });
    const out = path.join(work.dir, 'estimate-4.zip');
    const printed = await cliOk(['estimate', '--tenant', 'TNT00004', '--as-of', NOW, '--out', out], site.env);
    const amount = /^ {2}amount so far: (\S+) SGD$/m.exec(printed)![1]!;
    expect(new Decimal(amount).isZero()).toBe(false);
    // The list file: its header, the tenant's row, then one row per L-Platform (its amount last).
    const list = readZip(fs.readFileSync(out)).find((e) => e.name === '202611_TNT00004.csv')!;
    const rows = parseCsv(list.data.toString('utf8').replace(/^\uFEFF/, '')).slice(2);
    const b = await signedIn(site, GLOBEX[0]);
    const page = await b.request('/estimate');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>This month so far (estimate)</h1>');
    expect(page.html).toContain('This is an estimate, not a bill.');
    expect(page.html).toContain('Usage up to 2026-11-09 23:59 (UTC).');
    expect(page.html).toContain('<dd>2026-10-21 – 2026-11-20</dd>');
    expect(cells(page.html, 'grand-total')).toEqual([en(amount, 'SGD')]);
    // Each L-Platform's amount as the estimate's list file has it.
    expect(rows.length).toBeGreaterThan(0);
    expect(cells(page.html, 'lp-amount').map((a) => decimalOf(a).toFixed())).toEqual(
      rows.map((r) => new Decimal(r[9]!.value).toFixed()),
    );
    // Nothing was stored: the month is still open.
    expect(
      inStore(site.env, (db) =>
        db.prepare("SELECT COUNT(*) FROM statements WHERE billing_month = '2026-11'").pluck().get(),
      ),
    ).toBe(0);
  });

  it('says so when nothing is counted yet, and when there is no open month (in Japanese)', async () => {
    const site = await startSite(closed, work.dir, 'estimate-none', { now: () => new Date(NOW) });
    const printed = await cliOk(
      ['estimate', '--tenant', 'TNT00003', '--as-of', NOW, '--out', path.join(work.dir, 'estimate-3.zip')],
      site.env,
    );
    expect(printed).toContain('amount so far: 0 JPY');
    const ap = await signedIn(site, 'ap@rules.example.com');
    const page = await ap.request('/estimate');
    expect(page.html).toContain('No usage in this period so far.');
    expect(page.html).toContain('Usage up to 2026-11-09 23:59 (UTC).');
    expect(cells(page.html, 'grand-total')).toEqual(['0 JPY']);
    // TNT00001 was deleted in October: no open month.
    const deleted = await runCli(['estimate', '--tenant', 'TNT00001', '--as-of', NOW], site.env);
    expect(deleted.stderr).toContain('no open period');
    const tenant01 = await signedIn(site, 'billing@tenant01.example.jp');
    const none = await tenant01.request('/estimate');
    expect(none.status).toBe(200);
    expect(none.html).toContain('<html lang="ja">');
    expect(none.html).toContain('見込みを表示できる今月の期間はありません');
    expect(none.html).not.toContain('grand-total');
  });
});
