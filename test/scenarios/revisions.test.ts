/**
 * Correcting a statement (docs/operations.md "Correcting a statement that went out"): `void` of a
 * statement nobody received (its month closed afresh by the next pass, as revision 2) and `reissue`
 * of one that was mailed (revision 2, archived beside revision 1, mailed as corrected). Every step
 * is audited; a revision never changes; the mails of a voided or replaced revision never go.
 * Through main() in this process, a real SMTP server on 127.0.0.1; child processes where a kill is
 * the point.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AS_OF,
  MONTH,
  RECIPIENTS,
  copyOf,
  deliveries,
  audit,
  endTest,
  fileSha,
  inStore,
  seedTemplate,
  sha256,
  smtpServer,
  archivedZip,
} from '../helpers/demo-store.ts';
import { onPostgres } from '../helpers/store-engine.ts';
import { startChild } from '../helpers/child.ts';
import { cli, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';
import { readZip } from '../helpers/zip-read.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-revisions-');
  template = await seedTemplate(work.dir);
});
afterAll(() => work.cleanup());
afterEach(endTest);

const CATALOG_HEADER =
  'product_id,priority,applicable_from,applicable_to,category,resource_identifier,unit_code,unit_price,product_name,description,charge_type,time_basis,monthly_cap,plan_group,rule,rule_params,currency,service,menu,submenu,plan,usage_label';
/** The template's monthly price corrected from 200 to 150 yen: a catalog row of a higher priority (rows never change). */
const TEMPLATE_FIX =
  'TE-0001,1,2020-01-01T00:00:00.000+0900,,template,TE_01,month,150,Template,Template,,,,,,,JPY,,,,,';
/** The 1CPU-4GB flavour's price per minute corrected, and its cap. */
const FLAVOUR_FIX =
  'EC-CMP-1C4G,1,2020-01-01T00:00:00Z,,compute,1CPU-4GB,minute,0.15,Flavor (1CPU-4GB),Virtual Server / Compute,capped_plan,operating,6000,compute-flavor,,,JPY,Enterprise Cloud 2.0,Virtual Server,Compute,Flavor (1CPU-4GB),Running';

async function demo(name: string, extra: Record<string, string> = {}) {
  const smtp = await smtpServer();
  const env: Record<string, string> = { ...copyOf(template, work.dir, name), SMTP_URL: smtp.url, ...extra };
  return { env, smtp };
}

async function importCatalog(env: Record<string, string>, row: string): Promise<void> {
  const file = path.join(env.DATA_DIR!, `catalog-fix-${sha256(Buffer.from(row)).slice(0, 8)}.csv`);
  fs.writeFileSync(file, `${CATALOG_HEADER}\n${row}\n`);
  const r = await runCli(['import', 'catalog', file], env);
  expect(r.code, r.stderr).toBe(0);
}

interface Revision {
  revision: number;
  status: string;
  total: string | null;
  correctsRevision: number | null;
  reason: string;
  voided: number;
  zipPath: string | null;
  sha256: string | null;
}

function revisions(env: Record<string, string>, tenant: string): Revision[] {
  return inStore(
    env,
    (db) =>
      db
        .prepare(
          `SELECT s.revision, s.status, s.total, (SELECT p.revision FROM statements p WHERE p.statement_pk = s.corrects_pk) AS correctsRevision,
          s.revision_reason AS reason, (SELECT COUNT(*) FROM statement_voids v WHERE v.statement_pk = s.statement_pk) AS voided,
          f.zip_path AS zipPath, f.sha256
        FROM statements s JOIN tenants t USING (tenant_pk) LEFT JOIN statement_files f USING (statement_pk)
        WHERE t.tenant_name = ? AND s.billing_month = ? ORDER BY s.revision`,
        )
        .all(tenant, MONTH) as Revision[],
  );
}

function recipientsOf(smtp: { messages: { envelope: { rcptTo: string[] } }[] }): string[] {
  return smtp.messages
    .map((m) => m.envelope.rcptTo)
    .flat()
    .sort();
}

