/**
 * The file settings frozen with a statement: a currency symbol cp932 cannot hold never makes a
 * tenant's statements unwritable, and statements finalized before settings were frozen rebuild in
 * the encoding they were written in.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fileOptions, unfrozenFileOptions } from '../../../jobs/build-files.ts';
import { loadConfig } from '../../../src/config.ts';
import { tempDir } from '../../helpers/store.ts';

const work = tempDir('uc-file-options-');
afterAll(() => work.cleanup());
const config = (env: Record<string, string>) => loadConfig({ env: { DATA_DIR: work.dir, ...env }, cwd: work.dir });

describe('the currency symbol in cp932 files', () => {
  it('a euro tenant written in cp932 shows the currency code, not a sign cp932 cannot hold', () => {
    const o = fileOptions(config({}), { currency: 'EUR', locale: 'ja', csvEncoding: null });
    expect(o).toMatchObject({ encoding: 'cp932', currencySymbol: 'EUR ' });
    expect(fileOptions(config({}), { currency: 'EUR', locale: 'en', csvEncoding: null })).toMatchObject({
      encoding: 'utf8-bom',
      currencySymbol: '€',
    });
  });

  it('a configured symbol cp932 cannot hold gives way to the code; one it holds is kept', () => {
    expect(
      fileOptions(config({ CURRENCY_SYMBOLS: 'USD=US💲' }), { currency: 'USD', locale: 'ja', csvEncoding: null })
        .currencySymbol,
    ).toBe('USD ');
    expect(
      fileOptions(config({ CURRENCY_SYMBOLS: 'JPY=¥' }), { currency: 'JPY', locale: 'ja', csvEncoding: null })
        .currencySymbol,
    ).toBe('¥');
    expect(fileOptions(config({}), { currency: 'JPY', locale: 'ja', csvEncoding: 'cp932' }).currencySymbol).toBe('\\');
  });
});

describe('statements finalized before file settings were frozen', () => {
  it('rebuild in utf8 or cp932, the only encodings there were, whatever CSV_ENCODING says now', () => {
    expect(unfrozenFileOptions(config({ CSV_ENCODING: 'auto' }), 'JPY').encoding).toBe('utf8');
    expect(unfrozenFileOptions(config({ CSV_ENCODING: 'utf8-bom' }), 'JPY').encoding).toBe('utf8');
    expect(unfrozenFileOptions(config({ CSV_ENCODING: 'utf8' }), 'JPY').encoding).toBe('utf8');
    expect(unfrozenFileOptions(config({ CSV_ENCODING: 'cp932' }), 'JPY').encoding).toBe('cp932');
  });
});
