#!/usr/bin/env node
// The usage-charges command: runs the TypeScript sources directly (no build step) through tsx.
import { register } from 'tsx/esm/api';

// Everything this program creates (the store and its WAL files, statements, mails) holds billing
// data: readable by the owner only.
process.umask(0o077);
register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
