/**
 * The demo store of the command-line scenario tests: seeded (2026-10, UTC), or seeded once and
 * copied for each test, read back read-only, and reduced to what a pass decides so that stores can
 * be compared; and the test SMTP servers of those tests, stopped when each test ends.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { PgConnection } from '../../src/store/postgres.ts';
import { storeHandle } from '../../src/store/db.ts';
import { archivedBytes } from './archive.ts';
import { killChildren } from './child.ts';
import { runCli } from './cli.ts';
import { startControlledSmtpServer, type ControlledSmtpServer } from './smtp-control.ts';
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from './smtp.ts';
import { copyDataDir, databaseOf } from './store-engine.ts';

export const AS_OF = '2026-11-03T00:00:00Z';
export const MONTH = '2026-10';
/** The demo's tenants, in the order a pass reports them. */
export const TENANTS = ['TNT00001', 'TNT00003', 'TNT00004', 'TNT00005', 'manual-tenant'];
/** The active contacts of the demo, by tenant (TNT00005 has none; TNT00003's third one is inactive). */
export const CONTACTS: Record<string, string[]> = {
  TNT00001: ['billing@tenant01.example.jp'],
  TNT00003: ['ap@rules.example.com', 'cfo@rules.example.com'],
  TNT00004: ['finance@globex.example.sg'],
  'manual-tenant': ['owner@manual-tenant.example.jp'],
};
export const RECIPIENTS = Object.values(CONTACTS).flat().sort();
export const TENANT_OF = new Map(Object.entries(CONTACTS).flatMap(([t, as]) => as.map((a) => [a, t] as const)));

/**
 * The sender and issuer of a configured install: with them, `run` and `schedule` print no warning
 * at start when SMTP_URL is set.
 */
export const CONFIGURED_MAIL = { MAIL_FROM: 'Billing <billing@example.com>', ISSUER_NAME: 'Example Cloud K.K.' };

/** The settings of a data dir: billing in UTC, only errors logged, a configured sender and issuer. */
export function demoEnv(dataDir: string): Record<string, string> {
  return { DATA_DIR: dataDir, BILLING_TZ: 'UTC', LOG_LEVEL: 'error', ...CONFIGURED_MAIL };
}

/** Seeds the demo into the data dir `dir/name` (through the command line, in this process); returns its settings. */
export async function seeded(dir: string, name: string): Promise<Record<string, string>> {
  const env = demoEnv(path.join(dir, name));
  const seed = await runCli(['seed-demo', '--as-of', AS_OF], env);
  expect(seed.stderr, `seed-demo wrote to stderr (exit ${seed.code}):\n${seed.stdout}`).toBe('');
  expect(seed.code, `seed-demo failed:\n${seed.stdout}`).toBe(0);
  return env;
}

/** Seeds the demo into `dir/template` (through the command line); returns its settings. */
export function seedTemplate(dir: string): Promise<Record<string, string>> {
  return seeded(dir, 'template');
}

/** A copy of the seeded template's data dir under `dir/name`; returns its settings. */
export function copyOf(template: Record<string, string>, dir: string, name: string): Record<string, string> {
  const dataDir = path.join(dir, name);
  // On PostgreSQL with its database.
  copyDataDir(template.DATA_DIR!, dataDir);
  return { ...template, DATA_DIR: dataDir };
}

/** The bytes of the zip archived at `zipPath` (relative to the data dir): its file, or on PostgreSQL its bytes in the store. */
export function archivedZip(env: Record<string, string>, zipPath: string): Buffer {
  return inStore(env, (db) => archivedBytes(storeHandle(db), env.DATA_DIR!, zipPath));
}

/** The store's file in a data dir. */
export function storeFile(env: Record<string, string>): string {
  return path.join(env.DATA_DIR!, 'usage-charges.sqlite');
}

/**
 * Reads the store of a data dir (read-only, so that nothing here changes it): its SQLite file, or
 * on PostgreSQL its database (the same queries: the connection translates them as the store's).
 */
