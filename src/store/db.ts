/** Opens the store: one SQLite file under the data dir, WAL, foreign keys, migrations applied. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { redactUrl, type Config } from '../config.ts';
import { ConfigError, UsageChargesError } from '../domain/errors.ts';
import { storeFullWanted } from '../testing/faults.ts';
import { ensureFolder, FolderError, whyNotMade } from './folders.ts';
import { migrations, latestVersion, POSTGRES_BASELINE_VERSION, type Migration } from './migrations/index.ts';
import { sql as postgresBaseline } from './migrations/postgres-baseline.ts';
import { CLAIM_SPACE, PgConnection, type Claim, type LockWaits } from './postgres.ts';
import { isBusy } from './errors.ts';

declare const STORE_HANDLE: unique symbol;

/**
 * An open store as every layer holds it: a handle passed back to the store's functions. Only
 * src/store reaches the SQLite connection behind it (`connection`): no driver type or call leaks
 * above the store, the one seam a second database engine would implement.
 */
export interface Db {
  readonly [STORE_HANDLE]: true;
}

/** The SQLite connection behind a store handle (src/store, and tests that read the file). */
export function connection(db: Db): Database.Database {
  return db as unknown as Database.Database;
}

/** The engine of an open store: the SQLite file under DATA_DIR, or the PostgreSQL database DATABASE_URL names. */
export type StoreEngine = 'sqlite' | 'postgres';

/** Which engine an open store is on. */
export function storeEngine(db: Db): StoreEngine {
  return (db as unknown) instanceof PgConnection ? 'postgres' : 'sqlite';
}

