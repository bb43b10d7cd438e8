/** `usage-charges status`: what the store holds. */
import type { Command } from 'commander';
import { InputError } from '../domain/errors.ts';
import { listTenants, summarizeStore } from '../store/summary.ts';
import { DB_FILE_NAME } from '../store/db.ts';
import type { CliContext } from './context.ts';
import { table } from './output.ts';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show what the store holds: counts of every record kind and the tenants')
    .option('--tenants <n>', 'list at most this many tenants', '50')
    .option('--json', 'print the summary as JSON')
    .action((opts: { tenants: string; json?: boolean }) => {
      if (!/^\d{1,6}$/.test(opts.tenants)) throw new InputError(`--tenants: "${opts.tenants}" must be a whole number`);
      const limit = Number(opts.tenants);
      const config = ctx.config();
      const db = ctx.db();
      const s = summarizeStore(db);
      const tenants = listTenants(db, limit);
      const out = ctx.output.out;
      if (opts.json) {
        out(JSON.stringify({ dataDir: config.dataDir, ...s, tenantList: tenants }, null, 2));
        return;
      }
      out(`store: ${config.dataDir}/${DB_FILE_NAME} (schema version ${s.schemaVersion})`);
      out(`billing time zone: ${config.billingTimeZone}`);
      out(`tenants: ${s.tenants} (${s.deletedTenants} deleted)`);
      out(`contacts: ${s.contacts} (${s.activeContacts} active)`);
      out(`L-Platforms: ${s.lplatforms} (${s.returnedLplatforms} returned)`);
      out(`catalog: ${s.catalogRows} rows, ${s.products} products`);
      out(`usage records: ${s.usageRecords}${s.usageFrom ? ` from ${s.usageFrom} to ${s.usageTo}` : ''}`);
      out(`coupons: ${s.coupons}`);
      const st = Object.entries(s.statements).map(([k, v]) => `${v} ${k}`).join(', ');
      out(`statements: ${st || 'none'}`);
      if (tenants.length > 0) {
        out('');
        const rows = tenants.map((t) => [
          t.tenant_name,
          t.display_name,
          t.pending_cutoff_day ? `${t.cutoff_day} (-> ${t.pending_cutoff_day})` : String(t.cutoff_day),
          t.locale,
          t.currency,
          String(t.contacts),
          String(t.lplatforms),
          String(t.usage_records),
          t.deleted_at ?? '',
        ]);
        for (const line of table(['tenant', 'display name', 'cut-off', 'locale', 'currency', 'contacts', 'L-Platforms', 'usage', 'deleted at'], rows)) out(line);
        if (s.tenants > tenants.length) out(`... and ${s.tenants - tenants.length} more (--tenants N lists more)`);
      }
    });
}
