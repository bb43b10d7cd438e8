/**
 * A session used moves its expiry on, but writes to the store at most once a minute (not at every
 * request: under load, and while a pass holds the write lock, each write would hold up the pages).
 */
import { describe, expect, it } from 'vitest';
import { addUser } from '../../../jobs/users.ts';
import { loadConfig } from '../../../src/config.ts';
import { connection } from '../../../src/store/db.ts';
import { signInUser } from '../../../src/store/sessions.ts';
import { buildWebServer } from '../../../src/web/server.ts';
import { issueSignInLink } from '../../../src/web/sign-in.ts';
import { tempStore } from '../../helpers/store.ts';

describe('the session of a request', () => {
  it('is touched when a minute has passed since its last touch, not at every request', async () => {
    const store = tempStore();
    let clock = new Date('2026-11-04T09:00:00.000Z');
    const config = loadConfig({ env: { DATA_DIR: store.dir }, cwd: store.dir });
    const app = await buildWebServer({
      store: store.db,
      config,
      now: () => clock,
      publicUrl: () => 'http://127.0.0.1',
    });
    try {
      addUser(
        { store: store.db, now: () => clock },
        { email: 'ops@example.com', name: '', role: 'operator', tenantName: null, by: 'test' },
      );
      const { token } = issueSignInLink(
        store.db,
        signInUser(store.db, 'ops@example.com')!,
        'sign-in',
        clock,
        'printed',
      );
      const page = await app.inject({ url: `/sign-in/link/${token}` });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const signedIn = await app.inject({
        method: 'POST',
        url: `/sign-in/link/${token}`,
        cookies: { uc_csrf: page.cookies.find((c) => c.name === 'uc_csrf')!.value },
        payload: { _csrf: csrf },
      });
      expect(signedIn.statusCode).toBe(303);
      const cookie = { uc_session: signedIn.cookies.find((c) => c.name === 'uc_session')!.value };
      const row = () =>
        connection(store.db).prepare('SELECT last_seen_at AS seen, expires_at AS expires FROM sessions').get() as {
          seen: string;
          expires: string;
        };
      expect(row()).toEqual({ seen: '2026-11-04T09:00:00.000Z', expires: '2026-11-04T17:00:00.000Z' });

      clock = new Date('2026-11-04T09:00:59.000Z');
      expect((await app.inject({ url: '/', cookies: cookie })).statusCode).toBe(200);
      expect(row()).toEqual({ seen: '2026-11-04T09:00:00.000Z', expires: '2026-11-04T17:00:00.000Z' });

      clock = new Date('2026-11-04T09:01:00.000Z');
      expect((await app.inject({ url: '/', cookies: cookie })).statusCode).toBe(200);
      expect(row()).toEqual({ seen: '2026-11-04T09:01:00.000Z', expires: '2026-11-04T17:01:00.000Z' });

      // Unused for 8 hours after its last touch: over.
      clock = new Date('2026-11-04T17:01:00.000Z');
      expect(await app.inject({ url: '/', cookies: cookie })).toMatchObject({
        statusCode: 303,
        headers: { location: '/sign-in' },
      });
    } finally {
      await app.close();
      store.close();
    }
  });
});
