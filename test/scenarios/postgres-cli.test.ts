/**
 * The command line on PostgreSQL (DATABASE_URL): the demo seeded into a database, two `run`
 * processes started at once as two workers on two machines (each its own DATA_DIR) close every
 * statement once between them, write each zip (into the database) and each mail once; `status` names the database; `backup`
 * writes a SQLite store file of it that the SQLite engine opens with the same counts; a database
 * that cannot be reached is said so, without its password and without a stack trace;
 * `migrate-store` copies a SQLite store and its zips into an empty database and verifies them.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliAsync, hasStackTrace } from '../helpers/cli.ts';
import { AS_OF, demoEnv, RECIPIENTS, TENANTS } from '../helpers/demo-store.ts';
import { pgDatabaseUrl, psql } from '../helpers/pg-cluster.ts';
import { tempDir } from '../helpers/store.ts';

const folder = tempDir();
afterAll(() => folder.cleanup());

/** The `To:` and `Message-ID:` of every .eml file in a data dir's outbox. */
function outboxMails(dataDir: string): { to: string; messageId: string }[] {
  const outbox = path.join(dataDir, 'outbox');
  if (!fs.existsSync(outbox)) return [];
  return fs
    .readdirSync(outbox)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => {
      const text = fs.readFileSync(path.join(outbox, f), 'utf8');
      return {
        to: /^To: (?:.*<)?([^<>\s]+@[^<>\s]+)>?$/m.exec(text)![1]!,
        messageId: /^Message-ID: (.+)$/im.exec(text)![1]!.trim(),
      };
    });
}

/** The libpq conninfo of a postgresql:/// URL of the test cluster, for psql. */
function conninfoOf(url: string): string {
  const u = new URL(url);
  return `host=${u.searchParams.get('host')} user=${u.searchParams.get('user')} dbname=${u.pathname.slice(1)}`;
}

