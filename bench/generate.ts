/**
 * The benchmark's synthetic cloud: tenants, contacts, L-Platforms, a ROR-style catalog, usage and
 * coupons as the six import CSV files (docs/formats.md), a deterministic function of the seed.
 * All usage lies in the reference month, inside each tenant's first billing period, so one pass
 * as of AS_OF closes every tenant exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mixSeed, mulberry32, type Rng } from './prng.ts';

/** The billing month every tenant is closed for. */
export const REFERENCE_MONTH = '2026-10';
/**
 * The instant the pass runs as of: after the end of every cut-off day of the reference month (31
 * ends at 1 November 00:00 UTC), before the end of the next one (cut-off 1 ends 2 November).
 */
export const AS_OF = '2026-11-01T06:00:00.000Z';
/** The import kinds in the order a new store is filled. */
export const FILE_KINDS = ['tenants', 'contacts', 'lplatforms', 'catalog', 'usage', 'coupons'] as const;
export type FileKind = (typeof FILE_KINDS)[number];
/** The name of the extra large tenant. */
export const BIG_TENANT = 'BIGTENANT';
/** L-Platforms and servers per L-Platform of the big tenant. */
export const BIG_TENANT_SHAPE = { lplatforms: 200, servers: 2 } as const;

/** What to generate. */
export interface CloudOptions {
  tenants: number;
  /** L-Platforms per tenant. */
  lplatforms: number;
  /** Servers per L-Platform. */
  servers: number;
  seed: number;
  /** Add BIGTENANT with 200 L-Platforms of two servers each. */
  bigTenant: boolean;
}

/** How much was generated. */
export interface CloudCounts {
  tenants: number;
  deletedTenants: number;
  usdTenants: number;
  contacts: number;
  /** Active contacts: one mail each when their tenant's month closes. */
  activeContacts: number;
  lplatforms: number;
  returnedLplatforms: number;
  servers: number;
  usageRecords: number;
  coupons: number;
  catalogRows: number;
}

/** A generated cloud held in memory (small clouds and tests). */
export interface Cloud {
  files: Record<FileKind, string>;
  counts: CloudCounts;
}

const HEADERS: Record<FileKind, string> = {
  tenants: 'tenant_name,display_name,cutoff_day,locale,currency,deleted_at',
  contacts: 'tenant_name,email,contact_name,active',
  lplatforms: 'lplatform_id,tenant_name,lplatform_name,returned_at,region',
  catalog:
    'product_id,priority,applicable_from,applicable_to,category,resource_identifier,unit_code,unit_price,product_name,description,charge_type,time_basis,monthly_cap,plan_group,rule,rule_params,currency,service,menu,submenu,plan,usage_label',
  usage:
    'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,component,product_id,time_kind,start_at,end_at,quantity,cpu_count,clock_ghz,size_gb,vm_count,vcpu',
  coupons: 'coupon_code,tenant_name,registered_at,discount_type,discount_value,valid_months,valid_until,description',
};

/**
 * The products the usage names, in the shape of data/demo/catalog.csv (ROR rows: hourly metered,
 * the template monthly fixed, images charged by operating time), plus a US-dollar pool.
 */
