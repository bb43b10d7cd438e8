/**
 * The read-only views of a month with revisions: `status --month` and `history` show each month's
 * statement as it stands (its current revision), `history --revisions` every revision with what
 * corrected or voided it, `export --revision N` any finalized revision, and `estimate` names the
 * current revision of the finalized month an instant lies in. The demo's 2026-10: TNT00003's
 * statement is voided while its mails are held for review and closed again by the next pass
 * (revision 2); TNT00001's is mailed (as .eml files), then re-issued after a price correction
 * (revision 2 corrects 1). Through main() in this process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF, MONTH, copyOf, endTest, inStore, seedTemplate } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

/** The template's price, 200 JPY a month, lowered to 150 by a row of a higher priority. */
const CATALOG = [
  'product_id,priority,applicable_from,applicable_to,category,resource_identifier,unit_code,unit_price,product_name,description,charge_type,time_basis,monthly_cap,plan_group,rule,rule_params,currency,service,menu,submenu,plan,usage_label',
  'TE-0001,1,2020-01-01T00:00:00.000+0900,,template,TE_01,month,150,Template,Template,,,,,,,JPY,,,,,',
].join('\n');

const FIRST_PASS = '2026-11-03T00:00:00.000Z';
const SECOND_PASS = '2026-11-03T06:00:00.000Z';
/** Who a void or a re-issue records (the operator running the command). */
const BY = `${os.userInfo().username}@${os.hostname()}`;

let work: { dir: string; cleanup: () => void };
let env: Record<string, string>;
/** The output of `status --month` between the void and the next pass. */
let afterVoid: string;
let afterVoidJson: { statements: Record<string, unknown>[]; deliveries: Record<string, unknown>[] };

async function ok(args: string[], extra: Record<string, string> = {}): Promise<string> {
  const r = await runCli(args, { ...env, ...extra });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  work = tempDir('uc-revision-views-');
  env = copyOf(await seedTemplate(work.dir), work.dir, 'store');
  await ok(['run', '--as-of', AS_OF], { REVIEW_HOLD: 'on', USAGE_CHARGES_TEST_NOW: FIRST_PASS });
  await ok(['void', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'usage imported twice']);
  afterVoid = await ok(['status', '--month', MONTH]);
  afterVoidJson = JSON.parse(await ok(['status', '--month', MONTH, '--json'])) as typeof afterVoidJson;
  await ok(['release', '--month', MONTH, '--reason', 'checked']);
  await ok(['run', '--as-of', AS_OF], { USAGE_CHARGES_TEST_NOW: SECOND_PASS });
  const catalog = path.join(work.dir, 'catalog-fix.csv');
  fs.writeFileSync(catalog, `${CATALOG}\n`);
  await ok(['import', 'catalog', catalog]);
  await ok(['reissue', '--tenant', 'TNT00001', '--month', MONTH, '--reason', 'template price corrected']);
});
afterAll(() => work.cleanup());
afterEach(endTest);

/** A table line's cells (columns are two spaces or more apart; empty cells drop out). */
const cells = (line: string): string[] => line.trim().split(/ {2,}/);

