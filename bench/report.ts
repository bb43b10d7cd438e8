/** The benchmark's figures, and how they are printed: a readable table, and JSON. */
import type { CloudCounts, CloudOptions } from './generate.ts';
import type { PostgresRun } from './postgres.ts';

/** One timed stage. */
export interface StageFigures {
  seconds: number;
  /** Highest resident set size of the process so far, when the stage ended (MB). */
  peakRssMbAfter: number;
}

/** Everything one benchmark run measured. */
export interface BenchResult {
  options: CloudOptions;
  referenceMonth: string;
  asOf: string;
  machine: { cpus: number; memoryMb: number; node: string; platform: string };
  generated: CloudCounts & { csvBytes: number };
  generate: StageFigures;
  import: StageFigures & {
    rows: number;
    usageRows: number;
    rowsPerSecond: number;
    usageRowsPerSecond: number;
    byKind: Record<string, { rows: number; seconds: number }>;
  };
  close: StageFigures & {
    tenants: number;
    failed: number;
    usageRows: number;
    tenantsPerSecond: number;
    usageRowsPerSecond: number;
  };
  /**
   * The files stage is what is left after the close: the zips written on the files thread during
   * the close (`threaded`) are in `zips` but their time is in the close's.
   */
  files: StageFigures & {
    zips: number;
    threaded?: number;
    failed: number;
    bytes: number;
    mb: number;
    tenantsPerSecond: number;
    largestZip: { tenant: string; bytes: number } | null;
  };
  delivery: StageFigures & {
    messages: number;
    expected: number;
    failed: number;
    retrying: number;
    notAttempted: number;
    messagesPerSecond: number;
    poolSize: number;
  };
  /** (a): `SELECT * FROM usage_records`, iterated with plain better-sqlite3. */
  limitRead: { seconds: number; rows: number; rowsPerSecond: number };
  /** (b): zlib deflateRaw at ZIP_LEVEL over the uncompressed entries of every zip written. */
  limitDeflate: {
    seconds: number;
    zips: number;
    entries: number;
    bytesIn: number;
    bytesOut: number;
    mbPerSecond: number;
    level: number;
  };
  bigTenant: { tenant: string; lplatforms: number; servers: number; zipBytes: number } | null;
  /** (close + files) / (limit a + limit b). */
  ratio: number;
  peakRssMb: number;
  /** Problems that make the run exit 1 (a tenant not closed, a message not delivered, ...). */
  problems: string[];
  /** When each stage ran (monotonic microseconds, the clock of `--cpu-prof` profiles), by stage label. */
  windows: Record<string, { startUs: number; endUs: number }>;
  /** With `--engine postgres`: the runs with N workers, and the engines side by side. */
  postgres?: PostgresRun[];
  engines?: EngineRow[];
}

/** One line of the engines table: the SQLite pass above, or PostgreSQL with N workers. */
export interface EngineRow {
  engine: 'sqlite' | 'postgres';
  workers: number;
  importSeconds: number;
  closePerSecond: number;
  filesPerSecond: number;
  deliveryPerSecond: number;
  totalSeconds: number;
  /** Seconds spent taking locks and claims, and claims found held by another worker (PostgreSQL). */
  lockWaits: { seconds: number; heldElsewhere: number } | null;
  peakRssMb: number;
}

/** The engines table's lines: the SQLite pass (one process) and each PostgreSQL run. */
export function engineRows(r: BenchResult): EngineRow[] {
  const rows: EngineRow[] = [
    {
      engine: 'sqlite',
      workers: 1,
      importSeconds: r.import.seconds,
      closePerSecond: perSecond(r.close.tenants, r.close.seconds),
      filesPerSecond: perSecond(r.files.zips, r.files.seconds),
      deliveryPerSecond: r.delivery.messagesPerSecond,
      totalSeconds: r.import.seconds + r.close.seconds + r.files.seconds + r.delivery.seconds,
      lockWaits: null,
      peakRssMb: r.peakRssMb,
    },
  ];
  for (const p of r.postgres ?? [])
    rows.push({
      engine: 'postgres',
      workers: p.workers,
      importSeconds: p.import.seconds,
      closePerSecond: p.close.perSecond,
      filesPerSecond: p.files.perSecond,
      deliveryPerSecond: p.delivery.perSecond,
      totalSeconds: p.totalSeconds,
      lockWaits: { seconds: p.lockWaits.seconds, heldElsewhere: p.lockWaits.heldElsewhere },
      peakRssMb: p.peakRssMb,
    });
  return rows;
}

