/**
 * `run` and `schedule` warn at start when mails go to a real server from the default sender or
 * with no issuer named; they say nothing when mails are written as .eml files or all is set.
 * In-process through main(), with a real SMTP server on 127.0.0.1.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/main.ts';
import type { Output } from '../../../src/cli/output.ts';
import { AS_OF, afterTest, endTest, smtpServer } from '../../helpers/demo-store.ts';
import { tempDir } from '../../helpers/store.ts';

afterEach(endTest);

interface Captured extends Output {
  lines: { out: string[]; err: string[] };
}

function capture(onOut: (line: string) => void = () => undefined): Captured {
  const lines = { out: [] as string[], err: [] as string[] };
  return {
    lines,
    out: (line) => {
      lines.out.push(line);
      onOut(line);
    },
    err: (line) => lines.err.push(line),
  };
}

/** A data dir seeded with the demo month (through `seed-demo`), and its settings. */
async function seededEnv(extra: Record<string, string>): Promise<Record<string, string>> {
  const t = tempDir();
  afterTest(t.cleanup);
  const env = {
    DATA_DIR: path.join(t.dir, 'data'),
    BILLING_TZ: 'UTC',
    LOG_LEVEL: 'silent',
    SMTP_TIMEOUT_SECONDS: '5',
    ...extra,
  };
  expect(await main(['node', 'usage-charges', 'seed-demo', '--as-of', AS_OF], capture(), env)).toBe(0);
  return env;
}

const DEFAULT_SENDER =
  'warning: MAIL_FROM is still the default (usage-charges@localhost.localdomain) while SMTP_URL is set';
const NO_ISSUER = 'warning: ISSUER_NAME is not set while SMTP_URL is set';

describe('warnings at start', () => {
  it('run warns about the default MAIL_FROM and a missing ISSUER_NAME when SMTP_URL is set', async () => {
    const s = await smtpServer();
    const env = await seededEnv({ SMTP_URL: s.url });
    const out = capture();
    expect(await main(['node', 'usage-charges', 'run', '--as-of', AS_OF], out, env)).toBe(0);
    const warnings = out.lines.err.filter((l) => l.startsWith('warning: '));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(DEFAULT_SENDER);
    expect(warnings[1]).toContain(NO_ISSUER);
    expect(s.messages.length).toBeGreaterThan(0);
  });

  it('run says nothing when the sender and the issuer are set, or when mails are written as .eml files', async () => {
    const s = await smtpServer();
    const set = await seededEnv({
      SMTP_URL: s.url,
      MAIL_FROM: 'Billing <billing@example.com>',
      ISSUER_NAME: 'Example Cloud K.K.',
    });
    const out = capture();
    expect(await main(['node', 'usage-charges', 'run', '--as-of', AS_OF], out, set)).toBe(0);
    expect(out.lines.err.filter((l) => l.startsWith('warning: '))).toEqual([]);

    const eml = await seededEnv({});
    const emlOut = capture();
    expect(await main(['node', 'usage-charges', 'run', '--as-of', AS_OF], emlOut, eml)).toBe(0);
    expect(emlOut.lines.err.filter((l) => l.startsWith('warning: '))).toEqual([]);
  });

  it('schedule warns at start too', async () => {
    const s = await smtpServer();
    const env = await seededEnv({ SMTP_URL: s.url });
    const before = new Set(process.listeners('SIGTERM'));
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    const out = capture((line) => {
      if (line.startsWith('usage-charges is running')) running();
    });
    const exit = main(['node', 'usage-charges', 'schedule'], out, env);
    await Promise.race([started, exit]);
    // Stop it as SIGTERM would, calling only the handler schedule installed (not the test runner's).
    for (const handler of process.listeners('SIGTERM').filter((h) => !before.has(h)))
      (handler as (signal: string) => void)('SIGTERM');
    expect(await exit).toBe(0);
    const warnings = out.lines.err.filter((l) => l.startsWith('warning: '));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(DEFAULT_SENDER);
    expect(warnings[1]).toContain(NO_ISSUER);
  });
});