/** The lines of a table after its title, header and rule, as cells. */
function tableRows(text: string, title: string): string[][] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(title));
  expect(at, `no "${title}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  const out: string[][] = [];
  for (const line of lines.slice(at + 3)) {
    if (line.trim() === '') break;
    out.push(cells(line));
  }
  return out;
}

/** What the store recorded of a revision: when it was finalized and voided. */
function recorded(tenant: string, revision: number): { finalizedAt: string; voidedAt: string | null } {
  return inStore(
    env,
    (db) =>
      db
        .prepare(
          `SELECT s.finalized_at AS finalizedAt, v.voided_at AS voidedAt FROM statements s JOIN tenants t USING (tenant_pk)
          LEFT JOIN statement_voids v USING (statement_pk) WHERE t.tenant_name = ? AND s.billing_month = ? AND s.revision = ?`,
        )
        .get(tenant, MONTH, revision) as { finalizedAt: string; voidedAt: string | null },
  );
}

describe('status --month', () => {
  it('shows a voided statement with its withdrawn mails until the next pass closes the month again', () => {
    const voidedAt = recorded('TNT00003', 1).voidedAt!;
    expect(tableRows(afterVoid, `statements of ${MONTH}:`)[1]).toEqual([
      'TNT00003',
      'void (revision 1), closed again by the next pass',
      '793277',
      'JPY',
      FIRST_PASS,
      '202610_TNT00003.zip',
      '2 withdrawn',
    ]);
    expect(afterVoidJson.statements[1]).toMatchObject({
      tenant_name: 'TNT00003',
      status: 'void',
      revision: 1,
      voided_at: voidedAt,
      corrects_revision: null,
      mails_sent: 0,
      mails_pending: 0,
      mails_withdrawn: 2,
      held_at: null,
    });
    const withdrawn = tableRows(afterVoid, 'mails not sent yet, failed, or resent:').filter((r) => r[0] === 'TNT00003');
    expect(withdrawn).toEqual([
      [
        'TNT00003',
        'ap@rules.example.com',
        'statement',
        'withdrawn',
        '0',
        'withdrawn: the statement was voided (usage imported twice)',
      ],
      [
        'TNT00003',
        'cfo@rules.example.com',
        'statement',
        'withdrawn',
        '0',
        'withdrawn: the statement was voided (usage imported twice)',
      ],
    ]);
  });

  it('gives one row per tenant: the current revision, saying what it corrects', async () => {
    const out = await ok(['status', '--month', MONTH]);
    const reissuedAt = recorded('TNT00001', 2).finalizedAt;
    expect(tableRows(out, `statements of ${MONTH}:`)).toEqual([
      [
        'TNT00001',
        'fixed (revision 2, corrects 1)',
        '20945',
        'JPY',
        reissuedAt,
        '202610_TNT00001_20261028.zip',
        '1 sent',
      ],
      ['TNT00003', 'fixed (revision 2)', '793277', 'JPY', SECOND_PASS, '202610_TNT00003.zip', '2 sent'],
      ['TNT00004', 'fixed', '73.39', 'SGD', FIRST_PASS, '202610_TNT00004.zip', '1 sent'],
      ['TNT00005', 'fixed', '14148', 'JPY', FIRST_PASS, '202610_TNT00005.zip', 'no recipient'],
      ['manual-tenant', 'fixed', '5871', 'JPY', FIRST_PASS, '202610_manual-tenant.zip', '1 sent'],
    ]);
    const json = JSON.parse(await ok(['status', '--month', MONTH, '--json'])) as {
      statements: Record<string, unknown>[];
    };
    expect(
      json.statements.map((s) => [s.tenant_name, s.status, s.revision, s.corrects_revision, s.voided_at, s.total]),
    ).toEqual([
      ['TNT00001', 'fixed', 2, 1, null, '20945'],
      ['TNT00003', 'fixed', 2, null, null, '793277'],
      ['TNT00004', 'fixed', 1, null, null, '73.39'],
      ['TNT00005', 'fixed', 1, null, null, '14148'],
      ['manual-tenant', 'fixed', 1, null, null, '5871'],
    ]);
  });

  it('status counts the voided and replaced revisions among the finalized statements', async () => {
    const out = await ok(['status']);
    expect(out).toMatch(/^statements: 7 fixed \(1 void, 1 replaced\)$/m);
    const json = JSON.parse(await ok(['status', '--json'])) as { statements: Record<string, number> };
    expect(json.statements).toEqual({ fixed: 7, void: 1, replaced: 1 });
  });
});

describe('history', () => {
  it('shows each month once, as it stands, with its revision', async () => {
    const out = await ok(['history', '--tenant', 'TNT00001']);
    const reissuedAt = recorded('TNT00001', 2).finalizedAt;
    expect(out.split('\n')[0]).toBe('statements of TNT00001: 1');
    expect(tableRows(out, 'statements of TNT00001:')).toEqual([
      [
        '2026-10',
        '2',
        '2026-10-01 .. 2026-10-31',
        'fixed (revision 2, corrects 1)',
        '20945',
        'JPY',
        reissuedAt,
        '202610_TNT00001_20261028.zip',
      ],
    ]);
    const three = await ok(['history', '--tenant', 'TNT00003']);
    expect(tableRows(three, 'statements of TNT00003:')).toEqual([
      [
        '2026-10',
        '2',
        '2026-10-01 .. 2026-10-31',
        'fixed (revision 2)',
        '793277',
        'JPY',
        SECOND_PASS,
        '202610_TNT00003.zip',
      ],
    ]);
  });

  it('--revisions lists every revision of each month, where it is archived, and what corrected or voided it', async () => {
    const one = await ok(['history', '--tenant', 'TNT00001', '--revisions']);
    expect(one.split('\n')[0]).toBe('statements of TNT00001: 2 revision(s) of 1 month(s)');
    expect(tableRows(one, 'statements of TNT00001:')).toEqual([
      [
        '2026-10',
        '1',
        '2026-10-01 .. 2026-10-31',
        'replaced',
        '21045',
        'JPY',
        FIRST_PASS,
        'statements/202610/202610_TNT00001_20261028.zip',
      ],
      [
        '2026-10',
        '2',
        '2026-10-01 .. 2026-10-31',
        'current',
        '20945',
        'JPY',
        recorded('TNT00001', 2).finalizedAt,
        'statements/202610/revision-2/202610_TNT00001_20261028.zip',
        `corrects 1: template price corrected (by ${BY})`,
      ],
    ]);
    const three = await ok(['history', '--tenant', 'TNT00003', '--revisions']);
    expect(tableRows(three, 'statements of TNT00003:')).toEqual([
      [
        '2026-10',
        '1',
        '2026-10-01 .. 2026-10-31',
        'void',
        '793277',
        'JPY',
        FIRST_PASS,
        'statements/202610/202610_TNT00003.zip',
        `voided at ${recorded('TNT00003', 1).voidedAt} by ${BY}: usage imported twice`,
      ],
      [
        '2026-10',
        '2',
        '2026-10-01 .. 2026-10-31',
        'current',
        '793277',
        'JPY',
        SECOND_PASS,
        'statements/202610/revision-2/202610_TNT00003.zip',
      ],
    ]);
  });

  it('--json gives the same rows with the revision keys', async () => {
    const byDefault = JSON.parse(await ok(['history', '--tenant', 'TNT00003', '--json'])) as Record<string, unknown>[];
    const voidedAt = recorded('TNT00003', 1).voidedAt;
    const revision2 = {
      tenant_name: 'TNT00003',
      billing_month: MONTH,
      period_start: '2026-10-01T00:00:00.000Z',
      period_end: '2026-11-01T00:00:00.000Z',
      status: 'fixed',
      total: '793277',
      currency: 'JPY',
      finalized_at: SECOND_PASS,
      last_error: null,
      zip_name: '202610_TNT00003.zip',
      revision: 2,
      state: 'current',
      corrects_revision: null,
      reason: '',
      by: '',
      voided_at: null,
      voided_by: null,
      void_reason: null,
    };
    expect(byDefault).toEqual([revision2]);
    const all = JSON.parse(await ok(['history', '--tenant', 'TNT00003', '--revisions', '--json'])) as Record<
      string,
      unknown
    >[];
    expect(all).toEqual([
      {
        ...revision2,
        status: 'void',
        finalized_at: FIRST_PASS,
        revision: 1,
        state: 'void',
        voided_at: voidedAt,
        voided_by: BY,
        void_reason: 'usage imported twice',
      },
      revision2,
    ]);
  });
});

describe('export --revision', () => {
  async function exported(name: string, ...args: string[]): Promise<Buffer> {
    const file = path.join(work.dir, name);
    await ok(['export', '--format', 'ecl-summary', '--month', MONTH, '--tenant', 'TNT00001', ...args, '--out', file]);
    return fs.readFileSync(file);
  }

  it('exports any finalized revision; by default the current one', async () => {
    const first = await exported('r1.csv', '--revision', '1');
    const second = await exported('r2.csv', '--revision', '2');
    const current = await exported('current.csv');
    expect(current.equals(second)).toBe(true);
    expect(first.equals(second)).toBe(false);
    expect(first.toString('utf8').split('\r\n').at(-2)).toBe(
      '"total","TNT00001","tenant01","","","","","",21045,"JPY","2026-10","fixed"',
    );
    expect(second.toString('utf8').split('\r\n').at(-2)).toBe(
      '"total","TNT00001","tenant01","","","","","",20945,"JPY","2026-10","fixed"',
    );
  });

  it('exports a voided revision too', async () => {
    const file = path.join(work.dir, 'void.csv');
    await ok([
      'export',
      '--format',
      'ecl-summary',
      '--month',
      MONTH,
      '--tenant',
      'TNT00003',
      '--revision',
      '1',
      '--out',
      file,
    ]);
    expect(fs.readFileSync(file).toString('utf8')).toMatch(
      /^"total","TNT00003",[^\r\n]*,793277,"JPY","2026-10","fixed"\r$/m,
    );
  });

  it('refuses a revision the month does not have, naming those it has', async () => {
    const missing = await runCli(
      ['export', '--format', 'ecl-summary', '--month', MONTH, '--tenant', 'TNT00001', '--revision', '3'],
      env,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'error: --revision: TNT00001 2026-10 has no finalized revision 3 (its revisions: 1 replaced, 2 current)\n',
    );
    const noTenant = await runCli(['export', '--format', 'ecl-summary', '--month', MONTH, '--revision', '1'], env);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toBe("error: --revision: give --tenant too (a revision is of one tenant's month)\n");
    const zero = await runCli(
      ['export', '--format', 'ecl-summary', '--month', MONTH, '--tenant', 'TNT00001', '--revision', '0'],
      env,
    );
    expect(zero.code).toBe(2);
    expect(zero.stderr).toBe('error: --revision: "0" must be a whole number from 1\n');
  });
});

describe('estimate in a finalized month', () => {
  it('names the current revision and its total, and what it corrects', async () => {
    const r = await runCli(['estimate', '--tenant', 'TNT00001', '--as-of', '2026-10-15T00:00:00Z'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: estimate: 2026-10-15T00:00:00.000Z lies in 2026-10, finalized for tenant TNT00001: revision 2, 20945 JPY (re-issued: corrects revision 1, 21045 JPY); history --tenant TNT00001 --revisions shows every revision\n',
    );
    const closedAgain = await runCli(['estimate', '--tenant', 'TNT00003', '--as-of', '2026-10-15T00:00:00Z'], env);
    expect(closedAgain.stderr).toBe(
      'error: estimate: 2026-10-15T00:00:00.000Z lies in 2026-10, finalized for tenant TNT00003: revision 2, 793277 JPY (closed again after revision 1, 793277 JPY, was voided); history --tenant TNT00003 --revisions shows every revision\n',
    );
    const first = await runCli(['estimate', '--tenant', 'manual-tenant', '--as-of', '2026-10-15T00:00:00Z'], env);
    expect(first.stderr).toBe(
      'error: estimate: 2026-10-15T00:00:00.000Z lies in 2026-10, finalized for tenant manual-tenant: revision 1, 5871 JPY; see history --tenant manual-tenant\n',
    );
  });
});
