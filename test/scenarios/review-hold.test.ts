/**
 * The month-end review (docs/operations.md "The month-end review"): with REVIEW_HOLD=on every
 * statement the close finalizes has its files but none of its mails go until `release`; `hold`
 * holds one more; REVIEW_HOLD_HOURS releases review holds, never an operator's. Every hold and
 * release is audited. Through main() in this process, a real SMTP server on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AS_OF,
  MONTH,
  RECIPIENTS,
  TENANTS,
  copyOf,
  deliveries,
  audit,
  endTest,
  seedTemplate,
  smtpServer,
  statementFiles,
} from '../helpers/demo-store.ts';
import { cli, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-review-hold-');
  template = await seedTemplate(work.dir);
});
afterAll(() => work.cleanup());
afterEach(endTest);

/** A fresh demo store with REVIEW_HOLD on and a real SMTP server. */
async function heldDemo(name: string, extra: Record<string, string> = {}) {
  const smtp = await smtpServer();
  const env = { ...copyOf(template, work.dir, name), SMTP_URL: smtp.url, REVIEW_HOLD: 'on', ...extra };
  return { env, smtp };
}

describe('REVIEW_HOLD=on', () => {
  it('closes and writes the files but sends nothing until release; then each mail goes once', async () => {
    const { env, smtp } = await heldDemo('hold-release');
    const run = await runCli(['run', '--as-of', AS_OF], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: 5 statements closed, 0 failed to close; 5 files written, 0 failed; 0 mails sent,/);
    expect(run.stdout).toMatch(
      new RegExp(
        `^  held for review: 5 statements of ${MONTH} \\(since \\S+\\); usage-charges release --month ${MONTH} sends their mails$`,
        'm',
      ),
    );
    expect(statementFiles(env)).toHaveLength(5);
    expect(smtp.messages).toHaveLength(0);
    expect(deliveries(env).every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);

    // What a reviewer sees, and what they cannot do yet.
    const month = await runCli(['status', '--month', MONTH], env);
    for (const t of ['TNT00001', 'TNT00003', 'TNT00004', 'manual-tenant'])
      expect(month.stdout).toMatch(new RegExp(`^${t} +fixed .* held for review since \\S+`, 'm'));
    expect((await runCli(['status'], env)).stdout).toMatch(/^held for review: 5 statements of 2026-10/m);
    const resend = await runCli(['resend', '--tenant', 'TNT00001', '--month', MONTH], env);
    expect(resend.code).toBe(2);
    expect(resend.stderr).toMatch(/is held for review since .*; release it first/);

    // A second pass still sends nothing.
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(smtp.messages).toHaveLength(0);

    const release = await runCli(['release', '--month', MONTH, '--reason', 'checked the totals'], env);
    expect(release.code, release.stderr).toBe(0);
    expect(release.stdout).toContain('5 statement(s) released; the next pass sends their mails');
    const [entry] = audit(env, 'release');
    expect(entry!.detail).toMatchObject({ billingMonth: MONTH, tenants: TENANTS, reason: 'checked the totals' });
    expect(String(entry!.detail.by)).toMatch(/@/);

    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(
      smtp.messages
        .map((m) => m.envelope.rcptTo)
        .flat()
        .sort(),
    ).toEqual(RECIPIENTS);
    expect((await runCli(['release', '--month', MONTH], env)).stdout).toContain(`no statement of ${MONTH} is held`);
  });

  it('release --tenant releases that tenant only', async () => {
    const { env, smtp } = await heldDemo('release-one');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const r = await runCli(['release', '--month', MONTH, '--tenant', 'TNT00003'], env);
    expect(r.stdout).toMatch(/^ {2}released TNT00003 2026-10 \(held since \S+\)$/m);
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(new Set(smtp.messages.map((m) => m.envelope.rcptTo).flat())).toEqual(
      new Set(
        deliveries(env)
          .filter((d) => d.tenant === 'TNT00003')
          .map((d) => d.recipient),
      ),
    );
  });

  it('REVIEW_HOLD_HOURS releases review holds after that long, never an operator hold', async () => {
    const closedAt = '2026-11-03T00:00:00Z';
    const { env, smtp } = await heldDemo('hours', { REVIEW_HOLD_HOURS: '24', USAGE_CHARGES_TEST_NOW: closedAt });
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    const hold = await runCli(['hold', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'price to check'], env);
    expect(hold.code, hold.stderr).toBe(0);
    expect(audit(env, 'hold')).toMatchObject([
      { subject: 'TNT00003', detail: { billingMonth: MONTH, reason: 'price to check' } },
    ]);

    // 23 hours later: still held.
    expect(
      (await runCli(['run', '--as-of', AS_OF], { ...env, USAGE_CHARGES_TEST_NOW: '2026-11-03T23:00:00Z' })).code,
    ).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    // 24 hours later: the review holds go, the operator's stays.
    expect(
      (await runCli(['run', '--as-of', AS_OF], { ...env, USAGE_CHARGES_TEST_NOW: '2026-11-04T00:00:00Z' })).code,
    ).toBe(0);
    const sent = new Set(smtp.messages.map((m) => m.envelope.rcptTo).flat());
    expect(sent).toEqual(
      new Set(
        deliveries(env)
          .filter((d) => d.tenant !== 'TNT00003')
          .map((d) => d.recipient),
      ),
    );
    expect(audit(env, 'release')).toMatchObject([
      { detail: { by: 'REVIEW_HOLD_HOURS', tenants: ['TNT00001', 'TNT00004', 'TNT00005', 'manual-tenant'] } },
    ]);
    const status = await runCli(['status', '--month', MONTH], env);
    expect(status.stdout).toMatch(/^TNT00003 +fixed .* held by an operator since \S+/m);
  });
});

