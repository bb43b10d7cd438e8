/** The structure every import file shares: encoding, line ends, header, quoting, line numbers, error limit. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { IMPORT_KINDS, importFile } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { CsvStructureError, readCsv } from '../../../src/ingest/csv-source.ts';
import { InputError, formatIssue } from '../../../src/domain/errors.ts';
import { csv, importText, refused, seedBase, snapshot, tempStore } from '../../helpers/store.ts';
import { expectRefused, useStore } from './support.ts';

const HEADER = 'tenant_name,display_name,cutoff_day';
const EXPECTED_COLUMNS =
  '(expected tenant_name,display_name,cutoff_day,[locale],[currency],[deleted_at],[csv_encoding])';
const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';
const CUTOFF = 'must be a whole number from 1 to 31';
const NOT_UTF8 = 'is not valid UTF-8 (save the file as UTF-8, or import a Shift_JIS/cp932 file with --encoding cp932)';

let store: ReturnType<typeof tempStore>;
let db: Db;
useStore(false, (s) => {
  store = s;
  db = s.db;
});

function displayNames(): Record<string, unknown> {
  const all = connection(db).prepare('SELECT tenant_name, display_name FROM tenants ORDER BY tenant_pk').all() as {
    tenant_name: string;
    display_name: string;
  }[];
  return Object.fromEntries(all.map((t) => [t.tenant_name, t.display_name]));
}

/** Imports and returns the InputError it must throw. */
async function inputError(kind: 'tenants' | 'catalog', text: string | Buffer, maxErrors = 100): Promise<InputError> {
  try {
    await importText(db, kind, text, `${kind}.csv`, maxErrors);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected the import to be refused');
}

describe('csv: encoding', () => {
  it('accepts a UTF-8 byte order mark before the header', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const result = await importText(db, 'tenants', Buffer.concat([bom, Buffer.from(csv(HEADER, 'T1,One,31'))]));
    expect(result).toMatchObject({ rows: 1, inserted: 1 });
    expect(displayNames()).toEqual({ T1: 'One' });
  });

  it('reads multi-byte UTF-8 text', async () => {
    // T2's statements are written in UTF-8 (locale en): an emoji is fine there, not in cp932.
    await importText(db, 'tenants', csv(`${HEADER},locale`, 'T1,経理部 テナント,31,ja', 'T2,Café ü 😀,31,en'));
    expect(displayNames()).toEqual({ T1: '経理部 テナント', T2: 'Café ü 😀' });
  });

  it('refuses Shift_JIS bytes, naming their line and the field (encoding)', async () => {
    const sjis = Buffer.from([0x83, 0x65]); // "テ" in Shift_JIS
    const text = Buffer.concat([Buffer.from(`${HEADER}\nT1,One,31\nT2,`), sjis, Buffer.from(',31\nT3,Three,31\n')]);
    await expectRefused(db, 'tenants', text, `tenants.csv:3: (encoding): ${NOT_UTF8}`);
  });

  it('names the line of invalid bytes in a CRLF file', async () => {
    const text = Buffer.concat([
      Buffer.from(`${HEADER}\r\nT1,One,31\r\nT2,Two,31\r\nT3,`),
      Buffer.from([0xff]),
      Buffer.from(',31\r\n'),
    ]);
    await expectRefused(db, 'tenants', text, `tenants.csv:4: (encoding): ${NOT_UTF8}`);
  });

  it('refuses invalid bytes in the header on line 1', async () => {
    const text = Buffer.concat([
      Buffer.from('tenant_name,'),
      Buffer.from([0x83, 0x65]),
      Buffer.from(',cutoff_day\nT1,One,31\n'),
    ]);
    await expectRefused(db, 'tenants', text, `tenants.csv:1: (encoding): ${NOT_UTF8}`);
  });

  it('refuses a file that ends inside a multi-byte character', async () => {
    const text = Buffer.concat([Buffer.from(`${HEADER}\nT1,`), Buffer.from([0xe7, 0xb5])]);
    await expectRefused(
      db,
      'tenants',
      text,
      'tenants.csv:2: (encoding): the file ends inside a multi-byte character: it is not valid UTF-8',
    );
  });

  it('refuses a NUL byte, naming its line', async () => {
    const text = Buffer.concat([
      Buffer.from(`${HEADER}\nT1,One,31\nT2,Tw`),
      Buffer.from([0x00]),
      Buffer.from('o,31\n'),
    ]);
    await expectRefused(db, 'tenants', text, 'tenants.csv:3: (encoding): contains a NUL byte; is this a text file?');
  });
});

