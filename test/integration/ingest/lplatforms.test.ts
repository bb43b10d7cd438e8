/** Import kind `lplatforms`: ID, owning tenant, name and return; updates and idempotency. */
import { beforeEach, describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { BATCH_ROWS } from '../../../src/ingest/import-file.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, rows, useStore } from './support.ts';

const COLUMNS = ['lplatform_id', 'tenant_name', 'lplatform_name', 'returned_at'] as const;
type Column = (typeof COLUMNS)[number];
const BASE: Record<Column, string> = {
  lplatform_id: 'LP9',
  tenant_name: 'T1',
  lplatform_name: 'platform nine',
  returned_at: '',
};
const file = (...overrides: Partial<Record<Column, string>>[]): string => rows(COLUMNS, BASE, ...overrides);

const ID_RULE = 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit';
const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';
const RETURN_FIXED =
  'returned_at: L-Platform LP1 was returned at 2026-10-20T00:00:00.000Z; a return cannot be changed or undone';

let db: Db;
useStore(true, (s) => (db = s.db));

function lplatform(id: string): Record<string, unknown> | undefined {
  return connection(db)
    .prepare('SELECT l.*, t.tenant_name FROM lplatforms l JOIN tenants t USING (tenant_pk) WHERE lplatform_id = ?')
    .get(id) as Record<string, unknown> | undefined;
}

describe('lplatforms: valid rows', () => {
  it('inserts an L-Platform of an existing tenant', async () => {
    const result = await importText(
      db,
      'lplatforms',
      file({}, { lplatform_id: 'LP8', tenant_name: 'T2', returned_at: '2026-10-20T09:00:00+0900' }),
    );
    expect(result).toMatchObject({ rows: 2, inserted: 2, updated: 0, unchanged: 0 });
    expect(lplatform('LP9')).toMatchObject({ tenant_name: 'T1', lplatform_name: 'platform nine', returned_at: null });
    expect(lplatform('LP8')).toMatchObject({ tenant_name: 'T2', returned_at: '2026-10-20T00:00:00.000Z' });
  });

  it.each([
    ['64 characters', 'L'.repeat(64)],
    ['digits, "_" and "-"', '0-lp_9'],
  ])('accepts an ID of %s', async (_what, id) => {
    await importText(db, 'lplatforms', file({ lplatform_id: id }));
    expect(lplatform(id)).toBeDefined();
  });
});

describe('lplatforms: lplatform_id', () => {
  it.each([
    ['empty', '', 'is required'],
    ['a path', '../LP9', ID_RULE],
    ['a space', 'LP 9', ID_RULE],
    ['a dot', 'LP.9', ID_RULE],
    ['a leading "_"', '_LP9', ID_RULE],
    ['65 characters', 'L'.repeat(65), ID_RULE],
  ])('refuses %s', async (_what, id, message) => {
    await expectRefused(db, 'lplatforms', file({ lplatform_id: id }), `lplatforms.csv:2: lplatform_id: ${message}`);
  });

  it('refuses an ID that differs from an existing one only in letter case', async () => {
    await expectRefused(
      db,
      'lplatforms',
      file({ lplatform_id: 'lp1', tenant_name: 'T1' }),
      'lplatforms.csv:2: lplatform_id: L-Platform "LP1" exists; IDs that differ only in letter case would share detail file names',
    );
  });

  it('refuses one ID twice in a file', async () => {
    await expectRefused(
      db,
      'lplatforms',
      file({}, { lplatform_name: 'again' }),
      'lplatforms.csv:3: lplatform_id: L-Platform LP9 appears again (first at line 2)',
    );
  });
});

describe('lplatforms: tenant_name', () => {
  it.each([
    ['empty', '', 'is required'],
    ['with a space', 'T 1', 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit'],
    ['a reserved device name', 'con', '"con" is a reserved device name'],
    ['an unknown tenant', 'T9', 'tenant "T9" does not exist (import tenants first)'],
  ])('refuses %s', async (_what, name, message) => {
    await expectRefused(db, 'lplatforms', file({ tenant_name: name }), `lplatforms.csv:2: tenant_name: ${message}`);
  });

  it('refuses moving an L-Platform to another tenant', async () => {
    await expectRefused(
      db,
      'lplatforms',
      file({ lplatform_id: 'LP1', tenant_name: 'T2', lplatform_name: 'platform one' }),
      'lplatforms.csv:2: tenant_name: L-Platform LP1 belongs to another tenant; an L-Platform cannot move between tenants',
    );
  });
});

describe('lplatforms: lplatform_name', () => {
  it.each([
    ['empty', '', 'is required'],
    ['longer than 128 characters', 'p'.repeat(129), 'is longer than 128 characters'],
    ['holding a line feed', 'platform\nnine', CONTROL],
    ['holding a tab', 'platform\tnine', CONTROL],
  ])('refuses a name %s', async (_what, name, message) => {
    await expectRefused(
      db,
      'lplatforms',
      file({ lplatform_name: name }),
      `lplatforms.csv:2: lplatform_name: ${message}`,
    );
  });
});

describe('lplatforms: returned_at', () => {
  it.each([
    [
      'without a zone',
      '2026-10-20T00:00:00',
      '"2026-10-20T00:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
    ],
    ['on 30 February', '2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z": day 30 does not exist in 2026-02'],
    ['at 25:00', '2026-10-20T25:00:00Z', '"2026-10-20T25:00:00Z": the time of day does not exist'],
  ])('refuses an instant %s', async (_what, value, message) => {
    await expectRefused(db, 'lplatforms', file({ returned_at: value }), `lplatforms.csv:2: returned_at: ${message}`);
  });

  describe('once set', () => {
    beforeEach(async () => {
      const result = await importText(
        db,
        'lplatforms',
        file({ lplatform_id: 'LP1', lplatform_name: 'platform one', returned_at: '2026-10-20T00:00:00Z' }),
      );
      expect(result).toMatchObject({ updated: 1 });
    });

    it('cannot be changed', async () => {
      await expectRefused(
        db,
        'lplatforms',
        file({ lplatform_id: 'LP1', lplatform_name: 'platform one', returned_at: '2026-10-21T00:00:00Z' }),
        `lplatforms.csv:2: ${RETURN_FIXED}`,
      );
    });

    it('cannot be undone', async () => {
      await expectRefused(
        db,
        'lplatforms',
        file({ lplatform_id: 'LP1', lplatform_name: 'platform one', returned_at: '' }),
        `lplatforms.csv:2: ${RETURN_FIXED}`,
      );
    });

    it('is unchanged when written in another zone', async () => {
      const result = await importText(
        db,
        'lplatforms',
        file({ lplatform_id: 'LP1', lplatform_name: 'platform one', returned_at: '2026-10-20T09:00:00+09:00' }),
      );
      expect(result).toMatchObject({ unchanged: 1, updated: 0 });
    });
  });
});

describe('lplatforms: idempotency and updates', () => {
  it('imports the same file twice: inserted N, then unchanged N with the same data', async () => {
    const text = file({}, { lplatform_id: 'LP8', tenant_name: 'T2', returned_at: '2026-10-20T00:00:00Z' });
    expect(await importText(db, 'lplatforms', text)).toMatchObject({ rows: 2, inserted: 2, updated: 0, unchanged: 0 });
    const before = snapshot(db);
    expect(await importText(db, 'lplatforms', text)).toMatchObject({ rows: 2, inserted: 0, updated: 0, unchanged: 2 });
    const after = snapshot(db);
    expect(dataOnly(after)).toEqual(dataOnly(before));
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });

  it('counts a rename as updated', async () => {
    const result = await importText(
      db,
      'lplatforms',
      file(
        { lplatform_id: 'LP1', lplatform_name: 'platform one renamed' },
        { lplatform_id: 'LP2', tenant_name: 'T2', lplatform_name: 'platform two' },
      ),
    );
    expect(result).toMatchObject({ rows: 2, inserted: 0, updated: 1, unchanged: 1 });
    expect(lplatform('LP1')?.lplatform_name).toBe('platform one renamed');
  });
});

describe('lplatforms: all or nothing', () => {
  it('writes nothing when the last of many lines is bad', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ lplatform_id: `LPX${i}` }));
    await expectRefused(
      db,
      'lplatforms',
      file(...many, { lplatform_id: 'LP1', tenant_name: 'T2', lplatform_name: 'x' }),
      'lplatforms.csv:42: tenant_name: L-Platform LP1 belongs to another tenant; an L-Platform cannot move between tenants',
    );
    expect(lplatform('LPX0')).toBeUndefined();
  });
});

