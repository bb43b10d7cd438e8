#!/usr/bin/env node
// The usage-charges command: runs the compiled program in dist/ (made by `npm run build`, which
// `npm ci` runs through the prepare script).
import fs from 'node:fs';

// Everything this program creates (the store and its WAL files, statements, mails) holds billing
// data: readable by the owner only.
process.umask(0o077);
const entry = new URL('../dist/src/main.js', import.meta.url);
if (!fs.existsSync(entry)) {
  process.stderr.write('error: the program is not built: run `npm ci` (or `npm run build`) in its folder first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