describe('csv: lines', () => {
  it('accepts CRLF line ends and keeps no CR in the cells', async () => {
    const result = await importText(db, 'tenants', [HEADER, 'T1,One,31', 'T2,Two,20', ''].join('\r\n'));
    expect(result).toMatchObject({ rows: 2, inserted: 2 });
    expect(displayNames()).toEqual({ T1: 'One', T2: 'Two' });
  });

  it('accepts a last line without a line end', async () => {
    expect(await importText(db, 'tenants', `${HEADER}\nT1,One,31`)).toMatchObject({ rows: 1, inserted: 1 });
  });

  it('skips blank lines but still counts them for line numbers', async () => {
    const result = await importText(db, 'tenants', `${HEADER}\n\nT1,One,31\n\n\nT2,Two,20\n\n`);
    expect(result).toMatchObject({ rows: 2, inserted: 2 });
    await expectRefused(
      db,
      'tenants',
      `${HEADER}\n\nT3,Three,31\n\n\nT4,Four,0\n`,
      `tenants.csv:6: cutoff_day: ${CUTOFF}`,
    );
  });

  it('counts blank lines before the header', async () => {
    await expectRefused(
      db,
      'tenants',
      '\n\ntenant_name,display_name\nT1,One\n',
      `tenants.csv:3: (header): missing column "cutoff_day" ${EXPECTED_COLUMNS}`,
    );
  });

  it('reads a quoted cell holding commas and doubled quotes', async () => {
    await importText(db, 'tenants', csv(HEADER, 'T1,"Acme, ""Inc."", Tokyo",31', '"T2","Two","20"', 'T3,"Three",31'));
    expect(displayNames()).toEqual({ T1: 'Acme, "Inc.", Tokyo', T2: 'Two', T3: 'Three' });
  });

  it('takes spaces in cells as written', async () => {
    await expectRefused(db, 'tenants', csv(HEADER, 'T1, One ,31 '), `tenants.csv:2: cutoff_day: ${CUTOFF}`);
  });
});

describe('csv: line numbers of records whose quoted cell spans lines', () => {
  // A cell may not hold a line break (control characters are refused), but the reader must still
  // count the lines such a cell spans, reporting each row at the line where it starts.
  it('reports a multi-line record at its first line, and later rows at theirs (LF file)', async () => {
    await expectRefused(
      db,
      'tenants',
      `${HEADER}\nT1,"One\nand a half\nlines",31\nT2,Two,0\n`,
      `tenants.csv:2: display_name: ${CONTROL}`,
      `tenants.csv:5: cutoff_day: ${CUTOFF}`,
    );
  });

  it('does the same for a catalog description spanning lines', async () => {
    await seedBase(db);
    const header =
      'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,description';
    await expectRefused(
      db,
      'catalog',
      `${header}\nP1,0,2026-01-01T00:00:00Z,vm,img,hour,1,Product,ok\nP2,0,2026-01-01T00:00:00Z,vm,img,hour,1,Product,"first line\nsecond line"\nP3,0,2026-01-01T00:00:00Z,vm,img,day,1,Product,\n`,
      `catalog.csv:3: description: ${CONTROL}`,
      'catalog.csv:5: unit_code: must be one of year, month, hour, minute, second, unit',
    );
  });

  it('counts an LF inside a cell of a CRLF file as one line', async () => {
    await expectRefused(
      db,
      'tenants',
      [HEADER, 'T1,"One\nline",31', 'T2,Two,0', ''].join('\r\n'),
      `tenants.csv:2: display_name: ${CONTROL}`,
      `tenants.csv:4: cutoff_day: ${CUTOFF}`,
    );
  });

  it('counts a CRLF inside a cell of a CRLF file as one line', async () => {
    await expectRefused(
      db,
      'tenants',
      [HEADER, 'T1,"One\r\nline",31', 'T2,Two,0', ''].join('\r\n'),
      `tenants.csv:2: display_name: ${CONTROL}`,
      `tenants.csv:4: cutoff_day: ${CUTOFF}`,
    );
  });

  it('reports a wrong field count of a multi-line record at the line where it starts', async () => {
    await expectRefused(
      db,
      'tenants',
      `${HEADER}\nT1,"One\nline",31,extra\nT2,Two,31\n`,
      'tenants.csv:2: (csv): has 4 fields; the header line has a different number',
    );
  });
});

