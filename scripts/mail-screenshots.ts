/**
 * `npm run screenshots -- <folder>`: renders the statement mail of every variant (ja and en, a
 * tenant as usual and a deleted one) in headless chromium at 375 px (a phone) and 1024 px, and
 * writes `<variant>-<width>.png` and `<variant>.html` to the folder. Needs Debian's chromium
 * (`apt-get install -y chromium`); for readable Japanese, a Japanese font (fonts-ipafont-gothic
 * or fonts-noto-cjk).
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderStatementMail } from '../src/mail/render.ts';
import { launchChromium, measure } from '../test/helpers/chromium.ts';
import { sampleMails } from '../test/helpers/mail.ts';

const WIDTHS = [375, 1024];

async function main(): Promise<void> {
  const folder = process.argv[2];
  if (folder === undefined || folder === '') {
    console.error('usage: npm run screenshots -- <folder>   (the PNGs are written there)');
    process.exit(2);
  }
  fs.mkdirSync(folder, { recursive: true });
  const browser = await launchChromium();
  try {
    for (const { name, mail } of sampleMails()) {
      const { html } = renderStatementMail(mail);
      fs.writeFileSync(path.join(folder, `${name}.html`), html);
      for (const width of WIDTHS) {
        const page = await browser.page(width);
        const m = await measure(page, html);
        const file = path.join(folder, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        await page.close();
        const overflow = m.scrollWidth > width ? `  HORIZONTAL OVERFLOW: ${m.scrollWidth} px` : '';
        console.log(`${file}  (scroll width ${m.scrollWidth} px, smallest text ${m.smallestFontPx} px)${overflow}`);
      }
    }
  } finally {
    await browser.close();
  }
}

await main();
