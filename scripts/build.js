// Builds the program `usage-charges` runs: src/main.ts and the statement-files thread
// (jobs/files-worker.ts) bundled by esbuild into dist/, with each verb in its own chunk loaded
// when the verb runs. `npm ci` runs it (the prepare script); the tests run it when a source is
// newer than the build. With --if-stale it does nothing when dist/ is newer than every source.
// Types are checked by `npm run lint`, not here.
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.built');

/**
 * Packages loaded from node_modules as they are, not bundled: a native driver, and packages that
 * find their own files at run time (pino's transports, node-cron's daemon) or are large and used
 * by few verbs.
 */
const EXTERNAL = [
  'better-sqlite3',
  'pino',
  'pino-pretty',
  'node-cron',
  'nodemailer',
  'iconv-lite',
  // The web framework and its plugins load their parts at run time; only `serve` loads them.
  'fastify',
  '@fastify/*',
];

/** The newest modification time of the sources and the build settings. */
function newestSource() {
  let newest = fs.statSync(import.meta.filename).mtimeMs;
  const visit = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  visit(path.join(root, 'src'));
  visit(path.join(root, 'jobs'));
  for (const f of ['package.json', 'package-lock.json'])
    newest = Math.max(newest, fs.statSync(path.join(root, f)).mtimeMs);
  return newest;
}

/** Builds dist/ (unless `ifStale` and it is up to date); returns whether it built. */
export async function build({ ifStale = false } = {}) {
  if (ifStale && fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs > newestSource()) return false;
  fs.rmSync(dist, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts', 'jobs/files-worker.ts'],
    outdir: 'dist',
    outbase: '.',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // The bundled CommonJS packages call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  await build({ ifStale: process.argv.includes('--if-stale') });
}
