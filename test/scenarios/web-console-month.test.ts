/**
 * The operator console's month dashboard, tenants list, import upload and "run a pass now", over
 * real HTTP on 127.0.0.1 with a real store: the counts are the store's (as `status --month` reads
 * them), after a failed close and a hold made with the command line too; the month selector; the
 * tenants list searched and paged on a store of a few thousand tenants imported from the
 * benchmark's generator; a good file imported by upload (stored, audited with the operator's
 * e-mail), a bad one refused with every problem by line (nothing stored), an upload without its
 * token refused; a pass started from the page that runs to its end, a second one refused while the
 * month-end lease is held; a viewer who sees the pages without their buttons and whose POSTs are 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCloud } from '../../bench/generate.ts';
import { acquireLease, releaseLease } from '../../src/store/leases.ts';
import { AS_OF, MONTH, inStore, seedTemplate } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';
import { signedIn, startSite, type TestBrowser } from '../helpers/web.ts';
import { copyDataDir } from '../helpers/store-engine.ts';

let work: { dir: string; cleanup: () => void };
/** The demo, its month closed. */
let template: Record<string, string>;
/** The demo with TNT00005 failing to close (a product without a price) and TNT00003 held for review. */
let troubled: Record<string, string>;

function write(name: string, text: string): string {
  const file = path.join(work.dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const r = await runCli(args, env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  work = tempDir('uc-web-console-');
  template = await seedTemplate(work.dir);
  troubled = { ...template, DATA_DIR: path.join(work.dir, 'troubled-template') };
  copyDataDir(template.DATA_DIR!, troubled.DATA_DIR!);
  await cli(['run', '--as-of', AS_OF], template);
  const head = 'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name';
  await cli(
    ['import', 'catalog', write('late.csv', `${head}\nLATE,0,2027-01-01T00:00:00Z,other,late,minute,1,Late product\n`)],
    troubled,
  );
  const usage =
    'record_id,tenant_name,lplatform_id,resource_id,resource_kind,product_id,time_kind,start_at,end_at\n' +
    'late-1,TNT00005,TNT00005-LPlatform01,x1,other,LATE,deployed,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z\n';
  await cli(['import', 'usage', write('late-usage.csv', usage)], troubled);
  // Every statement held for review at its close; all but TNT00003's released and sent.
  expect((await runCli(['run', '--as-of', AS_OF], { ...troubled, REVIEW_HOLD: 'on' })).code).toBe(1);
  for (const tenant of ['TNT00001', 'TNT00004', 'manual-tenant'])
    await cli(['release', '--month', MONTH, '--tenant', tenant, '--reason', 'checked'], troubled);
  expect((await runCli(['run', '--as-of', AS_OF], troubled)).code).toBe(1);
}, 300_000);
afterAll(() => work.cleanup());

/** A statement of `status --month --json`. */
interface StatusRow {
  tenant_name: string;
  status: string | null;
  last_error: string | null;
  zip_name: string | null;
  held_at: string | null;
  files_failed: string | null;
  mails_sent: number;
  mails_pending: number;
  mails_sending: number;
  mails_failed: number;
  mails_withdrawn: number;
}

/** The counts the dashboard should show, from `usage-charges status --month M --json`. */
async function expectedCounts(env: Record<string, string>, month: string): Promise<Record<string, number>> {
  const json = JSON.parse(await cli(['status', '--month', month, '--json'], env)) as { statements: StatusRow[] };
  const c: Record<string, number> = {
    'Statements fixed': 0,
    'Held for review': 0,
    'Files failed': 0,
    'Failed to close': 0,
    'Not closed yet': 0,
    'Void (to close again)': 0,
    Sent: 0,
    'Waiting or retrying': 0,
    Failed: 0,
    'No recipient (statements)': 0,
  };
  for (const r of json.statements) {
    if (r.status === null) continue;
    if (r.status === 'void') c['Void (to close again)']!++;
    else if (r.status === 'estimated') c[r.last_error ? 'Failed to close' : 'Not closed yet']!++;
    else {
      c[r.files_failed !== null ? 'Files failed' : r.held_at !== null ? 'Held for review' : 'Statements fixed']!++;
      c.Sent! += r.mails_sent;
      c['Waiting or retrying']! += r.mails_pending + r.mails_sending;
      c.Failed! += r.mails_failed;
      if (
        r.held_at === null &&
        r.mails_sent + r.mails_pending + r.mails_sending + r.mails_failed + r.mails_withdrawn === 0
      )
        c['No recipient (statements)']!++;
    }
  }
  return c;
}

/** The label/count rows of a page's count tables. */
function shownCounts(html: string): Record<string, number> {
  return Object.fromEntries(
    [...html.matchAll(/<tr><th>([^<]+)<\/th><td class="num">(\d+)<\/td><\/tr>/g)].map((m) => [m[1]!, Number(m[2])]),
  );
}

/** The multipart body of the import form, as a browser sends it. */
async function uploadForm(
  fields: Record<string, string>,
  file: { name: string; text: string } | null,
): Promise<{ body: Buffer; type: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  if (file !== null) form.set('file', new Blob([file.text], { type: 'text/csv' }), file.name);
  const request = new Request('http://upload.invalid/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), type: request.headers.get('content-type')! };
}

async function upload(b: TestBrowser, fields: Record<string, string>, file: { name: string; text: string } | null) {
  const { body, type } = await uploadForm(fields, file);
  return b.post('/imports', body, type);
}

/** Rows of every table an import can write. */
function tableCounts(env: Record<string, string>): Record<string, number> {
  return inStore(env, (db) =>
    Object.fromEntries(
      ['tenants', 'contacts', 'lplatforms', 'catalog_products', 'usage_records', 'coupons', 'adjustments'].map((t) => [
        t,
        db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number,
      ]),
    ),
  );
}

describe('the month dashboard', () => {
  it('counts the demo month as the store does, with its chart, its mails and the passes', async () => {
    const site = await startSite(template, work.dir, 'demo');
    const b = await signedIn(site, 'ops@example.com');
    const home = await b.request('/');
    expect(home.status).toBe(200);
    expect(home.html).toContain('<h2>2026-10</h2>');
    expect(home.html).toContain('<option value="2026-10" selected>2026-10</option>');
    const expected = await expectedCounts(site.env, MONTH);
    expect(expected['Statements fixed']).toBe(5);
    expect(expected['No recipient (statements)']).toBe(1);
    expect(shownCounts(home.html)).toEqual(expected);
    expect(home.html).toContain(
      'aria-label="Statements by state 2026-10: Statements fixed 5, Held for review 0, Files failed 0, Failed to close 0, Not closed yet 0, Void (to close again) 0"',
    );
    // TNT00005 has no statement address: it needs attention, linked to its statement page.
    expect(home.html).toContain(
      '<td data-label="Tenant"><a href="/tenants/TNT00005/months/2026-10">TNT00005</a></td><td data-label="State">No recipient (statements)</td><td data-label="Reason">no active statement address</td>',
    );
    // The passes: none running, the last one (the demo's run) finished, the next one on CRON_SCHEDULE.
    expect(home.html).toContain('<tr><th>Running pass</th><td>None</td></tr>');
    expect(home.html).toMatch(/<tr><th>Last pass<\/th><td><span class="good">finished<\/span> · started \d{4}-/);
    expect(home.html).toContain('as of 2026-11-03 00:00 (UTC)');
    expect(home.html).toMatch(
      /<tr><th>Next scheduled pass<\/th><td>\d{4}-\d\d-\d\d \d\d:\d\d \([^)]+\) · CRON_SCHEDULE/,
    );
    expect(home.html).toContain('<form method="post" action="/passes" class="run-pass">');
    // The header links of an operator.
    expect(home.html).toContain('<a href="/tenants">Tenants</a><a href="/imports">Imports</a>');
  });

  it('counts a failed close and a hold made with the command line, each with its reason', async () => {
    const site = await startSite(troubled, work.dir, 'troubled');
    const b = await signedIn(site, 'ops@example.com', 'ja');
    const en = await signedIn(site, 'ops@example.com');
    const home = await en.request(`/?month=${MONTH}`);
    const expected = await expectedCounts(site.env, MONTH);
    expect(expected).toMatchObject({ 'Statements fixed': 3, 'Held for review': 1, 'Failed to close': 1, Sent: 3 });
    expect(shownCounts(home.html)).toEqual(expected);
    expect(home.html).toContain(
      '<td data-label="Tenant"><a href="/tenants/TNT00005/months/2026-10">TNT00005</a></td><td data-label="State">Failed to close</td><td data-label="Reason">product LATE has no price in force at 2026-10-01T00:00:00.000Z</td>',
    );
    expect(home.html).toMatch(
      /<td data-label="Tenant"><a href="\/tenants\/TNT00003\/months\/2026-10">TNT00003<\/a><\/td><td data-label="State">Held for review<\/td><td data-label="Reason">held for review \(REVIEW_HOLD\) \(since \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)\)<\/td>/,
    );
    expect(home.html).toContain('<span class="bad">finished with failures</span>');
    // In Japanese, the same page.
    const ja = await b.request('/');
    expect(ja.html).toContain('<tr><th>確定失敗</th><td class="num">1</td></tr>');
    expect(ja.html).toContain('<tr><th>確認待ち（保留中）</th><td class="num">1</td></tr>');
  });

  it('shows the month asked for, and refuses a month that is not YYYY-MM', async () => {
    const site = await startSite(template, work.dir, 'months');
    const b = await signedIn(site, 'viewer@example.com');
    const september = await b.request('/?month=2026-09');
    expect(september.status).toBe(200);
    expect(september.html).toContain('<h2>2026-09</h2>');
    expect(september.html).toContain('<option value="2026-09" selected>2026-09</option>');
    expect(shownCounts(september.html)['Statements fixed']).toBe(0);
    for (const bad of ['2026-13', '202610', 'x', '2026-10-01']) {
      const r = await b.request(`/?month=${encodeURIComponent(bad)}`);
      expect(r.status).toBe(400);
      expect(r.html).toContain('The month must be written YYYY-MM (for example 2026-10).');
    }
  });
});