describe('void, before anything was sent', () => {
  it('hold the month, void one statement, fix a price, the pass closes it again, release: each mail once', async () => {
    const { env, smtp } = await demo('void-flow', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const [first] = revisions(env, 'TNT00003');
    expect(first).toMatchObject({ revision: 1, status: 'fixed', zipPath: 'statements/202610/202610_TNT00003.zip' });

    const voided = await runCli(
      ['void', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'flavour price wrong in the catalog'],
      env,
    );
    expect(voided.code, voided.stderr).toBe(0);
    expect(voided.stdout).toBe(
      `voided TNT00003 ${MONTH} revision 1 (total ${first!.total} JPY): kept with its files (statements/202610/202610_TNT00003.zip), never sent\n` +
        '  2 mail(s) of it that had not gone are withdrawn\n' +
        `  ${MONTH} is open again: the next pass closes it afresh from the catalog, usage and adjustments as they are then (\`usage-charges run\`)\n`,
    );
    expect(audit(env, 'void')).toMatchObject([
      {
        subject: 'TNT00003',
        detail: {
          billingMonth: MONTH,
          revision: 1,
          total: first!.total,
          withdrawn: 2,
          reason: 'flavour price wrong in the catalog',
        },
      },
    ]);
    expect(String(audit(env, 'void')[0]!.detail.by)).toMatch(/@/);
    expect(
      deliveries(env)
        .filter((d) => d.tenant === 'TNT00003')
        .map((d) => [d.status, d.lastError]),
    ).toEqual([
      ['withdrawn', 'withdrawn: the statement was voided (flavour price wrong in the catalog)'],
      ['withdrawn', 'withdrawn: the statement was voided (flavour price wrong in the catalog)'],
    ]);

    await importCatalog(env, FLAVOUR_FIX);
    const rerun = await runCli(['run', '--as-of', AS_OF], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/: 1 statement closed, 0 failed to close; 1 file written, 0 failed; 0 mails sent,/);
    const [r1, r2] = revisions(env, 'TNT00003');
    // Revision 1 is kept as it was, files included; revision 2 is archived beside it.
    expect(r1).toEqual({ ...first, voided: 1 });
    expect(fileSha(env, r1!.zipPath!)).toBe(first!.sha256);
    expect(r2).toMatchObject({
      revision: 2,
      status: 'fixed',
      correctsRevision: null,
      voided: 0,
      zipPath: 'statements/202610/revision-2/202610_TNT00003.zip',
    });
    expect(Number(r2!.total)).toBeLessThan(Number(r1!.total));
    expect(fileSha(env, r2!.zipPath!)).toBe(r2!.sha256);
    expect(smtp.messages).toHaveLength(0);

    const release = await runCli(['release', '--month', MONTH, '--reason', 'totals checked'], env);
    expect(release.stdout).toContain('5 statement(s) released');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(recipientsOf(smtp)).toEqual(RECIPIENTS);
    // The tenant gets the re-closed statement as an ordinary one: nothing it had was corrected.
    const tnt3 = smtp.messages.filter((m) => m.envelope.rcptTo[0]!.endsWith('@rules.example.com'));
    expect(tnt3.map((m) => m.parsed.subject)).toEqual([
      'Usage charges for October 2026 - Example Rules Co.',
      'Usage charges for October 2026 - Example Rules Co.',
    ]);
    for (const m of tnt3) {
      expect(m.parsed.text).toContain(`${Number(r2!.total).toLocaleString('en-US')} JPY`);
      expect(sha256(m.parsed.attachments[0]!.content)).toBe(r2!.sha256);
    }
    // Nothing more goes on the next pass.
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);

    // What an operator reads back: every step of the month, newest first, with who and why.
    const log = await runCli(['audit', '--tenant', 'TNT00003', '--month', MONTH], env);
    expect(log.code, log.stderr).toBe(0);
    const rows = log.stdout
      .split('\n')
      .slice(3)
      .filter((l) => l !== '')
      .map((l) => l.split(/ {2,}/));
    expect(rows.map((r) => r.slice(1, 4))).toEqual([
      ['release', '*', MONTH],
      ['close', 'TNT00003', MONTH],
      ['void', 'TNT00003', MONTH],
      ['close', 'TNT00003', MONTH],
    ]);
    expect(rows[0]![5]).toBe('totals checked');
    expect(rows[2]![5]).toBe('flavour price wrong in the catalog');
    expect(rows[2]![4]).toMatch(/^\S+@\S+$/);
    expect(rows[1]![rows[1]!.length - 1]).toBe(`revision=2 total=${r2!.total} lines=17`);
    const json = JSON.parse((await runCli(['audit', '--action', 'void', '--json'], env)).stdout) as unknown[];
    expect(json).toEqual([
      {
        at: expect.any(String),
        action: 'void',
        subject: 'TNT00003',
        detail: expect.objectContaining({
          billingMonth: MONTH,
          revision: 1,
          reason: 'flavour price wrong in the catalog',
        }),
      },
    ]);
    const bad = await runCli(['audit', '--limit', '0'], env);
    expect([bad.code, bad.stderr]).toEqual([2, 'error: --limit: "0" must be a whole number from 1\n']);
  });

  it('an adjustment imported for a voided month is billed in its revision 2', async () => {
    const { env } = await demo('void-adjust', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const [first] = revisions(env, 'manual-tenant');
    const file = path.join(env.DATA_DIR!, 'credit.csv');
    fs.writeFileSync(
      file,
      `adjustment_id,tenant_name,lplatform_id,billing_month,amount,reason,tax\nout-1,manual-tenant,,${MONTH},-500,outage credit,\n`,
    );
    const refused = await runCli(['import', 'adjustments', file], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/credit\.csv:2: billing_month: .*finalized/);
    expect(
      (await runCli(['void', '--tenant', 'manual-tenant', '--month', MONTH, '--reason', 'outage credit'], env)).code,
    ).toBe(0);
    const imported = await runCli(['import', 'adjustments', file], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const [, second] = revisions(env, 'manual-tenant');
    expect(second!.revision).toBe(2);
    expect(Number(second!.total)).toBe(Number(first!.total) - 500);
  });

  it("a tenant's first month voided: usage before it is still refused, and an estimate there says why", async () => {
    const { env } = await demo('void-first', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    // TNT00005 (cut-off day 15) is billed from 2026-09-16: its first month, 2026-10, is finalized.
    expect((await runCli(['void', '--tenant', 'TNT00005', '--month', MONTH, '--reason', 'x'], env)).code).toBe(0);
    const early = path.join(env.DATA_DIR!, 'early.csv');
    fs.writeFileSync(
      early,
      'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,component,product_id,time_kind,start_at,end_at,quantity,cpu_count,clock_ghz,size_gb,vm_count,vcpu\n' +
        'early-1,TNT00005,TNT00005-LPlatform01,srv-x,srv-x,virtual_server,,EC-CMP-1C4G,operating,2026-09-05T00:00:00Z,2026-09-08T00:00:00Z,,,,,,\n',
    );
    const refused = await runCli(['import', 'usage', early], env);
    expect(refused.code, refused.stdout).toBe(2);
    expect(refused.stderr).toContain(
      "early.csv:2: start_at: lies before 2026-09-16T00:00:00.000Z, where tenant TNT00005's first finalized month begins",
    );
    const estimate = await runCli(['estimate', '--tenant', 'TNT00005', '--as-of', '2026-09-01T00:00:00Z'], env);
    expect(estimate.code).toBe(2);
    expect(estimate.stderr).toContain(
      '2026-09-01T00:00:00.000Z lies before 2026-10, the first month tenant TNT00005 is billed in (voided, and closed again by the next pass)',
    );
  });

  it('refuses what a void cannot do, changing nothing', async () => {
    const { env } = await demo('void-refusals');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const sent = await runCli(['void', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'x'], env);
    expect(sent.code).toBe(2);
    expect(sent.stderr).toBe(
      `error: --month: a mail of TNT00003 ${MONTH} was already sent (or is being sent): a void is only for a statement nobody received; correct it with usage-charges reissue --tenant TNT00003 --month ${MONTH} --reason TEXT\n`,
    );
    const noReason = await runCli(['void', '--tenant', 'TNT00005', '--month', MONTH, '--reason', ' '], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/^error: --reason: say why/);
    const unknown = await runCli(['void', '--tenant', 'nobody', '--month', MONTH, '--reason', 'x'], env);
    expect(unknown.stderr).toBe('error: --tenant: tenant "nobody" does not exist\n');
    const open = await runCli(['void', '--tenant', 'TNT00005', '--month', '2026-11', '--reason', 'x'], env);
    expect(open.stderr).toBe('error: --month: TNT00005 has no finalized statement for 2026-11\n');
    // TNT00005 has no contact: nothing was ever sent, but its next month is finalized after it.
    expect((await runCli(['run', '--as-of', '2026-12-10T00:00:00Z'], env)).code).toBe(0);
    const earlier = await runCli(['void', '--tenant', 'TNT00005', '--month', MONTH, '--reason', 'x'], env);
    expect(earlier.code).toBe(2);
    expect(earlier.stderr).toContain(
      `error: --month: TNT00005 2026-11 is finalized after ${MONTH}: a month is voided only while it is the tenant's latest finalized one`,
    );
    expect(audit(env, 'void')).toEqual([]);
    const latest = await runCli(['void', '--tenant', 'TNT00005', '--month', '2026-11', '--reason', 'x'], env);
    expect(latest.code, latest.stderr).toBe(0);
    const twice = await runCli(['void', '--tenant', 'TNT00005', '--month', '2026-11', '--reason', 'x'], env);
    expect(twice.stderr).toMatch(
      /^error: --month: the statement of TNT00005 2026-11 \(revision 1\) was voided at \S+ by \S+@\S+; the next pass closes the month again\n$/,
    );
    expect(audit(env, 'void')).toHaveLength(1);
  });
});

describe('reissue, after it was sent', () => {
  it('rates the month again as revision 2, archives it beside revision 1 and mails it as corrected', async () => {
    const { env, smtp } = await demo('reissue-flow');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(recipientsOf(smtp)).toEqual(RECIPIENTS);
    const [first] = revisions(env, 'TNT00001');
    const before = smtp.messages.length;

    await importCatalog(env, TEMPLATE_FIX);
    const dry = await runCli(
      ['reissue', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'テンプレート月額の誤り', '--dry-run'],
      env,
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(
        `^re-issue of TNT00001 ${MONTH} \\(dry run: nothing is stored or sent\\)\n` +
          `  revision 1 \\(current, finalized \\S+, 1 mail\\(s\\) sent\\): ${first!.total} JPY\n` +
          `  revision 2 \\(rated now from today's data\\): ${Number(first!.total) - 100} JPY\n` +
          '  difference: -100 JPY\n' +
          '    L-Platform TNT00001-LPlatform01: \\d+ -> \\d+ JPY\n' +
          '    L-Platform TNT00001-LPlatform02: \\d+ -> \\d+ JPY\n$',
      ),
    );
    expect(revisions(env, 'TNT00001')).toHaveLength(1);
    expect(audit(env, 'reissue')).toEqual([]);

    const r = await runCli(
      ['reissue', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'テンプレート月額の誤り'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `re-issued TNT00001 ${MONTH} as revision 2: ${Number(first!.total) - 100} JPY (revision 1: ${first!.total} JPY, difference -100 JPY)\n`,
    );
    expect(r.stdout).toContain('  wrote statements/202610/revision-2/202610_TNT00001_20261028.zip\n');
    expect(r.stdout).toContain('  sent the corrected mail to billing@tenant01.example.jp: 250');
    const [r1, r2] = revisions(env, 'TNT00001');
    expect(r1).toEqual(first);
    expect(fileSha(env, r1!.zipPath!)).toBe(first!.sha256);
    expect(r2).toMatchObject({
      revision: 2,
      correctsRevision: 1,
      reason: 'テンプレート月額の誤り',
      zipPath: 'statements/202610/revision-2/202610_TNT00001_20261028.zip',
    });
    const mails = smtp.messages.slice(before);
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.envelope.rcptTo).toEqual(['billing@tenant01.example.jp']);
    expect(m.parsed.subject).toBe('【訂正】【ご利用料金のお知らせ】2026年10月分 tenant01 御中');
    const total = (n: number): string => `${n.toLocaleString('en-US')}円`;
    expect(m.parsed.text).toContain(`  訂正前の金額：${total(Number(first!.total))}\n`);
    expect(m.parsed.text).toContain(`  訂正後の金額：${total(Number(first!.total) - 100)}（税抜）\n`);
    expect(m.parsed.text).toContain('  差額　　　　：-100円\n');
    expect(m.parsed.text).toContain('  訂正の理由　：テンプレート月額の誤り\n');
    expect(m.parsed.attachments.map((a) => a.filename)).toEqual(['202610_TNT00001_20261028.zip']);
    expect(sha256(m.parsed.attachments[0]!.content)).toBe(r2!.sha256);
    // The zip holds the corrected lines: its list file differs from revision 1's.
    const entries = readZip(m.parsed.attachments[0]!.content);
    const archived1 = readZip(archivedZip(env, r1!.zipPath!));
    expect(entries.map((e) => e.name)).toEqual(archived1.map((e) => e.name));
    expect(entries[0]!.data.equals(archived1[0]!.data)).toBe(false);
    expect(audit(env, 'reissue')).toMatchObject([
      {
        subject: 'TNT00001',
        detail: {
          billingMonth: MONTH,
          revision: 2,
          corrects: 1,
          previousTotal: first!.total,
          total: String(Number(first!.total) - 100),
          difference: '-100',
          recipients: 1,
          withdrawn: 0,
          reason: 'テンプレート月額の誤り',
        },
      },
    ]);

    // Asked again, nothing is left to correct; the pass sends nothing more.
    const again = await runCli(['reissue', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'again'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `comes out exactly as its revision 2 (re-issued at ${inStore(env, (db) => db.prepare('SELECT finalized_at FROM statements WHERE revision = 2').pluck().get() as string)}`,
    );
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(smtp.messages).toHaveLength(before + 1);

    // A resend sends the current revision, still marked as corrected.
    const resend = await runCli(['resend', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'lost'], env);
    expect(resend.code, resend.stderr).toBe(0);
    expect(smtp.messages.at(-1)!.parsed.subject).toBe(
      '[再送] 【訂正】【ご利用料金のお知らせ】2026年10月分 tenant01 御中',
    );
    expect(sha256(smtp.messages.at(-1)!.parsed.attachments[0]!.content)).toBe(r2!.sha256);
  });

  it('--adjustments bills a credit in the re-issued month, imported with the revision; a bad row changes nothing', async () => {
    const { env, smtp } = await demo('reissue-credit');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const [first] = revisions(env, 'manual-tenant');
    const header = 'adjustment_id,tenant_name,lplatform_id,billing_month,amount,reason,tax';
    const bad = path.join(env.DATA_DIR!, 'bad.csv');
    fs.writeFileSync(
      bad,
      `${header}\nok-1,manual-tenant,,,-500,outage credit,\nother-1,TNT00003,,,-100,x,\nlater-1,manual-tenant,,2026-11,-100,x,\n`,
    );
    const refused = await runCli(
      ['reissue', '--tenant', 'manual-tenant', '--month', MONTH, '--reason', 'outage', '--adjustments', bad],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `bad.csv:3: tenant_name: reissue --adjustments takes adjustments of manual-tenant only, the tenant it re-issues`,
    );
    expect(refused.stderr).toContain(
      `bad.csv:4: billing_month: reissue --adjustments bills in ${MONTH}, the month it re-issues: leave billing_month empty or give ${MONTH}`,
    );
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM adjustments').pluck().get())).toBe(0);
    expect(revisions(env, 'manual-tenant')).toHaveLength(1);
    // An adjustment imported before for another month is not taken as "unchanged".
    const earlier = path.join(env.DATA_DIR!, 'earlier.csv');
    fs.writeFileSync(earlier, `${header}\nnext-1,manual-tenant,,,-100,credit for November,\n`);
    expect((await runCli(['import', 'adjustments', earlier], env)).code).toBe(0);
    const again = await runCli(
      [
        'reissue',
        '--tenant',
        'manual-tenant',
        '--month',
        MONTH,
        '--reason',
        'x',
        '--adjustments',
        earlier,
        '--dry-run',
      ],
      env,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `earlier.csv:2: adjustment_id: adjustment next-1 was imported before for manual-tenant 2026-11: reissue --adjustments takes adjustments of manual-tenant ${MONTH} only`,
    );

    const file = path.join(env.DATA_DIR!, 'credit.csv');
    fs.writeFileSync(file, `${header}\nout-1,manual-tenant,,,-500,"Outage 2026-10-12, 3 hours",\n`);
    const args = [
      'reissue',
      '--tenant',
      'manual-tenant',
      '--month',
      MONTH,
      '--reason',
      'outage credit',
      '--adjustments',
      file,
    ];
    const dry = await runCli([...args, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('  with adjustments: credit.csv: 1 row: 1 added, 0 updated, 0 unchanged\n');
    expect(dry.stdout).toContain(`  revision 2 (rated now from today's data): ${Number(first!.total) - 500} JPY\n`);
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM adjustments').pluck().get())).toBe(1);

    const before = smtp.messages.length;
    const r = await runCli(args, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`as revision 2: ${Number(first!.total) - 500} JPY`);
    expect(
      inStore(env, (db) => db.prepare('SELECT billing_month FROM adjustments ORDER BY adjustment_id').pluck().all()),
    ).toEqual(['2026-11', MONTH]);
    const mail = smtp.messages.slice(before);
    expect(mail.map((m) => m.envelope.rcptTo).flat()).toEqual(['owner@manual-tenant.example.jp']);
    expect(mail[0]!.parsed.text).toContain('  差額　　　　：-500円\n');
    expect(audit(env, 'reissue')[0]!.detail).toMatchObject({ adjustments: { file: 'credit.csv', rows: 1 } });
    expect(audit(env, 'import').at(-1)!.detail).toMatchObject({ kind: 'adjustments', file: 'credit.csv', inserted: 1 });
    expect(audit(env, 'import').at(-1)!.detail.by).toBe(audit(env, 'reissue')[0]!.detail.by);
    expect(String(audit(env, 'import').at(-1)!.detail.by)).toMatch(/^.+@.+$/);
  });

  it('says how usage booked late into a later month is treated, and a dry run of an unchanged month says so', async () => {
    const { env } = await demo('reissue-late');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const late = path.join(env.DATA_DIR!, 'late.csv');
    fs.writeFileSync(
      late,
      'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,component,product_id,time_kind,start_at,end_at,quantity,cpu_count,clock_ghz,size_gb,vm_count,vcpu\n' +
        'late-1,TNT00003,TNT00003-WS01,srv-a,srv-a,virtual_server,,EC-CMP-1C4G,operating,2026-10-10T00:00:00Z,2026-10-10T01:00:00Z,,,,,,\n',
    );
    const imported = await runCli(['import', 'usage', late, '--as-adjustment'], env);
    expect(imported.code, imported.stderr).toBe(0);
    const dry = await runCli(
      ['reissue', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'check', '--dry-run'],
      env,
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      '  1 usage record(s) of this period were booked late into 2026-11 (import usage --as-adjustment): they stay billed there and are not counted again in revision 2\n',
    );
    expect(dry.stdout).toContain(
      "  nothing would change: rated from today's data the month comes out exactly as revision 1, so a re-issue is refused\n",
    );
  });

  it('a held re-issue voided: the revision it corrected is current again and its waiting mail goes', async () => {
    const greylisting = await smtpServer({
      rcptReplies: { 'cfo@rules.example.com': { code: 451, message: 'try later' } },
    });
    const { env } = await demo('reissue-voided', { SMTP_URL: greylisting.url });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(greylisting.messages.map((m) => m.envelope.rcptTo).flat()).toContain('ap@rules.example.com');
    const waiting = (): string[] =>
      deliveries(env)
        .filter((d) => d.recipient === 'cfo@rules.example.com')
        .map((d) => d.status);
    expect(waiting()).toEqual(['pending']);

    await importCatalog(env, FLAVOUR_FIX);
    const held = { ...env, REVIEW_HOLD: 'on' };
    const r = await runCli(['reissue', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'flavour price'], held);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  1 mail(s) of revision 1 that had not gone are withdrawn\n');
    expect(waiting()).toEqual(['withdrawn', 'pending']);

    const v = await runCli(['void', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'correction rejected'], held);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain(
      '  revision 1, which it corrected, is current again (the tenant has that one); 1 of its mail(s) that had not gone are given back to the queue\n',
    );
    expect(waiting()).toEqual(['pending', 'withdrawn']);
    expect(audit(env, 'void')[0]!.detail).toMatchObject({ revision: 2, currentAgain: 1, restored: 1, withdrawn: 2 });

    // The server takes it now: the contact gets revision 1, the statement the other contact has.
    const smtp = await smtpServer();
    expect((await runCli(['run', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url })).code).toBe(0);
    expect(smtp.messages.map((m) => m.envelope.rcptTo).flat()).toEqual(['cfo@rules.example.com']);
    const [r1] = revisions(env, 'TNT00003');
    expect(smtp.messages[0]!.parsed.subject).toBe('Usage charges for October 2026 - Example Rules Co.');
    expect(sha256(smtp.messages[0]!.parsed.attachments[0]!.content)).toBe(r1!.sha256);
    expect(waiting()).toEqual(['sent', 'withdrawn']);
  });

  it('refuses a statement nobody received (void it instead), changing nothing', async () => {
    const { env } = await demo('reissue-unsent', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const r = await runCli(['reissue', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'x'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: --month: no mail of TNT00003 ${MONTH} was sent yet: void it instead (usage-charges void --tenant TNT00003 --month ${MONTH} --reason TEXT), and the next pass closes it again\n`,
    );
    expect(revisions(env, 'TNT00003')).toHaveLength(1);
  });
});

describe('killed mid-way, and two operators at once', () => {
  it('a void killed before its commit voids nothing; run again, it voids once', async () => {
    const { env } = await demo('kill-void', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const args = ['void', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'price'];
    expect(cli(args, { ...env, USAGE_CHARGES_CRASH_AT: 'revision-before-commit' }).code).toBeNull();
    expect(audit(env, 'void')).toEqual([]);
    expect(revisions(env, 'TNT00003')[0]!.voided).toBe(0);
    expect((await runCli(args, env)).code).toBe(0);
    expect(audit(env, 'void')).toHaveLength(1);
  });

  it.each([
    'revision-before-commit',
    'reissue-after-commit',
    // A zip's file written before its rename: SQLite's archive (on PostgreSQL the zip is a row).
    ...(onPostgres() ? [] : ['zip-before-rename']),
    'files-before-record',
    'send-before-mark',
  ])(
    'a reissue killed at %s: run again (reissue, then the pass), revision 2 exists once and each contact gets it once',
    async (point) => {
      const { env, smtp } = await demo(`kill-reissue-${point}`);
      expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
      await importCatalog(env, TEMPLATE_FIX);
      const args = ['reissue', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'price'];
      const before = smtp.messages.length;
      // A child process whose mail goes to this process's server: started, not run synchronously.
      const killed = await startChild(args, { ...env, USAGE_CHARGES_CRASH_AT: point }).exited;
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const committed = point !== 'revision-before-commit';
      expect(revisions(env, 'TNT00001')).toHaveLength(committed ? 2 : 1);
      expect(audit(env, 'reissue')).toHaveLength(committed ? 1 : 0);
      // The operator runs it again: once committed, there is nothing left to correct.
      const again = await runCli(args, env);
      expect(again.code, again.stderr).toBe(committed ? 2 : 0);
      // The pass (the service's next night) finishes what the killed command left.
      const pass = await runCli(['run', '--as-of', AS_OF], env);
      expect(pass.code, pass.stderr).toBe(0);
      const [r1, r2] = revisions(env, 'TNT00001');
      expect(r1!.status).toBe('fixed');
      expect(r2).toMatchObject({ revision: 2, correctsRevision: 1, zipPath: expect.stringMatching(/revision-2/) });
      expect(fileSha(env, r2!.zipPath!)).toBe(r2!.sha256);
      expect(audit(env, 'reissue')).toHaveLength(1);
      const corrected = smtp.messages.slice(before);
      // A message handed to the server when the kill came is sent again, with the same Message-ID.
      expect(new Set(corrected.map((m) => m.parsed.messageId)).size).toBe(1);
      expect(corrected.length).toBe(point === 'send-before-mark' ? 2 : 1);
      for (const m of corrected) {
        expect(m.parsed.subject).toMatch(/^【訂正】/);
        expect(sha256(m.parsed.attachments[0]!.content)).toBe(r2!.sha256);
      }
      expect(
        deliveries(env)
          .filter((d) => d.tenant === 'TNT00001')
          .map((d) => d.status),
      ).toEqual(['sent', 'sent']);
    },
  );

  it('an adjustments import killed before its commit imports nothing; run again, it imports once', async () => {
    const { env } = await demo('kill-adjust');
    const file = path.join(env.DATA_DIR!, 'credit.csv');
    fs.writeFileSync(
      file,
      'adjustment_id,tenant_name,lplatform_id,billing_month,amount,reason,tax\nout-9,manual-tenant,,,-300,outage credit,\n',
    );
    expect(
      cli(['import', 'adjustments', file], { ...env, USAGE_CHARGES_CRASH_AT: 'import-before-commit' }).code,
    ).toBeNull();
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM adjustments').pluck().get())).toBe(0);
    const again = await runCli(['import', 'adjustments', file], env);
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli(['import', 'adjustments', file], env)).stdout).toContain('0 added, 0 updated, 1 unchanged');
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM adjustments').pluck().get())).toBe(1);
  });

  it('two operators re-issuing the same month at once: one revision 2, one corrected mail per contact', async () => {
    const { env, smtp } = await demo('two-operators');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    await importCatalog(env, TEMPLATE_FIX);
    const before = smtp.messages.length;
    const args = ['reissue', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'price'];
    const [ra, rb] = await Promise.all([startChild(args, env).exited, startChild(args, env).exited]);
    expect([ra.code, rb.code].sort()).toEqual([0, 2]);
    // The second finds the first's revision 2: the same again (SQLite: it waited for the first's
    // pass to end, mails sent), or not sent yet (PostgreSQL: the first's mails may still be going).
    expect([ra.stderr, rb.stderr].join('')).toMatch(
      onPostgres()
        ? /there is nothing to correct|no mail of TNT00001 2026-10 was sent yet/
        : /there is nothing to correct/,
    );
    expect(revisions(env, 'TNT00001').map((r) => r.revision)).toEqual([1, 2]);
    expect(smtp.messages.length - before).toBe(1);
  });

  it('two operators releasing the month, or importing the same credits, at once: each happens once', async () => {
    const { env, smtp } = await demo('two-releases', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const release = ['release', '--month', MONTH, '--reason', 'checked'];
    const [ra, rb] = await Promise.all([startChild(release, env).exited, startChild(release, env).exited]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const said = [ra.stdout, rb.stdout].sort();
    expect(said[0]).toContain('5 statement(s) released');
    expect(said[1]).toContain(`no statement of ${MONTH} is held`);
    expect(audit(env, 'release')).toHaveLength(1);
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(recipientsOf(smtp)).toEqual(RECIPIENTS);

    const file = path.join(env.DATA_DIR!, 'credit.csv');
    fs.writeFileSync(
      file,
      'adjustment_id,tenant_name,lplatform_id,billing_month,amount,reason,tax\nout-2,manual-tenant,,,-300,outage credit,\n',
    );
    const imports = await Promise.all([
      startChild(['import', 'adjustments', file], env).exited,
      startChild(['import', 'adjustments', file], env).exited,
    ]);
    expect(imports.map((r) => r.code)).toEqual([0, 0]);
    expect(imports.map((r) => r.stdout.trim()).sort()).toEqual([
      'adjustments: credit.csv: 1 row: 0 added, 0 updated, 1 unchanged',
      'adjustments: credit.csv: 1 row: 1 added, 0 updated, 0 unchanged',
    ]);
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM adjustments').pluck().get())).toBe(1);
  });

  it('two operators voiding the same statement at once: voided once', async () => {
    const { env } = await demo('two-voids', { REVIEW_HOLD: 'on' });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const args = ['void', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'price'];
    const [ra, rb] = await Promise.all([startChild(args, env).exited, startChild(args, env).exited]);
    expect([ra.code, rb.code].sort()).toEqual([0, 2]);
    expect(audit(env, 'void')).toHaveLength(1);
  });
});
