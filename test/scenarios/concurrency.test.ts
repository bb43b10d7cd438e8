/**
 * Processes at once on one store, through the real command line (DESIGN invariants 2, 4 and 6):
 * three and four `run`s started together, with and without --wait, end with exactly what one
 * run alone makes (statements, lines, zips, deliveries) and one message per contact; an import
 * during a pass and a resend during a pass neither disturb it nor send anything twice. The passes
 * use a fixed clock (USAGE_CHARGES_TEST_NOW) so that their stores can be compared with a reference.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startChild } from '../helpers/child.ts';
import { cliAsync, hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import {
  AS_OF,
  CONTACTS,
  controlledServer,
  copyOf,
  deliveries,
  endTest,
  expectSentAsAccepted,
  inStore,
  MONTH,
  passResults,
  RECIPIENTS,
  seedTemplate,
  smtpServer,
  statementFiles,
  TENANTS,
} from '../helpers/demo-store.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/store.ts';

/** The clock of every pass here: finalization, file and delivery times are the same in every store. */
const TEST_NOW = '2026-11-03T00:30:00.000Z';
const LEASE_MESSAGE =
  /^error: another usage-charges pass \(owner \S+:\d+:[0-9a-f]{8}\) holds the month-end lease until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z; try again later or use --wait\n$/;
const USAGE_HEADER =
  'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,component,product_id,time_kind,start_at,end_at,quantity,cpu_count,clock_ghz,size_gb,vm_count,vcpu';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;
/** What one run alone makes of the demo. */
let reference: Record<string, unknown[]>;

afterEach(endTest);

