/** The ordered list of schema migrations; a version is never edited once released, only added. */
import { sql as m001 } from './001-reference-data.ts';
import { sql as m002 } from './002-statements-and-delivery.ts';
import { sql as m003 } from './003-frozen-statements.ts';
import { sql as m004 } from './004-outbox.ts';
import { sql as m005 } from './005-run-kind.ts';
import { sql as m006 } from './006-csv-encoding.ts';
import { sql as m007 } from './007-review-hold.ts';
import { sql as m008 } from './008-adjustments.ts';
import { sql as m009, foreignKeysOff as m009ForeignKeysOff } from './009-revisions.ts';
import { sql as m010 } from './010-users.ts';
import { sql as m011 } from './011-sign-in.ts';
import { sql as m012 } from './012-coupon-offers.ts';
import { sql as m013 } from './013-audit-subject.ts';
import { sql as m014 } from './014-tenant-changes.ts';
import { sql as m015, postgres as m015Postgres } from './015-archive.ts';
import { sql as m016 } from './016-current-statement-lookup.ts';

/** One schema step: applied once, in order, inside a transaction, and recorded. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Applied with foreign keys off, as SQLite rebuilds a table that others refer to: every
   * reference is checked (foreign_key_check) before it commits, and the rename of the rebuilt
   * table leaves the triggers and views that name it as they are (legacy_alter_table).
   */
  foreignKeysOff?: boolean;
  /**
   * The same step in PostgreSQL's words. The PostgreSQL baseline (postgres-baseline.ts) stands for
   * versions 1 to POSTGRES_BASELINE_VERSION; every later migration carries this form, applied by
   * openPostgresStore as SQLite's `sql` is by migrate.
   */
  postgres?: string;
}

/** The last version the PostgreSQL baseline stands for (postgres-baseline.ts). */
export const POSTGRES_BASELINE_VERSION = 14;

export const migrations: readonly Migration[] = [
  { version: 1, name: 'reference-data', sql: m001 },
  { version: 2, name: 'statements-and-delivery', sql: m002 },
  { version: 3, name: 'frozen-statements', sql: m003 },
  { version: 4, name: 'outbox', sql: m004 },
  { version: 5, name: 'run-kind', sql: m005 },
  { version: 6, name: 'csv-encoding', sql: m006 },
  { version: 7, name: 'review-hold', sql: m007 },
  { version: 8, name: 'adjustments', sql: m008 },
  { version: 9, name: 'revisions', sql: m009, foreignKeysOff: m009ForeignKeysOff },
  { version: 10, name: 'users', sql: m010 },
  { version: 11, name: 'sign-in', sql: m011 },
  { version: 12, name: 'coupon-offers', sql: m012 },
  { version: 13, name: 'audit-subject', sql: m013 },
  { version: 14, name: 'tenant-changes', sql: m014 },
  { version: 15, name: 'archive', sql: m015, postgres: m015Postgres },
  { version: 16, name: 'current-statement-lookup', sql: m016, postgres: m016 },
];

/** The schema version a fully migrated store has. */
export const latestVersion = migrations[migrations.length - 1]!.version;
