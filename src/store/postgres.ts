/**
 * PostgreSQL behind the store's connection interface: the part of better-sqlite3's Database and
 * Statement API the store uses (prepare, get, all, run, pluck, iterate, exec, transaction,
 * inTransaction, close), over libpq's synchronous calls (the `libpq` package, node-postgres'
 * native binding). Synchronous on purpose: the store's transactions are plain functions that run
 * to their end without other code of the process in between, as on SQLite; a query holds the
 * process for its round trip to the server (about 40 µs on a local socket).
 *
 * The SQL is the store's own, with its placeholders made PostgreSQL's: each `?` and each `@name`
 * becomes its own `$n` (a name used twice is bound twice), so that each place infers its own type;
 * `$n IS [NOT] NULL`, where nothing tells a type, is read as text; LIKE is ILIKE (SQLite's LIKE
 * ignores ASCII letter case); SQLite's `CROSS JOIN t ON ...` is `JOIN t ON ...`; a camelCase name (the store's aliases) is
 * quoted, keeping its case as SQLite does. Values go as text and come back
 * as SQLite gives them: integers and floating-point numbers as numbers (int8 and numeric too,
 * refused beyond 2^53), bytea as a Buffer, the rest as text.
 */
import { createRequire } from 'node:module';

/** The libpq binding's synchronous calls used here. */
interface PQ {
  connectSync(conninfo: string): void;
  exec(sql: string): void;
  execParams(sql: string, params: (string | null)[]): void;
  prepare(name: string, sql: string, nParams: number): void;
  execPrepared(name: string, params: (string | null)[]): void;
  resultStatus(): string;
  resultErrorMessage(): string;
  resultErrorFields(): Record<string, string | undefined> | undefined;
  errorMessage(): string;
  ntuples(): number;
  nfields(): number;
  fname(column: number): string;
  ftype(column: number): number;
  getvalue(row: number, column: number): string;
  getisnull(row: number, column: number): boolean;
  cmdTuples(): string;
  cmdStatus(): string;
  transactionStatus(): number;
  finish(): void;
  putCopyData(data: Buffer): number;
  putCopyEnd(errorMessage?: string): number;
  getResult(): boolean;
}

/** An error of the server, with its SQLSTATE (`code`) and what it names. */
export class PostgresError extends Error {
  readonly code: string;
  readonly constraint: string | undefined;
  /** The column, where the server names one (a NOT NULL refused). */
  readonly column: string | undefined;
  readonly detail: string | undefined;
  constructor(message: string, fields: Record<string, string | undefined> | undefined) {
    super(message);
    this.name = 'PostgresError';
    this.code = fields?.sqlState ?? '';
    this.constraint = fields?.constraintName;
    this.column = fields?.columnName;
    this.detail = fields?.messageDetail;
  }
}

/** A value as a statement takes it: as better-sqlite3 takes them. */
type Value = string | number | bigint | Buffer | null | undefined;
type Params = Value[] | [Record<string, Value>];

/** Where each `$n` of a translated statement takes its value from: an argument's index or a name. */
type Source = number | string;

/** The store's SQL with PostgreSQL's placeholders, and where each takes its value from. */
export function translatePlaceholders(sql: string): { text: string; sources: Source[] } {
  const sources: Source[] = [];
  let out = '';
  let positional = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    // Literals, quoted names and comments pass unchanged: a '?' or '@' inside them is text.
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (/[A-Za-z]/.test(c) && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      // A word: SQLite's LIKE ignores ASCII letter case, PostgreSQL's ILIKE does; SQLite's
      // `CROSS JOIN ... ON` (an order of the join for its planner) is a plain join.
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))![0];
      const upper = word.toUpperCase();
      const crossOn =
        upper === 'CROSS' && /^CROSS\s+JOIN\s+[A-Za-z_]\w*(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?\s+ON\b/i.test(sql.slice(i));
      // A name in camelCase (the store's aliases: `AS tenantPk`, `ORDER BY auditPk`) keeps its
      // case, as in SQLite: PostgreSQL folds an unquoted name to lower case.
      const camel = /[a-z]/.test(word) && /[A-Z]/.test(word);
      out += upper === 'LIKE' ? 'ILIKE' : crossOn ? '' : camel ? `"${word}"` : word;
      i += word.length;
    } else if (c === '?') {
      sources.push(positional++);
      out += `$${sources.length}`;
      i++;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      sources.push(name);
      out += `$${sources.length}`;
      i += 1 + name.length;
    } else {
      out += c;
      i++;
    }
  }
  // A placeholder only tested for NULL has no type to infer: text. A column equal to a value
  // without letter case (SQLite's `col = ? COLLATE NOCASE`, answered from the column's NOCASE
  // index) compares lower() of both: the expression of the unique index that stands for that
  // NOCASE index here (postgres-baseline.ts), so the index answers it (the ICU collation would be
  // read row by row: an import of 200,000 L-Platforms took minutes).
  const text = out
    .replace(/(\$\d+)(\s+IS\s+(?:NOT\s+)?NULL\b)/gi, '$1::text$2')
    // SQLite's `IS [NOT] value` compares NULL as a value: PostgreSQL's IS [NOT] DISTINCT FROM.
    .replace(/\bIS\s+NOT\s+(\$\d+)/gi, 'IS DISTINCT FROM $1')
    .replace(/\bIS\s+(\$\d+)/gi, 'IS NOT DISTINCT FROM $1')
    .replace(/\b([A-Za-z_][\w.]*)\s*=\s*(\$\d+)\s+COLLATE\s+NOCASE\b/gi, 'lower($1) = lower($2)');
  return { text, sources };
}