/** The handle of an open SQLite connection. */
export function storeHandle(c: Database.Database): Db {
  return c as unknown as Db;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement of this connection, made once per SQL text: the close and the sender run
 * the same few statements for every tenant and message.
 */
export function cachedStatement(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (cache === undefined) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = connection(db).prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/**
 * Runs the asynchronous `fn` as one write, all or nothing: in an IMMEDIATE transaction (the write
 * lock taken at once), or in a savepoint when the connection is already inside a transaction (its
 * part alone undone on failure). Committed when `fn` resolves; rolled back when it rejects or the
 * commit fails, and the error passed on.
 */
export async function inTransactionAsync<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const nested = connection(db).inTransaction;
  connection(db).exec(nested ? 'SAVEPOINT nested_write' : 'BEGIN IMMEDIATE');
  try {
    const result = await fn();
    connection(db).exec(nested ? 'RELEASE nested_write' : 'COMMIT');
    return result;
  } catch (err) {
    if (connection(db).inTransaction)
      connection(db).exec(nested ? 'ROLLBACK TO nested_write; RELEASE nested_write' : 'ROLLBACK');
    throw err;
  }
}

/** The database file's name inside the data dir. */
export const DB_FILE_NAME = 'usage-charges.sqlite';

/** Options for opening the store. */
export interface OpenOptions {
  /** Apply migrations up to this version only (tests of the upgrade path). */
  targetVersion?: number;
  /**
   * Create the data dir and the store when there is none (the default); false: a data dir without
   * a store is a ConfigError saying so, and nothing is created.
   */
  create?: boolean;
}

/** The database file of the store in `dataDir`, when there is one (an empty file, left by a first open that died, is none). */
export function existingStoreFile(dataDir: string): string | null {
  const file = path.join(dataDir, DB_FILE_NAME);
  try {
    return fs.statSync(file).size > 0 ? file : null;
  } catch {
    return null;
  }
}

/** A DATA_DIR that exists and is not a folder is a ConfigError. */
function checkNotAFile(dataDir: string): void {
  if (fs.existsSync(dataDir) && !fs.statSync(dataDir).isDirectory()) {
    throw new ConfigError(`DATA_DIR: ${dataDir} exists and is not a folder`);
  }
}

/** Creates the data dir (owner-only) when missing and returns the database file's path. */
export function prepareDataDir(dataDir: string): string {
  checkNotAFile(dataDir);
  ensureFolder(dataDir, `DATA_DIR ${dataDir}`);
  const file = path.join(dataDir, DB_FILE_NAME);
  try {
    if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
  } catch (err) {
    throw new FolderError(
      `DATA_DIR ${dataDir}: the store ${DB_FILE_NAME} cannot be created: ${whyNotMade(file, err)}`,
      err,
    );
  }
  return file;
}

/** SQLite's codes for a store file it cannot open or write. */
const CANNOT_OPEN = /^SQLITE_(CANTOPEN|READONLY|PERM)/;

/** Opens (and creates, when needed) the store in `dataDir` and brings its schema up to date. */
export function openStore(dataDir: string, options: OpenOptions = {}): Db {
  checkNotAFile(dataDir);
  if (options.create === false && existingStoreFile(dataDir) === null) {
    throw new ConfigError(
      `no store in DATA_DIR ${dataDir}: run \`usage-charges import\` or \`usage-charges seed-demo\` first`,
    );
  }
  const file = prepareDataDir(dataDir);
  let db: Db;
  try {
    db = storeHandle(new Database(file));
  } catch (err) {
    throw cannotOpen(dataDir, err);
  }
  try {
    connection(db).pragma('busy_timeout = 5000');
    connection(db).pragma('journal_mode = WAL');
    connection(db).pragma('foreign_keys = ON');
    connection(db).pragma('synchronous = NORMAL');
    // A test's full disk: the store is held to the size it has now.
    if (storeFullWanted())
      connection(db).pragma(
        `max_page_count = ${Math.max(1, Number(connection(db).pragma('page_count', { simple: true })))}`,
      );
    migrate(db, options.targetVersion ?? latestVersion);
  } catch (err) {
    connection(db).close();
    throw cannotOpen(dataDir, err);
  }
  return db;
}

/**
 * Opens the store in the PostgreSQL database `conninfo` names (a libpq connection string or
 * postgres:// URL) and brings its schema up to date: an empty database is given the baseline
 * (versions 1 to POSTGRES_BASELINE_VERSION), then every later migration is applied in its
 * PostgreSQL form, each in its own transaction under the store's write lock and recorded in
 * schema_migrations, so that workers starting together apply each once. `targetVersion`: apply
 * migrations up to this version only (tests of the upgrade path).
 */
export function openPostgresStore(conninfo: string, options: { targetVersion?: number; create?: boolean } = {}): Db {
  let c: PgConnection;
  try {
    c = new PgConnection(conninfo);
  } catch (err) {
    throw new UsageChargesError(
      'E_DATABASE',
      `the store's database ${redactUrl(conninfo)} cannot be reached: ${(err as Error).message}`,
    );
  }
  try {
    // A worker whose machine stops loses its claims once the server's keepalive gives up on it
    // (about a minute); one that dies, at once (its connection closes).
    c.exec('SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3');
    const hasSchema = (): boolean =>
      c.prepare("SELECT to_regclass('schema_migrations') IS NOT NULL").pluck().get() === 1;
    // A verb that only reads (status, export, ...) does not make a store of an empty database.
    if (options.create === false && !hasSchema())
      throw new ConfigError(
        `no store in the database ${redactUrl(conninfo)}: run \`usage-charges import\` or \`usage-charges seed-demo\` first`,
      );
    if (!hasSchema())
      c.transaction(() => {
        if (!hasSchema()) c.exec(postgresBaseline);
      }).immediate();
    const newest = c.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number;
    if (newest > latestVersion)
      throw new UsageChargesError(
        'E_SCHEMA_NEWER',
        `the database has schema version ${newest}, newer than this program knows (${latestVersion}); upgrade usage-charges`,
      );
    migratePostgres(c, options.targetVersion ?? latestVersion);
  } catch (err) {
    c.close();
    throw err;
  }
  return storeHandle(c as unknown as Database.Database);
}

/** Applies the PostgreSQL form of every migration after the baseline up to `target` not applied yet. */
function migratePostgres(c: PgConnection, target: number): void {
  const isApplied = c.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = c.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= POSTGRES_BASELINE_VERSION || m.version > target || isApplied.get(m.version) !== undefined)
      continue;
    const postgres = m.postgres;
    if (postgres === undefined)
      throw new UsageChargesError(
        'E_SCHEMA_POSTGRES',
        `migration ${m.version} ${m.name} has no PostgreSQL form; this program cannot open a PostgreSQL store`,
      );
    // Another process may have applied it since: look again under the lock.
    c.transaction(() => {
      if (isApplied.get(m.version) !== undefined) return;
      c.exec(postgres);
      record.run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
}

/**
 * Opens the store the configuration names: the PostgreSQL database of DATABASE_URL when it is set,
 * else the SQLite file under DATA_DIR. An empty PostgreSQL database is made a store (its schema),
 * as a first worker starting does; with `create: false` (a verb that only reads) it is a
 * ConfigError saying that there is no store in it, and nothing is made.
 */
export function openConfiguredStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options: OpenOptions = {}): Db {
  if (config.databaseUrl === null) return openStore(config.dataDir, options);
  // The data dir holds the outbox and the program's other files on either engine: made with the
  // store, as on SQLite.
  checkNotAFile(config.dataDir);
  const db = openPostgresStore(config.databaseUrl, { create: options.create });
  if (options.create !== false) {
    try {
      ensureFolder(config.dataDir, `DATA_DIR ${config.dataDir}`);
    } catch (err) {
      closeStore(db);
      throw err;
    }
  }
  return db;
}

/** Where the store is, for people: the SQLite file, or the PostgreSQL database (its URL without the password). */
export function storePlace(config: Pick<Config, 'dataDir' | 'databaseUrl'>): string {
  return config.databaseUrl === null
    ? path.join(config.dataDir, DB_FILE_NAME)
    : `PostgreSQL ${redactUrl(config.databaseUrl)}`;
}

/**
 * Opens the store in `dataDir` read-only (a second thread's own connection), waiting up to
 * `busyTimeoutMs` for another connection's lock. The store must exist; no migration is applied.
 */
export function openReadOnlyStore(dataDir: string, busyTimeoutMs: number): Db {
  const db = storeHandle(new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true }));
  setBusyTimeout(db, busyTimeoutMs);
  return db;
}

