/**
 * A server that accepts the connection and never says a word: every send step ends on the greeting
 * timeout, a failure of the session that counts no attempt, never on the socket's idle timer
 * (which would count one). The two timers used to be of the same length and tie about half the
 * time, so the step is repeated.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { afterTest } from '../../helpers/demo-store.ts';
import { SEND_AT, closeAndBuild, deliveries, demoWorld, later, send } from './support.ts';

async function silentServer(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterTest(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('a server that never greets', () => {
  it('ends each send step on the greeting timeout, counting no attempt', async () => {
    const w = await demoWorld({ SMTP_URL: await silentServer(), SMTP_TIMEOUT_SECONDS: '1', SMTP_POOL_SIZE: '1' });
    await closeAndBuild(w);
    for (let step = 0; step < 6; step++) {
      const summary = await send(w, later(SEND_AT, step * 60));
      expect(summary.stopped, `step ${step}`).toMatch(/greeting/i);
      expect(summary.sent).toEqual([]);
      expect(summary.failed).toEqual([]);
      expect(
        deliveries(w.db).every((d) => d.status === 'pending' && d.attempts === 0),
        `step ${step}`,
      ).toBe(true);
    }
  });
});