export function inStore<T>(env: Record<string, string>, read: (db: Database.Database) => T): T {
  const conninfo = databaseOf(env.DATA_DIR!);
  if (conninfo !== undefined) {
    const pg = new PgConnection(conninfo);
    try {
      pg.exec('SET default_transaction_read_only = on');
      return read(pg as unknown as Database.Database);
    } finally {
      pg.close();
    }
  }
  const db = new Database(storeFile(env), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The audit log's entries of one action, oldest first, their details parsed. */
export function audit(
  env: Record<string, string>,
  action: string,
): { subject: string; detail: Record<string, unknown> }[] {
  return inStore(env, (db) =>
    (
      db.prepare('SELECT subject, detail FROM audit_log WHERE action = ? ORDER BY audit_pk').all(action) as {
        subject: string;
        detail: string;
      }[]
    ).map((r) => ({ subject: r.subject, detail: JSON.parse(r.detail) as Record<string, unknown> })),
  );
}

/** One delivery row, with its tenant. */
export interface DeliveryRow {
  tenant: string;
  recipient: string;
  kind: string;
  status: string;
  attempts: number;
  messageId: string;
  lastError: string | null;
  /** The reason recorded with a resend (empty for a statement's own delivery). */
  reason: string;
}

export function deliveries(env: Record<string, string>): DeliveryRow[] {
  return inStore(
    env,
    (db) =>
      db
        .prepare(
          `SELECT t.tenant_name AS tenant, d.recipient, d.kind, d.status, d.attempts, d.message_id AS messageId, d.last_error AS lastError,
      d.reason
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) ORDER BY d.delivery_pk`,
        )
        .all() as DeliveryRow[],
  );
}

/** One recorded statement file, with its tenant. */
export interface FileRow {
  tenant: string;
  zipName: string;
  zipPath: string;
  sha256: string;
}

export function statementFiles(env: Record<string, string>): FileRow[] {
  return inStore(
    env,
    (db) =>
      db
        .prepare(
          `SELECT t.tenant_name AS tenant, f.zip_name AS zipName, f.zip_path AS zipPath, f.sha256
    FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) ORDER BY t.tenant_name`,
        )
        .all() as FileRow[],
  );
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * The SHA-256 of a file under the data dir, or null when there is none; on PostgreSQL, of a zip
 * recorded at that path, the bytes archived in the store.
 */
export function fileSha(env: Record<string, string>, relative: string): string | null {
  if (databaseOf(env.DATA_DIR!) !== undefined && relative.endsWith('.zip')) {
    const bytes = inStore(
      env,
      (db) =>
        db
          .prepare('SELECT a.bytes FROM archived_zips a JOIN statement_files f USING (file_pk) WHERE f.zip_path = ?')
          .pluck()
          .get(relative) as Buffer | undefined,
    );
    return bytes === undefined ? null : sha256(bytes);
  }
  const file = path.join(env.DATA_DIR!, relative);
  return fs.existsSync(file) ? sha256(fs.readFileSync(file)) : null;
}

/**
 * What a pass decided, without row keys and Message-IDs: every statement, its lines, its file
 * record (and the SHA-256 of the archived file on disk), its deliveries and the audit log. Two
 * stores that went through equivalent passes (with the same USAGE_CHARGES_TEST_NOW) give equal values.
 */
export function passResults(env: Record<string, string>): Record<string, unknown[]> {
  return inStore(env, (db) => {
    const drop = (row: Record<string, unknown>, ...keys: string[]): Record<string, unknown> => {
      const copy = { ...row };
      for (const k of keys) delete copy[k];
      return copy;
    };
    const rows = (sql: string): Record<string, unknown>[] => db.prepare(sql).all() as Record<string, unknown>[];
    return {
      statements: rows(
        `SELECT t.tenant_name, s.* FROM statements s JOIN tenants t USING (tenant_pk) ORDER BY t.tenant_name, s.billing_month`,
      ).map((r) => drop(r, 'statement_pk', 'tenant_pk')),
      lines:
        rows(`SELECT t.tenant_name, s.billing_month, l.* FROM charge_lines l JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
        ORDER BY t.tenant_name, s.billing_month, l.seq`).map((r) => drop(r, 'line_pk', 'statement_pk')),
      files: rows(
        `SELECT t.tenant_name, f.* FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) ORDER BY t.tenant_name`,
      ).map((r) => ({ ...drop(r, 'file_pk', 'statement_pk'), onDisk: fileSha(env, r.zip_path as string) })),
      deliveries:
        rows(`SELECT t.tenant_name, d.* FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)
        ORDER BY t.tenant_name, d.recipient, d.kind`).map((r) =>
          drop(r, 'delivery_pk', 'statement_pk', 'contact_pk', 'message_id'),
        ),
      audit: rows('SELECT action, subject, detail FROM audit_log ORDER BY audit_pk'),
    };
  });
}

/** A message a server accepted: its envelope recipients and its Message-ID. */
export interface AcceptedMessage {
  rcptTo: string[];
  messageId: string | undefined;
}

/**
 * The deliveries recorded `sent` are exactly the messages the server accepted: the same
 * (recipient, Message-ID) pairs, none more, none fewer.
 */
export function expectSentAsAccepted(env: Record<string, string>, accepted: readonly AcceptedMessage[]): void {
  const sent = deliveries(env)
    .filter((d) => d.status === 'sent')
    .map((d) => `${d.recipient} ${d.messageId}`)
    .sort();
  expect(sent).toEqual(accepted.map((m) => `${m.rcptTo.join(',')} ${m.messageId ?? '(none)'}`).sort());
}

/** Temporary files (`*.tmp`) left anywhere under the data dir's statements and outbox folders. */
export function tempFilesLeft(env: Record<string, string>): string[] {
  const found: string[] = [];
  for (const top of ['statements', 'outbox']) {
    const root = path.join(env.DATA_DIR!, top);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) continue;
    for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.tmp')) found.push(path.join(entry.parentPath, entry.name));
    }
  }
  return found;
}

const cleanups: (() => unknown)[] = [];

/** Runs `fn` when the current test ends (`endTest`), the last registered first. */
export function afterTest(fn: () => unknown): void {
  cleanups.push(fn);
}

/** The end of a test (each file's afterEach): its child processes killed, then what `afterTest` registered run. */
export async function endTest(): Promise<void> {
  await killChildren();
  while (cleanups.length) await cleanups.pop()!();
}

/** A test SMTP server, closed when the test ends. */
export async function smtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const s = await startSmtpServer(options);
  afterTest(() => s.close());
  return s;
}

/** A test SMTP server whose `stallData`-th message waits for its reply, closed when the test ends. */
export async function controlledServer(stallData: number): Promise<ControlledSmtpServer> {
  const s = await startControlledSmtpServer({ stallData });
  afterTest(() => s.close());
  return s;
}
