/** The style sheet: every block closed, no rule nested deeper than one @media (a lost brace hides every rule after it). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('templates/web/app.css', () => {
  it('closes every block, and nests rules only inside an @media', () => {
    const css = fs
      .readFileSync(path.join(import.meta.dirname, '../../../templates/web/app.css'), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/"[^"]*"/g, '""');
    let depth = 0;
    let inMedia = false;
    css.split('\n').forEach((line, i) => {
      for (const ch of line) {
        if (ch === '{') {
          if (depth === 0) inMedia = line.trimStart().startsWith('@media');
          depth++;
          expect(depth, `line ${i + 1}: a block inside a rule`).toBeLessThanOrEqual(inMedia ? 2 : 1);
        } else if (ch === '}') {
          depth--;
          expect(depth, `line ${i + 1}: a brace closes nothing`).toBeGreaterThanOrEqual(0);
        }
      }
    });
    expect(depth, 'a block is not closed').toBe(0);
  });
});
