/** The words of the pages: no key in two word files (the later would silently replace the earlier), every word in both languages. */
import { describe, expect, it } from 'vitest';
import { mergeWords, wordsOf } from '../../../src/web/i18n.ts';

describe('the words of the web pages', () => {
  it('refuses a key in two word files', () => {
    expect(() => mergeWords({ stVoid: { ja: 'a', en: 'a' } }, { stVoid: { ja: 'b', en: 'b' } })).toThrow(
      'the word "stVoid" is in two word files',
    );
    expect(mergeWords({ a: { ja: 'a', en: 'a' } }, { b: { ja: 'b', en: 'b' } })).toEqual({
      a: { ja: 'a', en: 'a' },
      b: { ja: 'b', en: 'b' },
    });
  });

  it('says every word in Japanese and in English (the word files merged without a clash)', () => {
    for (const locale of ['ja', 'en'] as const) {
      const words = Object.entries(wordsOf(locale));
      expect(words.length).toBeGreaterThan(100);
      for (const [key, value] of words) expect(value.trim(), `${key} (${locale})`).not.toBe('');
    }
  });
});
