/**
 * `usage-charges user add|list|disable`: the people of the web console and the tenant portal, with
 * their roles (operator and viewer of the billing team, owner and admin of one tenant), each change
 * audited; and what is refused, by name, changing nothing. Through main() in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, copyOf, inStore, seedTemplate } from '../helpers/demo-store.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/store.ts';

let work: { dir: string; cleanup: () => void };
let template: Record<string, string>;

beforeAll(async () => {
  work = tempDir('uc-users-');
  template = await seedTemplate(work.dir);
});
afterAll(() => work.cleanup());

const count = (env: Record<string, string>): number =>
  inStore(env, (db) => db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number);

describe('usage-charges user', () => {
  it('adds the billing team and tenant people, lists them, disables one; each change audited', async () => {
    const env = copyOf(template, work.dir, 'team');
    const ok = async (args: string[]): Promise<string> => {
      const r = await runCli(args, env);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(await ok(['user', 'add', 'ops@example.com', '--role', 'operator', '--name', '請求 担当'])).toBe(
      'added ops@example.com as operator\n',
    );
    expect(await ok(['user', 'add', 'audit@example.com', '--role', 'viewer'])).toBe(
      'added audit@example.com as viewer\n',
    );
    expect(await ok(['user', 'add', 'ap@rules.example.com', '--tenant', 'TNT00003', '--role', 'owner'])).toBe(
      'added ap@rules.example.com as owner of TNT00003\n',
    );
    expect(await ok(['user', 'add', 'cfo@rules.example.com', '--tenant', 'TNT00003', '--role', 'admin'])).toBe(
      'added cfo@rules.example.com as admin of TNT00003\n',
    );
    const list = await ok(['user', 'list']);
    expect(list.split('\n').slice(0, 2)).toEqual([
      'users: 6',
      expect.stringMatching(/^email +name +role +tenant +state +added at$/),
    ]);
    expect(list).toMatch(/^ops@example\.com +請求 担当 +operator +active +\S+$/m);
    expect(list).toMatch(/^cfo@rules\.example\.com +admin +TNT00003 +active +\S+$/m);
    const listed = JSON.parse(await ok(['user', 'list', '--json'])) as Record<string, unknown>[];
    // The billing team first, then each tenant's people, by address.
    expect(listed.map((u) => [u.email, u.name, u.role, u.tenant_name, u.disabled_at])).toEqual([
      ['audit@example.com', '', 'viewer', null, null],
      ['operator@demo.example', 'Demo operator', 'operator', null, null],
      ['ops@example.com', '請求 担当', 'operator', null, null],
      ['ap@rules.example.com', '', 'owner', 'TNT00003', null],
      ['cfo@rules.example.com', '', 'admin', 'TNT00003', null],
      ['owner@demo.example', 'Demo owner', 'owner', 'TNT00003', null],
    ]);
    expect(await ok(['user', 'disable', 'AP@rules.example.com', '--reason', 'left the company'])).toBe(
      'disabled ap@rules.example.com (owner of TNT00003): they can no longer sign in\n',
    );
    const json = JSON.parse(await ok(['user', 'list', '--json'])) as Record<string, unknown>[];
    expect(Object.keys(json[0]!)).toEqual([
      'user_pk',
      'email',
      'name',
      'role',
      'tenant_name',
      'disabled_at',
      'created_at',
    ]);
    expect(json.find((u) => u.email === 'ap@rules.example.com')!.disabled_at).toEqual(expect.any(String));
    expect(audit(env, 'user-added').map((e) => [e.subject, e.detail.email, e.detail.role])).toEqual([
      ['*', 'operator@demo.example', 'operator'],
      ['TNT00003', 'owner@demo.example', 'owner'],
      ['*', 'ops@example.com', 'operator'],
      ['*', 'audit@example.com', 'viewer'],
      ['TNT00003', 'ap@rules.example.com', 'owner'],
      ['TNT00003', 'cfo@rules.example.com', 'admin'],
    ]);
    expect(audit(env, 'user-disabled')).toMatchObject([
      { subject: 'TNT00003', detail: { email: 'ap@rules.example.com', reason: 'left the company' } },
    ]);
    expect(String(audit(env, 'user-disabled')[0]!.detail.by)).toMatch(/^\S+@\S+$/);
  });

  it.each([
    [
      ['user', 'add', 'not-an-address', '--role', 'viewer'],
      'error: EMAIL: "not-an-address" is not one plain e-mail address\n',
    ],
    [
      ['user', 'add', 'a@example.com', '--role', 'root'],
      'error: --role: "root" must be operator, viewer, owner or admin\n',
    ],
    [
      ['user', 'add', 'a@example.com', '--role', 'owner'],
      "error: --tenant: a tenant's owner belongs to a tenant: give --tenant T\n",
    ],
    [
      ['user', 'add', 'a@example.com', '--role', 'operator', '--tenant', 'TNT00003'],
      "error: --tenant: an operator belongs to the billing team, not to a tenant (a tenant's people are owner or admin)\n",
    ],
    [
      ['user', 'add', 'a@example.com', '--role', 'admin', '--tenant', 'nobody'],
      'error: --tenant: tenant "nobody" does not exist\n',
    ],
    [['user', 'disable', 'nobody@example.com'], 'error: EMAIL: no user has the address "nobody@example.com"\n'],
  ])('refuses %j by name, exit 2, changing nothing', async (args, message) => {
    const env = copyOf(template, work.dir, `refuse-${args.join('-').replace(/[^a-z0-9-]/gi, '')}`);
    const r = await runCli(args, env);
    expect([r.code, r.stderr]).toEqual([2, message]);
    // The demo's two people only.
    expect(count(env)).toBe(2);
  });

  it('refuses an address already taken, whatever its letter case, and a second disable', async () => {
    const env = copyOf(template, work.dir, 'taken');
    expect((await runCli(['user', 'add', 'Ops@Example.com', '--role', 'operator'], env)).code).toBe(0);
    const again = await runCli(['user', 'add', 'ops@example.COM', '--role', 'viewer'], env);
    expect([again.code, again.stderr]).toEqual([2, 'error: EMAIL: Ops@Example.com is already a user (operator)\n']);
    expect((await runCli(['user', 'disable', 'ops@example.com'], env)).code).toBe(0);
    const twice = await runCli(['user', 'disable', 'ops@example.com'], env);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^error: EMAIL: Ops@Example\.com was disabled at \S+\n$/);
    expect(count(env)).toBe(3);
  });

  it('user link prints a one-time sign-in link for an active person, audited; refuses an unknown or disabled one', async () => {
    const env = { ...copyOf(template, work.dir, 'link'), WEB_BASE_URL: 'https://billing.example.com/' };
    const r = await runCli(['user', 'link', 'Operator@Demo.example'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^one-time sign-in link for Operator@Demo\.example \(works once, until \S+\): https:\/\/billing\.example\.com\/sign-in\/link\/[A-Za-z0-9_-]{43}\n$/,
    );
    expect(audit(env, 'sign-in-link')).toMatchObject([
      { subject: '*', detail: { email: 'operator@demo.example', purpose: 'sign-in', channel: 'printed' } },
    ]);
    // The store keeps the token's hash only.
    const token = /\/sign-in\/link\/(\S+)/.exec(r.stdout)![1]!;
    expect(inStore(env, (db) => db.prepare('SELECT token_hash FROM sign_in_links').pluck().all())).not.toContain(token);
    const unknown = await runCli(['user', 'link', 'nobody@example.com'], env);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'error: EMAIL: no user has the address "nobody@example.com"\n']);
    expect((await runCli(['user', 'disable', 'owner@demo.example'], env)).code).toBe(0);
    const disabled = await runCli(['user', 'link', 'owner@demo.example'], env);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toMatch(/^error: EMAIL: owner@demo\.example was disabled at \S+\n$/);
  });
});
