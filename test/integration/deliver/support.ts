/**
 * Shared pieces of the delivery tests: the demo cloud in a real SQLite store, closed for 2026-10,
 * a real SMTP server on 127.0.0.1, and readers of the outbox rows and the archived zips.
 */
import { archivedBytes } from '../../helpers/archive.ts';
import { afterEach } from 'vitest';
import { buildFiles } from '../../../jobs/build-files.ts';
import { closeDue, type CloseSummary } from '../../../jobs/close.ts';
import { jobContext, type JobContextParts } from '../../../jobs/context.ts';
import { sendDue, type DeliverOptions, type DeliverySummary } from '../../../jobs/deliver.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { seedDemo } from '../../../src/ingest/demo.ts';
import { createMailer, type Mailer } from '../../../src/mail/transport.ts';
import { connection, type Db } from '../../../src/store/db.ts';
import { afterTest, AS_OF as DEMO_AS_OF, endTest, smtpServer } from '../../helpers/demo-store.ts';
import type { ReceivedMessage, TestSmtpOptions, TestSmtpServer } from '../../helpers/smtp.ts';
import { tempStore } from '../../helpers/store.ts';

/**
 * Shared with the scenario tests: the active contacts of the demo's closed tenants by tenant, all
 * of them sorted, sha256, and a test SMTP server closed after the test.
 */
export {
  CONTACTS as DEMO_RECIPIENTS,
  RECIPIENTS as ALL_RECIPIENTS,
  sha256,
  smtpServer,
} from '../../helpers/demo-store.ts';

/** The instant the demo month 2026-10 is closed as of, and the clock of the close. */
export const AS_OF = new Date(DEMO_AS_OF);
export const CLOSED_AT = new Date('2026-11-03T00:05:00Z');
/** The clock of the first send step (later ones add to it). */
export const SEND_AT = new Date('2026-11-03T00:10:00Z');
export const MAIL_FROM = 'Billing Desk <billing@example.com>';

/** A delivery row with its tenant and its statement's file. */
export interface DeliveryRow {
  delivery_pk: number;
  statement_pk: number;
  contact_pk: number | null;
  tenant_name: string;
  recipient: string;
  kind: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  smtp_response: string | null;
  message_id: string;
  created_at: string;
  sent_at: string | null;
  last_attempt_at: string | null;
}

/** A statement's archived zip as recorded. */
export interface FileRow {
  statement_pk: number;
  tenant_name: string;
  zip_name: string;
  zip_path: string;
  sha256: string;
}

afterEach(endTest);

/** A test's world: the store, its settings, and the mailer they ask for (closed after the test). */
export interface World {
  db: Db;
  dir: string;
  config: Config;
  mailer: Mailer;
}

/**
 * A fresh store seeded with the demo (usage in 2026-10), settings from `env` on top of the test
 * defaults (a short SMTP timeout, UTC), and the mailer they ask for.
 */
export async function demoWorld(env: Record<string, string> = {}): Promise<World> {
  const store = tempStore();
  afterTest(() => store.close());
  await seedDemo(
    store.db,
    { now: '2026-11-02T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' },
    AS_OF,
    'UTC',
  );
  const config = loadConfig({
    env: { DATA_DIR: store.dir, BILLING_TZ: 'UTC', MAIL_FROM, SMTP_TIMEOUT_SECONDS: '2', ...env },
    cwd: store.dir,
  });
  const mailer = createMailer(config);
  afterTest(() => mailer.close());
  return { db: store.db, dir: store.dir, config, mailer };
}

/** The close and the file build of the demo month, as the month-end pass runs them. */
export async function closeAndBuild(w: World): Promise<CloseSummary> {
  const close = closeDue(jobContext(w.db, w.config, { now: () => CLOSED_AT }), { asOf: AS_OF });
  const files = await buildFiles(jobContext(w.db, w.config, { now: () => CLOSED_AT }));
  if (files.failed.length > 0) throw new Error(`files failed: ${JSON.stringify(files.failed)}`);
  return close;
}

/**
 * A test SMTP server (`options`, closed after the test) and a demo world that mails it (`env` on
 * top of its SMTP_URL), with the demo month closed and its files built.
 */
export async function closedWorld(
  options: TestSmtpOptions = {},
  env: Record<string, string> = {},
): Promise<{ server: TestSmtpServer; w: World; close: CloseSummary }> {
  const server = await smtpServer(options);
  const w = await demoWorld({ SMTP_URL: server.url, ...env });
  const close = await closeAndBuild(w);
  return { server, w, close };
}

/** A send step with its clock fixed at `at` (`parts`: the rest of its job context). */
export function send(
  w: World,
  at: Date = SEND_AT,
  options: DeliverOptions = {},
  parts: Omit<JobContextParts, 'now'> = {},
): Promise<DeliverySummary> {
  return sendDue(jobContext(w.db, w.config, { ...parts, now: () => at }), w.mailer, options);
}

/** `at` plus whole seconds. */
export function later(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}

/** Every delivery, in key order. */
export function deliveries(db: Db): DeliveryRow[] {
  return connection(db)
    .prepare(
      `SELECT d.delivery_pk, d.statement_pk, d.contact_pk, t.tenant_name, d.recipient, d.kind, d.status, d.attempts,
      d.next_attempt_at, d.last_error, d.smtp_response, d.message_id, d.created_at, d.sent_at, d.last_attempt_at
    FROM deliveries d JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) ORDER BY d.delivery_pk`,
    )
    .all() as DeliveryRow[];
}

/** The one delivery to `recipient`. */
export function deliveryTo(db: Db, recipient: string): DeliveryRow {
  const rows = deliveries(db).filter((d) => d.recipient === recipient);
  if (rows.length !== 1) throw new Error(`expected one delivery to ${recipient}, found ${rows.length}`);
  return rows[0]!;
}

/** The archived zip of a tenant's 2026-10 statement. */
export function fileOf(db: Db, tenant: string): FileRow {
  return connection(db)
    .prepare(
      `SELECT f.statement_pk, t.tenant_name, f.zip_name, f.zip_path, f.sha256 FROM statement_files f
    JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk) WHERE t.tenant_name = ? AND s.billing_month = '2026-10'`,
    )
    .get(tenant) as FileRow;
}

/** The bytes of an archived zip on disk. */
export function archived(w: World, f: FileRow): Buffer {
  return archivedBytes(w.db, w.config.dataDir, f.zip_path);
}

/** How many messages the server received for each recipient (sorted by address). */
export function countsByRecipient(server: TestSmtpServer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of server.messages) for (const r of m.envelope.rcptTo) counts[r] = (counts[r] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Each recipient once. */
export function once(recipients: readonly string[]): Record<string, number> {
  return Object.fromEntries([...recipients].sort().map((r) => [r, 1]));
}

/** The one message the server received for `recipient`. */
export function messageTo(server: TestSmtpServer, recipient: string): ReceivedMessage {
  const found = server.messages.filter((m) => m.envelope.rcptTo.includes(recipient));
  if (found.length !== 1) throw new Error(`expected one message to ${recipient}, found ${found.length}`);
  return found[0]!;
}
