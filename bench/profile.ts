/**
 * Summarizes a V8 CPU profile of the benchmark (`node --import tsx --cpu-prof bench/run.ts ...`):
 * where the time of one stage went, by category and by function, with each function's place in
 * the TypeScript source. Usage:
 *
 *   tsx bench/profile.ts PROFILE.cpuprofile [--bench-json FILE --stage close] [--top 20]
 *
 * `--bench-json` is the `--json` output of the profiled run; with `--stage` only the samples taken
 * while that stage ran are counted. tsx runs whitespace-minified code, so the profile's positions
 * are mapped back to `.ts` lines through the source maps in tsx's transform cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(import.meta.dirname, '..');
const PRODUCT_DIRS = ['src', 'jobs', 'bench', 'bin'];

/** A frame's file path, or '' for V8 and native frames. */
function fileOf(url: string): string {
  if (!url.startsWith('file://')) return '';
  return decodeURIComponent(new URL(url).pathname);
}

/** Where time is spent: the product's own code, a package, Node itself, or V8. */
function categoryOf(frame: CallFrame): string {
  const name = frame.functionName;
  if (frame.url === '') return name.startsWith('(') ? name : `native: ${name || '(anonymous)'}`;
  if (frame.url.startsWith('node:')) return 'node internals';
  const file = fileOf(frame.url);
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return `package ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const rel = path.relative(ROOT, file);
  const top = rel.split(path.sep)[0] ?? '';
  return PRODUCT_DIRS.includes(top) ? (top === 'bench' ? 'bench harness' : 'product code') : 'other';
}

function isProduct(frame: CallFrame): boolean {
  return categoryOf(frame) === 'product code';
}

// --- Source maps of tsx's transform cache -------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes a source map's `mappings` into, per generated line, [generated column, original line] pairs. */
function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let srcLine = 0;
  for (const lineText of mappings.split(';')) {
    const segments: [number, number][] = [];
    let genCol = 0;
    for (const seg of lineText.split(',')) {
      if (seg === '') continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += values[0]!;
      // [column, source, line, column, name]: one source per file here, and only the line is wanted.
      if (values.length >= 4) {
        srcLine += values[2]!;
        segments.push([genCol, srcLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

/** The newest tsx cache entry of every source file: its decoded mappings. */
function loadTsxMaps(): Map<string, [number, number][][]> {
  const maps = new Map<string, { mtime: number; mappings: string }>();
  const dir = path.join(os.tmpdir(), `tsx-${os.userInfo().uid}`);
  if (fs.existsSync(dir)) {
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
        if (!stat.isFile()) continue;
        const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { map?: { sources?: string[]; mappings?: string } };
        const source = entry.map?.sources?.[0];
        if (source === undefined || entry.map?.mappings === undefined) continue;
        const seen = maps.get(source);
        if (!seen || seen.mtime < stat.mtimeMs) maps.set(source, { mtime: stat.mtimeMs, mappings: entry.map.mappings });
      } catch {
        continue;
      }
    }
  }
  return new Map([...maps].map(([k, v]) => [k, decodeMappings(v.mappings)]));
}

/** `file:line` of a frame in the TypeScript source (1-based), relative to the project; `~` when unmapped. */
function locator(maps: Map<string, [number, number][][]>) {
  return (frame: CallFrame): string => {
    const file = fileOf(frame.url);
    if (file === '') return '';
    const rel = path.relative(ROOT, file);
    const shown = rel.startsWith('..') ? path.basename(file) : rel;
    const lines = maps.get(file);
    const segments = lines?.[frame.lineNumber];
    if (!segments || segments.length === 0) return `${shown}:~${frame.lineNumber + 1}`;
    let best: [number, number] | undefined;
    for (const s of segments) if (s[0] <= frame.columnNumber) best = s;
    return `${shown}:${(best ?? segments[0]!)[1] + 1}`;
  };
}

// --- The summary ----------------------------------------------------------------------------

interface Options {
  benchJson?: string;
  stage?: string;
  top: number;
}

function main(): void {
  const program = new Command('profile')
    .argument('<profile>', 'a .cpuprofile written by node --cpu-prof')
    .option('--bench-json <file>', 'the --json output of the profiled bench run (stage windows)')
    .option('--stage <name>', 'count only the samples of this stage (import, close, files, delivery, ...)')
    .option('--top <n>', 'rows per table', (v) => Number(v), 20)
    .parse(process.argv);
  const opts = program.opts<Options>();
  const profile = JSON.parse(fs.readFileSync(program.args[0]!, 'utf8')) as CpuProfile;

  let window: { startUs: number; endUs: number } | null = null;
  if (opts.stage !== undefined) {
    if (opts.benchJson === undefined) throw new Error('--stage needs --bench-json');
    const bench = JSON.parse(fs.readFileSync(opts.benchJson, 'utf8')) as {
      windows?: Record<string, { startUs: number; endUs: number }>;
    };
    window = bench.windows?.[opts.stage] ?? null;
    if (window === null)
      throw new Error(`the bench JSON has no stage "${opts.stage}" (${Object.keys(bench.windows ?? {}).join(', ')})`);
  }

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = locator(loadTsxMaps());
  const key = (f: CallFrame): string => `${f.functionName || '(anonymous)'}  ${where(f) || '(native)'}`;

  const self = new Map<string, number>();
  const categories = new Map<string, number>();
  const nearestProduct = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.startUs || t > window.endUs)) continue;
    const next = profile.timeDeltas[i + 1] ?? 0;
    const weight = next > 0 ? next : 0;
    if (weight === 0) continue;
    const leaf = byId.get(profile.samples[i]!)!;
    const category = categoryOf(leaf.callFrame);
    if (category === '(idle)') {
      categories.set(category, (categories.get(category) ?? 0) + weight);
      total += weight;
      continue;
    }
    total += weight;
    categories.set(category, (categories.get(category) ?? 0) + weight);
    self.set(key(leaf.callFrame), (self.get(key(leaf.callFrame)) ?? 0) + weight);
    const seen = new Set<string>();
    let nearest: string | null = null;
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!isProduct(frame)) continue;
      const k = key(frame);
      nearest ??= k;
      if (!seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + weight);
      }
    }
    if (nearest !== null) nearestProduct.set(nearest, (nearestProduct.get(nearest) ?? 0) + weight);
  }

  const ms = (us: number): string => (us / 1000).toFixed(0).padStart(7);
  const pct = (us: number): string => `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const table = (title: string, entries: Map<string, number>, n: number): void => {
    console.log(`\n${title}`);
    console.log(`${'share'.padStart(6)} ${'ms'.padStart(7)}  function  file:line`);
    for (const [k, v] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)} ${ms(v)}  ${k}`);
  };
  console.log(`profile: ${opts.stage ? `stage ${opts.stage}, ` : ''}${(total / 1e6).toFixed(2)} s of samples`);
  table('time by category (self time)', categories, 30);
  table('hottest functions (self time)', self, opts.top);
  table(
    'product functions: own time plus the library, Node and native work they call directly',
    nearestProduct,
    opts.top,
  );
  table('product functions: inclusive time (everything under them)', inclusive, opts.top);
}

main();
