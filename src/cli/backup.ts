/**
 * `usage-charges backup FILE`: an online copy of the store as a SQLite store file, consistent even
 * while a pass runs (a PostgreSQL store's rows are read in one snapshot).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../domain/errors.ts';
import { backupToFile } from '../store/copy-store.ts';
import type { CliContext } from './context.ts';

export function registerBackup(program: Command, ctx: CliContext): void {
  program
    .command('backup')
    .argument('<file>', 'the backup file to create')
    .action(async (file: string) => {
      const target = path.resolve(file);
      if (fs.existsSync(target))
        throw new InputError(`${file}: already exists; give a new file name (a backup never overwrites)`);
      if (!fs.existsSync(path.dirname(target)) || !fs.statSync(path.dirname(target)).isDirectory())
        throw new InputError(`${file}: the folder ${path.dirname(target)} does not exist`);
      const db = ctx.db();
      const temp = `${target}.${process.pid}.partial`;
      try {
        await backupToFile(db, temp);
        fs.chmodSync(temp, 0o600);
        fs.renameSync(temp, target);
      } catch (err) {
        fs.rmSync(temp, { force: true });
        throw err;
      }
      ctx.output.out(`backed up the store to ${target} (${fs.statSync(target).size} bytes)`);
    });
}
