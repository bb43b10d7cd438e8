/**
 * What a pass, `resend` and `status` say (docs/operations.md "What a pass reports", "Exit codes"),
 * through main() in this process: the truth about files that failed, `.eml` files written rather
 * than sent, plurals, mails waiting on an unusable or deferring server, and a report bounded at
 * many tenants with every item behind `run --verbose`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF as CLOUD_AS_OF, FILE_KINDS, writeCloud } from '../../bench/generate.ts';
import {
  AS_OF,
  RECIPIENTS,
  TENANTS,
  deliveries,
  demoEnv,
  endTest,
  inStore,
  smtpServer,
} from '../helpers/demo-store.ts';
import { closeStore, connection } from '../../src/store/db.ts';
import { fakeTerminal, runMain, type MainRun } from '../helpers/main.ts';
import { unusedPort } from '../helpers/smtp-script.ts';
import { tempDir } from '../helpers/store.ts';
import { copyDataDir, onPostgres, openStoreOf } from '../helpers/store-engine.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-pass-report-');
  template = demoEnv(path.join(work.dir, 'template'));
  const seed = await runMain(['seed-demo', '--as-of', AS_OF], template);
  expect(seed.code, seed.stderr).toBe(0);
});
afterAll(() => work.cleanup());
afterEach(endTest);

/** A fresh copy of the seeded demo (2026-10, nothing closed). */
function demo(name: string): Record<string, string> {
  const dataDir = path.join(work.dir, name);
  copyDataDir(template.DATA_DIR!, dataDir);
  return { ...template, DATA_DIR: dataDir };
}

const summary = (r: MainRun): string =>
  /^(run|dry run) as of .*$/m.exec(r.stdout)?.[0] ?? `(no summary)\n${r.stdout}\n${r.stderr}`;

// Files that cannot be archived. SQLite: the month's statements folder cannot be made (a file
// where it must be). PostgreSQL: the database server's disk is full as the zip's bytes are
// inserted (SQLSTATE 53100, raised by a trigger as the server raises it).
describe('files that failed', () => {
  const why = onPostgres()
    ? {
        resend:
          /could not be written \(last tried \S+\): the PostgreSQL database server's disk is full \(53100: could not extend file/,
        status: "files failed at \\S+: the PostgreSQL database server's disk is full \\(53100: could not extend file",
        place: 'is full (53100: could not extend file "base/16384/16999": No space left on device)',
      }
    : {
        resend: /could not be written \(last tried \S+\): .*(EEXIST|ENOTDIR).*/,
        status: 'files failed at \\S+: .*DATA_DIR/statements/202610 cannot be created: (EEXIST|ENOTDIR)',
        place: 'DATA_DIR/statements/202610 cannot be created',
      };
  /** A copy of the demo whose zips cannot be archived. */
  const blocked = (name: string): { env: Record<string, string> } => {
    const env = demo(name);
    if (onPostgres()) {
      const db = openStoreOf(env.DATA_DIR!);
      try {
        connection(db).exec(`CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'could not extend file "base/16384/16999": No space left on device'
            USING ERRCODE = 'disk_full', HINT = 'Check free disk space.'; END $$;
          CREATE TRIGGER test_disk_full BEFORE INSERT ON archived_zips FOR EACH ROW EXECUTE FUNCTION test_disk_full()`);
      } finally {
        closeStore(db);
      }
    } else {
      const blocker = path.join(env.DATA_DIR!, 'statements', '202610');
      fs.mkdirSync(path.dirname(blocker), { recursive: true });
      fs.writeFileSync(blocker, 'not a folder\n');
    }
    return { env };
  };

  it('run, resend and status say that the files failed and why, never "archived" nor "run writes them"', async () => {
    const { env } = blocked('files-failed');
    const r = await runMain(['run', '--as-of', AS_OF], env);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain('archived, not mailed');
    expect(r.stdout).toContain(
      '\n  1 statement without recipient whose files failed (above): nothing archived or mailed yet\n',
    );
    const other = blocked('files-failed-verbose').env;
    const verbose = await runMain(['run', '--as-of', AS_OF, '--verbose'], other);
    expect(verbose.stdout).toContain(
      '\n  no recipient: TNT00005 2026-10 has no active contact, and its files failed (above): nothing is archived or mailed yet\n',
    );
    expect(verbose.stdout + verbose.stderr).not.toContain('archived, not mailed');

    const resend = await runMain(['resend', '--tenant', 'TNT00001', '--month', '2026-10'], env);
    expect(resend.code).toBe(1);
    expect(resend.stderr).not.toContain('are not written yet');
    expect(resend.stderr).toMatch(
      new RegExp(
        `^error: the files of TNT00001 2026-10 ${why.resend.source}.*; nothing can be sent before they are: fix that cause`,
        'm',
      ),
    );
    expect(resend.stderr).toContain(why.place);

    const status = await runMain(['status', '--month', '2026-10'], env);
    expect(status.code).toBe(0);
    for (const t of TENANTS) expect(status.stdout).toMatch(new RegExp(`^${t} .* ${why.status}`, 'm'));
    const json = JSON.parse((await runMain(['status', '--month', '2026-10', '--json'], env)).stdout) as {
      statements: { files_failed: string | null }[];
    };
    expect(json.statements.every((s) => s.files_failed !== null)).toBe(true);
  });
});