describe('csv: header', () => {
  it.each([
    ['an unknown column', 'tenant_name,display_name,cutoff_day,colour', 'unknown column "colour"'],
    [
      'a misspelt column',
      'tenant_name,display_name,cutoffday',
      'unknown column "cutoffday"; missing column "cutoff_day"',
    ],
    ['a missing column', 'tenant_name,display_name', 'missing column "cutoff_day"'],
    ['two missing columns', 'tenant_name', 'missing columns "display_name", "cutoff_day"'],
    ['a duplicate column', 'tenant_name,display_name,cutoff_day,display_name', 'column "display_name" appears twice'],
    [
      'a duplicate optional column',
      'tenant_name,display_name,cutoff_day,locale,locale',
      'column "locale" appears twice',
    ],
    ['an empty column name', 'tenant_name,display_name,cutoff_day,', 'unknown column ""'],
  ])('refuses %s on line 1 with field (header)', async (_what, header, problem) => {
    const fields = header.split(',').length;
    const row = ['T1', 'One', '31', 'ja', 'ja']
      .slice(0, fields)
      .concat(Array(Math.max(0, fields - 5)).fill(''))
      .join(',');
    await expectRefused(db, 'tenants', csv(header, row), `tenants.csv:1: (header): ${problem} ${EXPECTED_COLUMNS}`);
  });

  it('accepts columns in any order, with spaces around their names', async () => {
    const result = await importText(
      db,
      'tenants',
      csv(' cutoff_day , tenant_name,display_name ,currency', '20,T1,One,USD'),
    );
    expect(result.inserted).toBe(1);
    expect(connection(db).prepare('SELECT cutoff_day, currency FROM tenants').get()).toEqual({
      cutoff_day: 20,
      currency: 'USD',
    });
  });

  it('imports a file with only a header as 0 rows', async () => {
    const before = snapshot(db);
    const result = await importText(db, 'tenants', `${HEADER}\n`);
    expect(result).toMatchObject({
      kind: 'tenants',
      file: 'tenants.csv',
      rows: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
    });
    const after = snapshot(db);
    expect(after.tenants).toEqual(before.tenants);
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });
});