const MB = 1024 * 1024;

/** A megabyte count (2^20 bytes) with two decimals. */
export function mb(bytes: number): number {
  return Math.round((bytes / MB) * 100) / 100;
}

/** A rate, guarding against a zero time. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

const n0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const n1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const n2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const int = (x: number): string => n0.format(Math.round(x));
const secs = (x: number): string => x.toFixed(3);
const kb = (bytes: number): string => `${n1.format(bytes / 1024)} KB`;

/** The readable report: a heading, the stage table (Markdown), the zip sizes and the ratio line last. */
export function formatReport(r: BenchResult): string[] {
  const g = r.generated;
  const o = r.options;
  const lines: string[] = [];
  lines.push(
    `usage-charges bench: seed ${o.seed}, ${int(o.tenants)} tenants x ${o.lplatforms} L-Platforms x ${o.servers} servers` +
      `${o.bigTenant ? ' + big tenant' : ''}; billing month ${r.referenceMonth}, as of ${r.asOf}`,
  );
  lines.push(
    `machine: ${r.machine.cpus} CPUs, ${int(r.machine.memoryMb)} MB memory, Node ${r.machine.node} (${r.machine.platform})`,
  );
  lines.push(
    `generated: ${int(g.tenants)} tenants (${int(g.deletedTenants)} deleted, ${int(g.usdTenants)} USD), ${int(g.contacts)} contacts (${int(g.activeContacts)} active), ` +
      `${int(g.lplatforms)} L-Platforms (${int(g.returnedLplatforms)} returned), ${int(g.servers)} servers, ${int(g.usageRecords)} usage records, ` +
      `${g.coupons} coupons; ${n2.format(mb(g.csvBytes))} MB of CSV in ${secs(r.generate.seconds)} s`,
  );
  lines.push('');
  const rows: [string, string, string, string][] = [
    [
      'import',
      secs(r.import.seconds),
      `${int(r.import.rows)} rows (${int(r.import.usageRows)} usage)`,
      `${int(r.import.rowsPerSecond)} rows/s; usage ${int(r.import.usageRowsPerSecond)} rows/s`,
    ],
    [
      'close',
      secs(r.close.seconds),
      `${int(r.close.tenants)} tenants closed, ${r.close.failed} failed; ${int(r.close.usageRows)} usage rows`,
      `${n1.format(r.close.tenantsPerSecond)} tenants/s; ${int(r.close.usageRowsPerSecond)} usage rows/s`,
    ],
    (r.files.threaded ?? 0) > 0
      ? [
          'files',
          secs(r.files.seconds),
          `${int(r.files.zips)} zips written (${int(r.files.threaded ?? 0)} on the files thread during the close), ${r.files.failed} failed; ${n2.format(r.files.mb)} MB`,
          `close + files: ${n1.format(perSecond(r.files.zips, r.close.seconds + r.files.seconds))} tenants/s`,
        ]
      : [
          'files',
          secs(r.files.seconds),
          `${int(r.files.zips)} zips written, ${r.files.failed} failed; ${n2.format(r.files.mb)} MB`,
          `${n1.format(r.files.tenantsPerSecond)} tenants/s; ${n2.format(perSecond(r.files.mb, r.files.seconds))} MB/s`,
        ],
    [
      'delivery',
      secs(r.delivery.seconds),
      `${int(r.delivery.messages)} messages delivered of ${int(r.delivery.expected)}, ${r.delivery.failed} failed (pool ${r.delivery.poolSize})`,
      `${n1.format(r.delivery.messagesPerSecond)} messages/s`,
    ],
    [
      'limit a: read usage',
      secs(r.limitRead.seconds),
      `${int(r.limitRead.rows)} usage rows (SELECT * FROM usage_records)`,
      `${int(r.limitRead.rowsPerSecond)} rows/s`,
    ],
    [
      'limit b: deflate',
      secs(r.limitDeflate.seconds),
      `${int(r.limitDeflate.entries)} CSV files of ${int(r.limitDeflate.zips)} zips, ${n2.format(mb(r.limitDeflate.bytesIn))} MB -> ${n2.format(mb(r.limitDeflate.bytesOut))} MB (level ${r.limitDeflate.level})`,
      `${n2.format(r.limitDeflate.mbPerSecond)} MB/s`,
    ],
  ];
  const head: [string, string, string, string] = ['stage', 'wall s', 'count', 'rate'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  lines.push(line(head));
  lines.push(`|${widths.map((w, i) => (i === 1 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const row of rows) lines.push(line(row));
  lines.push('');
  if (r.files.largestZip) lines.push(`largest zip: ${kb(r.files.largestZip.bytes)} (${r.files.largestZip.tenant})`);
  if (r.bigTenant) {
    lines.push(
      `big tenant ${r.bigTenant.tenant} (${r.bigTenant.lplatforms} L-Platforms x ${r.bigTenant.servers} servers): zip ${kb(r.bigTenant.zipBytes)} (ROR documents about 160 KB)`,
    );
  }
  lines.push(
    `peak RSS: ${r.peakRssMb} MB (after import ${r.import.peakRssMbAfter}, close ${r.close.peakRssMbAfter}, files ${r.files.peakRssMbAfter}, delivery ${r.delivery.peakRssMbAfter})`,
  );
  lines.push(
    `ratio = (close + files) / (limit a + limit b) = (${secs(r.close.seconds)} + ${secs(r.files.seconds)}) / (${secs(r.limitRead.seconds)} + ${secs(r.limitDeflate.seconds)})`,
  );
  if (r.engines !== undefined) lines.push('', ...formatEngines(r.engines, r.postgres ?? []), '');
  for (const p of r.problems) lines.push(`problem: ${p}`);
  lines.push(`ratio=${r.ratio.toFixed(2)} peak_rss_mb=${r.peakRssMb}`);
  return lines;
}

/** A Markdown table, the first column left-aligned and the others right-aligned. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ];
}

/** The engines side by side, then each PostgreSQL run's workers: what each did and waited. */
export function formatEngines(rows: readonly EngineRow[], runs: readonly PostgresRun[]): string[] {
  const lines = table(
    [
      'engine',
      'workers',
      'import s',
      'close st/s',
      'files st/s',
      'delivery msg/s',
      'total s',
      'lock waits',
      'peak RSS',
    ],
    rows.map((e) => [
      e.engine,
      String(e.workers),
      secs(e.importSeconds),
      n1.format(e.closePerSecond),
      n1.format(e.filesPerSecond),
      n1.format(e.deliveryPerSecond),
      secs(e.totalSeconds),
      e.lockWaits === null ? '-' : `${secs(e.lockWaits.seconds)} s, ${int(e.lockWaits.heldElsewhere)} held`,
      `${e.peakRssMb} MB`,
    ]),
  );
  for (const run of runs) {
    lines.push('');
    lines.push(
      `postgres x${run.workers}: close ${secs(run.close.seconds)} s, files ${secs(run.files.seconds)} s (${int(run.files.zipsWritten)} zips written for ${int(run.files.count)} statements), delivery ${secs(run.delivery.seconds)} s; lock waits ${secs(run.lockWaits.seconds)} s in ${int(run.lockWaits.takes)} takes`,
    );
    const share = (part: number, whole: number): string => (whole > 0 ? `${Math.round((part / whole) * 100)} %` : '-');
    for (const w of run.perWorker)
      lines.push(
        `  worker ${w.index + 1}: closed ${int(w.closed)} (${share(w.closed, run.close.count)}), zips ${int(w.zips)}, mailed ${int(w.messages)} (${share(w.messages, run.delivery.count)}); ` +
          `close ${secs(w.closeSeconds)} s, files ${secs(w.filesSeconds)} s, delivery ${secs(w.deliverySeconds)} s; ` +
          `lock waits ${secs(w.lockWaits.seconds)} s, ${int(w.lockWaits.heldElsewhere)} held elsewhere; peak RSS ${w.peakRssMb} MB`,
      );
  }
  return lines;
}
