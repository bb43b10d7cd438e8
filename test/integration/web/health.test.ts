/** `/healthz` when the store does not answer, and the Prometheus text of given facts. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { closeStore } from '../../../src/store/db.ts';
import { prometheusText } from '../../../src/web/metrics.ts';
import { buildWebServer } from '../../../src/web/server.ts';
import { tempStore } from '../../helpers/store.ts';

describe('/healthz', () => {
  it('is 503 with the reason when the store does not answer', async () => {
    const store = tempStore();
    const config = loadConfig({ env: { DATA_DIR: store.dir }, cwd: store.dir });
    const app = await buildWebServer({
      store: store.db,
      config,
      now: () => new Date(),
      publicUrl: () => 'http://127.0.0.1',
    });
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      closeStore(store.db);
      const r = await app.inject({ url: '/healthz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'unavailable', store: 'The database connection is not open' });
      // Any other failure is answered without its message.
      const metrics = await app.inject({ url: '/metrics' });
      expect(metrics.statusCode).toBe(500);
      expect(metrics.json()).toEqual({ error: 'internal error' });
    } finally {
      await app.close();
      store.close();
    }
  });
});

describe('errors', () => {
  it('answer a browser with a page and anything else with JSON, never with the message; a busy store is 503 with a retry', async () => {
    const store = tempStore();
    const config = loadConfig({ env: { DATA_DIR: store.dir }, cwd: store.dir });
    let logged = '';
    const app = await buildWebServer({
      store: store.db,
      config,
      now: () => new Date(),
      publicUrl: () => 'http://127.0.0.1',
      log: {
        error: (o: { err?: Error }, m: string) => (logged += `${m} ${o.err?.message ?? ''}\n`),
      } as never,
    });
    // Routes that fail as a store call can: with an internal message, and with the store's lock held elsewhere.
    app.get('/fails', { config: { access: 'public' } }, async () => {
      throw new Error('SELECT secret FROM somewhere failed');
    });
    app.get('/busy', { config: { access: 'public' } }, async () => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    });
    try {
      const json = await app.inject({ url: '/fails' });
      expect(json.statusCode).toBe(500);
      expect(json.json()).toEqual({ error: 'internal error' });
      const page = await app.inject({ url: '/fails', headers: { accept: 'text/html', 'accept-language': 'ja' } });
      expect(page.statusCode).toBe(500);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('処理中にエラーが発生しました。');
      expect(page.body).not.toContain('secret');
      const busy = await app.inject({ url: '/busy', headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(busy.statusCode).toBe(503);
      expect(busy.headers['retry-after']).toBe('10');
      expect(busy.body).toContain('A month-end pass is writing: nothing was changed.');
      expect(logged).toContain('SELECT secret FROM somewhere failed');
    } finally {
      await app.close();
      store.close();
    }
  });
});

describe('prometheusText', () => {
  it('writes every metric with its help and type, zeros for what never happened', () => {
    const text = prometheusText({
      passes: { ok: 3, failed: 1 },
      passSecondsSum: 12.5,
      passesFinished: 4,
      lastPass: {
        startedAt: '2026-11-01T00:00:00.000Z',
        finishedAt: '2026-11-01T00:00:02.000Z',
        status: 'ok',
        seconds: 2,
      },
      lastOkPassAt: '2026-11-01T00:00:02.000Z',
      statements: { current: 10, open: 1, void: 2, replaced: 1 },
      deliveries: { sent: 9, failed: 1 },
      held: 2,
    });
    const lines = text.split('\n');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of [
      'usage_charges_passes_total{status="ok"} 3',
      'usage_charges_passes_total{status="interrupted"} 0',
      'usage_charges_pass_duration_seconds_sum 12.5',
      'usage_charges_last_pass_duration_seconds 2',
      'usage_charges_last_successful_pass_timestamp_seconds 1793491202',
      'usage_charges_statements{status="open"} 1',
      'usage_charges_deliveries{status="withdrawn"} 0',
      'usage_charges_statements_held 2',
    ])
      expect(lines).toContain(line);
    expect(lines.filter((l) => l.startsWith('# TYPE '))).toHaveLength(8);
  });
});
