/** The benchmark's import stage: each generated file through importFile, as `usage-charges import` does. */
import type { Config } from '../src/config.ts';
import { IMPORT_KINDS, importFile } from '../src/ingest/index.ts';
import type { AnyImportKind } from '../src/ingest/import-kind.ts';
import type { Db } from '../src/store/db.ts';
import { FILE_KINDS, type FileKind } from './generate.ts';

/**
 * Imports the files of a generated cloud into `db`, kind by kind, with the options `usage-charges
 * import` uses; returns each kind's rows and seconds.
 */
export async function importCloud(
  db: Db,
  config: Config,
  paths: Record<FileKind, string>,
): Promise<Record<string, { rows: number; seconds: number }>> {
  const byKind: Record<string, { rows: number; seconds: number }> = {};
  // The kinds the generator writes (a cloud has no manual adjustments).
  for (const kind of FILE_KINDS) {
    const started = process.hrtime.bigint();
    const result = await importFile(
      IMPORT_KINDS[kind] as AnyImportKind,
      { path: paths[kind] },
      {
        db,
        now: new Date().toISOString(),
        defaultCurrency: config.defaultCurrency,
        defaultLocale: config.defaultLocale,
        asAdjustment: false,
      },
      { maxErrors: config.importMaxErrors },
    );
    byKind[kind] = { rows: result.rows, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  }
  return byKind;
}