describe('csv: fields and quotes', () => {
  it('refuses a row with too many fields, naming its line', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(HEADER, 'T1,One,31', 'T2,Two,20,extra', 'T3,Three,31'),
      'tenants.csv:3: (csv): has 4 fields; the header line has a different number',
    );
  });

  it('refuses a row with too few fields, naming its line', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(HEADER, 'T1,One,31', 'T2,Two'),
      'tenants.csv:3: (csv): has 2 fields; the header line has a different number',
    );
  });

  it('refuses an unclosed quote', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(HEADER, 'T1,"One,31', 'T2,Two,20'),
      /^tenants\.csv:\d+: \(csv\): a quoted field is not closed before the end of the file$/,
    );
  });

  it('reports an unclosed quote at the line where its row starts', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(HEADER, 'T1,"One,31', 'T2,Two,20', 'T3,Three,31'),
      'tenants.csv:2: (csv): a quoted field is not closed before the end of the file',
    );
  });

  it('refuses a quote inside an unquoted cell', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(HEADER, 'T1,One,31', 'T2,Tw"o,20'),
      /^tenants\.csv:3: \(csv\): column 2: a quote inside a cell not in quotes \(after "Tw"\); put the cell in quotes and write each quote in it as ""$/m,
    );
  });

  it('refuses text after a closing quote', async () => {
    await expectRefused(
      db,
      'tenants',
      csv(HEADER, 'T1,"One"x,31'),
      /^tenants\.csv:2: \(csv\): column 2: "x" after the closing quote of a cell; a quote inside a cell in quotes is written as ""$/m,
    );
  });

  it('refuses a record larger than 1,000,000 characters', async () => {
    const issues = await expectRefused(
      db,
      'tenants',
      csv(HEADER, `T1,${'x'.repeat(1_000_001)},31`),
      /^tenants\.csv:\d+: \(csv\): a record is larger than 1,000,000 characters$/,
    );
    expect(issues).toHaveLength(1);
  });
});

