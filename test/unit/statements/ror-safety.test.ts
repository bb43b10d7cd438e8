/** The ROR files against hostile data: safe file names, formula neutralization, cp932 and its refusals. */
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.ts';
import {
  CP932_MAP,
  codePoint,
  neutralizeFormula,
  StatementFileError,
  toCp932Text,
} from '../../../src/statements/csv.ts';
import {
  buildRorFiles,
  distinctFileName,
  safeFileName,
  type RorFileOptions,
} from '../../../src/statements/ror-files.ts';
import { line, lplatform, resource, seedDetailView, seedListView, view } from './support.ts';

const UTF8: RorFileOptions = { encoding: 'utf8', currencySymbol: '\\' };
const CP932: RorFileOptions = { encoding: 'cp932', currencySymbol: '\\' };
const SAFE = /^[A-Za-z0-9_-]+$/;

describe('safeFileName', () => {
  it('changes a name that ends like a deletion date, so a deleted ACME and ACME_20261120 never share a zip', () => {
    expect(safeFileName('ACME_20261120')).toMatch(/^ACME_20261120-[0-9a-f]{8}$/);
    expect(safeFileName('ACME_2026112')).toBe('ACME_2026112');
  });

  it('keeps plain names as they are', () => {
    for (const name of ['TNT00001', 'TNT00001-LPlatform01', 'a_b', 'COM10', 'CONSOLE'])
      expect(safeFileName(name)).toBe(name);
  });

  it.each([
    ['../x', /^___x-[0-9a-f]{8}$/],
    ['..', /^__-[0-9a-f]{8}$/],
    ['a/b', /^a_b-[0-9a-f]{8}$/],
    ['a\\b', /^a_b-[0-9a-f]{8}$/],
    ['=1+1', /^_1_1-[0-9a-f]{8}$/],
    ['line\nbreak', /^line_break-[0-9a-f]{8}$/],
    ['nul\0byte', /^nul_byte-[0-9a-f]{8}$/],
    ['with space', /^with_space-[0-9a-f]{8}$/],
    ['テナント', /^____-[0-9a-f]{8}$/],
    ['', /^-[0-9a-f]{8}$/],
    ['CON', /^_CON-[0-9a-f]{8}$/],
    ['con', /^_con-[0-9a-f]{8}$/],
    ['Lpt9', /^_Lpt9-[0-9a-f]{8}$/],
    ['COM0', /^_COM0-[0-9a-f]{8}$/],
    ['NUL', /^_NUL-[0-9a-f]{8}$/],
    ['a_b-0123abcd', /^a_b-0123abcd-[0-9a-f]{8}$/],
  ])('changes %j', (name, expected) => {
    const safe = safeFileName(name);
    expect(safe).toMatch(expected);
    expect(safe).toMatch(SAFE);
  });

  it('two different names never give the same part: a/b and a_b, a/b and a?b, CON and _CON', () => {
    for (const [x, y] of [
      ['a/b', 'a_b'],
      ['a/b', 'a?b'],
      ['CON', '_CON'],
      ['a/b', safeFileName('a/b')],
      ['x', 'X-2d711642'],
    ]) {
      expect(safeFileName(x!)).not.toBe(safeFileName(y!));
    }
  });

  it('cuts long names and marks them', () => {
    const safe = safeFileName('a'.repeat(300));
    expect(safe).toBe(`${'a'.repeat(100)}-${safe.slice(-8)}`);
    expect(safeFileName('a'.repeat(100))).toBe('a'.repeat(100));
  });

  it('property: every part is safe, and different names give different parts', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        (a, b) => {
          const sa = safeFileName(a);
          expect(sa).toMatch(SAFE);
          expect(sa.length).toBeLessThanOrEqual(109);
          if (a !== b) expect(sa).not.toBe(safeFileName(b));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('hostile tenant names and L-Platform IDs stay inside the zip folder', () => {
    for (const name of ['../x', 'CON', '=1+1', 'a\nb', 'a/b', '/etc/passwd', 'C:\\x']) {
      const files = buildRorFiles(
        view({ tenant: { name }, lplatforms: [lplatform(`LP ${name}`, 'lp', null, dec(1))] }),
        UTF8,
      );
      for (const f of [files.listFile.name, files.zipName, ...files.detailFiles.map((d) => d.name)]) {
        expect(f).toMatch(/^201202_[A-Za-z0-9_-]+\.(csv|zip)$/);
      }
    }
    const a = buildRorFiles(view({ tenant: { name: 'a/b' }, lplatforms: [] }), UTF8);
    const b = buildRorFiles(view({ tenant: { name: 'a_b' }, lplatforms: [] }), UTF8);
    expect(a.zipName).not.toBe(b.zipName);
  });

  it('a detail name another file has in some letter case takes its distinct form, never a clash (the old builder refused)', () => {
    const clash = view({ lplatforms: [lplatform('lp1', 'x', null, dec(1)), lplatform('LP1', 'y', null, dec(1))] });
    const a = buildRorFiles(clash, UTF8);
    expect(a.detailFiles.map((f) => f.name)).toEqual(['201202_lp1.csv', `201202_${distinctFileName('LP1')}.csv`]);
    expect(distinctFileName('LP1')).toMatch(/^LP1-[0-9a-f]{8}$/);
    const listToo = buildRorFiles(
      view({ lplatforms: [lplatform('tnt00001', 'x', null, dec(1)), lplatform('LP2', 'y', null, dec(1))] }),
      UTF8,
    );
    const names = [listToo.listFile.name, ...listToo.detailFiles.map((f) => f.name)];
    expect(names).toEqual(['201202_TNT00001.csv', `201202_${distinctFileName('tnt00001')}.csv`, '201202_LP2.csv']);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(3);
    // The distinct form differs from the changed form safeFileName gives the same ID.
    expect(distinctFileName('CON')).not.toBe(safeFileName('CON'));
  });
});

describe('formula neutralization', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+81-3', "'+81-3"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['＝1+1', "'＝1+1"],
    ['-', '-'],
    ['a=1', 'a=1'],
    ['', ''],
  ])('%j -> %j', (text, expected) => {
    expect(neutralizeFormula(text)).toBe(expected);
  });

  it('applies to every text cell of the files, never to amounts', () => {
    const lp = lplatform('LP1', '@lp', null, dec(-5), [
      resource('s', 'virtual_server', [line({ resourceIdentifier: '-image', charged: dec(-5) })]),
    ]);
    const files = buildRorFiles(
      view({ tenant: { displayName: '=HYPERLINK("http://x")' }, lplatforms: [lp], total: dec(-5) }),
      UTF8,
    );
    const list = files.listFile.bytes.toString('utf8').split('\r\n');
    expect(list[1]).toBe('"TNT00001","\'=HYPERLINK(""http://x"")","","2012-02",-5,"1.0","","","",');
    expect(list[2]).toBe('"","","","",,"","LP1","\'@lp","",-5');
    const detail = files.detailFiles[0]!.bytes.toString('utf8').split('\r\n');
    expect(detail[2]).toBe(
      '"","","","","","","",,"","Virtual server(serverId001)","","\'-image","-","\\1.2000/h","5h",-5',
    );
  });
});