describe('hold', () => {
  it('holds a statement whose mails have not gone; refuses one whose mails went, and a month not finalized', async () => {
    const smtp = await smtpServer();
    const env = { ...copyOf(template, work.dir, 'hold'), SMTP_URL: smtp.url };
    expect((await runCli(['hold', '--tenant', 'TNT00001', '--month', MONTH], env)).code).toBe(2);
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(smtp.messages).toHaveLength(RECIPIENTS.length);
    const late = await runCli(['hold', '--tenant', 'TNT00001', '--month', MONTH], env);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain('was already sent (or is being sent): a hold cannot call it back');
    expect(audit(env, 'hold')).toEqual([]);
  });
});

describe('hold and release killed mid-way', () => {
  it('a release killed before its commit releases nothing; run again, it releases each statement once', async () => {
    const { env, smtp } = await heldDemo('kill-release');
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    // A child process: SIGKILL inside the release's transaction is the point.
    const killed = cli(['release', '--month', MONTH], { ...env, USAGE_CHARGES_CRASH_AT: 'review-before-commit' });
    expect(killed.code).toBeNull();
    expect(audit(env, 'release')).toEqual([]);
    expect((await runCli(['status', '--month', MONTH], env)).stdout.match(/held for review since/g)).toHaveLength(5);
    const again = await runCli(['release', '--month', MONTH], env);
    expect(again.stdout).toContain('5 statement(s) released');
    expect(audit(env, 'release')).toHaveLength(1);
    expect((await runCli(['run', '--as-of', AS_OF], env)).code).toBe(0);
    expect(
      smtp.messages
        .map((m) => m.envelope.rcptTo)
        .flat()
        .sort(),
    ).toEqual(RECIPIENTS);
  });

  it('a hold killed before its commit holds nothing; run again, it holds once', async () => {
    const { env } = await heldDemo('kill-hold', { REVIEW_HOLD: 'off', SMTP_URL: 'smtp://127.0.0.1:9' });
    // Closed, its mails not sent (the server cannot be reached): a hold can still stop them.
    await runCli(['run', '--as-of', AS_OF], env);
    const killed = cli(['hold', '--tenant', 'TNT00003', '--month', MONTH], {
      ...env,
      USAGE_CHARGES_CRASH_AT: 'review-before-commit',
    });
    expect(killed.code).toBeNull();
    expect(audit(env, 'hold')).toEqual([]);
    expect((await runCli(['status', '--month', MONTH], env)).stdout).not.toMatch(/held/);
    expect((await runCli(['hold', '--tenant', 'TNT00003', '--month', MONTH], env)).code).toBe(0);
    expect(audit(env, 'hold')).toHaveLength(1);
    expect((await runCli(['status', '--month', MONTH], env)).stdout).toMatch(
      /^TNT00003 +fixed .* held by an operator since/m,
    );
  });
});
