/**
 * What a refused import shows of the file: a quoted cell or header at most ~80 characters, every
 * hidden character escaped; and nothing at all of a file that is not a CSV of its kind (a
 * settings file holding a password, or a symlink to one). Through main(), in this process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_KIND_NAMES } from '../../src/ingest/index.ts';
import { QUOTED_MAX } from '../../src/domain/text.ts';
import { hasStackTrace, runMain } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let env: Record<string, string>;
beforeAll(async () => {
  work = tempDir('uc-import-messages-');
  env = { DATA_DIR: path.join(work.dir, 'data'), LOG_LEVEL: 'silent' };
  const tenants = write('tenants.csv', 'tenant_name,display_name,cutoff_day\nT1,One,31\n');
  expect((await runMain(['import', 'tenants', tenants], env)).code).toBe(0);
});
afterAll(() => work.cleanup());

function write(name: string, text: string): string {
  const file = path.join(work.dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The text between the first pair of quotes of a message line after `after`. */
function quotedAfter(line: string, after: string): string {
  const rest = line.slice(line.indexOf(after) + after.length);
  return /"((?:[^"\\]|\\.)*)"/.exec(rest)![1]!;
}

const SETTINGS_FILES: [string, string][] = [
  ['its first line', 'SMTP_URL=smtps://billing:secret@mail.example.com:465\nDATA_DIR=/var/lib/usage-charges\n'],
  [
    'a later line, after comments',
    '# usage-charges settings\nDATA_DIR=/var/lib/usage-charges\nSMTP_URL=smtps://billing:secret@mail.example.com:465\nMAIL_FROM=Billing <billing@example.com>\n',
  ],
  ['a quoted value', 'DATA_DIR=/var/lib/usage-charges\nSMTP_URL="smtps://billing:secret@mail.example.com:465"\n'],
  ['a line with commas and quotes', 'SMTP_URL=smtps://billing:secret@mail.example.com:465,"x"y\nA,B\n'],
  [
    'a line that looks like a header with one known column',
    'tenant_name,SMTP_URL=smtps://billing:secret@mail.example.com:465\nT1,x\n',
  ],
];

describe('importing a file that is not a CSV of its kind', () => {
  it.each(SETTINGS_FILES)(
    'a settings file with the password in %s is refused without printing any of it, as every kind, and through a symlink',
    async (name, text) => {
      const file = write(`.env-${name.replace(/\W+/g, '-')}`, text);
      const link = path.join(work.dir, `link-${name.replace(/\W+/g, '-')}.csv`);
      fs.symlinkSync(file, link);
      for (const target of [file, link]) {
        for (const kind of IMPORT_KIND_NAMES) {
          const r = await runMain(['import', kind, target], env);
          expect(r.code, `${kind}: ${r.stderr}`).toBe(2);
          expect(r.stdout + r.stderr, kind).not.toContain('secret');
          expect(r.stdout + r.stderr, kind).not.toContain('mail.example.com');
          expect(r.stderr).toMatch(/^error: .+: refused, 1 problem; nothing was imported\n.+:\d+: \((header|csv)\): /);
          expect(hasStackTrace(r.stderr)).toBe(false);
        }
      }
    },
  );

  it('a header naming no column of the kind says so, without echoing it', async () => {
    const file = write('not-usage.csv', 'SMTP_URL=smtps://billing:secret@mail.example.com:465\n');
    const r = await runMain(['import', 'tenants', file], env);
    expect(r.stderr).toBe(
      `error: ${file}: refused, 1 problem; nothing was imported\n` +
        `${file}:1: (header): names none of the columns of this kind of file (expected tenant_name,display_name,cutoff_day,[locale],[currency],[deleted_at],[csv_encoding]); is it the right file?\n`,
    );
  });
});

describe('a quoted cell or header in an import error', () => {
  it('an unknown column is shown by name when it reads as one, at most ~80 characters; any other header cell by its position', async () => {
    const long = `colu${'m'.repeat(60)}`;
    const file = write('headers.csv', `tenant_name,display_name,cutoff_day,${long},"a\u202eb",x=y@z:1\nT2,Two,31,,,\n`);
    const r = await runMain(['import', 'tenants', file], env);
    expect(r.code).toBe(2);
    const line = r.stderr.split('\n')[1]!;
    expect(line).toContain(`unknown column "${long}"`);
    expect(line).toContain('column 5 is not a column name');
    expect(line).toContain('column 6 is not a column name');
    expect(line).not.toContain('\u202e');
    expect(line).not.toContain('x=y');
  });

  it('a long cell with hidden characters is cut to ~80 characters and escaped, in every message that quotes it', async () => {
    const cell = `2026-10-01${'\u202e'}${'9'.repeat(500)}\u0085end`;
    const file = write(
      'long-cells.csv',
      [
        'tenant_name,display_name,cutoff_day,deleted_at',
        `T3,Three,31,${cell}`,
        `T4,"Four""x${'y'.repeat(300)}",31,`,
      ].join('\n') + '\n',
    );
    const r = await runMain(['import', 'tenants', file], env);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n').slice(1);
    expect(lines).toHaveLength(2);
    const [deleted, display] = lines;
    expect(display).toMatch(/:3: display_name: is longer than \d+ characters$/);
    expect(deleted).toMatch(/:2: deleted_at: "2026-10-01\\u202e9+…" \(515 characters\) is not an ISO 8601 instant/);
    expect(quotedAfter(deleted!, 'deleted_at: ').length).toBeLessThanOrEqual(QUOTED_MAX);
    expect(deleted).not.toMatch(/[\u0085\u202e]/);
    for (const l of r.stderr.split('\n')) expect(l.length, l).toBeLessThan(300);
  });

  it('text after a closing quote is shown only as a whole character', async () => {
    const file = write(
      'closing-quote.csv',
      `tenant_name,display_name,cutoff_day\nT5,"Five"\u202e${'z'.repeat(400)},31\n`,
    );
    const r = await runMain(['import', 'tenants', file], env);
    expect(r.code).toBe(2);
    const line = r.stderr.split('\n')[1]!;
    expect(line).toMatch(/:2: \(csv\): column 2: text after the closing quote of a cell/);
    expect(line.length).toBeLessThan(250);
  });
});
