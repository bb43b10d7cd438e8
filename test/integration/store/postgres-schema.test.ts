/**
 * The PostgreSQL schema (the baseline at version 14, src/store/migrations/postgres-baseline.ts, and
 * the later migrations' PostgreSQL forms) against SQLite's,
 * on the test run's throwaway PostgreSQL cluster (test/helpers/pg-cluster.ts): the same tables, columns, views, keys, indexes and
 * triggers as a store the program makes (so a later SQLite migration not carried to PostgreSQL fails
 * here), and the same refusals and numbers of changes for the same SQL run on both engines.
 */
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStore, connection, openStore, type Db } from '../../../src/store/db.ts';
import { migrations } from '../../../src/store/migrations/index.ts';
import { sql as baseline } from '../../../src/store/migrations/postgres-baseline.ts';
import { pgDatabase, psql, psqlTry, type PsqlResult } from '../../helpers/pg-cluster.ts';
import { tempDir } from '../../helpers/store.ts';

const BASELINE_VERSION = 14;
const NOW = '2026-11-01T00:00:00.000Z';

let applied: PsqlResult;
/** A PostgreSQL database with the baseline and FIXTURE. */
let pg: string;
/** A SQLite store the program made (at its latest version), with FIXTURE. */
let work: { dir: string; cleanup: () => void };
let store: Db;
let lite: Database.Database;

/** A tenant's key (SQL). */
const tenant = (name: string): string => `(SELECT tenant_pk FROM tenants WHERE tenant_name = '${name}')`;
/** A statement's key (SQL). */
const statement = (name: string, month: string, revision = 1): string =>
  `(SELECT statement_pk FROM statements WHERE tenant_pk = ${tenant(name)} AND billing_month = '${month}' AND revision = ${revision})`;

/**
 * Three tenants, each with an open 2026-10 and a finalized 2026-09 statement of one line:
 * TNT00001's 2026-09 has its files and two mails sent; TNT00002's one mail waiting; TNT00003's none.
 * Written the same way on both engines (keys by their natural keys: the engines number rows apart).
 */
const FIXTURE = `
INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at) VALUES
  ('TNT00001', 'One', 31, 'ja', 'JPY', '${NOW}', '${NOW}'),
  ('TNT00002', 'Two', 31, 'en', 'USD', '${NOW}', '${NOW}'),
  ('TNT00003', 'Three', 31, 'ja', 'JPY', '${NOW}', '${NOW}');
INSERT INTO contacts (tenant_pk, email, created_at, updated_at)
  SELECT tenant_pk, 'billing@example.com', '${NOW}', '${NOW}' FROM tenants;
INSERT INTO contacts (tenant_pk, email, created_at, updated_at) VALUES (${tenant('TNT00001')}, 'cfo@example.com', '${NOW}', '${NOW}');
INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, created_at, updated_at)
  SELECT t.tenant_pk, m.month, m.month || '-01', m.month || '-28', 'estimated', t.currency, '${NOW}', '${NOW}'
  FROM tenants t, (SELECT '2026-09' AS month UNION ALL SELECT '2026-10') m;
INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) SELECT statement_pk, 1, 'usage', '100' FROM statements;
UPDATE statements SET status = 'fixed', finalized_at = '${NOW}', subtotal = '100', tax = '10', total = '110'
  WHERE billing_month = '2026-09';
INSERT INTO statement_files (statement_pk, zip_name, zip_path, sha256, bytes, created_at)
  VALUES (${statement('TNT00001', '2026-09')}, 'a.zip', 'TNT00001/a.zip', '00', 5000000000, '${NOW}');
INSERT INTO deliveries (statement_pk, contact_pk, recipient, kind, status, message_id, created_at, updated_at, sent_at)
  SELECT s.statement_pk, c.contact_pk, c.email, 'statement', 'sent', t.tenant_name || c.email, '${NOW}', '${NOW}', '${NOW}'
  FROM tenants t JOIN statements s ON s.tenant_pk = t.tenant_pk JOIN contacts c ON c.tenant_pk = t.tenant_pk
  WHERE t.tenant_name = 'TNT00001' AND s.billing_month = '2026-09';
INSERT INTO deliveries (statement_pk, contact_pk, recipient, kind, status, message_id, created_at, updated_at)
  SELECT s.statement_pk, c.contact_pk, c.email, 'statement', 'pending', t.tenant_name || c.email, '${NOW}', '${NOW}'
  FROM tenants t JOIN statements s ON s.tenant_pk = t.tenant_pk JOIN contacts c ON c.tenant_pk = t.tenant_pk
  WHERE t.tenant_name = 'TNT00002' AND s.billing_month = '2026-09';
`;

/** What SQLite answered: its rows as psql prints them (`|` between fields, NULL empty), or its error. */
function sqliteTry(db: Database.Database, sql: string, query?: string): { rows: string[]; error: string | null } {
  try {
    db.exec(sql);
    const rows =
      query === undefined
        ? []
        : (db.prepare(query).raw().all() as unknown[][]).map((r) =>
            r.map((v) => (v === null ? '' : String(v))).join('|'),
          );
    return { rows, error: null };
  } catch (err) {
    return { rows: [], error: (err as Error).message };
  }
}

