/**
 * The web server of the tests, over real HTTP on 127.0.0.1: a demo store copied from a seeded
 * template with its people added through the command line, the server listening on a free port
 * (closed when the test ends), and a cookie-keeping client that signs in the way a person does
 * (a one-time link, confirmed by its button).
 */
import path from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { createMailer } from '../../src/mail/transport.ts';
import { closeStore, openConfiguredStore, type Db } from '../../src/store/db.ts';
import { signInUser } from '../../src/store/sessions.ts';
import { buildWebServer } from '../../src/web/server.ts';
import { issueSignInLink } from '../../src/web/sign-in.ts';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../src/log.ts';
import { runCli } from './cli.ts';
import { copyOf } from './demo-store.ts';
import { withStoreEngine } from './store-engine.ts';

/** The people of a test site: [email, role, tenant?]. */
export type Person = readonly [email: string, role: 'operator' | 'viewer' | 'owner' | 'admin', tenant?: string];

/** The usual people: an operator, a viewer, the owner and an admin of TNT00003, the owner of TNT00001. */
export const PEOPLE: readonly Person[] = [
  ['ops@example.com', 'operator'],
  ['viewer@example.com', 'viewer'],
  ['ap@rules.example.com', 'owner', 'TNT00003'],
  ['admin@rules.example.com', 'admin', 'TNT00003'],
  ['billing@tenant01.example.jp', 'owner', 'TNT00001'],
];

/** A running test site. */
export interface Site {
  env: Record<string, string>;
  config: Config;
  /** The store the server uses (the same file the command line opens). */
  store: Db;
  app: FastifyInstance;
  base: string;
  outbox: string;
}

/**
 * A copy of `template` under `dir/name` with `people` added, and its web server listening on a free
 * port of 127.0.0.1, closed when the test ends. `now` is the server's clock (default: the real one);
 * `env` adds settings; `log` is where the server logs failed requests.
 */
export async function startSite(
  template: Record<string, string>,
  dir: string,
  name: string,
  options: { people?: readonly Person[]; now?: () => Date; env?: Record<string, string>; log?: Logger } = {},
): Promise<Site> {
  // On PostgreSQL with the copy's database (DATABASE_URL), for the server and the passes it starts.
  const env = withStoreEngine({ ...copyOf(template, dir, name), ...options.env });
  for (const [email, role, tenant] of options.people ?? PEOPLE) {
    const args = ['user', 'add', email, '--role', role, ...(tenant === undefined ? [] : ['--tenant', tenant])];
    const r = await runCli(args, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  const config = loadConfig({ env, cwd: dir });
  const store = openConfiguredStore(config);
  const mailer = createMailer(config);
  let base = '';
  const app = await buildWebServer({
    store,
    config,
    now: options.now ?? (() => new Date()),
    mailer,
    publicUrl: () => base,
    ...(options.log === undefined ? {} : { log: options.log }),
    // A pass started from the console runs the command line with the site's settings.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  onTestFinished(async () => {
    await app.close();
    mailer.close();
    closeStore(store);
  });
  return { env, config, store, app, base, outbox: path.join(config.dataDir, 'outbox') };
}

/** An answer as a test reads it. */
export interface Answer {
  status: number;
  location: string | null;
  headers: Headers;
  /** The body as text (for a page). */
  html: string;
  /** The body's bytes (for a download). */
  bytes: Buffer;
}

/** A browser: its cookies kept across requests, never following redirects. */
export interface TestBrowser {
  jar: Map<string, string>;
  /** GET `url`, or POST `form` (url-encoded) to it. */
  request(url: string, form?: Record<string, string>): Promise<Answer>;
  /** POST a raw body with its content type and extra headers. */
  post(url: string, body: string | Buffer, contentType: string, headers?: Record<string, string>): Promise<Answer>;
  /** The CSRF token in a page's form. */
  csrf(html: string): string;
}

export function testBrowser(base: string, language = 'en'): TestBrowser {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit): Promise<Answer> => {
    const r = await fetch(base + url, {
      ...init,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        'accept-language': language,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=') as [string, string];
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c) || v === '') jar.delete(k);
      else jar.set(k, v);
    }
    const bytes = Buffer.from(await r.arrayBuffer());
    return {
      status: r.status,
      location: r.headers.get('location'),
      headers: r.headers,
      bytes,
      html: bytes.toString('utf8'),
    };
  };
  return {
    jar,
    request: (url, form) =>
      form === undefined
        ? send(url, { method: 'GET' })
        : send(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form).toString(),
          }),
    post: (url, body, contentType, headers = {}) =>
      send(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body }),
    csrf: (html) => {
      const m = /name="_csrf" value="([^"]+)"/.exec(html);
      if (m === null) throw new Error(`no CSRF token in the page:\n${html.slice(0, 500)}`);
      return m[1]!;
    },
  };
}

/** A browser signed in as `email` by a one-time link (made in the store, confirmed by its button). */
export async function signedIn(site: Site, email: string, language = 'en'): Promise<TestBrowser> {
  const b = testBrowser(site.base, language);
  const user = signInUser(site.store, email);
  if (user === undefined) throw new Error(`${email} is not a person of the site`);
  const { token } = issueSignInLink(site.store, user, 'sign-in', new Date(), 'printed');
  const confirm = await b.request(`/sign-in/link/${token}`);
  expect(confirm.status).toBe(200);
  const done = await b.request(`/sign-in/link/${token}`, { _csrf: b.csrf(confirm.html) });
  expect(done.status).toBe(303);
  return b;
}