const CATALOG_ROWS = [
  'TE-0001,0,2020-01-01T00:00:00.000+0900,,template,TE_01,month,200,Template,Template,,,,,,,JPY,,,,,',
  'VM-0001,0,2020-01-01T00:00:00.000+0900,,vm,image001,hour,1.2,Virtual server image001,Virtual L-Server image,,operating,,,,,JPY,,,,,',
  'VM-0003,0,2020-01-01T00:00:00.000+0900,,vm,image003,hour,1.8,Virtual server image003,Virtual L-Server image,,operating,,,,,JPY,,,,,',
  'PM-0002,0,2020-01-01T00:00:00.000+0900,,pm,image002,hour,1.2,Physical server image002,Physical L-Server image,,operating,,,,,JPY,,,,,',
  'CPU-0001,0,2020-01-01T00:00:00.000+0900,,cpu,/VMPool,hour,1.6667,CPU (VMPool),Price per CPU,,,,,,,JPY,,,,,',
  'CLK-0001,0,2020-01-01T00:00:00.000+0900,,cpu_clock,/VMPool,hour,0.556,CPU clock (VMPool),Price per 0.1 GHz of CPU clock,,,,,,,JPY,,,,,',
  'CPU-0002,0,2020-01-01T00:00:00.000+0900,,cpu,/ServerPool,hour,1.6667,CPU (ServerPool),Price per CPU,,,,,,,JPY,,,,,',
  'CLK-0002,0,2020-01-01T00:00:00.000+0900,,cpu_clock,/ServerPool,hour,0.556,CPU clock (ServerPool),Price per 0.1 GHz of CPU clock,,,,,,,JPY,,,,,',
  'ME-0001,0,2020-01-01T00:00:00.000+0900,,memory,/VMPool,hour,20,Standard memory,Standard memory,,,,,,,JPY,,,,,',
  'ME-0001,1,2026-10-15T00:00:00.000+0900,2026-10-31T23:59:59.999+0900,memory,/VMPool,hour,18,Standard memory(Campaign),Standard memory(Campaign),,,,,,,JPY,,,,,',
  'ME-0002,0,2020-01-01T00:00:00.000+0900,,memory,/ServerPool,hour,20,Memory (ServerPool),Price per GB,,,,,,,JPY,,,,,',
  'DK-0001,0,2020-01-01T00:00:00.000+0900,,disk,/StragePool,hour,8.75,Disk (StragePool),Price per GB,,,,,,,JPY,,,,,',
  'DK-0002,0,2020-01-01T00:00:00.000+0900,,disk,/StragePool2,hour,9,Disk (StragePool2),Price per GB,,,,,,,JPY,,,,,',
  'DK-0003,0,2020-01-01T00:00:00.000+0900,,disk,/StragePool3,hour,9.723,Disk (StragePool3),Price per GB,,,,,,,JPY,,,,,',
  'TE-U001,0,2020-01-01T00:00:00.000+0900,,template,TE_US,month,2,Template (US),Template,,,,,,,USD,,,,,',
  'VM-U001,0,2020-01-01T00:00:00.000+0900,,vm,image-us1,hour,0.012,Virtual server image-us1,Virtual L-Server image,,operating,,,,,USD,,,,,',
  'VM-U003,0,2020-01-01T00:00:00.000+0900,,vm,image-us3,hour,0.018,Virtual server image-us3,Virtual L-Server image,,operating,,,,,USD,,,,,',
  'CPU-U001,0,2020-01-01T00:00:00.000+0900,,cpu,/USPool,hour,0.016,CPU (USPool),Price per CPU,,,,,,,USD,,,,,',
  'CLK-U001,0,2020-01-01T00:00:00.000+0900,,cpu_clock,/USPool,hour,0.0055,CPU clock (USPool),Price per 0.1 GHz of CPU clock,,,,,,,USD,,,,,',
  'ME-U001,0,2020-01-01T00:00:00.000+0900,,memory,/USPool,hour,0.2,Memory (USPool),Price per GB,,,,,,,USD,,,,,',
  'DK-U001,0,2020-01-01T00:00:00.000+0900,,disk,/USStoragePool,hour,0.0875,Disk (USStoragePool),Price per GB,,,,,,,USD,,,,,',
];

/** The products one kind of server uses. */
interface ServerProducts {
  kind: 'virtual_server' | 'physical_server';
  /** The image; a second one is the plan a server may change to during the month. */
  images: readonly string[];
  cpu: string;
  memory: string;
  disks: readonly string[];
}
const JPY_VIRTUAL: ServerProducts = {
  kind: 'virtual_server',
  images: ['VM-0001', 'VM-0003'],
  cpu: 'CPU-0001',
  memory: 'ME-0001',
  disks: ['DK-0001', 'DK-0002', 'DK-0003'],
};
const JPY_PHYSICAL: ServerProducts = {
  kind: 'physical_server',
  images: ['PM-0002'],
  cpu: 'CPU-0002',
  memory: 'ME-0002',
  disks: ['DK-0001'],
};
const USD_VIRTUAL: ServerProducts = {
  kind: 'virtual_server',
  images: ['VM-U001', 'VM-U003'],
  cpu: 'CPU-U001',
  memory: 'ME-U001',
  disks: ['DK-U001'],
};