/** An error as both engines are compared: a constraint's kind (their wording differs), a trigger's message as is. */
function outcome(error: string | null): string | null {
  if (error === null) return null;
  const kinds: [string, RegExp][] = [
    ['unique', /^UNIQUE constraint failed|^duplicate key value violates unique constraint/],
    ['check', /^CHECK constraint failed|violates check constraint/],
    ['foreign key', /^FOREIGN KEY constraint failed|violates foreign key constraint/],
    ['not null', /^NOT NULL constraint failed|^null value in column .* violates not-null constraint/],
  ];
  for (const [kind, pattern] of kinds) if (pattern.test(error)) return kind;
  return error;
}

beforeAll(() => {
  pg = pgDatabase('store');
  applied = psqlTry(pg, baseline);
  // The later migrations in PostgreSQL's words, as openPostgresStore applies them after the baseline.
  for (const m of migrations.filter((m) => m.version > BASELINE_VERSION))
    if (applied.error === null) applied = psqlTry(pg, m.postgres!);
  if (applied.error === null) psql(pg, FIXTURE);
  work = tempDir('uc-pg-schema-');
  store = openStore(work.dir);
  lite = connection(store);
  lite.exec(FIXTURE);
});
afterAll(() => {
  if (store !== undefined) closeStore(store);
  work?.cleanup();
});

