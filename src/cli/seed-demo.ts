/** `usage-charges seed-demo [--as-of ISO] [--if-empty]`: loads the demo cloud through the import path. */
import type { Command } from 'commander';
import { seedDemo } from '../ingest/demo.ts';
import { hasTenants } from '../store/billing.ts';
import type { CliContext } from './context.ts';
import { describeImport } from './import.ts';
import { parseAsOf } from './options.ts';

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
    });
}