/**
 * What a second thread opens the store with when it is on PostgreSQL (the connection string of
 * its database); undefined on SQLite, whose store is the file under DATA_DIR.
 */
export function postgresConninfo(db: Db): string | undefined {
  const c = db as unknown;
  return c instanceof PgConnection ? c.conninfo : undefined;
}

/**
 * Opens the store in the PostgreSQL database `conninfo` names read-only (a second thread's own
 * connection: every transaction of it is read-only). The schema must be there; none is made.
 */
export function openReadOnlyPostgresStore(conninfo: string, busyTimeoutMs: number): Db {
  const c = new PgConnection(conninfo);
  try {
    c.exec('SET default_transaction_read_only = on');
  } catch (err) {
    c.close();
    throw err;
  }
  const db = storeHandle(c as unknown as Database.Database);
  setBusyTimeout(db, busyTimeoutMs);
  return db;
}

/** Closes a connection to the store. */
export function closeStore(db: Db): void {
  connection(db).close();
}

/** An error of opening the store, naming DATA_DIR when SQLite cannot open or write its file. */
function cannotOpen(dataDir: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !CANNOT_OPEN.test(code)) return err;
  return new FolderError(
    `DATA_DIR ${dataDir}: the store ${DB_FILE_NAME} cannot be opened for writing: ${code} (${(err as Error).message})`,
    err,
  );
}

/** The versions already applied to this store, in order. */
export function appliedVersions(db: Db): number[] {
  connection(db).exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
  return connection(db).prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
}

