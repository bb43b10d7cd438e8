/**
 * An import holding the store's write lock while a pass sends (docs/operations.md "Imports during a
 * pass"): the pass waits for the store without blocking its sockets, so a healthy mail server never
 * looks down and no message the server accepted is sent twice. The pass runs in this process
 * through main(); the lock is held by another connection on its own thread, for three times the
 * SMTP timeout.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AS_OF, RECIPIENTS, afterTest, deliveries, demoEnv, endTest, smtpServer } from '../helpers/demo-store.ts';
import { runMain } from '../helpers/main.ts';
import { tempDir } from '../helpers/store.ts';
import { lockThread } from '../helpers/store-lock.ts';

afterEach(endTest);

describe('a pass sending while an import holds the store', () => {
  it('waits for the store with its sockets alive: every message accepted once, none sent again, no "unusable"', async () => {
    const work = tempDir('uc-busy-send-');
    afterTest(work.cleanup);
    const env = { ...demoEnv(path.join(work.dir, 'data')), SMTP_POOL_SIZE: '2', SMTP_TIMEOUT_SECONDS: '2' };
    const seed = await runMain(['seed-demo', '--as-of', AS_OF], env);
    expect(seed.code, seed.stderr).toBe(0);

    const holder = await lockThread(path.join(work.dir, 'data'));
    afterTest(() => holder.terminate());
    // The first message's reply waits until the lock is held (for 6 s, three SMTP timeouts); the
    // second one's comes a second after its data, while the pass waits for the store.
    const server = await smtpServer({
      replyAfter: async (n) => {
        if (n === 1) await holder.hold(6000);
        if (n === 2) await new Promise((resolve) => setTimeout(resolve, 1000));
      },
    });
    const run = await runMain(['run', '--as-of', AS_OF], { ...env, SMTP_URL: server.url });
    await holder.released;

    expect(run.stderr).not.toMatch(/unusable/);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/5 mails sent/);
    // Every recipient got exactly one message, each with its own Message-ID, and the store says sent.
    expect(server.messages.map((m) => m.envelope.rcptTo.join(',')).sort()).toEqual(RECIPIENTS);
    expect(new Set(server.messages.map((m) => m.parsed.messageId)).size).toBe(RECIPIENTS.length);
    expect(
      deliveries(env)
        .map((d) => `${d.recipient} ${d.status} ${d.attempts}`)
        .sort(),
    ).toEqual(RECIPIENTS.map((r) => `${r} sent 1`));
  });
});
