/**
 * `npm run screenshots:web [-- <folder>]`: every page of the web server, as each person sees it,
 * in headless chromium at 1024 px (a desktop) and 375 px (a phone): `<name>-1024.png` and
 * `<name>-375.png` in the folder (default docs/screenshots/web). The site is the demo store
 * (`seed-demo`, then `run`, through the command line) with the usual people, served on 127.0.0.1
 * at a free port; each person signs in through the pages (a one-time link and its button). A page
 * that answers 404 (not built yet) is skipped with a warning. A page wider than the window is
 * reported. Pages longer than 4,000 px are cut there.
 *
 * Needs Debian's chromium (`apt-get install -y chromium`) and, for the Japanese pages, a Japanese
 * font (`apt-get install -y fonts-ipafont-gothic` or `fonts-noto-cjk`); it warns when
 * `fc-list` shows none.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { closeStore, openStore } from '../src/store/db.ts';
import { signInUser } from '../src/store/sessions.ts';
import { buildWebServer } from '../src/web/server.ts';
import { issueSignInLink } from '../src/web/sign-in.ts';
import { launchWebBrowser, type WebBrowser } from '../test/helpers/chromium.ts';
import { runCli } from '../test/helpers/cli.ts';

/** The demo's pass runs as of this; the server's clock is a morning after it. */
const AS_OF = '2026-11-03T00:00:00Z';
const CLOCK = new Date('2026-11-04T01:00:00Z');
const MONTH = '2026-10';
const WIDTHS = [1024, 375] as const;
/** Longer pages are cut here (a full 24-month history at 375 px is very long). */
const MAX_HEIGHT = 4000;

/** Who looks at a page: signed out, or a person of the demo (with the language of their browser). */
const PERSONAS = {
  'signed-out': { email: null, language: 'en' },
  'signed-out-ja': { email: null, language: 'ja' },
  operator: { email: 'ops@example.com', language: 'en' },
  'operator-ja': { email: 'ops@example.com', language: 'ja' },
  owner: { email: 'ap@rules.example.com', language: 'en' },
  'owner-ja': { email: 'billing@tenant01.example.jp', language: 'ja' },
} as const;
type Persona = keyof typeof PERSONAS;

/** The people of the site: [email, role, tenant?] (as the web tests add them). */
const PEOPLE: readonly (readonly [string, string, string?])[] = [
  ['ops@example.com', 'operator'],
  ['viewer@example.com', 'viewer'],
  ['ap@rules.example.com', 'owner', 'TNT00003'],
  ['admin@rules.example.com', 'admin', 'TNT00003'],
  ['billing@tenant01.example.jp', 'owner', 'TNT00001'],
];

/** Every page, built or planned: its address, who looks at it, and the file name. */
const PAGES: readonly { url: string; as: Persona; name: string }[] = [
  { url: '/sign-in', as: 'signed-out', name: 'sign-in' },
  { url: '/sign-in', as: 'signed-out-ja', name: 'sign-in-ja' },
  { url: '/password', as: 'owner', name: 'password' },
  // The tenant portal.
  { url: '/', as: 'owner', name: 'tenant-history' },
  { url: '/', as: 'owner-ja', name: 'tenant-history-ja' },
  { url: `/months/${MONTH}`, as: 'owner', name: 'tenant-month' },
  { url: `/months/${MONTH}`, as: 'owner-ja', name: 'tenant-month-ja' },
  { url: '/estimate', as: 'owner', name: 'tenant-estimate' },
  { url: '/estimate', as: 'owner-ja', name: 'tenant-estimate-ja' },
  { url: '/coupons', as: 'owner', name: 'tenant-coupons' },
  { url: '/contacts', as: 'owner', name: 'tenant-contacts' },
  { url: '/people', as: 'owner', name: 'tenant-people' },
  // The billing team's console.
  { url: '/', as: 'operator', name: 'console-home' },
  { url: '/', as: 'operator-ja', name: 'console-home-ja' },
  { url: '/tenants', as: 'operator', name: 'console-tenants' },
  { url: `/tenants/TNT00003/months/${MONTH}`, as: 'operator', name: 'console-statement' },
  { url: `/tenants/TNT00001/months/${MONTH}`, as: 'operator-ja', name: 'console-statement-ja' },
  { url: `/tenants/TNT00003/months/${MONTH}/audit`, as: 'operator', name: 'console-audit' },
  { url: '/imports', as: 'operator', name: 'console-imports' },
];