describe('lplatforms: files longer than a batch (PostgreSQL applies them BATCH_ROWS rows at a time)', () => {
  it("adds them in the file's order, and updates, renames and returns across batches", async () => {
    const n = 2 * BATCH_ROWS + 7;
    const many = Array.from({ length: n }, (_, i) => ({ lplatform_id: `LPB${i}`, lplatform_name: `p${i}` }));
    expect(await importText(db, 'lplatforms', file(...many))).toMatchObject({ rows: n, inserted: n });
    const ids = connection(db)
      .prepare("SELECT lplatform_id FROM lplatforms WHERE lplatform_id LIKE 'LPB%' ORDER BY lplatform_pk")
      .pluck()
      .all();
    expect(ids).toEqual(many.map((m) => m.lplatform_id));
    // The second import: renames in the first and last batch, a return in the middle one, new ones.
    const changed = many.map((m, i) =>
      i === 0 || i === n - 1
        ? { ...m, lplatform_name: `renamed ${i}` }
        : i === BATCH_ROWS + 1
          ? { ...m, returned_at: '2026-10-20T00:00:00Z' }
          : m,
    );
    const result = await importText(db, 'lplatforms', file(...changed, { lplatform_id: 'LPNEW' }));
    expect(result).toMatchObject({ rows: n + 1, inserted: 1, updated: 3, unchanged: n - 3 });
    expect(lplatform('LPB0')?.lplatform_name).toBe('renamed 0');
    expect(lplatform(`LPB${n - 1}`)?.lplatform_name).toBe(`renamed ${n - 1}`);
    expect(lplatform(`LPB${BATCH_ROWS + 1}`)?.returned_at).toBe('2026-10-20T00:00:00.000Z');
  });

  it('refuses at its line an ID that differs only in letter case from one a batch before it adds', async () => {
    const many = Array.from({ length: BATCH_ROWS + 3 }, (_, i) => ({ lplatform_id: `LPC${i}` }));
    await expectRefused(
      db,
      'lplatforms',
      file(...many, { lplatform_id: 'lpc2' }, { lplatform_id: 'LPC-late' }, { lplatform_id: 'lpc-LATE' }),
      `lplatforms.csv:${BATCH_ROWS + 5}: lplatform_id: L-Platform "LPC2" exists; IDs that differ only in letter case would share detail file names`,
      `lplatforms.csv:${BATCH_ROWS + 7}: lplatform_id: L-Platform "LPC-late" exists; IDs that differ only in letter case would share detail file names`,
    );
    expect(lplatform('LPC0')).toBeUndefined();
  });
});
