/**
 * The `--json` outputs of `status` and `history` are read by scripts: their keys are the store's
 * column names (snake_case), whatever the records are called inside the program.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF, demoEnv, endTest } from '../helpers/demo-store.ts';
import { runMain } from '../helpers/main.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let env: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-status-json-');
  env = demoEnv(path.join(work.dir, 'store'));
  expect((await runMain(['seed-demo', '--as-of', AS_OF], env)).code).toBe(0);
  expect((await runMain(['run', '--as-of', AS_OF], env)).code).toBe(0);
});
afterAll(() => work.cleanup());
afterEach(endTest);

async function json(args: string[]): Promise<unknown> {
  const r = await runMain(args, env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('status and history as JSON', () => {
  it('status --json lists the tenants with the columns of the tenants table', async () => {
    const s = (await json(['status', '--json'])) as { tenantList: Record<string, unknown>[] };
    expect(Object.keys(s.tenantList[0]!)).toEqual([
      'tenant_name',
      'display_name',
      'cutoff_day',
      'pending_cutoff_day',
      'locale',
      'currency',
      'deleted_at',
      'contacts',
      'lplatforms',
      'usage_records',
    ]);
  });

  it('status --month --json gives each statement and delivery with the columns of their tables', async () => {
    const s = (await json(['status', '--month', '2026-10', '--json'])) as {
      statements: Record<string, unknown>[];
      deliveries: Record<string, unknown>[];
    };
    expect(Object.keys(s.statements[0]!)).toEqual([
      'tenant_name',
      'billing_month',
      'status',
      'total',
      'currency',
      'finalized_at',
      'last_error',
      'zip_name',
      'revision',
      'voided_at',
      'corrects_revision',
      'mails_sent',
      'mails_pending',
      'mails_sending',
      'mails_failed',
      'mails_withdrawn',
      'resends',
      'held_at',
      'hold_kind',
      'files_failed',
    ]);
    expect(Object.keys(s.deliveries[0]!)).toEqual([
      'tenant_name',
      'billing_month',
      'recipient',
      'kind',
      'status',
      'attempts',
      'next_attempt_at',
      'last_error',
      'sent_at',
      'message_id',
      'reason',
      'requested_by',
      'created_at',
    ]);
  });

  it('history --json gives each statement with its period', async () => {
    const h = (await json(['history', '--tenant', 'TNT00001', '--json'])) as Record<string, unknown>[];
    expect(h.length).toBeGreaterThan(0);
    expect(Object.keys(h[0]!)).toEqual([
      'tenant_name',
      'billing_month',
      'period_start',
      'period_end',
      'status',
      'total',
      'currency',
      'finalized_at',
      'last_error',
      'zip_name',
      'revision',
      'state',
      'corrects_revision',
      'reason',
      'by',
      'voided_at',
      'voided_by',
      'void_reason',
    ]);
  });
});
