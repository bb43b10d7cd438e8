/**
 * `usage-charges user add EMAIL --role R [--tenant T] [--name N]`, `user list [--json]` and
 * `user link EMAIL` and `user disable EMAIL [--reason TEXT]`: the people of the web console and the
 * tenant portal.
 */
import type { Command } from 'commander';
import { addUser, disableUserByEmail } from '../../jobs/users.ts';
import { InputError } from '../domain/errors.ts';
import { signInUser } from '../store/sessions.ts';
import { listUsers, type UserRow } from '../store/users.ts';
import { publicUrl } from './serve.ts';
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
    .command('link')
    .argument('<email>', 'their e-mail address')
    .description('print a one-time sign-in link for them (the first operator, or anyone whose mail does not arrive)')
    .action(async (email: string) => {
      const { url, expiresAt } = await printedSignInLink(ctx, email);
      ctx.output.out(`one-time sign-in link for ${shown(email)} (works once, until ${expiresAt}): ${url}`);
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

/**
 * A one-time sign-in link for an active person, to be printed (audited as such): its address and
 * when it expires. InputError for an unknown or disabled address.
 */
export async function printedSignInLink(
  ctx: CliContext,
  email: string,
  /** Where the web server is reached, when it runs in this process; else WEB_BASE_URL or WEB_HOST:WEB_PORT. */
  serverUrl?: string,
): Promise<{ url: string; expiresAt: string }> {
  const { issueSignInLink } = await import('../web/sign-in.ts');
  const db = ctx.db();
  const config = ctx.config();
  const person = signInUser(db, email.trim());
  if (person === undefined) throw new InputError(`EMAIL: no user has the address ${JSON.stringify(email)}`);
  if (person.disabledAt !== null) throw new InputError(`EMAIL: ${person.email} was disabled at ${person.disabledAt}`);
  const { token, expiresAt } = issueSignInLink(db, person, 'sign-in', new Date(), 'printed');
  const base = serverUrl ?? config.web.baseUrl ?? publicUrl(null, config.web.host, config.web.port);
  return { url: `${base}/sign-in/link/${token}`, expiresAt };
}