/** Applies every migration above the store's version up to `target`, each in its own transaction. */
export function migrate(db: Db, target: number = latestVersion, list: readonly Migration[] = migrations): number[] {
  const applied = new Set(appliedVersions(db));
  const newest = Math.max(0, ...applied);
  const known = new Set(list.map((m) => m.version));
  for (const v of applied) {
    if (!known.has(v)) {
      throw new UsageChargesError(
        'E_SCHEMA_NEWER',
        `the database has schema version ${newest}, newer than this program knows (${latestVersion}); upgrade usage-charges`,
      );
    }
  }
  const done: number[] = [];
  const record = connection(db).prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = connection(db).prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  for (const m of list) {
    if (m.version > target || applied.has(m.version)) continue;
    // Another process may have applied it since the versions were read: look again under the lock.
    const apply = connection(db).transaction(() => {
      if (isApplied.get(m.version) !== undefined) return false;
      if (m.foreignKeysOff === true) {
        connection(db).pragma('legacy_alter_table = ON');
        connection(db).exec(m.sql);
        connection(db).pragma('legacy_alter_table = OFF');
        const broken = connection(db).pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new Error(
            `migration ${m.version} ${m.name}: ${broken.length} reference(s) broken: ${JSON.stringify(broken[0])}`,
          );
      } else {
        connection(db).exec(m.sql);
      }
      record.run(m.version, m.name, new Date().toISOString());
      return true;
    });
    // Foreign keys are switched only outside a transaction (SQLite ignores the pragma inside one).
    if (m.foreignKeysOff === true) connection(db).pragma('foreign_keys = OFF');
    let ran: boolean;
    try {
      ran = apply.immediate();
    } finally {
      if (m.foreignKeysOff === true) {
        connection(db).pragma('legacy_alter_table = OFF');
        connection(db).pragma('foreign_keys = ON');
      }
    }
    if (ran) done.push(m.version);
  }
  return done;
}

/** Copies the store to `file` while it is in use (SQLite's online backup). */
export async function backupStore(db: Db, file: string): Promise<void> {
  await connection(db).backup(file);
}

/** Sets how long this connection waits for another process's lock before a statement fails. */
export function setBusyTimeout(db: Db, ms: number): void {
  connection(db).pragma(`busy_timeout = ${Math.trunc(ms)}`);
}

/** Runs `fn` with the connection's busy timeout set to `ms`, then puts the connection's own back. */
export function withBusyTimeout<T>(db: Db, ms: number, fn: () => T): T {
  const own = connection(db).pragma('busy_timeout', { simple: true }) as number;
  connection(db).pragma(`busy_timeout = ${Math.trunc(ms)}`);
  try {
    return fn();
  } finally {
    connection(db).pragma(`busy_timeout = ${own}`);
  }
}

/** How long one try of a store write may block the thread waiting for another process's lock. */
export const WRITE_TRY_BLOCK_MS = 20;
/** The longest pause between two tries of a store write that found the store busy. */
const WRITE_RETRY_PAUSE_MS = 250;

/**
 * Runs a store write without holding up the event loop while another process (an import) holds
 * the store's write lock: each try blocks for at most WRITE_TRY_BLOCK_MS, and a busy store is
 * tried again after a timer, so that sockets, their timeouts and the lease's heartbeat go on
 * meanwhile. Gives up with SQLite's busy error once the connection's own busy timeout (how long
 * this process waits for the store) has passed; with `untilWritten`, never gives up on a busy store
 * (a result that must not be lost, such as a message the server accepted, waits as long as an
 * import holds the store).
 */
