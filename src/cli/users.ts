/**
 * `usage-charges user add EMAIL --role R [--tenant T] [--name N]`, `user list [--json]` and
 * `user disable EMAIL [--reason TEXT]`: the people of the web console and the tenant portal.
 */
import type { Command } from 'commander';
import { addUser, disableUserByEmail } from '../../jobs/users.ts';
import { listUsers, type UserRow } from '../store/users.ts';
import type { CliContext } from './context.ts';
import { verbJobContext } from './job-context.ts';
import { operator, parseReason } from './options.ts';
import { shown, snakeCaseKeys, table } from './output.ts';

/** Who a person is, in a few words: `operator`, `owner of TNT00003`. */
function roleOf(u: UserRow): string {
  return u.tenantName === null ? u.role : `${u.role} of ${u.tenantName}`;
}

export function registerUser(program: Command, ctx: CliContext): void {
  const user = program.command('user');
  user
    .command('add')
    .argument('<email>', 'their e-mail address (how they sign in)')
    .requiredOption('--role <role>', 'operator or viewer (the billing team), owner or admin (of --tenant)')
    .option('--tenant <name>', 'the tenant an owner or admin belongs to')
    .option('--name <name>', 'their name, as the pages greet them', '')
    .action((email: string, opts: { role: string; tenant?: string; name: string }) => {
      const added = addUser(verbJobContext(ctx), {
        email,
        name: opts.name,
        role: opts.role,
        tenantName: opts.tenant ?? null,
        by: operator(),
      });
      ctx.output.out(`added ${shown(added.email)} as ${roleOf(added)}`);
    });
  user
    .command('list')
    .option('--json', 'print them as JSON')
    .action((opts: { json?: boolean }) => {
      const users = listUsers(ctx.db());
      if (opts.json === true) {
        ctx.output.out(JSON.stringify(users.map(snakeCaseKeys), null, 2));
        return;
      }
      ctx.output.out(`users: ${users.length}`);
      for (const line of table(
        ['email', 'name', 'role', 'tenant', 'state', 'added at'],
        users.map((u) => [
          shown(u.email),
          shown(u.name),
          u.role,
          u.tenantName ?? '',
          u.disabledAt === null ? 'active' : `disabled at ${u.disabledAt}`,
          u.createdAt,
        ]),
      ))
        ctx.output.out(line);
    });
  user
    .command('disable')
    .argument('<email>', 'their e-mail address')
    .option('--reason <text>', 'why (recorded in the audit log)', '')
    .action((email: string, opts: { reason: string }) => {
      const disabled = disableUserByEmail(verbJobContext(ctx), {
        email,
        reason: parseReason(opts.reason),
        by: operator(),
      });
      ctx.output.out(`disabled ${shown(disabled.email)} (${roleOf(disabled)}): they can no longer sign in`);
    });
}