describe('the PostgreSQL baseline', () => {
  it('applies to a fresh database and records versions 1 to 14, named as SQLite names them', () => {
    expect(applied.error).toBeNull();
    const fresh = pgDatabase('fresh');
    expect(psqlTry(fresh, baseline).error).toBeNull();
    const rows = psql(fresh, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version;');
    expect(rows.map((r) => r.split('|').slice(0, 2).join('|'))).toEqual(
      migrations.filter((m) => m.version <= BASELINE_VERSION).map((m) => `${m.version}|${m.name}`),
    );
    for (const r of rows) expect(r.split('|')[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(psql(fresh, 'SELECT max(version) FROM schema_migrations;')).toEqual([String(BASELINE_VERSION)]);
  });
});

/** A schema described the same way for both engines, to be compared as a whole. */
interface Shape {
  /** Per table: `name type [not null] [default]` of each column, in order. */
  tables: Record<string, string[]>;
  /** Per view: its columns, in order. */
  views: Record<string, string[]>;
  /** Per index made by name (CREATE INDEX): `table unique? (keys) where`. */
  indexes: Record<string, string>;
  /** The unnamed keys (PRIMARY KEY, UNIQUE): `table (keys)`, sorted. */
  keys: string[];
  /** `table (columns) -> table (columns)`, sorted. */
  foreignKeys: string[];
  /** Per trigger: `table timing event [OF columns]`. */
  triggers: Record<string, string>;
}

/** SQLite's column types as PostgreSQL's families. */
const TYPE_FAMILY: Record<string, string> = {
  INTEGER: 'integer',
  bigint: 'integer',
  integer: 'integer',
  TEXT: 'text',
  text: 'text',
  REAL: 'real',
  'double precision': 'real',
  BLOB: 'bytes',
  bytea: 'bytes',
};

/** An expression as both engines are compared: lower case, without blanks, parentheses or text casts. */
const normal = (expression: string): string =>
  expression
    .replaceAll('::text', '')
    .replace(/[\s()]/g, '')
    .toLowerCase();

/** The expressions of an index's key, from its CREATE INDEX text (SQLite keeps no other record of them). */
function indexKeys(createIndex: string): string[] {
  const start = createIndex.indexOf('(', createIndex.search(/\sON\s/i));
  const keys: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of createIndex.slice(start + 1)) {
    if (ch === '(') depth++;
    if (ch === ')' && depth-- === 0) break;
    if (ch === ',' && depth === 0) {
      keys.push(current.trim());
      current = '';
    } else current += ch;
  }
  keys.push(current.trim());
  return keys;
}

function sqliteShape(db: Database.Database): Shape {
  const shape: Shape = { tables: {}, views: {}, indexes: {}, keys: [], foreignKeys: [], triggers: {} };
  const objects = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  for (const o of objects.filter((x) => x.type === 'table')) {
    const columns = db.prepare(`PRAGMA table_info("${o.name}")`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[];
    // A PRIMARY KEY column of a STRICT table never holds NULL (an INTEGER one is the row's number).
    shape.tables[o.name] = columns.map(
      (c) =>
        `${c.name} ${TYPE_FAMILY[c.type] ?? c.type}${c.notnull || c.pk ? ' not null' : ''}${c.dflt_value === null ? '' : ` default ${normal(c.dflt_value)}`}`,
    );
    const indexes = db.prepare(`PRAGMA index_list("${o.name}")`).all() as {
      name: string;
      unique: number;
      origin: string;
    }[];
    const sqlOf = (name: string): string => objects.find((x) => x.name === name)?.sql ?? '';
    for (const i of indexes) {
      const columnsOf = db.prepare(`PRAGMA index_xinfo("${i.name}")`).all() as {
        cid: number;
        name: string | null;
        coll: string;
        key: number;
      }[];
      const expressions = i.origin === 'c' ? indexKeys(sqlOf(i.name)) : [];
      // A column compared without letter case is PostgreSQL's lower(column).
      const keys = columnsOf
        .filter((c) => c.key === 1)
        .map((c, n) =>
          c.cid === -2 ? normal(expressions[n]!) : c.coll === 'NOCASE' ? normal(`lower(${c.name!})`) : normal(c.name!),
        );
      if (i.origin === 'c') {
        const where = /\sWHERE\s([\s\S]*)$/i.exec(sqlOf(i.name));
        shape.indexes[i.name] =
          `${o.name}${i.unique ? ' unique' : ''} (${keys.join(', ')})${where ? ` where ${normal(where[1]!)}` : ''}`;
      } else shape.keys.push(`${o.name} (${keys.join(', ')})`);
    }
    // An INTEGER PRIMARY KEY is the row's number: a key, without an index of its own.
    if (!indexes.some((i) => i.origin === 'pk')) {
      const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      if (pk.length > 0) shape.keys.push(`${o.name} (${pk.map((c) => c.name).join(', ')})`);
    }
    const references = db.prepare(`PRAGMA foreign_key_list("${o.name}")`).all() as {
      id: number;
      table: string;
      from: string;
      to: string;
    }[];
    for (const id of new Set(references.map((r) => r.id))) {
      const parts = references.filter((r) => r.id === id);
      shape.foreignKeys.push(
        `${o.name} (${parts.map((r) => r.from).join(', ')}) -> ${parts[0]!.table} (${parts.map((r) => r.to).join(', ')})`,
      );
    }
  }
  for (const o of objects.filter((x) => x.type === 'view'))
    shape.views[o.name] = (db.prepare(`PRAGMA table_info("${o.name}")`).all() as { name: string }[]).map((c) => c.name);
  for (const o of objects.filter((x) => x.type === 'trigger')) {
    const m =
      /^CREATE\s+TRIGGER\s+\S+\s+(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|DELETE|UPDATE(?:\s+OF\s+([\w\s,]+?))?)\s+ON\s/i.exec(
        o.sql!,
      );
    if (m === null) throw new Error(`trigger ${o.name}: not understood: ${o.sql}`);
    const event = m[2]!.split(/\s/)[0]!.toUpperCase();
    const of =
      m[3] === undefined
        ? ''
        : ` OF ${m[3]
            .split(',')
            .map((c) => c.trim())
            .sort()
            .join(', ')}`;
    shape.triggers[o.name] = `${o.tbl_name} ${m[1]!.toUpperCase()} ${event}${of}`;
  }
  shape.keys.sort();
  shape.foreignKeys.sort();
  return shape;
}

/** psql's rows split into their fields. */
const fields = (conninfo: string, sql: string): string[][] => psql(conninfo, sql).map((r) => r.split('|'));

function pgShape(conninfo: string): Shape {
  const shape: Shape = { tables: {}, views: {}, indexes: {}, keys: [], foreignKeys: [], triggers: {} };
  const relations = fields(
    conninfo,
    "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name;",
  );
  const columns = fields(
    conninfo,
    `SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
     FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position;`,
  );
  for (const [name, type] of relations) {
    // PostgreSQL's own store version (SQLite's PRAGMA data_version): not part of SQLite's schema.
    if (name === 'store_version') continue;
    const own = columns.filter((c) => c[0] === name);
    if (type === 'VIEW') shape.views[name!] = own.map((c) => c[1]!);
    else
      shape.tables[name!] = own.map(
        ([, column, dataType, nullable, dflt]) =>
          `${column} ${TYPE_FAMILY[dataType!] ?? dataType}${nullable === 'NO' ? ' not null' : ''}${dflt === '' ? '' : ` default ${normal(dflt!)}`}`,
      );
  }
  const sqliteNamed = new Set(Object.keys(sqliteShape(lite).indexes));
  const indexes = fields(
    conninfo,
    `SELECT t.relname, i.relname, x.indisunique,
       (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), ',' ORDER BY k) FROM generate_series(1, x.indnkeyatts) k),
       coalesce(pg_get_expr(x.indpred, x.indrelid, true), '')
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' ORDER BY i.relname;`,
  );
  for (const [table, name, unique, keyList, where] of indexes) {
    // PostgreSQL's own store version: not part of SQLite's schema.
    if (table === 'store_version') continue;
    const keys = keyList!.split(',').map(normal);
    // Named as in SQLite: compared as such; any other is an unnamed key (a unique index of no condition).
    if (sqliteNamed.has(name!))
      shape.indexes[name!] =
        `${table}${unique === 't' ? ' unique' : ''} (${keys.join(', ')})${where === '' ? '' : ` where ${normal(where!)}`}`;
    else
      shape.keys.push(
        `${table}${unique === 't' ? '' : ' not unique'} (${keys.join(', ')})${where === '' ? '' : ' where'}`,
      );
  }
  for (const [from, fromColumns, to, toColumns] of fields(
    conninfo,
    `SELECT c.conrelid::regclass::text,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k (n, i)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
       c.confrelid::regclass::text,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k (n, i)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n)
     FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace;`,
  ))
    shape.foreignKeys.push(`${from} (${fromColumns}) -> ${to} (${toColumns})`);
  // tgtype: 1 row, 2 before, 4 insert, 8 delete, 16 update, 64 instead.
  for (const [name, table, type, of] of fields(
    conninfo,
    `SELECT g.tgname, g.tgrelid::regclass::text, g.tgtype,
       coalesce((SELECT string_agg(a.attname, ', ' ORDER BY a.attname) FROM pg_attribute a
          WHERE a.attrelid = g.tgrelid AND a.attnum = ANY (g.tgattr)), '')
     FROM pg_trigger g WHERE NOT g.tgisinternal;`,
  )) {
    if (name!.endsWith('_store_version')) continue;
    const bits = Number(type);
    const timing = bits & 64 ? 'INSTEAD OF' : bits & 2 ? 'BEFORE' : 'AFTER';
    const events = [bits & 4 ? 'INSERT' : '', bits & 8 ? 'DELETE' : '', bits & 16 ? 'UPDATE' : ''].filter(Boolean);
    shape.triggers[name!] =
      `${table} ${timing} ${events.join(' OR ')}${of === '' ? '' : ` OF ${of}`}${bits & 1 ? '' : ' FOR EACH STATEMENT'}`;
  }
  shape.keys.sort();
  shape.foreignKeys.sort();
  return shape;
}

describe('the PostgreSQL baseline against the SQLite schema', () => {
  it('has the same tables, columns (order, type, nullability, default), views, keys, indexes, references and triggers', () => {
    const sqlite = sqliteShape(lite);
    const postgres = pgShape(pg);
    // PostgreSQL's own: the archive's table (migration 15: on SQLite the archive is a folder).
    delete postgres.tables.archived_zips;
    postgres.keys = postgres.keys.filter((k) => !k.startsWith('archived_zips '));
    postgres.foreignKeys = postgres.foreignKeys.filter((k) => !k.startsWith('archived_zips '));
    // A sanity check of the reading itself: a few things known to be there.
    expect(sqlite.tables.statements![0]).toBe('statement_pk integer not null');
    expect(sqlite.indexes.users_email).toBe(`users unique (${normal('lower(email)')})`);
    expect(sqlite.keys).toContain(`contacts (tenant_pk, ${normal('lower(email)')})`);
    expect(Object.keys(sqlite.triggers).length).toBeGreaterThan(30);
    expect(postgres.tables).toEqual(sqlite.tables);
    expect(postgres.views).toEqual(sqlite.views);
    expect(postgres.indexes).toEqual(sqlite.indexes);
    expect(postgres.keys).toEqual(sqlite.keys);
    expect(postgres.foreignKeys).toEqual(sqlite.foreignKeys);
    expect(postgres.triggers).toEqual(sqlite.triggers);
  });

  it('compares every text byte by byte, as SQLite does', () => {
    expect(
      psql(
        pg,
        `SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C';`,
      ),
    ).toEqual([]);
  });
});

/** A write tried on both engines, from the fixture, then undone; `then` is read after it when it is made. */
interface Rule {
  what: string;
  sql: string;
  /** null: made; a trigger's message; or a constraint's kind ('unique', 'check', 'foreign key', 'not null'). */
  refused: string | null;
  then?: string;
  rows?: string[];
}

/** Runs `rule` on both engines, each in a transaction rolled back after it. */
function bothEngines(rule: Rule): { sqlite: { rows: string[]; error: string | null }; postgres: PsqlResult } {
  lite.exec('BEGIN');
  let sqlite;
  try {
    sqlite = sqliteTry(lite, rule.sql, rule.then);
  } finally {
    lite.exec('ROLLBACK');
  }
  const postgres = psqlTry(pg, `BEGIN;\n${rule.sql};\n${rule.then === undefined ? '' : `${rule.then};\n`}ROLLBACK;\n`);
  return { sqlite, postgres };
}

const FIXED_NEVER_CHANGES = 'a fixed statement never changes';
const FILE_SETTINGS = 'the file settings of a statement change only while it is finalized and has no files';
const VOID_REFUSED = 'only the current revision of a month, none of whose mails was sent, is voided';
const ONE_CURRENT =
  'a revision is finalized only as the first current one of its month or as the correction of the current one';
/** Finalizes the statements `where` (SQL). */
const finalize = (where: string): string =>
  `UPDATE statements SET status = 'fixed', finalized_at = '${NOW}', total = '110' WHERE ${where}`;
/** Inserts an open statement. */
const open = (name: string, month: string, revision: number, corrects = 'NULL', reason = ''): string =>
  `INSERT INTO statements (tenant_pk, billing_month, revision, period_start, period_end, status, currency, corrects_pk,
     revision_reason, created_at, updated_at)
   VALUES (${tenant(name)}, '${month}', ${revision}, '${month}-01', '${month}-28', 'estimated', 'JPY', ${corrects},
     '${reason}', '${NOW}', '${NOW}')`;
const settings = (of: string, files = '{"encoding":"cp932"}'): string =>
  `INSERT INTO statement_file_settings (statement_pk, files, changed_at) VALUES (${of}, '${files}', '${NOW}')`;
const voidOf = (of: string): string =>
  `INSERT INTO statement_voids (statement_pk, voided_at, voided_by, reason) VALUES (${of}, '${NOW}', 'ops', 'wrong rate')`;
const contact = (name: string, email: string): string =>
  `INSERT INTO contacts (tenant_pk, email, created_at, updated_at) VALUES (${tenant(name)}, '${email}', '${NOW}', '${NOW}')`;
const offer = (code: string): string =>
  `INSERT INTO coupon_offers (coupon_code, discount_type, discount_value, valid_months, issued_at)
   VALUES ('${code}', 'percent', '10', 3, '${NOW}')`;
const currentOf = (name: string, month: string): string =>
  `SELECT revision FROM current_statements WHERE tenant_pk = ${tenant(name)} AND billing_month = '${month}'`;

const RULES: Rule[] = [
  // A finalized statement and its lines never change.
  {
    what: 'a fixed statement updated',
    sql: `UPDATE statements SET last_error = 'x' WHERE statement_pk = ${statement('TNT00003', '2026-09')}`,
    refused: FIXED_NEVER_CHANGES,
  },
  {
    what: 'a fixed statement reopened',
    sql: `UPDATE statements SET status = 'estimated' WHERE statement_pk = ${statement('TNT00003', '2026-09')}`,
    refused: FIXED_NEVER_CHANGES,
  },
  {
    what: 'a fixed statement deleted',
    sql: `DELETE FROM statements WHERE statement_pk = ${statement('TNT00003', '2026-09')}`,
    refused: 'a fixed statement is never deleted',
  },
  {
    what: 'an open statement updated',
    sql: `UPDATE statements SET last_error = 'x' WHERE statement_pk = ${statement('TNT00003', '2026-10')}`,
    refused: null,
    then: `SELECT last_error FROM statements WHERE statement_pk = ${statement('TNT00003', '2026-10')}`,
    rows: ['x'],
  },
  {
    what: 'a line added to a fixed statement',
    sql: `INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (${statement('TNT00003', '2026-09')}, 2, 'fee', '1')`,
    refused: 'a fixed statement takes no new lines',
  },
  {
    what: 'a line added to an open statement',
    sql: `INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (${statement('TNT00003', '2026-10')}, 2, 'fee', '1')`,
    refused: null,
    then: `SELECT count(*) FROM charge_lines WHERE statement_pk = ${statement('TNT00003', '2026-10')}`,
    rows: ['2'],
  },
  {
    what: 'a line of a fixed statement changed',
    sql: `UPDATE charge_lines SET amount = '1' WHERE statement_pk = ${statement('TNT00003', '2026-09')}`,
    refused: 'charge lines never change',
  },
  {
    what: 'a line of an open statement changed',
    sql: `UPDATE charge_lines SET amount = '1' WHERE statement_pk = ${statement('TNT00003', '2026-10')}`,
    refused: 'charge lines never change',
  },
  {
    what: 'a line of a fixed statement deleted',
    sql: `DELETE FROM charge_lines WHERE statement_pk = ${statement('TNT00003', '2026-09')}`,
    refused: 'the lines of a fixed statement are never deleted',
  },
  {
    what: 'the lines of an open statement deleted',
    sql: `DELETE FROM charge_lines WHERE statement_pk = ${statement('TNT00003', '2026-10')}`,
    refused: null,
    then: `SELECT count(*) FROM charge_lines WHERE statement_pk = ${statement('TNT00003', '2026-10')}`,
    rows: ['0'],
  },
  // Revisions.
  {
    what: 'a statement inserted finalized',
    sql: open('TNT00003', '2026-08', 1).replace("'estimated'", "'fixed'"),
    refused: 'a statement is made open and finalized afterwards',
  },
  {
    what: 'a second current revision of a month',
    sql: `${open('TNT00003', '2026-09', 2)}; ${finalize(`statement_pk = ${statement('TNT00003', '2026-09', 2)}`)}`,
    refused: ONE_CURRENT,
  },
  {
    what: 'a re-issue correcting the current revision',
    sql: `${open('TNT00003', '2026-09', 2, statement('TNT00003', '2026-09'), 'rate')}; ${finalize(`statement_pk = ${statement('TNT00003', '2026-09', 2)}`)}`,
    refused: null,
    then: currentOf('TNT00003', '2026-09'),
    rows: ['2'],
  },
  {
    what: 'a re-issue numbered below the current revision',
    sql: `${open('TNT00003', '2026-08', 5)}; ${finalize(`statement_pk = ${statement('TNT00003', '2026-08', 5)}`)};
      ${open('TNT00003', '2026-08', 4, statement('TNT00003', '2026-08', 5), 'rate')};
      ${finalize(`statement_pk = ${statement('TNT00003', '2026-08', 4)}`)}`,
    refused: 'a revision is finalized with a number above every other of its month',
  },
  {
    what: 'a re-issue without a reason',
    sql: open('TNT00003', '2026-09', 2, statement('TNT00003', '2026-09')),
    refused: 'check',
  },
  {
    what: 'the same revision of a month twice',
    sql: open('TNT00003', '2026-09', 1),
    refused: 'unique',
  },
  {
    what: 'a second open revision of a month',
    sql: open('TNT00003', '2026-10', 2),
    refused: 'unique',
  },
  // Voids.
  { what: 'a void of a sent statement', sql: voidOf(statement('TNT00001', '2026-09')), refused: VOID_REFUSED },
  { what: 'a void of an open statement', sql: voidOf(statement('TNT00002', '2026-10')), refused: VOID_REFUSED },
  {
    what: 'a void of a statement whose mail is waiting',
    sql: voidOf(statement('TNT00002', '2026-09')),
    refused: null,
    then: currentOf('TNT00002', '2026-09'),
    rows: [],
  },
  {
    what: 'a void changed',
    sql: `${voidOf(statement('TNT00002', '2026-09'))}; UPDATE statement_voids SET voided_by = 'x'`,
    refused: 'a void is never changed',
  },
  {
    what: 'a void undone',
    sql: `${voidOf(statement('TNT00002', '2026-09'))}; DELETE FROM statement_voids`,
    refused: 'a void is never undone',
  },
  {
    what: 'a mail of a voided statement sent',
    sql: `${voidOf(statement('TNT00002', '2026-09'))}; UPDATE deliveries SET status = 'sending'
      WHERE statement_pk = ${statement('TNT00002', '2026-09')}`,
    refused: 'a mail of a voided or replaced statement is never sent',
  },
  {
    what: 'a mail of the current statement sent',
    sql: `UPDATE deliveries SET status = 'sending' WHERE statement_pk = ${statement('TNT00002', '2026-09')}`,
    refused: null,
  },
  {
    what: 'a month finalized after a voided earlier month',
    sql: `${voidOf(statement('TNT00002', '2026-09'))}; ${finalize(`statement_pk = ${statement('TNT00002', '2026-10')}`)}`,
    refused: 'a month is finalized only once every earlier voided month of its tenant is closed again',
  },
  {
    what: 'a voided month closed again, then the next one',
    sql: `${voidOf(statement('TNT00002', '2026-09'))}; ${open('TNT00002', '2026-09', 2)};
      ${finalize(`statement_pk = ${statement('TNT00002', '2026-09', 2)}`)};
      ${finalize(`statement_pk = ${statement('TNT00002', '2026-10')}`)}`,
    refused: null,
    then: `SELECT billing_month, revision FROM current_statements WHERE tenant_pk = ${tenant('TNT00002')} ORDER BY billing_month`,
    rows: ['2026-09|2', '2026-10|1'],
  },
  // File settings and holds.
  {
    what: 'file settings of a statement with files',
    sql: settings(statement('TNT00001', '2026-09')),
    refused: FILE_SETTINGS,
  },
  {
    what: 'file settings of an open statement',
    sql: settings(statement('TNT00003', '2026-10')),
    refused: FILE_SETTINGS,
  },
  {
    what: 'file settings of a finalized statement without files',
    sql: settings(statement('TNT00003', '2026-09')),
    refused: null,
  },
  { what: 'file settings not JSON', sql: settings(statement('TNT00003', '2026-09'), '{x'), refused: 'check' },
  {
    what: 'file settings changed once the files exist',
    sql: `${settings(statement('TNT00003', '2026-09'))};
      INSERT INTO statement_files (statement_pk, zip_name, zip_path, sha256, bytes, created_at)
        VALUES (${statement('TNT00003', '2026-09')}, 'c.zip', 'TNT00003/c.zip', '00', 1, '${NOW}');
      UPDATE statement_file_settings SET changed_at = 'later'`,
    refused: FILE_SETTINGS,
  },
  {
    what: 'file settings removed once the files exist',
    sql: `${settings(statement('TNT00003', '2026-09'))};
      INSERT INTO statement_files (statement_pk, zip_name, zip_path, sha256, bytes, created_at)
        VALUES (${statement('TNT00003', '2026-09')}, 'c.zip', 'TNT00003/c.zip', '00', 1, '${NOW}');
      DELETE FROM statement_file_settings`,
    refused: FILE_SETTINGS,
  },
  {
    what: 'an open statement held',
    sql: `INSERT INTO statement_holds (statement_pk, kind, held_at, held_by) VALUES (${statement('TNT00003', '2026-10')}, 'operator', '${NOW}', 'ops')`,
    refused: 'only a finalized statement is held',
  },
  // Keys and checks.
  {
    what: "a contact's email again in other letter case",
    sql: contact('TNT00001', 'BILLING@Example.com'),
    refused: 'unique',
  },
  { what: "another tenant's contact of the same email", sql: contact('TNT00002', 'cfo@example.com'), refused: null },
  {
    what: 'an email differing only in a non-ASCII letter case (SQLite folds ASCII only)',
    sql: `${contact('TNT00002', 'é@example.com')}; ${contact('TNT00002', 'É@example.com')}`,
    refused: null,
  },
  {
    what: 'a tenant name again in other letter case',
    sql: `INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at)
      VALUES ('tnt00001', 'x', 1, 'ja', 'JPY', '${NOW}', '${NOW}')`,
    refused: 'unique',
  },
  {
    what: 'a user email again in other letter case',
    sql: `INSERT INTO users (email, role, created_at, updated_at) VALUES ('Ops@example.com', 'operator', '${NOW}', '${NOW}');
      INSERT INTO users (email, role, created_at, updated_at) VALUES ('ops@EXAMPLE.com', 'viewer', '${NOW}', '${NOW}')`,
    refused: 'unique',
  },
  {
    what: "a tenant's owner without a tenant",
    sql: `INSERT INTO users (email, role, created_at, updated_at) VALUES ('o@example.com', 'owner', '${NOW}', '${NOW}')`,
    refused: 'check',
  },
  { what: 'a coupon code', sql: offer('ABCDEFGH1234'), refused: null },
  { what: 'a coupon code in lower case', sql: offer('abcdefgh1234'), refused: 'check' },
  { what: 'a coupon code with a dash', sql: offer('ABCDEFGH-234'), refused: 'check' },
  { what: 'a coupon code too short', sql: offer('ABCDEFGH123'), refused: 'check' },
  { what: 'a month not YYYY-MM', sql: open('TNT00003', '2026-1', 1), refused: 'check' },
  { what: 'a month with more after it', sql: open('TNT00003', '2026-11x', 1), refused: 'check' },
  // SQLite's GLOB '[0-1][0-9]' lets a month 13 to 19 through: so does PostgreSQL.
  { what: 'a month 13', sql: open('TNT00003', '2026-13', 1), refused: null },
  {
    what: 'a period whose end sorts before its start byte by byte',
    sql: open('TNT00003', '2026-08', 1).replace("'2026-08-01', '2026-08-28'", "'a', 'B'"),
    refused: 'check',
  },
  { what: 'a contact of no tenant', sql: contact('TNT09999', 'x@example.com'), refused: 'not null' },
  {
    what: 'a contact of a tenant that does not exist',
    sql: `INSERT INTO contacts (tenant_pk, email, created_at, updated_at) VALUES (999999, 'x@example.com', '${NOW}', '${NOW}')`,
    refused: 'foreign key',
  },
  {
    what: 'a mail withdrawn without the status it had',
    sql: `UPDATE deliveries SET status = 'withdrawn' WHERE statement_pk = ${statement('TNT00002', '2026-09')}`,
    refused: 'check',
  },
  {
    what: 'a file of more than 2^31 bytes',
    sql: `UPDATE statement_files SET bytes = bytes * 2`,
    refused: null,
    then: 'SELECT bytes FROM statement_files',
    rows: ['10000000000'],
  },
];

describe('the PostgreSQL baseline refuses and allows what SQLite does', () => {
  for (const rule of RULES) {
    it(rule.what, () => {
      const { sqlite, postgres } = bothEngines(rule);
      expect(outcome(sqlite.error), `SQLite: ${sqlite.error}`).toBe(rule.refused);
      expect(outcome(postgres.error), `PostgreSQL: ${postgres.error}`).toBe(rule.refused);
      if (rule.refused === null && rule.then !== undefined) {
        expect(sqlite.rows).toEqual(rule.rows);
        expect(postgres.rows).toEqual(rule.rows);
      }
    });
  }
});

describe('where the engines differ', () => {
  it('a finalized statement set finalized again: both refuse, each with the message of the trigger it runs first', () => {
    // SQLite runs the BEFORE UPDATE triggers of a table newest first (statements_one_current before
    // statements_fixed_no_update); PostgreSQL by name (statements_fixed_no_update first). A trigger
    // cannot tell whether the UPDATE named the column it sets to the value it had.
    const { sqlite, postgres } = bothEngines({
      what: 'finalized again',
      sql: finalize(`statement_pk = ${statement('TNT00003', '2026-09')}`),
      refused: FIXED_NEVER_CHANGES,
    });
    expect(sqlite.error).toBe(ONE_CURRENT);
    expect(postgres.error).toBe(FIXED_NEVER_CHANGES);
  });

  it("a contact's email equals another letter case in SQLite only: PostgreSQL's query says lower()", () => {
    const query = "SELECT count(*) FROM contacts WHERE email = 'BILLING@Example.com'";
    expect(sqliteTry(lite, '', query).rows).toEqual(['3']);
    expect(psql(pg, `${query};`)).toEqual(['0']);
    expect(psql(pg, "SELECT count(*) FROM contacts WHERE lower(email) = lower('BILLING@Example.com');")).toEqual(['3']);
  });
});

/** A write whose numbers of changes are compared, made on both engines one after the other. */
const CHANGES: [string, Record<string, number>, string][] = [
  ['tenant renamed', { TNT00001: 1 }, `UPDATE tenants SET display_name = 'X' WHERE tenant_name = 'TNT00001'`],
  ['contact added', { TNT00001: 1 }, contact('TNT00001', 'new@example.com')],
  ['contact deactivated', { TNT00001: 1 }, "UPDATE contacts SET active = 0 WHERE email = 'new@example.com'"],
  ['contact removed', { TNT00001: 1 }, "DELETE FROM contacts WHERE email = 'new@example.com'"],
  [
    'open statement changed',
    { TNT00002: 1 },
    `UPDATE statements SET attempts = 1 WHERE statement_pk = ${statement('TNT00002', '2026-10')}`,
  ],
  [
    'line added (lines are not counted)',
    {},
    `INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (${statement('TNT00002', '2026-10')}, 2, 'fee', '1')`,
  ],
  ['statement opened', { TNT00003: 1 }, open('TNT00003', '2026-11', 1)],
  [
    'statement held',
    { TNT00002: 1 },
    `INSERT INTO statement_holds (statement_pk, kind, held_at, held_by) VALUES (${statement('TNT00002', '2026-09')}, 'operator', '${NOW}', 'ops')`,
  ],
  ['hold released', { TNT00002: 1 }, `UPDATE statement_holds SET released_at = '${NOW}', released_by = 'ops'`],
  ['hold removed', { TNT00002: 1 }, 'DELETE FROM statement_holds'],
  ['zip pruned', { TNT00001: 1 }, `UPDATE statement_files SET pruned_at = '${NOW}'`],
  ['file settings made', { TNT00003: 1 }, settings(statement('TNT00003', '2026-09'))],
  ['file settings changed', { TNT00003: 1 }, `UPDATE statement_file_settings SET changed_at = 'later'`],
  ['file settings removed', { TNT00003: 1 }, 'DELETE FROM statement_file_settings'],
  [
    'mails attempted (two rows)',
    { TNT00001: 2 },
    `UPDATE deliveries SET attempts = attempts + 1 WHERE statement_pk = ${statement('TNT00001', '2026-09')}`,
  ],
  [
    'mail added',
    { TNT00002: 1 },
    `INSERT INTO deliveries (statement_pk, recipient, kind, status, message_id, created_at, updated_at) VALUES (${statement('TNT00002', '2026-09')}, 'a@example.com', 'resend', 'pending', 'resend-1', '${NOW}', '${NOW}')`,
  ],
  ['mail removed', { TNT00002: 1 }, "DELETE FROM deliveries WHERE message_id = 'resend-1'"],
  [
    'own audit entry',
    { TNT00002: 1 },
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'download', 'TNT00002', '{}')`,
  ],
  [
    'entry of several tenants',
    { TNT00001: 1, TNT00003: 1 },
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', '*', '{"tenants":["TNT00001","TNT00003"]}')`,
  ],
  [
    'a tenant listed twice',
    { TNT00001: 2 },
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', '*', '{"tenants":["TNT00001","TNT00001","TNT09999"]}')`,
  ],
  [
    'tenants as an object',
    { TNT00002: 1 },
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', '*', '{"tenants":{"a":"TNT00002"}}')`,
  ],
  [
    'one tenant as a string',
    { TNT00003: 1 },
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', '*', '{"tenants":"TNT00003"}')`,
  ],
  [
    'tenants named twice: the first',
    { TNT00001: 1 },
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', '*', '{"tenants":["TNT00001"],"tenants":["TNT00002"]}')`,
  ],
  [
    'detail not JSON',
    {},
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', '*', '{"tenants":["TNT00001"]')`,
  ],
  [
    'tenants listed, subject not *',
    {},
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'release', 'x', '{"tenants":["TNT00001"]}')`,
  ],
  [
    "an import's entry",
    {},
    `INSERT INTO audit_log (at, action, subject, detail) VALUES ('${NOW}', 'import', 'usage', '{}')`,
  ],
  ['statement voided', { TNT00002: 1 }, voidOf(statement('TNT00002', '2026-09'))],
  [
    'statement deleted',
    { TNT00003: 1 },
    `DELETE FROM statements WHERE statement_pk = ${statement('TNT00003', '2026-11')}`,
  ],
];

describe('tenant_changes on PostgreSQL', () => {
  it("every write to a tenant's rows raises its number as SQLite's triggers do, and no other tenant's", () => {
    const changes = pgDatabase('changes');
    psql(changes, `${baseline}\n${FIXTURE}`);
    const dir = tempDir('uc-pg-changes-');
    const own = openStore(dir.dir);
    try {
      const db = connection(own);
      db.exec(FIXTURE);
      const NUMBERS = `SELECT t.tenant_name, coalesce(c.version, 0) FROM tenants t
        LEFT JOIN tenant_changes c ON c.tenant_pk = t.tenant_pk ORDER BY t.tenant_name`;
      const numbers = (rows: string[]): Record<string, number> =>
        Object.fromEntries(rows.map((r) => r.split('|')).map(([t, n]) => [t, Number(n)]));
      const sqliteNumbers = (): Record<string, number> => numbers(sqliteTry(db, '', NUMBERS).rows);
      const pgNumbers = (): Record<string, number> => numbers(psql(changes, `${NUMBERS};`));
      // The fixture's writes have raised the same numbers.
      let before = { sqlite: sqliteNumbers(), postgres: pgNumbers() };
      expect(before.postgres).toEqual(before.sqlite);
      expect(before.sqlite.TNT00001).toBeGreaterThan(0);
      for (const [what, raised, sql] of CHANGES) {
        const lite = sqliteTry(db, sql);
        expect(lite.error, `${what}: SQLite`).toBeNull();
        expect(psqlTry(changes, `${sql};`).error, `${what}: PostgreSQL`).toBeNull();
        const after = { sqlite: sqliteNumbers(), postgres: pgNumbers() };
        for (const engine of ['sqlite', 'postgres'] as const)
          for (const t of ['TNT00001', 'TNT00002', 'TNT00003'])
            expect(after[engine][t]! - before[engine][t]!, `${what}: ${engine}: ${t}`).toBe(raised[t] ?? 0);
        before = after;
      }
    } finally {
      closeStore(own);
      dir.cleanup();
    }
  });
});
