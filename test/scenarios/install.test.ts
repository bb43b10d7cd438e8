/**
 * The first day of an install: the program's version and help, what a verb does on a data dir
 * without a store, and the messages of folders that cannot be made or written and of a full disk.
 * Everything runs in this process through main(); test/scenarios/systemd.test.ts starts the
 * program as the systemd unit does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { hasStackTrace, ROOT, runMain } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-install-');
});
afterAll(() => work.cleanup());

/** The entries of a help text's Options section: each option's lines joined. */
function optionEntries(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf('Options:');
  const entries: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (/^ {3,}\S/.test(line) && entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
    else break;
  }
  return entries;
}

describe('--version and --help', () => {
  it('--version prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runMain(['--version'], { DATA_DIR: path.join(work.dir, 'version') });
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(fs.existsSync(path.join(work.dir, 'version'))).toBe(false);
  });

  it('every verb\'s --help marks each option it requires "(required)", and no other', async () => {
    const program = buildProgram(createContext({ out: () => undefined, err: () => undefined }, {}));
    let required = 0;
    for (const command of program.commands) {
      const r = await runMain([command.name(), '--help'], { DATA_DIR: path.join(work.dir, 'help') });
      expect(r.code, command.name()).toBe(0);
      const entries = optionEntries(r.stdout);
      for (const option of command.options) {
        const entry = entries.find((e) => e.startsWith(option.flags));
        expect(entry, `${command.name()} ${option.flags}`).toBeDefined();
        if (option.mandatory) required++;
        expect(entry!.endsWith('(required)'), `${command.name()}: ${entry}`).toBe(option.mandatory);
      }
    }
    // estimate --tenant, export --format --month, resend --tenant --month, retry --failed, history --tenant
    expect(required).toBeGreaterThanOrEqual(7);
    expect(fs.existsSync(path.join(work.dir, 'help'))).toBe(false);
  });
});