const MINUTE = 60_000;
const CPU_COUNTS = [1, 2, 2, 4, 4, 8];
const CLOCKS = ['2.0', '2.4', '2.6', '3.0'];
const MEMORY_GB = ['2', '4', '8', '16', '32'];
const DISK_GB = ['20', '40', '100', '200'];

/** An instant as the files write it: UTC, to the second. */
function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A CSV cell: quoted when it holds a comma or a quote. */
function cell(value: string): string {
  return /[",]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
function row(cells: readonly (string | number)[]): string {
  return `${cells.map((c) => cell(String(c))).join(',')}\n`;
}

/** A whole minute in [from, to) of epoch milliseconds, `fraction` of the way. */
function minuteAt(from: number, to: number, fraction: number): number {
  const minutes = Math.max(0, Math.floor((to - from) / MINUTE));
  return from + Math.min(minutes, Math.floor(fraction * minutes)) * MINUTE;
}

/** The first instant of the reference month and the end of cut-off day `day` in it (UTC, the billing time zone). */
function referenceWindow(day: number): { start: number; end: number } {
  const [y, m] = REFERENCE_MONTH.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { start: Date.UTC(y, m - 1, 1), end: Date.UTC(y, m - 1, Math.min(day, last) + 1) };
}

/** Where the generated lines go, kind by kind. */
type Emit = (kind: FileKind, line: string) => void;

/** One tenant's shape. */
interface TenantPlan {
  name: string;
  index: number;
  lplatforms: number;
  servers: number;
  /** Deletions, returns, USD, physical servers, coupons and late L-Platforms: off for the big tenant. */
  variety: boolean;
}

/** Emits one tenant's rows of every kind; returns what it added to the counts. */
function emitTenant(t: TenantPlan, rng: Rng, emit: Emit, counts: CloudCounts): void {
  const cutoff = t.variety ? (rng.chance(0.25) ? 31 : rng.int(1, 31)) : 31;
  const locale = rng.chance(0.6) ? 'ja' : 'en';
  const usd = t.variety && rng.chance(0.03);
  const deleted = t.variety && rng.chance(0.02);
  const window = referenceWindow(cutoff);
  let end = window.end;
  let deletedAt = '';
  if (deleted) {
    // Deleted in the billed period, after its usage starts: the usage stops at the deletion.
    end = minuteAt(window.start, window.end, 0.5 + 0.4 * rng.next()) + 30_000;
    deletedAt = iso(end);
    counts.deletedTenants++;
  }
  const number = String(t.index).padStart(6, '0');
  const display = locale === 'ja' ? `テナント${number}株式会社` : `Tenant ${number} Ltd`;
  emit('tenants', row([t.name, display, cutoff, locale, usd ? 'USD' : 'JPY', deletedAt]));
  counts.tenants++;
  if (usd) counts.usdTenants++;

  const domain = `${t.name.toLowerCase()}.example.${locale === 'ja' ? 'jp' : 'com'}`;
  const contactCount = rng.int(1, 3);
  const roles =
    locale === 'ja' ? ['経理部', '情報システム部', '購買部'] : ['Accounts Payable', 'IT Operations', 'Purchasing'];
  for (let c = 0; c < contactCount; c++) {
    // The first address is always in use; a later one now and then is an old, inactive one.
    const active = c === 0 || !rng.chance(0.1);
    emit('contacts', row([t.name, `billing${c + 1}@${domain}`, roles[c]!, active ? 'true' : 'false']));
    counts.contacts++;
    if (active) counts.activeContacts++;
  }
  if (t.variety && rng.chance(0.05)) {
    // Registered in the month before: in effect for the billed month.
    emit(
      'coupons',
      row([
        `BENCH${number.padStart(7, '0')}`,
        t.name,
        '2026-09-10T03:00:00Z',
        'percent',
        rng.pick(['5', '10']),
        3,
        '',
        'bench coupon',
      ]),
    );
    counts.coupons++;
  }

  for (let l = 1; l <= t.lplatforms; l++) {
    const lpId = `${t.name}-LP${String(l).padStart(4, '0')}`;
    // Some L-Platforms are made during the month; a few are returned in it (their usage stops there).
    const lpStart = t.variety && rng.chance(0.2) ? minuteAt(window.start, end, 0.3 * rng.next()) : window.start;
    let lpEnd = end;
    let returnedAt = '';
    if (t.variety && rng.chance(0.05)) {
      lpEnd = minuteAt(lpStart, end, 0.5 + 0.4 * rng.next()) + 15_000;
      returnedAt = iso(lpEnd);
      counts.returnedLplatforms++;
    }
    emit('lplatforms', row([lpId, t.name, `template-${lpId}`, returnedAt, rng.chance(0.5) ? 'jp1' : 'jp2']));
    counts.lplatforms++;
    let seq = 0;
    const usage = (
      resource: string,
      kind: string,
      component: string,
      product: string,
      timeKind: string,
      from: number,
      to: number,
      config: { cpu?: number; clock?: string; size?: string } = {},
    ): void => {
      counts.usageRecords++;
      seq++;
      emit(
        'usage',
        row([
          `${lpId}-u${String(seq).padStart(5, '0')}`,
          t.name,
          lpId,
          resource,
          resource,
          kind,
          component,
          product,
          timeKind,
          iso(from),
          iso(to),
          '',
          config.cpu ?? '',
          config.clock ?? '',
          config.size ?? '',
          '',
          '',
        ]),
      );
    };
    usage(lpId, 'template', '', usd ? 'TE-U001' : 'TE-0001', 'deployed', lpStart, lpEnd);

    for (let s = 1; s <= t.servers; s++) {
      const products = usd ? USD_VIRTUAL : t.variety && rng.chance(0.1) ? JPY_PHYSICAL : JPY_VIRTUAL;
      const server = `${lpId}-srv${String(s).padStart(3, '0')}`;
      // Deployed for most of the L-Platform's life: created near its start, deleted near its end or not at all.
      let a = minuteAt(lpStart, lpEnd, 0.2 * rng.next());
      let b = rng.chance(0.5) ? lpEnd : minuteAt(lpStart, lpEnd, 1 - 0.2 * rng.next());
      if (b - a < 60 * MINUTE) {
        a = lpStart;
        b = lpEnd;
      }
      counts.servers++;
      usage(server, products.kind, '', products.cpu, 'deployed', a, b, {
        cpu: rng.pick(CPU_COUNTS),
        clock: rng.pick(CLOCKS),
      });
      usage(server, products.kind, '', products.memory, 'deployed', a, b, { size: rng.pick(MEMORY_GB) });
      usage(server, products.kind, 'disk001', rng.pick(products.disks), 'deployed', a, b, { size: rng.pick(DISK_GB) });
      // Operating time: 2-3 runs with restarts between them; now and then a plan change (a second
      // image product) from the second run on.
      const runs = rng.int(2, 3);
      const changes = products.images.length > 1 && rng.chance(0.15);
      const total = Math.floor((b - a) / MINUTE);
      const points: number[] = [];
      for (let i = 0; i < 2 * runs; i++) {
        const lo = Math.floor((total * i) / (2 * runs));
        const hi = Math.floor((total * (i + 1)) / (2 * runs));
        points.push(a + (lo + Math.floor(rng.next() * (hi - lo))) * MINUTE);
      }
      for (let r = 0; r < runs; r++) {
        const image = changes && r > 0 ? products.images[1]! : products.images[0]!;
        usage(server, products.kind, '', image, 'operating', points[2 * r]!, points[2 * r + 1]!);
      }
    }
  }
}

/** The catalog file's rows (the same for every seed). */
function emitCatalog(emit: Emit, counts: CloudCounts): void {
  for (const line of CATALOG_ROWS) {
    emit('catalog', `${line}\n`);
    counts.catalogRows++;
  }
}

/** Generates the whole cloud, line by line, into `emit`. */
function emitCloud(options: CloudOptions, emit: Emit): CloudCounts {
  for (const [name, n] of [
    ['tenants', options.tenants],
    ['lplatforms', options.lplatforms],
    ['servers', options.servers],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a whole number of at least 1`);
  }
  const counts: CloudCounts = {
    tenants: 0,
    deletedTenants: 0,
    usdTenants: 0,
    contacts: 0,
    activeContacts: 0,
    lplatforms: 0,
    returnedLplatforms: 0,
    servers: 0,
    usageRecords: 0,
    coupons: 0,
    catalogRows: 0,
  };
  for (const kind of FILE_KINDS) emit(kind, `${HEADERS[kind]}\n`);
  emitCatalog(emit, counts);
  for (let i = 1; i <= options.tenants; i++) {
    // Each tenant draws from its own stream: tenant i is the same whatever the number of tenants.
    const plan: TenantPlan = {
      name: `BT${String(i).padStart(6, '0')}`,
      index: i,
      lplatforms: options.lplatforms,
      servers: options.servers,
      variety: true,
    };
    emitTenant(plan, mulberry32(mixSeed(options.seed, i)), emit, counts);
  }
  if (options.bigTenant) {
    const plan: TenantPlan = { name: BIG_TENANT, index: 0, ...BIG_TENANT_SHAPE, variety: false };
    emitTenant(plan, mulberry32(mixSeed(options.seed, 0)), emit, counts);
  }
  return counts;
}

/** The cloud of the options as six CSV texts (for small clouds and tests). */
export function generateCloud(options: CloudOptions): Cloud {
  const parts = Object.fromEntries(FILE_KINDS.map((k) => [k, [] as string[]])) as Record<FileKind, string[]>;
  const counts = emitCloud(options, (kind, line) => parts[kind].push(line));
  const files = Object.fromEntries(FILE_KINDS.map((k) => [k, parts[k].join('')])) as Record<FileKind, string>;
  return { files, counts };
}

/** What writing a cloud to disk gave. */
export interface WrittenCloud {
  paths: Record<FileKind, string>;
  bytes: Record<FileKind, number>;
  counts: CloudCounts;
}

/**
 * Writes the cloud's six files into `dir` (`<kind>.csv`), streaming: the same bytes as
 * generateCloud, without holding them in memory.
 */
export function writeCloud(options: CloudOptions, dir: string): WrittenCloud {
  fs.mkdirSync(dir, { recursive: true });
  const paths = Object.fromEntries(FILE_KINDS.map((k) => [k, path.join(dir, `${k}.csv`)])) as Record<FileKind, string>;
  const fds = Object.fromEntries(FILE_KINDS.map((k) => [k, fs.openSync(paths[k], 'w', 0o600)])) as Record<
    FileKind,
    number
  >;
  const pending = Object.fromEntries(FILE_KINDS.map((k) => [k, [] as string[]])) as Record<FileKind, string[]>;
  const size = Object.fromEntries(FILE_KINDS.map((k) => [k, 0])) as Record<FileKind, number>;
  const bytes = Object.fromEntries(FILE_KINDS.map((k) => [k, 0])) as Record<FileKind, number>;
  const flush = (kind: FileKind): void => {
    const buf = Buffer.from(pending[kind].join(''), 'utf8');
    fs.writeSync(fds[kind], buf);
    bytes[kind] += buf.length;
    pending[kind] = [];
    size[kind] = 0;
  };
  try {
    const counts = emitCloud(options, (kind, line) => {
      pending[kind].push(line);
      size[kind] += line.length;
      if (size[kind] >= 1 << 20) flush(kind);
    });
    for (const kind of FILE_KINDS) flush(kind);
    return { paths, bytes, counts };
  } finally {
    for (const kind of FILE_KINDS) fs.closeSync(fds[kind]);
  }
}
