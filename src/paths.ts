/**
 * Where the program's own files are: the package root holds package.json, templates/ and
 * data/demo/. The same whether the sources run (development, tests) or the compiled dist/ does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** The folder holding package.json. */
export const PACKAGE_ROOT = findPackageRoot(import.meta.dirname);

/**
 * A module of the compiled program, for what must be plain JavaScript even when the sources run
 * (a worker thread's entry): `jobs/files-worker.js` is dist/jobs/files-worker.js.
 */
export function compiledModule(relative: string): URL {
  return pathToFileURL(path.join(PACKAGE_ROOT, 'dist', relative));
}
