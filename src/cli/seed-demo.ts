/** `usage-charges seed-demo [--as-of ISO] [--if-empty]`: loads the demo cloud through the import path. */
import type { Command } from 'commander';
import { seedDemo } from '../ingest/demo.ts';
import { hasTenants } from '../store/billing.ts';
import type { CliContext } from './context.ts';
import { describeImport } from './import.ts';
import { parseAsOf } from './options.ts';
import { addUser } from '../../jobs/users.ts';
import { findUser } from '../store/users.ts';
import { verbJobContext } from './job-context.ts';

/** The demo's people: they sign in with a one-time link (`npm start` prints the operator's). */
export const DEMO_USERS = [
  { email: 'operator@demo.example', name: 'Demo operator', role: 'operator', tenantName: null },
  { email: 'owner@demo.example', name: 'Demo owner', role: 'owner', tenantName: 'TNT00003' },
] as const satisfies readonly { email: string; name: string; role: string; tenantName: string | null }[];

export function registerSeedDemo(program: Command, ctx: CliContext): void {
  program
    .command('seed-demo')
    .option('--as-of <instant>', 'ISO 8601 instant with zone (default: now); the usage falls in the month before it')
    .option('--if-empty', 'do nothing when the store already holds tenants')
    .action(async (opts: { asOf?: string; ifEmpty?: boolean }) => {
      const asOf = parseAsOf(opts.asOf);
      const config = ctx.config();
      const db = ctx.db();
      if (opts.ifEmpty && hasTenants(db)) {
        ctx.output.out('seed-demo: the store already holds tenants; nothing loaded');
        return;
      }
      const { month, results } = await seedDemo(
        db,
        {
          now: new Date().toISOString(),
          defaultCurrency: config.defaultCurrency,
          defaultLocale: config.defaultLocale,
          csvEncoding: config.csvEncoding,
        },
        asOf,
        config.billingTimeZone,
      );
      ctx.output.out(`seed-demo: demo usage in ${month} (billing time zone ${config.billingTimeZone})`);
      for (const r of results) ctx.output.out(`  ${describeImport(r)}`);
      // The demo's people: an operator, and the owner of one tenant, to sign in to the web server.
      // Seeded again, those already there are left as they are.
      const jobs = verbJobContext(ctx);
      const added = DEMO_USERS.filter((u) => findUser(db, u.email) === undefined);
      for (const u of added) addUser(jobs, { ...u, by: 'seed-demo' });
      if (added.length > 0)
        ctx.output.out(
          `  users: ${added.map((u) => `${u.email} (${u.role}${u.tenantName === null ? '' : ` of ${u.tenantName}`})`).join(', ')}`,
        );
    });
}
