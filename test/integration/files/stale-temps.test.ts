/**
 * The temporary files a killed pass leaves while writing a zip or an `.eml` file
 * (`.<name>.<pid>.<hex>.tmp`) are removed by the next pass, under its lease; a temporary file of a
 * process that still exists is left alone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTemps } from '../../../src/archive/zip.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/store.ts';
import { onPostgres } from '../../helpers/store-engine.ts';

const AS_OF = '2026-11-03T00:00:00Z';

let work: { dir: string; cleanup: () => void };
/** The pid of a process that has exited. */
let deadPid: number;
beforeAll(() => {
  work = tempDir('uc-stale-temps-');
  const exited = spawnSync(process.execPath, ['-e', '0']);
  expect(exited.status).toBe(0);
  deadPid = exited.pid!;
});
afterAll(() => work.cleanup());

function put(dir: string, name: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), 'half a file');
}

describe('removeStaleTemps', () => {
  it('removes the temporary files of processes that no longer exist, and nothing else', () => {
    const dir = path.join(work.dir, 'unit');
    const dead = `.acme_202610.zip.${deadPid}.0123456789ab.tmp`;
    const deadEml = `.abc@example.com.eml.${deadPid}.ba9876543210.tmp`;
    const live = `.acme_202610.zip.${process.pid}.0123456789ab.tmp`;
    const parent = `.acme_202610.zip.${process.ppid}.0123456789ab.tmp`;
    const others = [
      'acme_202610.zip',
      `acme.${deadPid}.0123456789ab.tmp`,
      `.acme.${deadPid}.0123.tmp`,
      `.acme.${deadPid}.0123456789ab.tmp.zip`,
      '.hidden',
    ];
    for (const name of [dead, deadEml, live, parent, ...others]) put(dir, name);
    expect(removeStaleTemps(dir)).toEqual([deadEml, dead].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([live, parent, ...others].sort());
    // Nothing left to remove the second time.
    expect(removeStaleTemps(dir)).toEqual([]);
  });

  it('finds nothing in a folder that does not exist', () => {
    expect(removeStaleTemps(path.join(work.dir, 'missing'))).toEqual([]);
  });
});

describe('usage-charges run', () => {
  it('removes, before it closes, the temporary files a killed pass left in the statements folders and the outbox, and says so', async () => {
    const env = { DATA_DIR: path.join(work.dir, 'data'), BILLING_TZ: 'UTC', LOG_LEVEL: 'error' };
    expect((await runCli(['seed-demo', '--as-of', AS_OF], env)).code).toBe(0);
    const zips = path.join(env.DATA_DIR, 'statements', '202609');
    const outbox = path.join(env.DATA_DIR, 'outbox');
    const staleZip = `.acme_202609.zip.${deadPid}.0123456789ab.tmp`;
    const staleEml = `.x@example.com.eml.${deadPid}.0123456789ab.tmp`;
    // A process that exists and is not the one running the pass: the test runner's.
    const liveZip = `.acme_202609.zip.${process.ppid}.0123456789ab.tmp`;
    // A re-issue writes a month's later revision in its revision-N folder.
    const revision = path.join(zips, 'revision-2');
    put(zips, staleZip);
    put(zips, liveZip);
    put(revision, staleZip);
    put(outbox, staleEml);

    const r = await runCli(['run', '--as-of', AS_OF], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // On PostgreSQL the zips are rows, and no pass writes in the statements folders: only the
    // outbox's temporary file is a killed pass's there.
    const postgres = onPostgres();
    expect(r.stdout).toContain(
      `\n  removed ${postgres ? '1 temporary file' : '3 temporary files'} a killed pass left while writing\n`,
    );
    expect(fs.existsSync(path.join(zips, staleZip))).toBe(postgres);
    expect(fs.readdirSync(revision)).toEqual(postgres ? [staleZip] : []);
    expect(fs.existsSync(path.join(outbox, staleEml))).toBe(false);
    expect(fs.existsSync(path.join(zips, liveZip))).toBe(true);
    // The pass's own files are there, and no temporary file of its own.
    expect(fs.readdirSync(outbox).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(fs.readdirSync(outbox).filter((n) => n.endsWith('.eml')).length).toBeGreaterThan(0);

    // The next pass has nothing to remove and says nothing of it.
    const again = await runCli(['run', '--as-of', AS_OF], env);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('temporary files');
  });
});
