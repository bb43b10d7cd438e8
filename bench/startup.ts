/**
 * The start-up cost of the installed program: CPU time (user + system) of `usage-charges --help`
 * and `usage-charges status` on the demo store against bare `node -e 0`, each the mean of --runs
 * runs (interleaved, so a busy moment weighs on all three alike). Target: at most 3x bare node.
 * Linux: the children's CPU time is read from /proc/self/stat. Run `npm run build` first.
 *
 *   npm run bench:startup [-- --runs 20]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'usage-charges.js');
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 20;
const TARGET = 3;

/** CPU seconds used by this process's waited-for children so far (utime + stime, clock ticks). */
function childrenCpu(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (cutime, cstime) are at 13 and 14 after the command name.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function cpuOf(args: string[], env: NodeJS.ProcessEnv): number {
  const before = childrenCpu();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return childrenCpu() - before;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-charges-startup-'));
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir };
try {
  cpuOf([BIN, 'seed-demo'], env);
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['usage-charges --help', [BIN, '--help']],
    ['usage-charges status', [BIN, 'status']],
  ];
  const total = new Map(cases.map(([name]) => [name, 0]));
  for (let i = 0; i < RUNS; i++) for (const [name, args] of cases) total.set(name, total.get(name)! + cpuOf(args, env));
  const base = total.get('node -e 0')! / RUNS;
  let over = false;
  for (const [name] of cases) {
    const mean = total.get(name)! / RUNS;
    const ratio = mean / base;
    if (ratio > TARGET) over = true;
    console.log(`${name.padEnd(22)} ${(mean * 1000).toFixed(0).padStart(5)} ms CPU  ${ratio.toFixed(2)}x bare node`);
  }
  console.log(over ? `over the target of ${TARGET}x` : `within the target of ${TARGET}x`);
  process.exitCode = over ? 1 : 0;
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
