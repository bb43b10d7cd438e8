/**
 * A usage file of several batches (BATCH_ROWS rows each on PostgreSQL, one row at a time on
 * SQLite): the same stored rows and counts on both engines, and a bad row deep in a batch named at
 * its line with nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_ROWS } from '../../../src/ingest/import-file.ts';
import { closeStore, connection, openPostgresStore, openStore, type Db } from '../../../src/store/db.ts';
import { pgDatabase } from '../../helpers/pg-cluster.ts';
import { importText, refused, seedBase, tempDir } from '../../helpers/store.ts';

const HEADER =
  'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,component,product_id,time_kind,start_at,end_at,quantity,cpu_count,clock_ghz';
const ROWS = 6 * BATCH_ROWS + 137;
const START = Date.parse('2026-10-01T00:00:00Z');
const at = (minutes: number): string => new Date(START + minutes * 60_000).toISOString();

/** A file of record IDs starting `prefix`, its minutes from `day` days after START. */
interface Shape {
  prefix: string;
  day: number;
}

/**
 * The `i`th line of the file: mostly back-to-back minutes of 40 servers (so that a server's
 * records meet across batches), every tenth a quantity, every seventh a CPU record with whole
 * numbers; names with letters of cp932.
 */
function line(i: number, { prefix, day }: Shape): string {
  const slot = day * 1440 + Math.floor(i / 40);
  if (i % 10 === 9)
    return `${prefix}Q${i},T1,LP1,alarm-${i % 7},,monitoring,,ALARM,quantity,${at(slot)},,${(i % 5) + 1}.25,,`;
  if (i % 7 === 3)
    return `${prefix}C${i},T1,LP1,vm-${i % 40},CPU ${i % 40},virtual_server,cpu,CPU-1,deployed,${at(slot)},${at(slot + 1)},,${(i % 8) + 1},2.6`;
  return `${prefix}R${i},T1,LP1,vm-${i % 40},サーバー ${i % 40},virtual_server,,VM-1,operating,${at(slot)},${at(slot + 1)},,,`;
}

/** The file: ROWS lines, and a line repeating an earlier one (unchanged) in the first and across a batch's start. */
function usageFile(shape: Shape, change: (i: number, text: string) => string = (_, text) => text): string {
  const lines = Array.from({ length: ROWS }, (_, i) => change(i, line(i, shape)));
  lines.splice(BATCH_ROWS, 0, lines[BATCH_ROWS - 1]!);
  lines.splice(20, 0, lines[3]!);
  return [HEADER, ...lines].join('\n') + '\n';
}

const TABLES = ['usage_records', 'audit_log', 'tenant_changes'] as const;

/** The rows of the tables an import writes, each table by its key. */
function rowsOf(db: Db): Record<string, unknown[]> {
  return Object.fromEntries(TABLES.map((t) => [t, connection(db).prepare(`SELECT * FROM ${t} ORDER BY 1`).all()]));
}

let pg: Db;
let lite: Db;
const liteDir = tempDir();
beforeAll(async () => {
  pg = openPostgresStore(pgDatabase('batches'));
  lite = openStore(liteDir.dir);
  await seedBase(pg);
  await seedBase(lite);
});
afterAll(() => {
  closeStore(pg);
  closeStore(lite);
  liteDir.cleanup();
});

describe('usage: a file of several batches', () => {
  it('is stored as on SQLite, row for row, and imported again as unchanged', async () => {
    const text = usageFile({ prefix: '', day: 0 });
    const onPg = await importText(pg, 'usage', text);
    const onLite = await importText(lite, 'usage', text);
    expect(onPg).toEqual(onLite);
    expect(onPg).toMatchObject({ rows: ROWS + 2, inserted: ROWS, unchanged: 2, updated: 0 });
    expect(rowsOf(pg)).toEqual(rowsOf(lite));

    const again = await importText(pg, 'usage', text);
    expect(again).toEqual(await importText(lite, 'usage', text));
    expect(again).toMatchObject({ inserted: 0, unchanged: ROWS + 2 });
    expect(rowsOf(pg)).toEqual(rowsOf(lite));
  });

  it('names a bad row deep in a batch at its line, with the problems of the rows around it, and stores nothing', async () => {
    // Line 2 + i is the file's row i, but for the two repeated lines (at 22 and BATCH_ROWS + 3).
    const shape = { prefix: 'N', day: 2 };
    const overlapping = 4 * BATCH_ROWS + 251; // starts inside the record of its server 40 rows before
    const reused = 5 * BATCH_ROWS + 11; // takes the record ID of a row of the first batch
    const text = usageFile(shape, (i, t) => {
      const fields = t.split(',');
      if (i === overlapping) fields[9] = at(2 * 1440 + Math.floor(i / 40) - 1).replace('00.000Z', '30.000Z');
      if (i === reused) fields[0] = 'NR5';
      if (i === reused + 1) fields[8] = 'always';
      return fields.join(',');
    });
    const lineOf = (i: number): number => i + 4;
    for (const db of [pg, lite]) {
      const before = rowsOf(db);
      const issues = await refused(db, 'usage', text, 'deep.csv');
      expect(issues).toEqual([
        expect.stringMatching(
          new RegExp(`^deep\\.csv:${lineOf(overlapping)}: start_at: overlaps record NR${overlapping - 40} `),
        ),
        expect.stringMatching(
          new RegExp(`^deep\\.csv:${lineOf(reused)}: record_id: record NR5 was imported before, or appears earlier`),
        ),
        expect.stringMatching(new RegExp(`^deep\\.csv:${lineOf(reused + 1)}: time_kind: `)),
      ]);
      expect(rowsOf(db)).toEqual(before);
    }
  });

  it('names a row only the database refuses at its line, and stores nothing (PostgreSQL)', async () => {
    // No constraint of usage_records refuses a row its checks accept; one added here does.
    const i = 3 * BATCH_ROWS + 77;
    connection(pg).exec(`ALTER TABLE usage_records ADD CONSTRAINT not_this_one CHECK (record_id <> 'DR${i}')`);
    try {
      const text = usageFile({ prefix: 'D', day: 4 });
      const before = rowsOf(pg);
      expect(await refused(pg, 'usage', text, 'deep.csv')).toEqual([
        `deep.csv:${i + 4}: record_id: the store refused this record: new row for relation "usage_records" violates check constraint "not_this_one"`,
      ]);
      expect(rowsOf(pg)).toEqual(before);
    } finally {
      connection(pg).exec('ALTER TABLE usage_records DROP CONSTRAINT not_this_one');
    }
  });
});