describe('the command line with DATABASE_URL', () => {
  const url = pgDatabaseUrl('cli');
  const worker = (name: string): Record<string, string> => ({
    ...demoEnv(path.join(folder.dir, name)),
    DATABASE_URL: url,
  });

  it('seeds the demo into the database, and two workers at once close and mail each statement once', async () => {
    const seed = cli(['seed-demo', '--as-of', AS_OF], worker('first'));
    expect(seed.stderr).toBe('');
    expect(seed.code).toBe(0);
    // The store is the database: no SQLite file was made in DATA_DIR.
    expect(fs.existsSync(path.join(folder.dir, 'first', 'usage-charges.sqlite'))).toBe(false);

    const [a, b] = await Promise.all([
      cliAsync(['run', '--as-of', AS_OF], worker('machine-a')),
      cliAsync(['run', '--as-of', AS_OF], worker('machine-b')),
    ]);
    expect([a.code, b.code], `${a.stdout}${a.stderr}\n${b.stdout}${b.stderr}`).toEqual([0, 0]);
    const closedBy = (r: { stdout: string }): number => Number(/(\d+) statements? closed/.exec(r.stdout)![1]);
    expect(closedBy(a) + closedBy(b)).toBe(TENANTS.length);
    // Each zip written once, by the worker that claimed it (into the database: nothing in DATA_DIR).
    const writtenBy = (r: { stdout: string }): number => Number(/(\d+) files? written/.exec(r.stdout)![1]);
    expect(writtenBy(a) + writtenBy(b)).toBe(TENANTS.length);
    expect(a.stdout).toContain("statements: in the store's database (PostgreSQL)");
    for (const m of ['machine-a', 'machine-b'])
      expect(fs.existsSync(path.join(folder.dir, m, 'statements')), m).toBe(false);

    const rows = psql(
      conninfoOf(url),
      "SELECT t.tenant_name || ' ' || s.revision || ' ' || s.status FROM statements s JOIN tenants t USING (tenant_pk) ORDER BY 1;",
    );
    expect(rows).toEqual(TENANTS.map((t) => `${t} 1 fixed`).sort());
    const mails = [
      ...outboxMails(path.join(folder.dir, 'machine-a')),
      ...outboxMails(path.join(folder.dir, 'machine-b')),
    ];
    expect(mails.map((m) => m.to).sort()).toEqual(RECIPIENTS);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(mails.length);
    expect(psql(conninfoOf(url), 'SELECT status, count(*) FROM deliveries GROUP BY status;')).toEqual([
      `sent|${RECIPIENTS.length}`,
    ]);

    // A third pass finds nothing left to do.
    const again = cli(['run', '--as-of', AS_OF], worker('machine-a'));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 statements closed/);
  });

  it('names the database in status, and backs it up to a SQLite store file the SQLite engine opens', () => {
    const status = cli(['status', '--json'], worker('machine-a'));
    expect(status.code).toBe(0);
    const counts = JSON.parse(status.stdout) as Record<string, unknown>;
    const text = cli(['status'], worker('machine-a'));
    expect(text.stdout.split('\n')[0]).toMatch(
      /^store: PostgreSQL postgresql:\/\/\/t_cli_\w+\?host=.+ \(schema version \d+\)$/,
    );

    const restored = path.join(folder.dir, 'restored');
    fs.mkdirSync(restored, { mode: 0o700 });
    const backup = cli(['backup', path.join(restored, 'usage-charges.sqlite')], worker('machine-a'));
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(fs.statSync(path.join(restored, 'usage-charges.sqlite')).mode & 0o777).toBe(0o600);
    const fromFile = cli(['status', '--json'], demoEnv(restored));
    expect(fromFile.code).toBe(0);
    const {
      tenantList: _a,
      dataDir: _b,
      store: _c,
      ...restoredCounts
    } = JSON.parse(fromFile.stdout) as Record<string, unknown>;
    const { tenantList: _d, dataDir: _e, store: _f, ...pgCounts } = counts;
    expect(restoredCounts).toEqual(pgCounts);
  });

  it('says a database it cannot reach, without its password or a stack trace, and changes nothing', () => {
    const r = cli(['status'], {
      ...demoEnv(path.join(folder.dir, 'nowhere')),
      DATABASE_URL: 'postgres://billing:s3cret@127.0.0.1:1/usage',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: the store's database postgres:\/\/billing:\*\*\*@127\.0\.0\.1:1\/usage cannot be reached: /,
    );
    expect(r.stderr).not.toContain('s3cret');
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(fs.existsSync(path.join(folder.dir, 'nowhere'))).toBe(false);
  });

  it("an import that fills the database server's disk says so, exits 1 and keeps nothing of the file", () => {
    const env = { ...demoEnv(path.join(folder.dir, 'full')), DATABASE_URL: pgDatabaseUrl('full') };
    const first = path.join(folder.dir, 'one-tenant.csv');
    fs.writeFileSync(first, 'tenant_name,display_name,cutoff_day\nT0,Zero,31\n');
    expect(cli(['import', 'tenants', first], env).code).toBe(0);
    // The server's own disk_full (SQLSTATE 53100), raised as it raises it when a file cannot grow.
    psql(
      conninfoOf(env.DATABASE_URL),
      `CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not extend file "base/16384/16999": No space left on device'
          USING ERRCODE = 'disk_full'; END $$;
      CREATE TRIGGER test_disk_full BEFORE INSERT ON tenants FOR EACH ROW
        WHEN (NEW.tenant_name = 'T2000') EXECUTE FUNCTION test_disk_full();`,
    );
    const many = path.join(folder.dir, 'many-tenants.csv');
    fs.writeFileSync(
      many,
      `tenant_name,display_name,cutoff_day\n${Array.from({ length: 3000 }, (_, i) => `T${i + 1},Tenant ${i + 1},31`).join('\n')}\n`,
    );
    const r = cli(['import', 'tenants', many], env);
    expect(r.stderr).toBe(
      'error: the PostgreSQL database server\'s disk is full (53100: could not extend file "base/16384/16999": No space left on device); ' +
        'what was being written was not kept: free some space, then run the command again\n',
    );
    expect(r.code).toBe(1);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(psql(conninfoOf(env.DATABASE_URL), 'SELECT count(*) FROM tenants;')).toEqual(['1']);
  });

  it('migrate-store copies a SQLite store and its zips into an empty database and verifies them; a second time is refused', () => {
    const lite = demoEnv(path.join(folder.dir, 'sqlite'));
    expect(cli(['seed-demo', '--as-of', AS_OF], lite).code).toBe(0);
    expect(cli(['run', '--as-of', AS_OF], lite).code).toBe(0);
    // One zip lost from DATA_DIR: rebuilt from its frozen lines on the way, to its recorded bytes.
    const month = fs.readdirSync(path.join(lite.DATA_DIR!, 'statements'))[0]!;
    const lost = fs.readdirSync(path.join(lite.DATA_DIR!, 'statements', month)).find((f) => f.includes('TNT00003'))!;
    fs.rmSync(path.join(lite.DATA_DIR!, 'statements', month, lost));

    const target = pgDatabaseUrl('migrated');
    const wrong = cli(['migrate-store', '--to', 'mysql://u:s3cret@host/db'], lite);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).not.toContain('s3cret');
    const moved = cli(['migrate-store', '--to', target], lite);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/copied and verified: \d+ rows in \d+ tables .*, 5 zips .*, 1 of them rebuilt/);

    const statusOf = (env: Record<string, string>): Record<string, unknown> => {
      const {
        tenantList: _a,
        dataDir: _b,
        store: _c,
        ...counts
      } = JSON.parse(cli(['status', '--json'], env).stdout) as Record<string, unknown>;
      return counts;
    };
    expect(statusOf({ ...lite, DATABASE_URL: target })).toEqual(statusOf(lite));
    // Every zip in the database has its recorded SHA-256, and the bytes of those still in DATA_DIR.
    const zips = psql(
      conninfoOf(target),
      "SELECT f.zip_path || ' ' || f.sha256 || ' ' || encode(sha256(z.bytes), 'hex') FROM statement_files f JOIN archived_zips z USING (file_pk) ORDER BY 1;",
    ).map((r) => r.split(' '));
    expect(zips).toHaveLength(TENANTS.length);
    for (const [zipPath, recorded, stored] of zips) {
      expect(stored, zipPath).toBe(recorded);
      const file = path.join(lite.DATA_DIR!, zipPath!);
      if (fs.existsSync(file))
        expect(createHash('sha256').update(fs.readFileSync(file)).digest('hex'), zipPath).toBe(stored);
    }

    const again = cli(['migrate-store', '--to', target], lite);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the target store is not empty/);
  });
});
