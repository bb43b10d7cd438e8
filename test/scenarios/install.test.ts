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
import { hasStackTrace, ROOT, runMain, type CliRun } from '../helpers/cli.ts';
import { AS_OF, demoEnv, inStore, MONTH, TENANTS } from '../helpers/demo-store.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-install-');
});
afterAll(() => work.cleanup());

/** Runs the program in this process with a fault hook set (src/testing/faults.ts), counted afresh. */
async function withFault(spec: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  // runMain sets the hook for the run (and counts afresh), as a child's environment would.
  return await runMain(args, { ...env, USAGE_CHARGES_FAIL_AT: spec });
}

/** A data dir with the demo seeded (2026-10), through the command line in this process. */
async function seededDir(name: string): Promise<Record<string, string>> {
  const env = { ...demoEnv(path.join(work.dir, name)), LOG_LEVEL: 'silent' };
  const r = await runMain(['seed-demo', '--as-of', AS_OF], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return env;
}

/** Every file and folder under `dir`, relative to it (none when it does not exist). */
function tree(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : [];
}

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
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: '',
    });
    expect(fs.existsSync(path.join(work.dir, 'version'))).toBe(false);
  });

  it('every verb\'s --help marks each option it requires "(required)", and no other', async () => {
    const program = await buildProgram(createContext({ out: () => undefined, err: () => undefined }, {}), 'all');
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

describe('a data dir without a store', () => {
  const READERS: [string, string[]][] = [
    ['status', ['status']],
    ['status --month', ['status', '--month', MONTH]],
    ['history', ['history', '--tenant', 'TNT00001']],
    ['export', ['export', '--format', 'ecl-detail', '--month', MONTH]],
    ['estimate', ['estimate', '--tenant', 'TNT00001', '--as-of', AS_OF]],
    ['resend', ['resend', '--tenant', 'TNT00001', '--month', MONTH]],
    ['retry', ['retry', '--failed']],
    ['backup', ['backup', 'BACKUP']],
    // A dry run changes nothing, so it creates no store either.
    ['run --dry-run', ['run', '--dry-run']],
  ];

  it.each(READERS)(
    '%s says there is no store, exits 2 and creates nothing (not even the folder)',
    async (_name, args) => {
      for (const existing of [false, true]) {
        const dataDir = path.join(work.dir, `no-store-${_name.replace(/\W+/g, '-')}-${existing}`);
        if (existing) fs.mkdirSync(dataDir);
        const backup = path.join(work.dir, `backup-${existing}.sqlite`);
        const r = await runMain(
          args.map((a) => (a === 'BACKUP' ? backup : a)),
          { DATA_DIR: dataDir, LOG_LEVEL: 'error' },
        );
        expect(r.stderr).toBe(
          `error: no store in DATA_DIR ${dataDir}: run \`usage-charges import\` or \`usage-charges seed-demo\` first\n`,
        );
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(fs.existsSync(dataDir)).toBe(existing);
        expect(tree(dataDir)).toEqual([]);
        expect(fs.existsSync(backup)).toBe(false);
      }
    },
  );

  it('import, seed-demo and run create the store; then status reads it', async () => {
    const env = demoEnv(path.join(work.dir, 'creators', 'data'));
    const tenants = path.join(ROOT, 'data', 'demo', 'tenants.csv');
    expect((await runMain(['import', 'tenants', tenants], env)).code).toBe(0);
    expect(tree(env.DATA_DIR!)).toContain('usage-charges.sqlite');
    for (const args of [
      ['seed-demo', '--as-of', AS_OF],
      ['run', '--as-of', AS_OF],
    ]) {
      const dataDir = path.join(work.dir, 'creators', args[0]!);
      const r = await runMain(args, demoEnv(dataDir));
      expect(r.stderr, args[0]).toBe('');
      expect(r.code, args[0]).toBe(0);
      expect(tree(dataDir), args[0]).toContain('usage-charges.sqlite');
    }
    const status = await runMain(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^tenants: 5 /m);
  });
});

describe('a folder that cannot be made', () => {
  it('a DATA_DIR that cannot be created (EACCES) is named with the reason; exit 2, no stack trace', async () => {
    const dataDir = path.join(work.dir, 'eacces', 'data');
    const r = await withFault('folder-create:EACCES', ['seed-demo', '--as-of', AS_OF], {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
    });
    expect(r.stderr).toBe(`error: DATA_DIR ${dataDir} cannot be created: EACCES (permission denied)\n`);
    expect(r.code).toBe(2);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('a DATA_DIR below a file says which part of the path is a file; exit 2', async () => {
    const file = path.join(work.dir, 'a-file');
    fs.writeFileSync(file, 'not a folder\n');
    const dataDir = path.join(file, 'data');
    const r = await runMain(['import', 'tenants', path.join(ROOT, 'data', 'demo', 'tenants.csv')], {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
    });
    expect(r.stderr).toBe(`error: DATA_DIR ${dataDir} cannot be created: ENOTDIR (${file} is a file, not a folder)\n`);
    expect(r.code).toBe(2);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it("a statements folder that cannot be made (EACCES) or written (EROFS) is named as such in the failed statement's reason", async () => {
    for (const [spec, reason] of [
      ['folder-create:EACCES', 'DATA_DIR/statements/202610 cannot be created: EACCES (permission denied)'],
      ['zip-write:EROFS', 'DATA_DIR/statements/202610 is not writable: EROFS (a read-only file system)'],
    ] as const) {
      const env = await seededDir(`statements-${spec.replace(/\W+/g, '-')}`);
      const r = await withFault(spec, ['run', '--as-of', AS_OF], env);
      expect(r.code, spec).toBe(1);
      const failed = r.stderr.split('\n').filter((l) => l.startsWith('  failed to write the files of '));
      // Only the first folder made (or the first zip written) fails: zips are written four at a time.
      expect(failed, r.stderr).toHaveLength(1);
      expect(failed[0]).toMatch(new RegExp(`^  failed to write the files of (${TENANTS.join('|')}) 2026-10: `));
      expect(failed[0]!.slice(failed[0]!.indexOf(': ') + 2)).toBe(reason);
      expect(r.stderr).not.toContain('ENOENT');
      expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    }
  });
});

describe('a full disk under the store', () => {
  const FULL =
    /^error: the disk holding DATA_DIR (\S+) is full \(SQLITE_FULL: database or disk is full\); what was being written was not kept: free some space, then run the command again\n$/;

  it('an import that fills the disk says so, exits 1 and keeps nothing of the file (not "an unexpected failure")', async () => {
    const env = demoEnv(path.join(work.dir, 'full-import'));
    const first = path.join(work.dir, 'one-tenant.csv');
    fs.writeFileSync(first, 'tenant_name,display_name,cutoff_day\nT0,Zero,31\n');
    expect((await runMain(['import', 'tenants', first], env)).code).toBe(0);
    const many = path.join(work.dir, 'many-tenants.csv');
    fs.writeFileSync(
      many,
      `tenant_name,display_name,cutoff_day\n${Array.from({ length: 3000 }, (_, i) => `T${i + 1},Tenant number ${i + 1} with a long display name,31`).join('\n')}\n`,
    );
    const r = await withFault('store:SQLITE_FULL', ['import', 'tenants', many], env);
    expect(r.stderr).toMatch(FULL);
    expect(FULL.exec(r.stderr)![1]).toBe(env.DATA_DIR);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('unexpected');
    expect(inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM tenants').pluck().get())).toBe(1);
  });

  it('a pass whose closes fill the disk reports each one as "the disk holding DATA_DIR is full" and exits 1', async () => {
    const env = await seededDir('full-run');
    const r = await withFault('store:SQLITE_FULL', ['run', '--as-of', AS_OF], env);
    expect(r.code).toBe(1);
    const failed = r.stderr.split('\n').filter((l) => l.startsWith('  failed to close '));
    expect(failed.length, r.stderr).toBeGreaterThan(0);
    for (const line of failed)
      expect(line).toMatch(
        /^ {2}failed to close \S+ 2026-10: the disk holding DATA_DIR is full \(SQLITE_FULL: database or disk is full\)$/,
      );
    expect(r.stdout + r.stderr).not.toContain('unexpected');
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });
});