/** True when fontconfig knows a Japanese font. */
function hasJapaneseFont(): boolean {
  try {
    return /ipa|noto.*cjk|takao|vl gothic/i.test(execFileSync('fc-list', { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const folder = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..', 'docs', 'screenshots', 'web'));
  if (!hasJapaneseFont())
    console.warn(
      'warning: no Japanese font (fc-list): the Japanese pages will show boxes; install one with "apt-get install -y fonts-ipafont-gothic" (as root)',
    );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-web-screenshots-'));
  const env = {
    DATA_DIR: path.join(work, 'data'),
    BILLING_TZ: 'UTC',
    LOG_LEVEL: 'error',
    MAIL_FROM: 'Billing <billing@example.com>',
    ISSUER_NAME: 'Example Cloud K.K.',
  };
  const must = async (args: string[]): Promise<void> => {
    const r = await runCli(args, env, work);
    if (r.code !== 0) throw new Error(`usage-charges ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  };
  let browser: WebBrowser | null = null;
  try {
    await must(['seed-demo', '--as-of', AS_OF]);
    await must(['run', '--as-of', AS_OF]);
    for (const [email, role, tenant] of PEOPLE)
      await must(['user', 'add', email, '--role', role, ...(tenant === undefined ? [] : ['--tenant', tenant])]);

    const config = loadConfig({ env, cwd: work });
    const store = openStore(config.dataDir);
    let base = '';
    const app = await buildWebServer({ store, config, now: () => CLOCK, publicUrl: () => base });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      browser = await launchWebBrowser();
      fs.mkdirSync(folder, { recursive: true });
      // One browser per person and width, signed in through the pages once.
      const windows = new Map<string, BrowserContext>();
      const windowOf = async (as: Persona, width: number): Promise<BrowserContext> => {
        const key = `${as} ${width}`;
        const known = windows.get(key);
        if (known !== undefined) return known;
        const { email, language } = PERSONAS[as];
        const context = await browser!.context(width === 375 ? 'phone' : 'desktop', language);
        context.setDefaultTimeout(60_000);
        if (email !== null) {
          const user = signInUser(store, email)!;
          const { token } = issueSignInLink(store, user, 'sign-in', CLOCK, 'printed');
          const page = await context.newPage();
          await page.goto(`${base}/sign-in/link/${token}`);
          await page.locator('main button[type="submit"]').click();
          await page.waitForLoadState('load');
          if ((await context.cookies()).every((c) => c.name !== 'uc_session'))
            throw new Error(`${email} could not sign in`);
          await page.close();
        }
        windows.set(key, context);
        return context;
      };

      let written = 0;
      for (const { url, as, name } of PAGES) {
        for (const width of WIDTHS) {
          const page = await (await windowOf(as, width)).newPage();
          const answer = await page.goto(base + url);
          const status = answer?.status() ?? 0;
          if (status === 404) {
            await page.close();
            console.warn(`skipped ${name}: ${url} answers 404 to ${as} (not built yet)`);
            break;
          }
          const size = (await page.evaluate(
            '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
          )) as { width: number; height: number };
          const file = path.join(folder, `${name}-${width}.png`);
          await page.screenshot({
            path: file,
            fullPage: true,
            ...(size.height > MAX_HEIGHT ? { clip: { x: 0, y: 0, width, height: MAX_HEIGHT } } : {}),
          });
          await page.close();
          written++;
          const notes = [
            status === 200 ? '' : `answered ${status}`,
            size.width > width ? `WIDER THAN THE WINDOW: ${size.width} px` : '',
            size.height > MAX_HEIGHT ? `cut at ${MAX_HEIGHT} of ${size.height} px` : '',
          ].filter((n) => n !== '');
          console.log(
            `${path.relative(process.cwd(), file)}  ${url} as ${as}${notes.length ? `  (${notes.join('; ')})` : ''}`,
          );
        }
      }
      console.log(`${written} screenshots in ${folder}`);
    } finally {
      await app.close();
      closeStore(store);
    }
  } finally {
    await browser?.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