describe('csv: the line of a structure error', () => {
  // A structure error names the line on which its record starts, counting lines as a reader does
  // (LF, CR LF or CR alone ends one), however the file ends and however its bytes arrive.
  const OPEN = 'a quoted field is not closed before the end of the file';
  const fields = (n: number): string => `has ${n} fields; the header line has a different number`;
  const OPENING =
    'column 2: a quote inside a cell not in quotes (after "Tw"); put the cell in quotes and write each quote in it as ""';
  const CLOSING = 'column 2: "x" after the closing quote of a cell; a quote inside a cell in quotes is written as ""';
  const BOM = '\uFEFF';

  /** The structure error of reading `bytes` in chunks of `size` bytes (0: one chunk), as `line: field: message`. */
  async function structureError(bytes: Buffer, size: number): Promise<string> {
    const parts: Buffer[] = [];
    if (size === 0) parts.push(bytes);
    else for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    const rows: number[] = [];
    try {
      for await (const row of readCsv(Readable.from(parts), IMPORT_KINDS.tenants.columns).rows) rows.push(row.line);
    } catch (err) {
      if (err instanceof CsvStructureError) return `${err.line}: ${err.field}: ${err.message}`;
      throw err;
    }
    throw new Error(`expected a structure error, but rows were read on lines ${rows.join(', ')}`);
  }

  /**
   * Expects `text` to fail on `expected` (`line: field: message`) read whole and in chunks of 1, 2
   * and 7 bytes, and an import of it to be refused with that as its last problem (rows before it may
   * have problems of their own).
   */
  async function expectStructureError(text: string, expected: string): Promise<void> {
    const bytes = Buffer.from(text);
    for (const size of [0, 1, 2, 7])
      expect(await structureError(bytes, size), `in chunks of ${size || 'all'} bytes`).toBe(expected);
    const issues = await refused(db, 'tenants', text);
    expect(issues.at(-1)).toBe(`tenants.csv:${expected}`);
  }

  it.each([
    ['LF, without a final line end', `${HEADER}\nT1,One,31\nT2,"Two,20`],
    ['LF, with a final LF', `${HEADER}\nT1,One,31\nT2,"Two,20\n`],
    ['CR LF, without a final line end', `${HEADER}\r\nT1,One,31\r\nT2,"Two,20`],
    ['CR LF, with a final CR LF', `${HEADER}\r\nT1,One,31\r\nT2,"Two,20\r\n`],
    ['CR LF, with a final CR LF and blank lines', `${HEADER}\r\nT1,One,31\r\nT2,"Two,20\r\n\r\n\r\n`],
  ])('names line 3 for an unclosed quote on the last line (%s)', async (_how, text) => {
    await expectStructureError(text, `3: (csv): ${OPEN}`);
  });

  it('names the line where the record starts for an unclosed quote in the middle, after blank lines', async () => {
    await expectStructureError(
      [HEADER, 'T1,One,31', '', '', 'T2,"Two,20', 'T3,Three,31', 'T4,Four,31', ''].join('\r\n'),
      `5: (csv): ${OPEN}`,
    );
    await expectStructureError(`${HEADER}\nT1,One,31\n\r\n\nT2,"Two,20\nT3,Three,31\n`, `5: (csv): ${OPEN}`);
  });

  it('names the line of an unclosed quote in the header', async () => {
    await expectStructureError('tenant_name,"display_name,cutoff_day\nT1,One,31\n', `1: (csv): ${OPEN}`);
  });

  it('names the line of an unclosed quote after quoted cells holding CR LF', async () => {
    await expectStructureError(
      [HEADER, 'T1,"One\r\nline",31', 'T2,"Two\r\nlines",31', 'T3,"Three,31'].join('\r\n'),
      `6: (csv): ${OPEN}`,
    );
    await expectStructureError(
      [HEADER, 'T1,"One\r\nline",31', 'T2,"Two\r\nlines",31', 'T3,"Three,31', ''].join('\n'),
      `6: (csv): ${OPEN}`,
    );
  });

  it('names the line of a quote in an unquoted cell after a record whose quoted cell holds CR LF (CR LF file)', async () => {
    await expectStructureError(
      [HEADER, 'T1,"One\r\nline",31', 'T2,Tw"o,20', 'T3,Three,31', ''].join('\r\n'),
      `4: (csv): ${OPENING}`,
    );
  });

  it('names the line of a quote in an unquoted cell after a record whose quoted cell holds CR LF (LF file)', async () => {
    await expectStructureError(`${HEADER}\nT1,"One\r\nline",31\nT2,Tw"o,20\nT3,Three,31\n`, `4: (csv): ${OPENING}`);
  });

  it('names the line of a quote in an unquoted cell after a record whose quoted cell holds LF', async () => {
    await expectStructureError(`${HEADER}\nT1,"One\nline",31\nT2,Tw"o,20\nT3,Three,31\n`, `4: (csv): ${OPENING}`);
  });

  it('counts every CR LF in the quoted cells of earlier records once', async () => {
    await expectStructureError(
      [HEADER, 'T1,"a\r\nb\r\nc","d\r\ne"', 'T2,"f\r\ng",31', 'T3,Tw"o,20', ''].join('\r\n'),
      `8: (csv): ${OPENING}`,
    );
  });

  it('names the line of text after a closing quote after a record whose quoted cell holds CR LF', async () => {
    await expectStructureError(
      [HEADER, 'T1,"One\r\nline",31', 'T2,"Two"x,20', ''].join('\r\n'),
      `4: (csv): ${CLOSING}`,
    );
  });

  it('names the line where a record spanning lines starts for a bad quote on its second line', async () => {
    await expectStructureError(
      `${HEADER}\nT1,"One\r\nline",3"1\nT2,Two,31\n`,
      '2: (csv): column 3: a quote inside a cell not in quotes (after "3"); put the cell in quotes and write each quote in it as ""',
    );
  });

  it('names the line of a wrong field count after multi-line quoted cells', async () => {
    await expectStructureError(
      `${HEADER}\nT1,"One\r\nline",31\nT2,"Two\nlines",20\nT3,Three\nT4,Four,31\n`,
      `6: (csv): ${fields(2)}`,
    );
    await expectStructureError(
      [HEADER, 'T1,"One\r\nline",31', 'T2,"Two\nlines",20', 'T3,Three,31,x'].join('\r\n'),
      `6: (csv): ${fields(4)}`,
    );
  });

  it('names the lines of a file that starts with a byte order mark', async () => {
    await expectStructureError(`${BOM}${HEADER}\nT1,"One,31`, `2: (csv): ${OPEN}`);
    await expectStructureError(`${BOM}${HEADER}\r\nT1,"One,31\r\n`, `2: (csv): ${OPEN}`);
    await expectStructureError(`${BOM}${HEADER}\r\n\r\nT1,One,31,x\r\n`, `3: (csv): ${fields(4)}`);
    await expectStructureError(`${BOM}${HEADER}\nT1,"One\r\nline",31\nT2,Tw"o,20\n`, `4: (csv): ${OPENING}`);
  });

  // An encoding problem counts lines the same way as a structure problem: LF, CR LF, or a CR alone.
  const NOT_UTF8 =
    'is not valid UTF-8 (save the file as UTF-8, or import a Shift_JIS/cp932 file with --encoding cp932)';
  const NUL = 'contains a NUL byte; is this a text file?';
  const bytesOf = (...parts: (string | number[])[]): Buffer =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it.each([
    ['a CR alone in a quoted cell before it', bytesOf(`${HEADER}\nT1,"x\ry",31\nT2,`, [0xff], ',20\n'), 4],
    [
      'CR LF line ends (a CR LF split between chunks is one line end)',
      bytesOf(`${HEADER}\r\nT1,One,31\r\nT2,`, [0xff], ',20\r\n'),
      3,
    ],
    [
      'CR LF and a CR alone in quoted cells before it',
      bytesOf(`${HEADER}\r\nT1,"a\r\nb\rc",31\r\nT2,`, [0xe3, 0x81], ',20\r\n'),
      5,
    ],
  ])('names the line of bytes that are not UTF-8 after %s', async (_how, bytes, line) => {
    for (const size of [0, 1, 2, 7])
      expect(await structureError(bytes, size), `in chunks of ${size || 'all'} bytes`).toBe(
        `${line}: (encoding): ${NOT_UTF8}`,
      );
  });

  it('names the line where the header starts for a file whose lines end with CR alone', async () => {
    const MAC = 'ends its lines with CR alone (an old Mac format); save it with LF or CR LF line ends';
    await expectStructureError(`${HEADER}\rT1,One,31\r`, `1: (csv): ${MAC}`);
    await expectStructureError(`\n\r\n${HEADER}\rT1,One,31\r`, `3: (csv): ${MAC}`);
  });

  it('names the line of a NUL byte after a CR alone in a quoted cell, the line a structure error there gets', async () => {
    for (const size of [0, 1, 2, 7]) {
      expect(
        await structureError(Buffer.from(`${HEADER}\nT1,"x\ry",31\nT2,a\u0000b,20\n`), size),
        `in chunks of ${size || 'all'} bytes`,
      ).toBe(`4: (encoding): ${NUL}`);
    }
    await expectStructureError(`${HEADER}\nT1,"x\ry",31\nT2,Tw"o,20\n`, `4: (csv): ${OPENING}`);
  });
});

