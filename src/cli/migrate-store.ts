/**
 * `usage-charges migrate-store --to postgres://…`: copies the SQLite store of DATA_DIR, and its
 * archive of statement zips, into an empty PostgreSQL database, then verifies the copy: the rows
 * of every table counted on both sides, every archived zip's SHA-256 read back from the database.
 */
import type { Command } from 'commander';
import { isPostgresUrl, redactUrl } from '../config.ts';
import { InputError, UsageChargesError } from '../domain/errors.ts';
import { copyArchive } from '../../jobs/build-files.ts';
import { copyStore, storeTables, tableCounts } from '../store/copy-store.ts';
import { closeStore, connection, inTransaction, openPostgresStore, openStore, storePlace } from '../store/db.ts';
import type { CliContext } from './context.ts';

export function registerMigrateStore(program: Command, ctx: CliContext): void {
  program
    .command('migrate-store')
    .requiredOption(
      '--to <url>',
      'the empty PostgreSQL database to copy the store into (postgres://user:password@host:5432/database)',
    )
    .action((opts: { to: string }) => {
      if (!isPostgresUrl(opts.to))
        throw new InputError(`--to: "${redactUrl(opts.to)}" must be a postgres:// or postgresql:// URL`);
      const config = ctx.config();
      if (config.databaseUrl !== null)
        throw new InputError(
          'DATABASE_URL is set: migrate-store copies the SQLite store of DATA_DIR; unset DATABASE_URL to run it',
        );
      const out = ctx.output.out;
      const source = openStore(config.dataDir, { create: false });
      try {
        const target = openPostgresStore(opts.to);
        try {
          out(`copying ${storePlace(config)} into PostgreSQL ${redactUrl(opts.to)}`);
          // The rows and the zips in one transaction: a copy that fails leaves the database empty.
          const zips = inTransaction(target, () => {
            copyStore(source, target, (t) => out(`  ${t.name}: ${t.rows} rows`));
            return copyArchive(source, target, config);
          });
          // The copy read back: every table's rows counted on both sides.
          const tables = storeTables(connection(source));
          const before = tableCounts(source, tables);
          const after = tableCounts(target, tables);
          const differ = tables.filter((t) => before.get(t.name) !== after.get(t.name));
          if (differ.length > 0)
            throw new UsageChargesError(
              'E_MIGRATE_VERIFY',
              `the copy does not have the rows of the store: ${differ.map((t) => `${t.name} ${after.get(t.name)} of ${before.get(t.name)}`).join(', ')}`,
            );
          const rows = [...before.values()].reduce((a, b) => a + b, 0);
          out(
            `copied and verified: ${rows} rows in ${tables.length} tables (counted again in PostgreSQL), ` +
              `${zips.copied} zips (each one's SHA-256 read back from PostgreSQL)` +
              (zips.rebuilt > 0
                ? `, ${zips.rebuilt} of them rebuilt from their frozen lines (missing or damaged in DATA_DIR)`
                : '') +
              (zips.pruned > 0 ? `; ${zips.pruned} pruned by retention before (none to copy)` : ''),
          );
          out(
            `the store is now in PostgreSQL: set DATABASE_URL=${redactUrl(opts.to)} for every worker and the web server`,
          );
        } finally {
          closeStore(target);
        }
      } finally {
        closeStore(source);
      }
    });
}