describe('words and counts', () => {
  it('.eml files are written, not sent', async () => {
    const env = demo('eml');
    const r = await runMain(['run', '--as-of', AS_OF, '--verbose'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(summary(r)).toBe(
      'run as of 2026-11-03T00:00:00.000Z: 5 statements closed, 0 failed to close; 5 files written, 0 failed; 5 mails written to the outbox, 0 retrying, 0 failed; 1 without recipient',
    );
    expect(r.stdout).not.toMatch(/\bsent\b/);
    expect(r.stdout).toMatch(
      /^ {2}wrote the mail of TNT00001 2026-10 to billing@tenant01\.example\.jp: outbox\/\S+\.eml$/m,
    );
  });

  it('one of a thing is singular: 1 mail sent, 1 statement, 1 file', async () => {
    const env = demo('plural');
    const smtp = await smtpServer({
      rcptReplies: { 'ap@rules.example.com': { code: 550, message: 'mailbox unavailable' } },
    });
    const smtpEnv = { ...env, SMTP_URL: smtp.url };
    const first = await runMain(['run', '--as-of', AS_OF], smtpEnv);
    expect(first.code).toBe(1);
    smtp.setRcptReply('ap@rules.example.com', null);
    expect((await runMain(['retry', '--failed'], env)).code).toBe(0);
    const second = await runMain(['run', '--as-of', AS_OF], smtpEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(summary(second)).toBe(
      'run as of 2026-11-03T00:00:00.000Z: 0 statements closed, 0 failed to close; 0 files written, 0 failed; 1 mail sent, 0 retrying, 0 failed',
    );
  });

  it('the summary counts the mails waiting because the mail server is unusable', async () => {
    const env = { ...demo('down'), SMTP_URL: `smtp://127.0.0.1:${await unusedPort()}` };
    const r = await runMain(['run', '--as-of', AS_OF], env);
    expect(r.code).toBe(1);
    expect(summary(r)).toBe(
      'run as of 2026-11-03T00:00:00.000Z: 5 statements closed, 0 failed to close; 5 files written, 0 failed; ' +
        `0 mails sent, 0 retrying, 0 failed; ${RECIPIENTS.length} mails waiting because the mail server is unusable; 1 without recipient`,
    );
  });
});

describe('a pass where every mail is deferred', () => {
  it('exits 3, says nothing was delivered, and status says since when with the last reply', async () => {
    const env = demo('deferred');
    const smtp = await smtpServer({ dataReply: { code: 451, message: '4.7.1 greylisted, try again later' } });
    const r = await runMain(['run', '--as-of', AS_OF], { ...env, SMTP_URL: smtp.url });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(summary(r)).toMatch(/; 0 mails sent, 5 retrying, 0 failed; 1 without recipient$/);
    expect(r.stderr).toMatch(
      /^ {2}nothing delivered: the mail server deferred every mail it was given \(5 mails\); they wait for their retry$/m,
    );
    expect(r.stderr).toMatch(
      /^ {2}mails waiting: 5, none delivered since \S+; last reply at \S+: 451 4\.7\.1 greylisted, try again later \(transient\); next attempt at \S+$/m,
    );
    expect(deliveries(env).every((d) => d.status === 'pending' && d.attempts === 1)).toBe(true);

    const status = await runMain(['status'], env);
    expect(status.stdout).toMatch(
      /^mails waiting: 5, none delivered since \S+; last reply at \S+: 451 4\.7\.1 greylisted, try again later \(transient\); next attempt at \S+$/m,
    );
    const since = /none delivered since (\S+);/.exec(status.stdout)![1]!;
    expect(since).toBe(inStore(env, (db) => db.prepare('SELECT MIN(created_at) FROM deliveries').pluck().get()));
  });
});

describe('progress on a terminal', () => {
  it('import shows rows and rows/s, the close shows statements closed; nothing without a terminal', async () => {
    const env = demo('progress');
    const file = path.join(work.dir, 'tenants-more.csv');
    fs.writeFileSync(
      file,
      'tenant_name,display_name,cutoff_day,locale,currency,deleted_at\n' +
        Array.from({ length: 50 }, (_, i) => `EXTRA${String(i).padStart(3, '0')},Extra ${i},31,en,JPY,`).join('\n') +
        '\n',
    );
    const tty = fakeTerminal();
    const imported = await runMain(['import', 'tenants', file], env, { progress: tty });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.progress).toMatch(/importing tenants {2}50 rows {2}(\d+|-) rows\/s/);

    const run = await runMain(['run', '--as-of', AS_OF], env, { progress: fakeTerminal() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.progress).toMatch(/closing\s+\[[^\]]*\] 5\/5 statements/);
    expect(run.progress).toMatch(/writing files\s+\[[^\]]*\] 5\/5 files/);

    const pipe = { ...fakeTerminal(), isTTY: false } as unknown as NodeJS.WriteStream & { written: string };
    const quiet = await runMain(['import', 'tenants', file], env, { progress: pipe });
    expect(quiet.progress).toBe('');
  });
});

describe('a pass at many tenants', () => {
  it('prints a summary and every failure in a few lines; --verbose lists every statement, file and mail', async () => {
    const dir = path.join(work.dir, 'many');
    const generated = writeCloud(
      { tenants: 300, lplatforms: 1, servers: 1, seed: 20261101, bigTenant: false },
      path.join(dir, 'inputs'),
    );
    const env = demoEnv(path.join(dir, 'data'));
    for (const kind of FILE_KINDS) {
      const r = await runMain(['import', kind, generated.paths[kind]], env);
      expect(r.code, `${kind}: ${r.stderr}`).toBe(0);
    }
    const copy = { ...env, DATA_DIR: path.join(dir, 'data-copy') };
    copyDataDir(env.DATA_DIR!, copy.DATA_DIR);
    const smtp = await smtpServer({
      rcptReplies: { [firstContact(generated.paths.contacts)]: { code: 550, message: 'mailbox unavailable' } },
    });

    const r = await runMain(['run', '--as-of', CLOUD_AS_OF], { ...env, SMTP_URL: smtp.url });
    expect(r.code).toBe(1);
    const closed = generated.counts.tenants;
    expect(summary(r)).toMatch(
      new RegExp(
        `: ${closed} statements closed, 0 failed to close; ${closed} files written, 0 failed; ${generated.counts.activeContacts - 1} mails sent, 0 retrying, 1 failed`,
      ),
    );
    // A handful of lines, whatever the number of tenants; the one failure is there.
    expect(r.stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(6);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^ {2}failed to send \S+ 2026-10 to \S+: 550 mailbox unavailable/),
    ]);

    const v = await runMain(['run', '--as-of', CLOUD_AS_OF, '--verbose'], { ...copy, SMTP_URL: smtp.url });
    expect(v.stdout.split('\n').filter((l) => l.startsWith('  closed '))).toHaveLength(closed);
    expect(v.stdout.split('\n').filter((l) => l.startsWith('  wrote statements/'))).toHaveLength(closed);
    expect(v.stdout.split('\n').filter((l) => l.startsWith('  sent '))).toHaveLength(
      generated.counts.activeContacts - 1,
    );
  });
});

/** The first active contact of a generated contacts file. */
function firstContact(file: string): string {
  const line = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .find((l) => l.endsWith(',true'))!;
  return line.split(',')[1]!;
}