/** The index just past the literal or quoted name opened at `start` (a doubled quote stays inside). */
function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** A value as a text parameter. */
function asParam(v: Value, where: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${where}: ${v} cannot be stored`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  throw new TypeError(`${where}: a ${typeof v} cannot be bound (numbers, strings, bigints, Buffers and null can)`);
}

const NUMERIC_TYPES = new Set([20, 21, 23, 26, 700, 701, 1700]);
const BOOL = 16;
const BYTEA = 17;

/** A column's text value as SQLite would give it. */
function fromText(text: string, type: number): unknown {
  if (NUMERIC_TYPES.has(type)) {
    const n = Number(text);
    if ((type === 20 || type === 1700) && Number.isInteger(n) && !Number.isSafeInteger(n))
      throw new RangeError(`the store read ${text}, beyond the integers a number holds exactly`);
    return n;
  }
  if (type === BOOL) return text === 't' ? 1 : 0;
  if (type === BYTEA) return Buffer.from(text.slice(2), 'hex');
  return text;
}

/** The result of a statement that changes rows. */
export interface RunResult {
  changes: number;
}

/** A prepared statement of a PgConnection, as better-sqlite3's Statement is used by the store. */
export class PgStatement {
  private readonly text: string;
  private readonly sources: Source[];
  private name: string | undefined;
  private plucked = false;
  private rawRows = false;
  /** Whether the statement changes rows (its first word says so). */
  private readonly writes: boolean;

  constructor(
    private readonly connection: PgConnection,
    readonly source: string,
  ) {
    ({ text: this.text, sources: this.sources } = translatePlaceholders(source));
    this.writes = /^\s*(?:INSERT|UPDATE|DELETE|REPLACE|MERGE)\b/i.test(source);
  }

  /** Rows as their first column's value only (or whole again with `false`). */
  pluck(on = true): this {
    this.plucked = on;
    return this;
  }

  /** Rows as arrays of their values, in the order of the columns (or objects again with `false`). */
  raw(on = true): this {
    this.rawRows = on;
    return this;
  }

  get(...params: Params): unknown {
    return this.execute(params)[0];
  }

  all(...params: Params): unknown[] {
    return this.execute(params);
  }

  *iterate(...params: Params): IterableIterator<unknown> {
    yield* this.execute(params);
  }

  run(...params: Params): RunResult {
    this.execute(params);
    return { changes: this.connection.changes() };
  }

  /** The statement's start, to name it in an error. */
  private shortSource(): string {
    const flat = this.source.replace(/\s+/g, ' ').trim();
    return `"${flat.length > 80 ? `${flat.slice(0, 80)}…` : flat}"`;
  }

  private execute(params: Params): unknown[] {
    const named = params.length === 1 && isNamed(params[0]) ? params[0] : undefined;
    const values = this.sources.map((s) => {
      if (typeof s === 'number') {
        if (named !== undefined || s >= params.length)
          throw new RangeError(`too few parameters: the statement takes ${this.sources.length}`);
        return asParam(params[s] as Value, `parameter ${s + 1} of ${this.shortSource()}`);
      }
      if (named === undefined || !(s in named)) throw new RangeError(`missing named parameter "${s}"`);
      return asParam(named[s], `parameter @${s} of ${this.shortSource()}`);
    });
    this.name ??= this.connection.prepareNamed(this.text, values.length);
    const name = this.name;
    // A write outside a transaction takes the store's write lock first, as SQLite's does: its own
    // transaction, waiting for the lock up to the busy timeout.
    const rows =
      this.writes && !this.connection.inTransaction
        ? this.connection.transaction(() => this.connection.executePrepared(name, values, this.plucked)).immediate()
        : this.connection.executePrepared(name, values, this.plucked);
    return this.rawRows && !this.plucked ? rows.map((r) => Object.values(r as Record<string, unknown>)) : rows;
  }
}

function isNamed(v: unknown): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v);
}

/** The libpq binding; loaded when a PostgreSQL store is opened (an optional dependency). */
function libpq(): new () => PQ {
  try {
    return createRequire(import.meta.url)('libpq') as new () => PQ;
  } catch (err) {
    throw new Error(
      `DATABASE_URL names PostgreSQL, but its client library is not installed (npm package libpq, built with Debian's libpq-dev): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Connections just closed, kept from the garbage collector until their socket watcher is closed. */
const finishing = new Set<PQ>();

/** How long a write lock asked for without waiting (a busy timeout of 0) is queued for, in ms. */
const NOT_WAITING_MS = 20;

/** The advisory lock key of the store's write lock (any fixed number: one store per database). */
const STORE_WRITE_LOCK = 7_267_000_001;

/** What a claimed transaction did: ran `fn` under its claim, or found the claim held by another connection. */
export type Claim<R> = { claimed: true; result: R } | { claimed: false };

/** The namespaces of the claims (two-key advisory locks, apart from the store's one-key write lock). */
export const CLAIM_SPACE = { tenant: 72_670_001, delivery: 72_670_002, files: 72_670_003 } as const;

/** A transaction function, as better-sqlite3's: plain (deferred), or taking the write lock first. */
export type Transaction<A extends unknown[], R> = ((...args: A) => R) & {
  deferred: (...args: A) => R;
  immediate: (...args: A) => R;
  exclusive: (...args: A) => R;
};

/**
 * How long a connection has spent taking the store's write lock and its claims, and how often it
 * found a claim held by another connection (the benchmark's figures of the workers' contention).
 */
export interface LockWaits {
  /** Seconds spent in the queries that take the write lock or a claim (waiting included). */
  seconds: number;
  /** Lock-taking queries made. */
  takes: number;
  /** Claims found held by another connection (passed over, or waited for). */
  heldElsewhere: number;
}

/** A connection to PostgreSQL, as the store uses better-sqlite3's Database. */
export class PgConnection {
  private readonly pq: PQ;
  private prepared = 0;
  private lastChanges = 0;
  private ownChanges = 0;
  private open = true;
  private readonly waits: LockWaits = { seconds: 0, takes: 0, heldElsewhere: 0 };

  /** `conninfo`: the libpq connection string or postgres:// URL of the database, kept for a second thread to open it too. */
  constructor(readonly conninfo: string) {
    const PQClass = libpq();
    this.pq = new PQClass();
    try {
      this.pq.connectSync(conninfo);
    } catch (err) {
      throw new Error(
        `cannot connect to PostgreSQL: ${((err as Error).message || this.pq.errorMessage()).trim().replace(/\s+/g, ' ')}`,
        { cause: err },
      );
    }
  }

  prepare(sql: string): PgStatement {
    return new PgStatement(this, sql);
  }

  /** Runs SQL text without parameters: one or more statements. */
  exec(sql: string): this {
    // SQLite's write transaction: a transaction holding the store's write lock.
    if (/^\s*BEGIN\s+IMMEDIATE\s*;?\s*$/i.test(sql)) {
      this.exec('BEGIN');
      try {
        this.takeWriteLock();
      } catch (err) {
        this.exec('ROLLBACK');
        throw err;
      }
      return this;
    }
    this.pq.exec(sql);
    this.check();
    // SQL text may change rows anywhere (its statements are not told apart): counted as a change.
    this.ownChanges++;
    return this;
  }

  /** Whether a transaction is open (or failed and not yet ended). */
  get inTransaction(): boolean {
    const status = this.pq.transactionStatus();
    return status === 2 || status === 3;
  }

  /**
   * `fn` as one transaction, as better-sqlite3's `transaction(fn)`: BEGIN and COMMIT, or a
   * savepoint inside an open transaction; rolled back (to the savepoint) when it throws.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R> {
    const run = (immediate: boolean, args: A): R => {
      const nested = this.inTransaction;
      this.exec(nested ? 'SAVEPOINT nested_transaction' : 'BEGIN');
      try {
        // A write lock not had in time is rolled back with the rest: the busy error leaves no
        // open (aborted) transaction behind for the retry to run in.
        if (immediate && !nested) this.takeWriteLock();
        const result = fn(...args);
        this.exec(nested ? 'RELEASE nested_transaction' : 'COMMIT');
        return result;
      } catch (err) {
        if (this.inTransaction)
          this.exec(nested ? 'ROLLBACK TO nested_transaction; RELEASE nested_transaction' : 'ROLLBACK');
        throw err;
      }
    };
    return Object.assign((...args: A): R => run(false, args), {
      deferred: (...args: A): R => run(false, args),
      immediate: (...args: A): R => run(true, args),
      exclusive: (...args: A): R => run(true, args),
    });
  }

  /**
   * The store's write lock, as SQLite's `BEGIN IMMEDIATE` takes it: one writing transaction at a
   * time over the whole store (a transaction-scoped advisory lock), waited for up to the busy
   * timeout; with a busy timeout of 0, not waited for. Another holding it is a PostgresError of
   * SQLSTATE 55P03 (lock not available), which isBusy tells.
   */
  private takeWriteLock(): void {
    // Even "not waiting" (a busy timeout of 0) queues for a moment: while several workers close
    // tenants, their shared holds overlap and the lock is never free at one instant, but a queued
    // request gets it as soon as the tenants in hand are committed (new shared holds wait behind it).
    this.exec(`SET LOCAL lock_timeout = ${Math.max(NOT_WAITING_MS, Math.trunc(this.busyTimeoutMs))}`);
    this.timedLock(() => this.prepare('SELECT pg_advisory_xact_lock(?)').get(STORE_WRITE_LOCK));
  }

  /** Runs a lock-taking query, adding its time to the connection's lock waits. */
  private timedLock<T>(take: () => T): T {
    const started = process.hrtime.bigint();
    try {
      return take();
    } finally {
      this.waits.seconds += Number(process.hrtime.bigint() - started) / 1e9;
      this.waits.takes++;
    }
  }

  /** The time this connection has spent taking locks and claims, and the claims it found held elsewhere. */
  lockWaits(): LockWaits {
    return { ...this.waits };
  }

  /**
   * `fn` as one transaction that writes the rows of one claimed thing (a tenant's close): the
   * store's write lock taken shared, so that such transactions of different claims run together
   * on several workers while a write of the whole store (an import) waits for them all and they
   * for it; and the claim `key` (in the namespace `space`) taken exclusively for the transaction,
   * without waiting when `wait` is false. `{ claimed: false }` (fn not run) when another
   * connection holds the claim. Inside an open transaction, `fn` runs in a savepoint of it.
   */
  claimedTransaction<R>(space: number, key: number, wait: boolean, fn: () => R): Claim<R> {
    if (this.inTransaction) return { claimed: true, result: this.transaction(fn)() };
    this.exec('BEGIN');
    try {
      // The claim first, on its own: a worker waiting for another's tenant holds nothing meanwhile
      // (an import is not kept waiting by it), and waits as long as that close takes.
      const claim = wait ? 'pg_advisory_xact_lock(?, ?) IS NOT NULL' : 'pg_try_advisory_xact_lock(?, ?)';
      if (this.timedLock(() => this.prepare(`SELECT ${claim}`).pluck().get(space, key)) !== 1) {
        this.waits.heldElsewhere++;
        this.exec('ROLLBACK');
        return { claimed: false };
      }
      this.exec(`SET LOCAL lock_timeout = ${Math.max(NOT_WAITING_MS, Math.trunc(this.busyTimeoutMs))}`);
      this.timedLock(() => this.prepare('SELECT pg_advisory_xact_lock_shared(?::bigint)').get(STORE_WRITE_LOCK));
      const result = fn();
      this.exec('COMMIT');
      return { claimed: true, result };
    } catch (err) {
      if (this.inTransaction) this.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * Takes the claim `key` (in `space`) for this connection until it is given back
   * (`releaseClaim`) or the connection ends: a worker that dies loses it at once (its connection
   * closes), one whose machine stops when the server's keepalive gives up on it. False when
   * another connection holds it.
   */
  takeClaim(space: number, key: number): boolean {
    const got = this.timedLock(() => this.prepare('SELECT pg_try_advisory_lock(?, ?)').pluck().get(space, key)) === 1;
    if (!got) this.waits.heldElsewhere++;
    return got;
  }

  /** Gives back a claim taken with `takeClaim`. */
  releaseClaim(space: number, key: number): void {
    this.prepare('SELECT pg_advisory_unlock(?, ?)').pluck().get(space, key);
  }

  private busyTimeoutMs = 5000;

  /**
   * The few SQLite pragmas the store's own code asks of any connection: `busy_timeout` (how long
   * a write waits for the write lock), read and set. Any other is refused by name: it has no
   * meaning on PostgreSQL.
   */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const set = /^\s*busy_timeout\s*=\s*(\d+)\s*$/i.exec(source);
    if (set !== null) {
      this.busyTimeoutMs = Number(set[1]);
      return [];
    }
    if (/^\s*busy_timeout\s*$/i.test(source))
      return options.simple === true ? this.busyTimeoutMs : [{ timeout: this.busyTimeoutMs }];
    throw new Error(`PRAGMA ${source} has no meaning on PostgreSQL`);
  }

  get isOpen(): boolean {
    return this.open;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.pq.finish();
    // The binding closes its socket watcher asynchronously, inside the object: the object must
    // outlive that close (else the process aborts in libuv when it is collected first).
    const pq = this.pq;
    finishing.add(pq);
    setTimeout(() => finishing.delete(pq), 1000).unref();
  }

  /** Rows changed by the last statement that changed rows. */
  changes(): number {
    return this.lastChanges;
  }

  /**
   * A count that grows with every change this connection makes (rows inserted, updated or
   * deleted, and any SQL text run with `exec`), committed or not: as SQLite's `total_changes()`,
   * what tells the store's version apart inside this connection's own transaction.
   */
  totalChanges(): number {
    return this.ownChanges;
  }

  /** Prepares `text` on the server under a new name; returns the name. */
  prepareNamed(text: string, nParams: number): string {
    // One server-side statement per text: a worker prepares the same few statements again and again.
    const known = this.named.get(text);
    if (known !== undefined) return known;
    const name = `s${++this.prepared}`;
    this.pq.prepare(name, text, nParams);
    this.check();
    this.named.set(text, name);
    return name;
  }

  private readonly named = new Map<string, string>();

  /** Runs a prepared statement; its rows (each its first value when `plucked`). */
  executePrepared(name: string, values: (string | null)[], plucked: boolean): unknown[] {
    this.pq.execPrepared(name, values);
    this.check();
    const pq = this.pq;
    if (/^(?:INSERT|UPDATE|DELETE|MERGE)\b/.test(pq.cmdStatus())) {
      this.lastChanges = Number(pq.cmdTuples() || 0);
      this.ownChanges += this.lastChanges;
    }
    const rows = pq.ntuples();
    const fields = pq.nfields();
    const names = Array.from({ length: fields }, (_, c) => pq.fname(c));
    const types = Array.from({ length: fields }, (_, c) => pq.ftype(c));
    const value = (r: number, c: number): unknown =>
      pq.getisnull(r, c) ? null : fromText(pq.getvalue(r, c), types[c]!);
    const out: unknown[] = [];
    for (let r = 0; r < rows; r++) {
      if (plucked) {
        out.push(value(r, 0));
        continue;
      }
      const row: Record<string, unknown> = {};
      for (let c = 0; c < fields; c++) row[names[c]!] = value(r, c);
      out.push(row);
    }
    return out;
  }

  /** Throws the server's error of the last call, if it failed. */
  private check(): void {
    const status = this.pq.resultStatus();
    if (status === 'PGRES_FATAL_ERROR' || status === 'PGRES_BAD_RESPONSE' || status === 'PGRES_NONFATAL_ERROR') {
      const message = (this.pq.resultErrorMessage() || this.pq.errorMessage()).trim();
      throw new PostgresError(message.replace(/^ERROR:\s+/, '').split('\n')[0]!, this.pq.resultErrorFields());
    }
  }
}
