import { describe, expect, it } from 'vitest';
import { quoted, QUOTED_MAX } from '../../../src/domain/text.ts';

describe('quoted: a value as a message shows it', () => {
  it('quotes a plain value as it is', () => {
    expect(quoted('TNT00001')).toBe('"TNT00001"');
    expect(quoted('東京〜大阪物流')).toBe('"東京〜大阪物流"');
  });

  it('escapes quotes, backslashes and every hidden character (controls, separators, bidirectional overrides)', () => {
    expect(quoted('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoted('x\ny\r\tz\u0000\u001b[31m\u007f\u0085\u2028\u202eevil')).toBe(
      '"x\\ny\\r\\tz\\u0000\\u001b[31m\\u007f\\u0085\\u2028\\u202eevil"',
    );
  });

  it('shows at most QUOTED_MAX characters between the quotes, then … and the length', () => {
    expect(quoted('x'.repeat(QUOTED_MAX))).toBe(`"${'x'.repeat(QUOTED_MAX)}"`);
    expect(quoted('x'.repeat(QUOTED_MAX + 1))).toBe(`"${'x'.repeat(QUOTED_MAX - 1)}…" (${QUOTED_MAX + 1} characters)`);
    const long = quoted('\n'.repeat(1000));
    expect(long).toBe(`"${'\\n'.repeat(((QUOTED_MAX - 1) / 2) | 0)}…" (1000 characters)`);
    // Characters outside the BMP count once and are never split.
    expect(quoted('𠮷'.repeat(200))).toBe(`"${'𠮷'.repeat(39)}…" (200 characters)`);
  });
});
