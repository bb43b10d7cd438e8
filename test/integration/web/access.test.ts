/** Who may use each route: every route says it, and a route that does not is refused at start. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { allowed } from '../../../src/web/access.ts';
import { buildWebServer } from '../../../src/web/server.ts';
import { tempStore } from '../../helpers/store.ts';

describe('route access', () => {
  it('refuses a route added without its audience, and lists every other with the one it declared', async () => {
    const store = tempStore();
    const config = loadConfig({ env: { DATA_DIR: store.dir }, cwd: store.dir });
    const app = await buildWebServer({ store: store.db, config, now: () => new Date(), publicUrl: () => '' });
    try {
      expect(() => app.get('/forgotten', async () => 'x')).toThrow('route GET /forgotten does not say who may use it');
      expect(app.declaredRoutes).toContainEqual({ method: 'GET', url: '/', access: 'signed-in' });
      expect(app.declaredRoutes).toContainEqual({ method: 'GET', url: '/healthz', access: 'public' });
      expect(app.declaredRoutes.some((r) => r.method === 'HEAD')).toBe(false);
    } finally {
      await app.close();
      store.close();
    }
  });

  it('lets each role in only where its audience says', () => {
    expect(allowed('public', null)).toBe(true);
    expect(allowed('signed-in', null)).toBe(false);
    expect(allowed('staff', 'viewer')).toBe(true);
    expect(allowed('operator', 'viewer')).toBe(false);
    expect(allowed('tenant', 'operator')).toBe(false);
    expect(allowed('tenant', 'admin')).toBe(true);
    expect(allowed('owner', 'admin')).toBe(false);
    expect(allowed('owner', 'owner')).toBe(true);
  });
});
