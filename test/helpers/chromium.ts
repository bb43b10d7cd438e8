/**
 * Debian's chromium, headless, through playwright-core: renders mail HTML the way a phone or a
 * desktop mail program would (the 375 px test, `npm run screenshots`), and drives the web server
 * as a person would, on a desktop or a phone (the browser tests, `npm run screenshots:web`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Browser as PlaywrightBrowser } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running headless chromium with a fresh profile, removed on close. */
export interface Browser {
  /** A new page of this width (CSS pixels; the height is 800). */
  page(width: number): Promise<Page>;
  close(): Promise<void>;
}

/** Fails with what to install when Debian's chromium is missing (a test then fails, never skips). */
function requireChromium(what: string): void {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: ${what} in Debian's chromium; install it with "apt-get update && apt-get install -y chromium" (as root)`,
    );
  }
}

/** Starts chromium; fails with what to install when it is missing (never skips). */
export async function launchChromium(): Promise<Browser> {
  requireChromium('the mail layout is checked');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: { width: 1024, height: 800 },
      // As a phone: the page is laid out at the window's width only when it says so (meta viewport),
      // else at 980 px and shrunk, which the scroll width then shows.
      isMobile: true,
      hasTouch: true,
      // The mail must not load anything: no network from the page.
      offline: true,
    });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    async page(width) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 800 });
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a rendered page measures: the document's scroll width and the text a reader sees. */
export async function measure(
  page: Page,
  html: string,
): Promise<{ scrollWidth: number; clientWidth: number; text: string; smallestFontPx: number }> {
  await page.setContent(html, { waitUntil: 'load' });
  // Evaluated as text: the project's TypeScript has no DOM types.
  return (await page.evaluate(`(() => {
    const root = document.documentElement;
    let smallest = Infinity;
    for (const el of document.body.querySelectorAll('*')) {
      if (!el.textContent || el.textContent.trim() === '') continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
    }
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, text: document.body.innerText, smallestFontPx: smallest };
  })()`)) as { scrollWidth: number; clientWidth: number; text: string; smallestFontPx: number };
}

/** The two windows a person opens the web pages in. */
export const DESKTOP = { width: 1024, height: 800 } as const;
export const PHONE = { width: 375, height: 812 } as const;

/** A running headless chromium for web pages: each context is a person's own browser (cookies, downloads). */
export interface WebBrowser {
  /**
   * A fresh browser window of a person: a desktop (1024 x 800) or a phone (375 x 812, touch, laid
   * out at its width), asking for pages in `language`, downloads accepted. Closed with the browser.
   */
  context(kind: 'desktop' | 'phone', language?: 'en' | 'ja'): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Starts chromium for the web pages; fails with what to install when it is missing (never skips). */
export async function launchWebBrowser(): Promise<WebBrowser> {
  requireChromium('the web pages are tested');
  const browser: PlaywrightBrowser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
  });
  return {
    context: (kind, language = 'en') =>
      browser.newContext({
        viewport: kind === 'desktop' ? DESKTOP : PHONE,
        ...(kind === 'phone' ? { isMobile: true, hasTouch: true, deviceScaleFactor: 1 } : {}),
        locale: language,
        acceptDownloads: true,
      }),
    close: () => browser.close(),
  };
}
