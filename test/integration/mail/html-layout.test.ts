/**
 * The HTML part as a phone shows it: every variant rendered in Debian's headless chromium at 375 px
 * (and 1024 px) scrolls only vertically, keeps its text readable, and shows the total and the issuer.
 * Chromium missing is a failure that says how to install it, never a skip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStatementMail } from '../../../src/mail/render.ts';
import { launchChromium, measure, type Browser } from '../../helpers/chromium.ts';
import { SAMPLE_ISSUER, sampleMails } from '../../helpers/mail.ts';

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** What the reader sees, white space made single spaces (the browser wraps lines). */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

describe('the HTML mail in a real browser', () => {
  for (const { name, mail } of sampleMails()) {
    for (const width of [375, 1024]) {
      it(`${name} at ${width} px: no horizontal scrolling, readable text, the total and the issuer shown`, async () => {
        const page = await browser!.page(width);
        try {
          const m = await measure(page, renderStatementMail(mail).html);
          expect(m.scrollWidth, `the page is ${m.scrollWidth} px wide in a ${width} px window`).toBeLessThanOrEqual(
            width,
          );
          expect(m.smallestFontPx).toBeGreaterThanOrEqual(12);
          const text = flat(m.text);
          expect(text).toContain(mail.locale === 'ja' ? '34,662円' : '1,234,567.89 SGD');
          expect(text).toContain(mail.issuer.name);
          expect(text).toContain(mail.issuer.url);
          expect(text).toContain(SAMPLE_ISSUER.invoiceNumber);
          if (mail.finalStatement && mail.locale === 'ja') expect(text).not.toContain('今後とも');
        } finally {
          await page.close();
        }
      });
    }
  }
});
