import { describe, expect, it } from 'vitest';
import { shown, table } from '../../../src/cli/output.ts';

describe('shown', () => {
  it.each([
    ['acme', 'acme'],
    ['株式会社サンプル', '株式会社サンプル'],
    ["o'brien+x@example.com", "o'brien+x@example.com"],
    ['550 5.1.1 "no such user"', '550 5.1.1 "no such user"'],
  ])('leaves %j as it is', (text, expected) => {
    expect(shown(text)).toBe(expected);
  });

  it.each([
    ['CR LF', 'a@example.com\r\n  sent x to y: 250 ok'],
    ['LF', 'a\nb'],
    ['NUL', 'a\u0000b'],
    ['ESC (terminal colours)', '\u001b[31mred'],
    ['DEL', 'a\u007f'],
    ['NEL (C1)', 'a\u0085b'],
    ['U+2028', 'a\u2028b'],
    ['U+2029', 'a\u2029b'],
  ])('writes a text holding %s as a JSON string on one line', (_label, text) => {
    const s = shown(text);
    expect(s.startsWith('"') && s.endsWith('"')).toBe(true);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(s).not.toMatch(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/);
    expect(JSON.parse(s)).toBe(text);
  });
});

describe('table', () => {
  it('shows each cell as `shown`, so a stored name cannot add a row', () => {
    expect(
      table(
        ['tenant', 'name'],
        [
          ['acme', 'A\nB'],
          ['b', 'ok'],
        ],
      ),
    ).toEqual(['tenant  name', '------  ------', 'acme    "A\\nB"', 'b       ok']);
  });
});