beforeAll(async () => {
  work = tempDir('uc-concurrency-');
  template = await seedTemplate(work.dir);
  const env = copyOf(template, work.dir, 'reference');
  const smtp = await startSmtpServer();
  try {
    const r = await runCli(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      SMTP_URL: smtp.url,
      USAGE_CHARGES_TEST_NOW: TEST_NOW,
    });
    if (r.code !== 0 || r.stderr !== '')
      throw new Error(`the reference run failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  } finally {
    await smtp.close();
  }
  reference = passResults(env);
});
afterAll(() => work.cleanup());

/** The tenants of the `  <verb> <tenant> ...` lines of a pass's output. */
function tenantsOf(r: CliRun, verb: 'closed' | 'sent'): string[] {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`  ${verb} `))
    .map((l) => l.split(' ')[3]!);
}

function closedCount(r: CliRun): number {
  const m = /^run as of \S+: (\d+) statements? closed, /m.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}

function runsOf(env: Record<string, string>): { status: string; closed: number }[] {
  return inStore(env, (db) =>
    (db.prepare('SELECT status, summary FROM runs ORDER BY run_pk').all() as { status: string; summary: string }[]).map(
      (r) => ({ status: r.status, closed: (JSON.parse(r.summary) as { closed: number }).closed }),
    ),
  );
}

/** The statements, lines and files of a store, as `passResults` gives them. */
function statementsOnly(results: Record<string, unknown[]>): Record<string, unknown[]> {
  return { statements: results.statements!, lines: results.lines!, files: results.files! };
}

describe('several runs started at once', () => {
  it.each([
    [3, false],
    [4, false],
    [4, true],
  ])(
    '%i runs (--wait: %s) end with what one run makes: one pass closes every statement, each contact gets one message',
    async (n, wait) => {
      const env = copyOf(template, work.dir, `race-${n}-${wait ? 'wait' : 'no-wait'}`);
      const smtp = await smtpServer();
      const args = ['run', '--verbose', '--as-of', AS_OF, ...(wait ? ['--wait'] : [])];
      const runs = await Promise.all(
        Array.from({ length: n }, () =>
          cliAsync(args, { ...env, SMTP_URL: smtp.url, USAGE_CHARGES_TEST_NOW: TEST_NOW }),
        ),
      );

      for (const r of runs) expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
      // Without --wait, a run that finds the lease held exits 1 saying so; one that came after the pass runs one of its own.
      const passes = runs.filter((r) => r.code === 0);
      const refused = runs.filter((r) => r.code !== 0);
      if (wait) expect(refused).toEqual([]);
      for (const r of refused) {
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(LEASE_MESSAGE);
      }
      for (const r of passes) expect(r.stderr).toBe('');
      expect(passes.map(closedCount).sort()).toEqual([...passes.slice(1).map(() => 0), 5]);
      // Every statement closed by exactly one pass; every contact's statement sent by exactly one.
      expect(runs.flatMap((r) => tenantsOf(r, 'closed')).sort()).toEqual([...TENANTS].sort());
      expect(
        runs
          .flatMap((r) =>
            r.stdout
              .split('\n')
              .filter((l) => l.startsWith('  sent '))
              .map((l) => l.split(' ')[6]!.replace(/:$/, '')),
          )
          .sort(),
      ).toEqual(RECIPIENTS);

      // Each contact got exactly one message, under the Message-ID its delivery records.
      expect(smtp.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
      expect(new Set(smtp.messages.map((m) => m.parsed.messageId)).size).toBe(RECIPIENTS.length);
      expectSentAsAccepted(
        env,
        smtp.messages.map((m) => ({ rcptTo: m.envelope.rcptTo, messageId: m.parsed.messageId })),
      );

      // The store holds what one run alone makes: statements, lines, zips (the same SHA-256, on disk
      // too), deliveries and audit.
      expect(passResults(env)).toEqual(reference);
      // Every pass that ran is recorded ok, one of them closing the five statements; the lease is free.
      const recorded = runsOf(env);
      expect(recorded).toHaveLength(passes.length);
      expect(recorded.every((r) => r.status === 'ok')).toBe(true);
      expect(recorded.map((r) => r.closed).sort()).toEqual([...passes.slice(1).map(() => 0), 5]);
      expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM run_lock').pluck().get())).toBe(0);
    },
  );
});

describe('an import during a pass', () => {
  it('usage of an open month imports while the pass is sending; usage of the month it finalized is refused; the pass ends with what it makes alone', async () => {
    const env = copyOf(template, work.dir, 'import-during-pass');
    // One connection; the second message's reply waits for the test: the pass is in the middle of sending.
    const stalling = await controlledServer(2);
    const run = startChild(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      SMTP_URL: stalling.url,
      SMTP_POOL_SIZE: '1',
      USAGE_CHARGES_TEST_NOW: TEST_NOW,
    });
    await stalling.stalled;
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM run_lock').pluck().get())).toBe(1);
    const usageBefore = inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM usage_records').pluck().get() as number);

    // November is open for TNT00003 (cut-off day 31): the import goes in at once, beside the pass.
    const open = path.join(work.dir, 'usage-2026-11.csv');
    fs.writeFileSync(
      open,
      `${USAGE_HEADER}\nu-2611-during-pass,TNT00003,TNT00003-WS01,srv-a,srv-a,virtual_server,,EC-CMP-1C4G,operating,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,,,,,,\n`,
    );
    const imported = await runCli(['import', 'usage', open], env);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe('usage: usage-2026-11.csv: 1 row: 1 added, 0 updated, 0 unchanged\n');
    // October was finalized by this pass before it began sending: a plain import of it is refused whole.
    const late = path.join(work.dir, 'usage-2026-10-late.csv');
    fs.writeFileSync(
      late,
      `${USAGE_HEADER}\nu-2610-during-pass,TNT00003,TNT00003-WS01,srv-a,srv-a,virtual_server,,EC-CMP-1C4G,operating,2026-10-30T00:00:00Z,2026-10-31T00:00:00Z,,,,,,\n`,
    );
    const refused = await runCli(['import', 'usage', late], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('falls in 2026-10, which is already finalized for tenant TNT00003');
    expect(hasStackTrace(refused.stderr)).toBe(false);
    expect(run.child.exitCode).toBeNull();

    stalling.release();
    const r = await run.exited;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(closedCount(r)).toBe(5);
    expect(stalling.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expectSentAsAccepted(
      env,
      stalling.messages
        .filter((m) => m.acknowledged)
        .map((m) => ({ rcptTo: m.envelope.rcptTo, messageId: m.parsed.messageId })),
    );

    // The finalized statements, their lines and zips are those of a pass alone; the new record is
    // stored for November (no statement of it yet), the refused one is not stored at all.
    const results = passResults(env);
    expect(statementsOnly(results)).toEqual(statementsOnly(reference));
    expect(results.deliveries).toEqual(reference.deliveries);
    const records = inStore(env, (db) =>
      db.prepare("SELECT record_id FROM usage_records WHERE record_id LIKE '%-during-pass'").pluck().all(),
    );
    expect(records).toEqual(['u-2611-during-pass']);
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM usage_records').pluck().get())).toBe(usageBefore + 1);
    expect(
      inStore(env, (db) =>
        db.prepare("SELECT COUNT(*) FROM statements WHERE billing_month <> '2026-10'").pluck().get(),
      ),
    ).toBe(0);
  });
});

describe('a resend during a pass', () => {
  it('waits for the pass to release the lease, then sends its one message per contact, audited; nothing is sent twice', async () => {
    const env = copyOf(template, work.dir, 'resend-during-pass');
    const stalling = await controlledServer(2);
    const run = startChild(['run', '--verbose', '--as-of', AS_OF], {
      ...env,
      SMTP_URL: stalling.url,
      SMTP_POOL_SIZE: '1',
      USAGE_CHARGES_TEST_NOW: TEST_NOW,
    });
    await stalling.stalled;

    // The statement is finalized and archived already; the resend waits for the pass's lease.
    const resend = startChild(['resend', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'asked during a pass'], {
      ...env,
      SMTP_URL: stalling.url,
    });
    await resend.waitForStdout(/^waiting for the pass of \S+ to finish$/m);
    expect(
      inStore(env, (db) => db.prepare("SELECT COUNT(*) FROM deliveries WHERE kind = 'resend'").pluck().get()),
    ).toBe(0);
    expect(
      inStore(env, (db) => db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'resend'").pluck().get()),
    ).toBe(0);

    stalling.release();
    const [r, s] = await Promise.all([run.exited, resend.exited]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(closedCount(r)).toBe(5);
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    expect(
      s.stdout
        .split('\n')
        .filter((l) => l.startsWith('resent '))
        .map((l) => l.replace(/:.*$/, '')),
    ).toEqual(CONTACTS.TNT00003!.map((a) => `resent TNT00003 2026-10 to ${a}`));

    // The pass sent every contact its statement once, all before the resend (which ran after it):
    // then one resend to each of TNT00003's contacts, with the archived zip.
    const all = stalling.messages;
    expect(all.every((m) => m.acknowledged)).toBe(true);
    expect(
      all
        .slice(0, RECIPIENTS.length)
        .map((m) => m.envelope.rcptTo.join(','))
        .sort(),
    ).toEqual(RECIPIENTS);
    const resent = all.slice(RECIPIENTS.length);
    expect(resent.map((m) => m.envelope.rcptTo.join(','))).toEqual(CONTACTS.TNT00003);
    const zip = statementFiles(env).find((f) => f.tenant === 'TNT00003')!;
    for (const m of resent) {
      expect(m.parsed.subject).toMatch(/^\[Resent\] /);
      expect(m.parsed.attachments[0]!.content.equals(fs.readFileSync(path.join(env.DATA_DIR!, zip.zipPath)))).toBe(
        true,
      );
    }
    expectSentAsAccepted(
      env,
      all.map((m) => ({ rcptTo: m.envelope.rcptTo, messageId: m.parsed.messageId })),
    );
    expect(
      deliveries(env)
        .map((d) => [d.kind, d.status])
        .sort(),
    ).toEqual([...RECIPIENTS.map(() => ['statement', 'sent']), ['resend', 'sent'], ['resend', 'sent']].sort());
    const audit = inStore(
      env,
      (db) =>
        db.prepare("SELECT subject, detail FROM audit_log WHERE action = 'resend'").all() as {
          subject: string;
          detail: string;
        }[],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.subject).toBe('TNT00003');
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({
      billingMonth: MONTH,
      to: CONTACTS.TNT00003,
      reason: 'asked during a pass',
    });
    // The pass itself made what it makes alone.
    expect(statementsOnly(passResults(env))).toEqual(statementsOnly(reference));
  });
});