describe('encodings', () => {
  it('cp932: the seed examples are the same bytes as in UTF-8 (they are ASCII)', () => {
    expect(
      buildRorFiles(seedListView(), CP932).listFile.bytes.equals(buildRorFiles(seedListView(), UTF8).listFile.bytes),
    ).toBe(true);
    expect(
      buildRorFiles(seedDetailView(), CP932).detailFiles[0]!.bytes.equals(
        buildRorFiles(seedDetailView(), UTF8).detailFiles[0]!.bytes,
      ),
    ).toBe(true);
  });

  it('cp932 round trip: a Japanese display name encodes and decodes back', () => {
    const v = view({
      tenant: { displayName: '株式会社テナント一号①' },
      lplatforms: [lplatform('LP1', '本番環境～', null, dec(1))],
    });
    const files = buildRorFiles(v, CP932);
    const utf8 = buildRorFiles(v, UTF8);
    expect(files.listFile.bytes.equals(utf8.listFile.bytes)).toBe(false);
    expect(iconv.decode(files.listFile.bytes, 'cp932')).toBe(utf8.listFile.bytes.toString('utf8'));
    expect(iconv.decode(files.detailFiles[0]!.bytes, 'cp932')).toBe(utf8.detailFiles[0]!.bytes.toString('utf8'));
    expect(files.listFile.bytes.includes(Buffer.from([0x8a, 0x94]))).toBe(true); // 株 in Shift_JIS
  });

  it('cp932: a character it cannot hold is an error naming the file, row and column, never a "?"', () => {
    const v = view({ lplatforms: [lplatform('LP1', 'web 😀', null, dec(1))] });
    let error: unknown;
    try {
      buildRorFiles(v, CP932);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StatementFileError);
    const e = error as StatementFileError;
    expect(e.code).toBe('E_ENCODING');
    expect([e.file, e.row, e.column]).toEqual(['201202_TNT00001.csv', 3, 'LplatformName']);
    expect(e.message).toBe(
      '201202_TNT00001.csv: row 3, column LplatformName: "😀" (U+1F600) cannot be written in cp932',
    );
    expect(() => buildRorFiles(v, UTF8)).not.toThrow();
  });

  it('cp932: the characters Unicode and cp932 disagree on are mapped as Japanese systems do (¥ is not written as \\)', () => {
    const detail = buildRorFiles(seedDetailView(), { encoding: 'cp932', currencySymbol: '¥' }).detailFiles[0]!.bytes;
    expect(iconv.decode(detail, 'cp932')).toContain('"￥');
    const name = '東京〜大阪物流−‖—¢£¬¦¥‾';
    const list = buildRorFiles(view({ tenant: { displayName: name }, lplatforms: [] }), CP932).listFile.bytes;
    expect(iconv.decode(list, 'cp932')).toContain('"東京～大阪物流－∥―￠￡￢￤￥￣"');
    expect(list.includes(Buffer.from([0x81, 0x60]))).toBe(true); // FULLWIDTH TILDE, as Windows writes 〜
    for (const [from, to] of CP932_MAP) {
      expect(iconv.decode(iconv.encode(from, 'cp932'), 'cp932'), `${codePoint(from)} is not held by cp932`).not.toBe(
        from,
      );
      expect(iconv.decode(iconv.encode(to, 'cp932'), 'cp932'), `${codePoint(to)} is held by cp932`).toBe(to);
    }
    // What cp932 holds is never changed: only text that was refused before is written differently.
    expect(toCp932Text('～－∥―￠￡￢￤\\~ABCあ')).toBe('～－∥―￠￡￢￤\\~ABCあ');
    expect(() => buildRorFiles(view({ tenant: { displayName: '𠮷野家' }, lplatforms: [] }), CP932)).toThrow(
      /row 2, column TenantDisplayName: "𠮷" \(U\+20BB7\)/,
    );
  });

  it('utf8-bom: the UTF-8 bytes after EF BB BF; utf8 without', () => {
    const v = view({ tenant: { displayName: '株式会社' }, lplatforms: [lplatform('LP1', 'x', null, dec(1))] });
    const bom = buildRorFiles(v, { encoding: 'utf8-bom', currencySymbol: '\\' });
    const plain = buildRorFiles(v, UTF8);
    for (const [b, p] of [
      [bom.listFile, plain.listFile],
      [bom.detailFiles[0]!, plain.detailFiles[0]!],
    ] as const) {
      expect(b.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(b.bytes.subarray(3).equals(p.bytes)).toBe(true);
      expect(p.bytes[0]).toBe(0x23); // '#'
    }
  });
});