describe('csv: empty files', () => {
  it.each([
    ['an empty file', ''],
    ['a file of blank lines', '\n\r\n\n'],
    ['a file holding only a byte order mark', '\uFEFF'],
  ])('refuses %s as a whole, without a line', async (_what, text) => {
    const err = await inputError('tenants', text);
    expect(err.issues).toEqual([
      { file: 'tenants.csv', line: 0, field: '', message: 'is empty: a header line naming the columns is expected' },
    ]);
    expect(formatIssue(err.issues[0]!)).toBe('tenants.csv: is empty: a header line naming the columns is expected');
    expect(err.message).toBe('tenants.csv: refused, 1 problem; nothing was imported');
  });
});

describe('csv: the error limit', () => {
  const badRows = (n: number): string => csv(HEADER, ...Array.from({ length: n }, (_, i) => `T${i},Tenant ${i},0`));

  it('lists at most 100 problems of a file with 150 bad rows and says it was truncated', async () => {
    const before = snapshot(db);
    const err = await inputError('tenants', badRows(150));
    expect(err.issues).toHaveLength(100);
    expect(err.truncated).toBe(true);
    expect(err.message).toBe('tenants.csv: refused, 100+ problems; nothing was imported');
    expect(err.issues[0]).toEqual({ file: 'tenants.csv', line: 2, field: 'cutoff_day', message: CUTOFF });
    expect(err.issues[99]).toMatchObject({ line: 101 });
    expect(snapshot(db)).toEqual(before);
  });

  it('is not truncated at exactly 100 problems', async () => {
    const err = await inputError('tenants', badRows(100));
    expect(err.issues).toHaveLength(100);
    expect(err.truncated).toBe(false);
    expect(err.message).toBe('tenants.csv: refused, 100 problems; nothing was imported');
  });

  it('follows a smaller limit', async () => {
    const err = await inputError('tenants', badRows(10), 3);
    expect(err.issues.map((i) => i.line)).toEqual([2, 3, 4]);
    expect(err.truncated).toBe(true);
    expect(err.message).toBe('tenants.csv: refused, 3+ problems; nothing was imported');
  });

  it('counts several problems of one row separately', async () => {
    const err = await inputError('tenants', csv(`${HEADER},locale`, 'T1,,0,xx'));
    expect(err.issues.map(formatIssue)).toEqual([
      'tenants.csv:2: display_name: is required',
      `tenants.csv:2: cutoff_day: ${CUTOFF}`,
      'tenants.csv:2: locale: must be one of ja, en',
    ]);
    expect(err.message).toBe('tenants.csv: refused, 3 problems; nothing was imported');
  });
});