describe('the tenants list', () => {
  /** The demo with 3000 more tenants imported from the benchmark's generator. */
  let many: Record<string, string>;
  let names: { name: string; display: string }[];
  beforeAll(async () => {
    many = { ...template, DATA_DIR: path.join(work.dir, 'many-template') };
    copyDataDir(template.DATA_DIR!, many.DATA_DIR!);
    const cloud = generateCloud({ tenants: 3000, lplatforms: 1, servers: 1, seed: 11, bigTenant: false });
    await cli(['import', 'tenants', write('many-tenants.csv', cloud.files.tenants)], many);
    names = inStore(many, (db) =>
      db.prepare('SELECT tenant_name AS name, display_name AS display FROM tenants').all(),
    ) as { name: string; display: string }[];
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }, 120_000);

  const listed = (html: string): string[] =>
    [...html.matchAll(/<tr><td data-label="Tenant">(?:<a href="[^"]+">)?([^<\s]+)/g)].map((m) => m[1]!);

  it('pages 50 at a time through every tenant, by name, with the total', async () => {
    expect(names.length).toBe(3005);
    const site = await startSite(many, work.dir, 'many-pages');
    const b = await signedIn(site, 'viewer@example.com');
    const first = await b.request('/tenants');
    expect(first.status).toBe(200);
    expect(first.html).toContain('3005 tenants, showing 1–50');
    expect(listed(first.html)).toEqual(names.slice(0, 50).map((n) => n.name));
    expect(first.html).toContain('<a href="/tenants?page=2" rel="next">Next</a>');
    expect(first.html).not.toContain('rel="prev"');
    const second = await b.request('/tenants?page=2');
    expect(listed(second.html)).toEqual(names.slice(50, 100).map((n) => n.name));
    expect(second.html).toContain('<a href="/tenants" rel="prev">Previous</a>');
    const last = await b.request('/tenants?page=61');
    expect(last.html).toContain('3005 tenants, showing 3001–3005');
    expect(listed(last.html)).toEqual(['TNT00001', 'TNT00003', 'TNT00004', 'TNT00005', 'manual-tenant']);
    expect(last.html).not.toContain('rel="next"');
    // A demo tenant: its latest month, state and total, linked to its statement page.
    expect(last.html).toMatch(
      /<tr><td data-label="Tenant"><a href="\/tenants\/TNT00003\/months\/2026-10">TNT00003<\/a><\/td><td data-label="Display name">[^<]+<\/td><td data-label="Latest month">2026-10<\/td><td data-label="State">Fixed<\/td><td class="num" data-label="Total">\d{1,3}(,\d{3})* JPY<\/td><\/tr>/,
    );
    // A generated tenant has no statement yet.
    expect(first.html).toMatch(
      /<tr><td data-label="Tenant">BT000001(?: <span class="tag">deleted<\/span>)?<\/td><td data-label="Display name">[^<]+<\/td><td data-label="Latest month"><\/td><td data-label="State">No statement<\/td>/,
    );
    const beyond = await b.request('/tenants?page=62');
    expect(beyond.html).toContain('No tenant matches.');
    expect(beyond.html).toContain('<a href="/tenants?page=61" rel="prev">Previous</a>');
    expect((await b.request('/tenants?page=0')).status).toBe(400);
    expect((await b.request('/tenants?page=x')).html).toContain('The page must be a whole number from 1.');
  });

  it('finds tenants by a part of their name or display name, in any letter case', async () => {
    const site = await startSite(many, work.dir, 'many-search');
    const b = await signedIn(site, 'ops@example.com');
    for (const q of ['bt00299', 'TENANT 00012', 'テナント00002', 'rules', 'ltd']) {
      const want = names.filter((n) => `${n.name}\n${n.display}`.toLowerCase().includes(q.toLowerCase()));
      expect(want.length, q).toBeGreaterThan(0);
      const page = await b.request(`/tenants?q=${encodeURIComponent(q)}`);
      expect(page.html).toContain(`${want.length} tenants, showing 1–${Math.min(50, want.length)}`);
      expect(listed(page.html)).toEqual(want.slice(0, 50).map((n) => n.name));
      if (want.length > 50)
        expect(page.html).toContain(
          `<a href="/tenants?q=${encodeURIComponent(q).replace(/%20/g, '+')}&amp;page=2" rel="next">`,
        );
    }
    // LIKE's wildcards are letters like any other.
    for (const q of ['%', '_']) expect((await b.request(`/tenants?q=${q}`)).html).toContain('No tenant matches.');
  });
});

describe('importing by upload', () => {
  const tenantsHead = 'tenant_name,display_name,cutoff_day,locale,currency,deleted_at';

  it('imports a good file (the counts shown, audited with the e-mail) and refuses a bad one, storing nothing', async () => {
    const site = await startSite(template, work.dir, 'upload');
    const b = await signedIn(site, 'ops@example.com');
    const form = await b.request('/imports');
    expect(form.status).toBe(200);
    expect(form.html).toContain(
      '<form method="post" action="/imports" enctype="multipart/form-data" class="card wide">',
    );
    expect(form.html).toContain('<option value="cp932">Shift_JIS (CSV saved by Excel)</option>');
    const csrf = b.csrf(form.html);

    // A new tenant, and TNT00004 as it stands (unchanged).
    const same = inStore(site.env, (db) =>
      db
        .prepare(
          "SELECT tenant_name || ',' || display_name || ',' || cutoff_day || ',' || locale || ',' || currency || ',' FROM tenants WHERE tenant_name = 'TNT00004'",
        )
        .pluck()
        .get(),
    ) as string;
    const good = `${tenantsHead}\nNEW00001,New One K.K.,31,ja,JPY,\n${same}\n`;
    const before = tableCounts(site.env);
    const done = await upload(b, { _csrf: csrf, kind: 'tenants', encoding: 'utf8' }, { name: 'new.csv', text: good });
    expect(done.status, done.html).toBe(200);
    expect(done.html).toContain('Imported: new.csv');
    expect(shownCounts(done.html)).toMatchObject({ Rows: 2, Added: 1, Updated: 0, Unchanged: 1 });
    expect(tableCounts(site.env)).toEqual({ ...before, tenants: before.tenants! + 1 });
    const audit = inStore(site.env, (db) =>
      db.prepare("SELECT subject, detail FROM audit_log WHERE action = 'import' ORDER BY audit_pk DESC LIMIT 1").get(),
    ) as { subject: string; detail: string };
    expect(audit.subject).toBe('tenants');
    expect(JSON.parse(audit.detail)).toMatchObject({ file: 'new.csv', rows: 2, inserted: 1, by: 'ops@example.com' });

    // A bad file: every problem by line and field, nothing stored.
    const bad = `${tenantsHead}\nNEW00002,Fine K.K.,31,ja,JPY,\nNEW00003,Bad Day,40,ja,JPY,\nNEW00004,Bad Locale,31,fr,JPY,\n`;
    const middle = tableCounts(site.env);
    const imports = inStore(site.env, (db) => db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get());
    const refused = await upload(b, { _csrf: csrf, kind: 'tenants', encoding: 'utf8' }, { name: 'bad.csv', text: bad });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('The file has problems: nothing was imported.');
    const issues = [
      ...refused.html.matchAll(
        /<tr><td class="num" data-label="Line">(\d*)<\/td><td data-label="Field">([^<]*)<\/td><td data-label="Problem">([^<]+)<\/td><\/tr>/g,
      ),
    ].map((m) => [m[1], m[2]]);
    expect(issues).toEqual([
      ['3', 'cutoff_day'],
      ['4', 'locale'],
    ]);
    expect(tableCounts(site.env)).toEqual(middle);
    expect(inStore(site.env, (db) => db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get())).toBe(imports);
    // The choices are kept for the next try.
    expect(refused.html).toContain('<option value="tenants" selected>');

    // No file chosen, an unknown kind, adjustments booked from a file that is not usage: said, nothing stored.
    const noFile = await upload(b, { _csrf: csrf, kind: 'tenants', encoding: 'utf8' }, null);
    expect(noFile.status).toBe(400);
    expect(noFile.html).toContain('Choose a file.');
    const badKind = await upload(b, { _csrf: csrf, kind: 'people', encoding: 'utf8' }, { name: 'x.csv', text: good });
    expect(badKind.html).toContain('Choose what the file holds.');
    const adj = await upload(
      b,
      { _csrf: csrf, kind: 'tenants', encoding: 'utf8', asAdjustment: 'on' },
      { name: 'x.csv', text: good },
    );
    expect(adj.html).toContain('Booking as adjustments is for usage files only.');
    expect(tableCounts(site.env)).toEqual(middle);
  });

  it('takes a file of a few megabytes, and lists its first problems when there are too many', async () => {
    const site = await startSite(template, work.dir, 'upload-large');
    const b = await signedIn(site, 'ops@example.com');
    const csrf = b.csrf((await b.request('/imports')).html);
    const before = tableCounts(site.env);
    const rows = Array.from(
      { length: 40_000 },
      (_, i) => `BIG${i},${'A rather long display name '.repeat(2)},40,ja,JPY,`,
    );
    const text = `${tenantsHead}\n${rows.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(2 * 1024 * 1024);
    const refused = await upload(b, { _csrf: csrf, kind: 'tenants', encoding: 'utf8' }, { name: 'big.csv', text });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('There are more problems than shown: the first ones are listed.');
    const lines = [
      ...refused.html.matchAll(/<td class="num" data-label="Line">(\d+)<\/td><td data-label="Field">cutoff_day</g),
    ];
    expect(lines.length).toBe(site.config.importMaxErrors);
    expect(lines[0]![1]).toBe('2');
    expect(tableCounts(site.env)).toEqual(before);
  });

  it('refuses an upload without the form token (403), storing nothing', async () => {
    const site = await startSite(template, work.dir, 'upload-csrf');
    const b = await signedIn(site, 'ops@example.com');
    const before = tableCounts(site.env);
    const text = `${tenantsHead}\nNEW00009,Sneaky,31,ja,JPY,\n`;
    const without = await upload(b, { kind: 'tenants', encoding: 'utf8' }, { name: 'x.csv', text });
    expect(without.status).toBe(403);
    expect(without.html).toContain('The form expired or came from another page.');
    const wrong = await upload(
      b,
      { _csrf: 'A'.repeat(43), kind: 'tenants', encoding: 'utf8' },
      { name: 'x.csv', text },
    );
    expect(wrong.status).toBe(403);
    // The right token after the file: the file is not read without the token before it.
    const csrf = b.csrf((await b.request('/imports')).html);
    const form = new FormData();
    form.set('file', new Blob([text], { type: 'text/csv' }), 'x.csv');
    form.set('_csrf', csrf);
    form.set('kind', 'tenants');
    form.set('encoding', 'utf8');
    const late = new Request('http://upload.invalid/', { method: 'POST', body: form });
    const tokenLast = await b.post(
      '/imports',
      Buffer.from(await late.arrayBuffer()),
      late.headers.get('content-type')!,
    );
    expect(tokenLast.status).toBe(403);
    expect(tableCounts(site.env)).toEqual(before);
  });
});

describe('run a pass now', () => {
  it('starts a pass that runs to its end; refuses another while the month-end lease is held', async () => {
    const site = await startSite(template, work.dir, 'pass');
    const b = await signedIn(site, 'ops@example.com');
    const runs = (): { run_pk: number; status: string; finished_at: string | null }[] =>
      inStore(site.env, (db) =>
        db.prepare("SELECT run_pk, status, finished_at FROM runs WHERE kind = 'pass' ORDER BY run_pk").all(),
      ) as { run_pk: number; status: string; finished_at: string | null }[];
    const before = runs().length;
    const home = await b.request('/');
    const started = await b.request('/passes', { _csrf: b.csrf(home.html) });
    expect(started).toMatchObject({ status: 303, location: '/?pass=started' });
    expect((await b.request('/?pass=started')).html).toContain('The pass has started.');
    const requested = inStore(site.env, (db) =>
      db.prepare("SELECT subject, detail FROM audit_log WHERE action = 'pass-requested'").all(),
    ) as { subject: string; detail: string }[];
    expect(requested.map((r) => JSON.parse(r.detail) as unknown)).toEqual([{ email: 'ops@example.com' }]);
    // The pass runs in its own process: the page answers meanwhile; the store records its end.
    const deadline = Date.now() + 5 * 60_000;
    while (!(runs().length > before && runs().at(-1)!.finished_at !== null)) {
      expect(Date.now()).toBeLessThan(deadline);
      expect((await b.request('/')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(['ok', 'failed']).toContain(runs().at(-1)!.status);
    // Once its process has ended, the page shows no pass running, and this one as the last.
    let after = await b.request('/');
    while (!after.html.includes('<tr><th>Running pass</th><td>None</td></tr>')) {
      expect(after.html).toMatch(/<tr><th>Running pass<\/th><td>[^<]*requested by ops@example\.com<\/td><\/tr>/);
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await b.request('/');
    }
    expect(after.html).toMatch(/<tr><th>Last pass<\/th><td><span class="(good|bad)">finished/);

    // Another process holds the month-end lease: refused at once, naming it, nothing started.
    const owner = 'batch-host:4242:0badcafe';
    const lease = acquireLease(site.store, 'month-end', owner, 10 * 60_000, new Date());
    expect(lease.acquired).toBe(true);
    try {
      const busy = await b.request('/');
      expect(busy.html).toContain(`<tr><th>Running pass</th><td>held by ${owner} · started `);
      expect(busy.html).toContain('<button type="submit" disabled>Run a pass now</button>');
      const refused = await b.request('/passes', { _csrf: b.csrf(busy.html) });
      expect(refused.status).toBe(409);
      expect(refused.html).toContain(`Another pass is running, so none was started: held by ${owner} · started `);
      expect(runs().length).toBe(before + 1);
      expect(
        inStore(site.env, (db) =>
          db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'pass-requested'").pluck().get(),
        ),
      ).toBe(1);
    } finally {
      releaseLease(site.store, 'month-end', owner);
    }
  }, 400_000);
});

describe('a viewer', () => {
  it('sees the dashboard and the tenants without the buttons; the operator pages and POSTs are 404', async () => {
    const site = await startSite(template, work.dir, 'viewer');
    const b = await signedIn(site, 'viewer@example.com');
    const home = await b.request('/');
    expect(home.status).toBe(200);
    expect(shownCounts(home.html)['Statements fixed']).toBe(5);
    expect(home.html).not.toContain('action="/passes"');
    expect(home.html).toContain('<a href="/tenants">Tenants</a>');
    expect(home.html).not.toContain('href="/imports"');
    expect((await b.request('/tenants')).status).toBe(200);
    expect((await b.request('/imports')).status).toBe(404);
    const csrf = b.csrf(home.html);
    expect((await b.request('/passes', { _csrf: csrf })).status).toBe(404);
    const { body, type } = await uploadForm(
      { _csrf: csrf, kind: 'tenants', encoding: 'utf8' },
      { name: 'x.csv', text: 'tenant_name,display_name,cutoff_day,locale,currency,deleted_at\nV1,V,31,ja,JPY,\n' },
    );
    expect((await b.post('/imports', body, type)).status).toBe(404);
    expect(
      inStore(site.env, (db) => db.prepare("SELECT COUNT(*) FROM tenants WHERE tenant_name = 'V1'").pluck().get()),
    ).toBe(0);
    expect(
      inStore(site.env, (db) =>
        db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'pass-requested'").pluck().get(),
      ),
    ).toBe(0);
    // A tenant's person: the console's pages do not exist for them.
    const owner = await signedIn(site, 'ap@rules.example.com');
    expect((await owner.request('/tenants')).status).toBe(404);
  });
});