export async function writeWhenFree<T>(db: Db, write: () => T, options: { untilWritten?: boolean } = {}): Promise<T> {
  const waitMs = connection(db).pragma('busy_timeout', { simple: true }) as number;
  const started = Date.now();
  for (let pause = 10; ; pause = Math.min(WRITE_RETRY_PAUSE_MS, pause * 2)) {
    try {
      return withBusyTimeout(db, WRITE_TRY_BLOCK_MS, write);
    } catch (err) {
      if (!isBusy(err) || (options.untilWritten !== true && Date.now() - started >= waitMs)) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Rows added since its planner statistics were taken above which a table's are taken again (and at least this share of it). */
const GROWTH_ROWS = 200;
const GROWTH_SHARE = 0.2;

/**
 * After a step that added `added` rows to `tables[0]` (and rows to the others with them): on
 * PostgreSQL, when that is more than a fifth of what the planner believes the table holds (or
 * it never looked), takes the planner's statistics of `tables` again (ANALYZE), outside any
 * transaction. Without it a database filled by its first imports and its first month-end is
 * planned as the empty one it was until the server's autovacuum looks (a minute or more later):
 * a delivery's claim picked the status index over the key and read every fixed statement, 5 ms
 * instead of 0.1 ms, growing with the month. A table another session is analyzing is skipped.
 * Nothing on SQLite, whose plans do not depend on statistics here.
 *
 * Best effort: it runs after the work it follows is committed, so a failure of its own (a
 * statement timeout, a connection the server ended) does not make that work fail: false then
 * (the server's autovacuum takes the statistics later, and a connection that is gone is said by
 * the next statement that needs it).
 */
export function refreshStatistics(db: Db, tables: readonly [string, ...string[]], added: number): boolean {
  const c = connection(db) as unknown;
  if (!(c instanceof PgConnection) || added < GROWTH_ROWS) return true;
  try {
    const believed = c.prepare('SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)').pluck().get(tables[0]) as
      number | undefined;
    if (believed !== undefined && believed >= 0 && added <= believed * GROWTH_SHARE) return true;
    // A table skipped is not news for the operator (the server would print a WARNING to the terminal).
    c.exec('SET client_min_messages = error');
    try {
      c.exec(`ANALYZE (SKIP_LOCKED) ${tables.map((t) => `"${t.replaceAll('"', '""')}"`).join(', ')}`);
    } finally {
      c.exec('RESET client_min_messages');
    }
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` in an IMMEDIATE transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return connection(db).transaction(fn).immediate();
}

/** What can be claimed by one worker at a time: a tenant (its close), a delivery (its attempt). */
export type ClaimSpace = keyof typeof CLAIM_SPACE;

/**
 * Runs `fn` as one write of the rows of one claimed thing (`space`, `key`: a tenant's close).
 * On SQLite, a write transaction as `inTransaction` (one writer at a time: nothing else can hold
 * a claim). On PostgreSQL, where several workers write at once, with the claim taken for the
 * transaction: `{ claimed: false }` without running `fn` when another worker holds it (or, with
 * `wait`, once it has let it go).
 */
export function inClaimedTransaction<T>(
  db: Db,
  claim: { space: ClaimSpace; key: number; wait?: boolean },
  fn: () => T,
): Claim<T> {
  const c = connection(db) as unknown;
  if (c instanceof PgConnection)
    return c.claimedTransaction(CLAIM_SPACE[claim.space], claim.key, claim.wait === true, fn);
  return { claimed: true, result: inTransaction(db, fn) };
}

/**
 * Takes a claim (`space`, `key`) for this connection until `releaseClaim` or until the connection
 * ends (a worker that dies loses its claims with its connection). Always true on SQLite, where one
 * pass at a time works (the month-end lease). False when another worker holds it.
 */
export function takeClaim(db: Db, space: ClaimSpace, key: number): boolean {
  const c = connection(db) as unknown;
  return c instanceof PgConnection ? c.takeClaim(CLAIM_SPACE[space], key) : true;
}

/**
 * How long this connection has waited for the store's write lock and its claims, and how many
 * claims it found held by another worker (PostgreSQL); null on SQLite, whose busy waits happen
 * inside its own calls.
 */
export function lockWaits(db: Db): LockWaits | null {
  const c = connection(db) as unknown;
  return c instanceof PgConnection ? c.lockWaits() : null;
}

/** Gives back a claim taken with `takeClaim`. */
export function releaseClaim(db: Db, space: ClaimSpace, key: number): void {
  const c = connection(db) as unknown;
  if (c instanceof PgConnection) c.releaseClaim(CLAIM_SPACE[space], key);
}

/** Writes waiting together for the store's write lock (writeTogetherWhenFree), per store. */
interface WaitingWrite {
  write: () => void;
  done: (err: unknown) => void;
}
const waitingWrites = new WeakMap<Db, WaitingWrite[]>();

/** How often a waiting write looks whether the lock is free (a month-end pass leaves it free for a few ms every ~50 ms). */
const WAITING_POLL_MS = 1;

/**
 * A small write of a web request that must be made before its answer (a download's audit row),
 * made without holding up other pages while another process (a month-end pass) holds the store's
 * write lock, and with the writes of the requests that came at the same time: the writes waiting
 * meanwhile are made together, each in its own savepoint, in one
 * transaction as soon as the lock is found free; the lock is looked at every ~WAITING_POLL_MS
 * without blocking (the pass leaves it free only for a few milliseconds at a time, and one look
 * lets every waiting write in). Rejects with SQLite's busy error once the connection's own busy
 * timeout has passed, or with the write's own error (the other writes are made).
 */
export function writeTogetherWhenFree(db: Db, write: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry: WaitingWrite = { write, done: (err) => (err === undefined ? resolve() : reject(err)) };
    const waiting = waitingWrites.get(db);
    if (waiting !== undefined) {
      waiting.push(entry);
      return;
    }
    const queue = [entry];
    waitingWrites.set(db, queue);
    const waitMs = connection(db).pragma('busy_timeout', { simple: true }) as number;
    let started = Date.now();
    const attempt = (): void => {
      const batch = queue.splice(0);
      const outcomes: unknown[] = [];
      try {
        withBusyTimeout(db, 0, () =>
          inTransaction(db, () => {
            for (const w of batch) {
              try {
                connection(db).transaction(w.write)();
                outcomes.push(undefined);
              } catch (err) {
                if (isBusy(err)) throw err;
                outcomes.push(err ?? new Error('a write failed'));
              }
            }
          }),
        );
      } catch (err) {
        queue.unshift(...batch);
        if (isBusy(err) && Date.now() - started < waitMs) {
          setTimeout(attempt, WAITING_POLL_MS);
          return;
        }
        waitingWrites.delete(db);
        for (const w of queue.splice(0)) w.done(err);
        return;
      }
      batch.forEach((w, i) => w.done(outcomes[i]));
      // Writes that came while these were made go in the next look.
      started = Date.now();
      if (queue.length > 0) setImmediate(attempt);
      else waitingWrites.delete(db);
    };
    // After the requests that came with this one: their writes are made in the same transaction.
    setImmediate(attempt);
  });
}

/**
 * The store's version as this connection sees it: it changes whenever a change is committed, by
 * another connection (`PRAGMA data_version`) or by this one (`total_changes()`). On PostgreSQL,
 * the number every writing transaction raises (the `store_version` table, raised by its tables'
 * triggers) and this connection's own changes, its uncommitted ones included.
 */
function storeVersion(db: Db): string {
  const c = db as unknown;
  if (c instanceof PgConnection) {
    const raised = Number(cachedStatement(db, 'SELECT sum(version) FROM store_version').pluck().get());
    return `${raised}:${c.totalChanges()}`;
  }
  const other = connection(db).pragma('data_version', { simple: true }) as number;
  const own = cachedStatement(db, 'SELECT total_changes()').pluck().get() as number;
  return `${other}:${own}`;
}

const computedCache = new WeakMap<Db, Map<string, { version: string; value: unknown }>>();
/** At most this many values are kept per store (a few months in each language). */
const COMPUTED_KEPT = 32;

/**
 * `compute()`, a value read from the store (a month's counts), computed again only once the store
 * has changed since it was last computed under `key`: a page asked for again and again while
 * nothing is written reads the store once.
 */
export function computedWhileUnchanged<T>(db: Db, key: string, compute: () => T): T {
  let cache = computedCache.get(db);
  if (cache === undefined) {
    cache = new Map();
    computedCache.set(db, cache);
  }
  const version = storeVersion(db);
  const kept = cache.get(key);
  if (kept !== undefined && kept.version === version) return kept.value as T;
  const value = compute();
  if (cache.size >= COMPUTED_KEPT) cache.clear();
  // The version read before computing: a change committed meanwhile makes the next call compute again.
  cache.set(key, { version, value });
  return value;
}