describe('csv: files on disk and what a result records', () => {
  it('imports a file by path and records its size and SHA-256', async () => {
    const file = path.join(store.dir, 'tenants-2026-10.csv');
    const text = csv(HEADER, 'T1,One,31');
    fs.writeFileSync(file, text);
    const ctx = { db, now: '2026-11-01T00:00:00.000Z', defaultCurrency: 'JPY' as const, defaultLocale: 'ja' as const };
    const result = await importFile(IMPORT_KINDS.tenants as AnyImportKind, { path: file }, ctx, { maxErrors: 100 });
    expect(result).toEqual({
      kind: 'tenants',
      file: 'tenants-2026-10.csv',
      rows: 1,
      inserted: 1,
      updated: 0,
      unchanged: 0,
      bytes: Buffer.byteLength(text),
      sha256: crypto.createHash('sha256').update(text).digest('hex'),
    });
    const audit = connection(db)
      .prepare("SELECT action, subject, detail FROM audit_log WHERE action = 'import'")
      .all() as {
      subject: string;
      detail: string;
    }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]!.subject).toBe('tenants');
    expect(JSON.parse(audit[0]!.detail)).toEqual(result);
  });

  it('refuses a path that does not exist or is a folder', async () => {
    const ctx = { db, now: '2026-11-01T00:00:00.000Z', defaultCurrency: 'JPY' as const, defaultLocale: 'ja' as const };
    const missing = path.join(store.dir, 'missing.csv');
    await expect(
      importFile(IMPORT_KINDS.tenants as AnyImportKind, { path: missing }, ctx, { maxErrors: 100 }),
    ).rejects.toThrow(`${missing}: cannot be read (ENOENT)`);
    await expect(
      importFile(IMPORT_KINDS.tenants as AnyImportKind, { path: store.dir }, ctx, { maxErrors: 100 }),
    ).rejects.toThrow(`${store.dir}: is not a file`);
  });

  it('names the file as given in every message', async () => {
    const issues = await refused(db, 'tenants', csv(HEADER, 'T1,One,0'), 'in/tenants-2026-10.csv');
    expect(issues).toEqual([`in/tenants-2026-10.csv:2: cutoff_day: ${CUTOFF}`]);
  });
});
