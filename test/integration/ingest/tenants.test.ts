/** Import kind `tenants`: every field's rules, deletions, cut-off changes, idempotency, all-or-nothing. */
import { beforeEach, describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, insertFixedStatement, rows, useStore } from './support.ts';

const COLUMNS = ['tenant_name', 'display_name', 'cutoff_day', 'locale', 'currency', 'deleted_at'] as const;
type Column = (typeof COLUMNS)[number];
const BASE: Record<Column, string> = {
  tenant_name: 'T9',
  display_name: 'Tenant Nine',
  cutoff_day: '31',
  locale: 'ja',
  currency: 'JPY',
  deleted_at: '',
};
const file = (...overrides: Partial<Record<Column, string>>[]): string => rows(COLUMNS, BASE, ...overrides);

const NAME_RULE = 'must be 1-32 letters, digits, "_" or "-", starting with a letter or digit';
const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';
const NO_ZONE =
  'is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)';

let db: Db;
useStore(true, (s) => (db = s.db));

function tenant(name: string): Record<string, unknown> | undefined {
  return connection(db).prepare('SELECT * FROM tenants WHERE tenant_name = ?').get(name) as
    Record<string, unknown> | undefined;
}

describe('tenants: valid rows', () => {
  it('inserts a tenant, filling locale and currency from the defaults when empty', async () => {
    const result = await importText(db, 'tenants', file({ locale: '', currency: '' }));
    expect(result).toMatchObject({ kind: 'tenants', rows: 1, inserted: 1, updated: 0, unchanged: 0 });
    expect(tenant('T9')).toMatchObject({
      display_name: 'Tenant Nine',
      cutoff_day: 31,
      locale: 'ja',
      currency: 'JPY',
      deleted_at: null,
      pending_cutoff_day: null,
    });
  });

  it('accepts a file without the optional columns', async () => {
    const result = await importText(db, 'tenants', 'tenant_name,display_name,cutoff_day\nT9,Nine,5\n');
    expect(result.inserted).toBe(1);
    expect(tenant('T9')).toMatchObject({ cutoff_day: 5, locale: 'ja', currency: 'JPY' });
  });

  it.each([
    ['1', 1],
    ['31', 31],
    ['07', 7],
  ])('accepts cutoff_day %s', async (given, stored) => {
    await importText(db, 'tenants', file({ cutoff_day: given }));
    expect(tenant('T9')?.cutoff_day).toBe(stored);
  });

  it.each([
    ['a', 'a'],
    ['32 characters', 'A'.repeat(32)],
    ['digits, "_" and "-"', '0tenant_name-9'],
    ['a reserved name inside a longer one', 'CONSOLE'],
  ])('accepts the tenant name %s', async (_what, name) => {
    await importText(db, 'tenants', file({ tenant_name: name }));
    expect(tenant(name)).toBeDefined();
  });

  it.each([
    ['2026-10-01T09:00:00+09:00', '2026-10-01T00:00:00.000Z'],
    ['2026-10-01T09:00:00+0900', '2026-10-01T00:00:00.000Z'],
    ['2026-09-30T19:00-05:00', '2026-10-01T00:00:00.000Z'],
    ['2026-10-01T00:00:00.5Z', '2026-10-01T00:00:00.500Z'],
  ])('stores deleted_at %s as the UTC instant %s', async (given, stored) => {
    await importText(db, 'tenants', file({ deleted_at: given }));
    expect(tenant('T9')?.deleted_at).toBe(stored);
  });

  it.each(['en', 'ja'])('accepts locale %s', async (locale) => {
    await importText(db, 'tenants', file({ locale }));
    expect(tenant('T9')?.locale).toBe(locale);
  });

  it.each(['JPY', 'USD', 'EUR', 'SGD'])('accepts currency %s', async (currency) => {
    await importText(db, 'tenants', file({ currency }));
    expect(tenant('T9')?.currency).toBe(currency);
  });
});

describe('tenants: tenant_name', () => {
  it.each([
    ['empty', '', 'is required'],
    ['a path', '../etc', NAME_RULE],
    ['a slash', 'a/b', NAME_RULE],
    ['a space', 'Tenant Nine', NAME_RULE],
    ['a dot', 'tenant.9', NAME_RULE],
    ['starting with "-"', '-tenant', NAME_RULE],
    ['starting with "_"', '_tenant', NAME_RULE],
    ['non-ASCII letters', 'テナント', NAME_RULE],
    ['33 characters', 'A'.repeat(33), NAME_RULE],
    ['CON', 'CON', '"CON" is a reserved device name'],
    ['nul', 'nul', '"nul" is a reserved device name'],
    ['COM1', 'COM1', '"COM1" is a reserved device name'],
    ['lpt9', 'lpt9', '"lpt9" is a reserved device name'],
    ['Aux', 'Aux', '"Aux" is a reserved device name'],
    ['PRN', 'PRN', '"PRN" is a reserved device name'],
  ])('refuses %s', async (_what, name, message) => {
    await expectRefused(db, 'tenants', file({ tenant_name: name }), `tenants.csv:2: tenant_name: ${message}`);
  });

  it('refuses a tab inside a quoted name as a control character', async () => {
    await expectRefused(db, 'tenants', file({ tenant_name: 'T\t9' }), `tenants.csv:2: tenant_name: ${CONTROL}`);
  });

  it('refuses a name that differs from an existing one only in letter case', async () => {
    await expectRefused(
      db,
      'tenants',
      file({ tenant_name: 't1' }),
      'tenants.csv:2: tenant_name: tenant "T1" exists; names that differ only in letter case would share statement file names',
    );
  });

  it('refuses the same tenant twice in one file, naming the first line', async () => {
    await expectRefused(
      db,
      'tenants',
      file({}, { tenant_name: 'T8' }, { display_name: 'Other' }),
      'tenants.csv:4: tenant_name: tenant T9 appears again (first at line 2)',
    );
  });
});

describe('tenants: display_name', () => {
  it.each([
    ['empty', '', 'is required'],
    ['longer than 128 characters', 'x'.repeat(129), 'is longer than 128 characters'],
    ['holding a line feed', 'Tenant\nNine', CONTROL],
    ['holding an escape', 'Tenant\u001bNine', CONTROL],
    ['holding a tab', 'Tenant\tNine', CONTROL],
    ['holding a DEL', 'Tenant\u007fNine', CONTROL],
    ['holding a bell', 'Tenant\u0007Nine', CONTROL],
  ])('refuses a name %s', async (_what, name, message) => {
    await expectRefused(db, 'tenants', file({ display_name: name }), `tenants.csv:2: display_name: ${message}`);
  });

  it('accepts exactly 128 characters, a comma and quotes', async () => {
    await importText(
      db,
      'tenants',
      file({ display_name: 'x'.repeat(128) }, { tenant_name: 'T8', display_name: 'Nine, "the" tenant' }),
    );
    expect(tenant('T9')?.display_name).toBe('x'.repeat(128));
    expect(tenant('T8')?.display_name).toBe('Nine, "the" tenant');
  });
});

describe('tenants: cutoff_day', () => {
  it.each([
    ['empty', '', 'is required'],
    ['0', '0', 'must be a whole number from 1 to 31'],
    ['32', '32', 'must be a whole number from 1 to 31'],
    ['1.5', '1.5', 'must be a whole number from 1 to 31'],
    ['abc', 'abc', 'must be a whole number from 1 to 31'],
    ['-1', '-1', 'must be a whole number from 1 to 31'],
    ['" 5" (spaces)', ' 5', 'must be a whole number from 1 to 31'],
    ['1e1', '1e1', 'must be a whole number from 1 to 31'],
    ['ten digits', '0000000031', 'must be a whole number from 1 to 31'],
  ])('refuses %s', async (_what, value, message) => {
    await expectRefused(db, 'tenants', file({ cutoff_day: value }), `tenants.csv:2: cutoff_day: ${message}`);
  });
});

describe('tenants: locale and currency', () => {
  it.each(['fr', 'JA', 'ja-JP', 'english'])('refuses locale %s', async (locale) => {
    await expectRefused(db, 'tenants', file({ locale }), 'tenants.csv:2: locale: must be one of ja, en');
  });

  it.each(['GBP', 'jpy', 'YEN', '¥'])('refuses currency %s', async (currency) => {
    await expectRefused(
      db,
      'tenants',
      file({ currency }),
      'tenants.csv:2: currency: must be one of JPY, USD, EUR, SGD',
    );
  });
});

describe('tenants: deleted_at', () => {
  it.each([
    ['without a zone', '2026-10-01T00:00:00', `"2026-10-01T00:00:00" ${NO_ZONE}`],
    ['on 30 February', '2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z": day 30 does not exist in 2026-02'],
    ['at 25:00', '2026-10-01T25:00:00Z', '"2026-10-01T25:00:00Z": the time of day does not exist'],
    [
      'with four fraction digits',
      '2026-10-01T00:00:00.1234Z',
      '"2026-10-01T00:00:00.1234Z" is not an ISO 8601 instant with a time zone (at most 3 fraction digits)',
    ],
  ])('refuses an instant %s', async (_what, value, message) => {
    await expectRefused(db, 'tenants', file({ deleted_at: value }), `tenants.csv:2: deleted_at: ${message}`);
  });

  it('sets a deletion on an existing tenant (updated)', async () => {
    const result = await importText(
      db,
      'tenants',
      'tenant_name,display_name,cutoff_day,locale,currency,deleted_at\nT1,Tenant One,31,ja,JPY,2026-10-15T00:00:00Z\n',
    );
    expect(result).toMatchObject({ updated: 1, inserted: 0, unchanged: 0 });
    expect(tenant('T1')?.deleted_at).toBe('2026-10-15T00:00:00.000Z');
  });

  describe('once set', () => {
    const header = 'tenant_name,display_name,cutoff_day,locale,currency,deleted_at';
    beforeEach(async () => {
      await importText(db, 'tenants', `${header}\nT1,Tenant One,31,ja,JPY,2026-10-15T00:00:00Z\n`);
    });

    it('cannot be changed to another instant', async () => {
      await expectRefused(
        db,
        'tenants',
        `${header}\nT1,Tenant One,31,ja,JPY,2026-10-16T00:00:00Z\n`,
        'tenants.csv:2: deleted_at: tenant T1 was deleted at 2026-10-15T00:00:00.000Z; a deletion cannot be changed or undone',
      );
    });

    it('cannot be undone by an empty cell', async () => {
      await expectRefused(
        db,
        'tenants',
        `${header}\nT1,Tenant One,31,ja,JPY,\n`,
        'tenants.csv:2: deleted_at: tenant T1 was deleted at 2026-10-15T00:00:00.000Z; a deletion cannot be changed or undone',
      );
    });

    it('cannot be undone by a file without the deleted_at column', async () => {
      await expectRefused(
        db,
        'tenants',
        'tenant_name,display_name,cutoff_day\nT1,Tenant One,31\n',
        'tenants.csv:2: deleted_at: tenant T1 was deleted at 2026-10-15T00:00:00.000Z; a deletion cannot be changed or undone',
      );
    });

    it('is unchanged when the same instant is written in another zone', async () => {
      const result = await importText(db, 'tenants', `${header}\nT1,Tenant One,31,ja,JPY,2026-10-15T09:00:00+09:00\n`);
      expect(result).toMatchObject({ unchanged: 1, updated: 0 });
    });

    it('still lets other fields change', async () => {
      const result = await importText(
        db,
        'tenants',
        `${header}\nT1,Tenant One (closed),31,ja,JPY,2026-10-15T00:00:00Z\n`,
      );
      expect(result).toMatchObject({ updated: 1 });
      expect(tenant('T1')).toMatchObject({
        display_name: 'Tenant One (closed)',
        deleted_at: '2026-10-15T00:00:00.000Z',
      });
    });
  });
});

describe('tenants: idempotency and updates', () => {
  it('imports the same file twice: inserted N, then unchanged N with the same data', async () => {
    const text = file(
      { tenant_name: 'A1' },
      { tenant_name: 'A2', deleted_at: '2026-10-01T09:00:00+09:00' },
      { tenant_name: 'A3', locale: 'en', currency: 'USD' },
    );
    const first = await importText(db, 'tenants', text);
    expect(first).toMatchObject({ rows: 3, inserted: 3, updated: 0, unchanged: 0 });
    const before = snapshot(db);
    const second = await importText(db, 'tenants', text);
    expect(second).toMatchObject({ rows: 3, inserted: 0, updated: 0, unchanged: 3 });
    expect(second.sha256).toBe(first.sha256);
    const after = snapshot(db);
    expect(dataOnly(after)).toEqual(dataOnly(before));
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });

  it('counts a changed display name, locale or currency as updated', async () => {
    const result = await importText(
      db,
      'tenants',
      rows(
        COLUMNS,
        BASE,
        { tenant_name: 'T1', display_name: 'Tenant One Renamed', cutoff_day: '31', locale: 'ja', currency: 'JPY' },
        { tenant_name: 'T2', display_name: 'Tenant Two', cutoff_day: '20', locale: 'ja', currency: 'EUR' },
      ),
    );
    expect(result).toMatchObject({ rows: 2, inserted: 0, updated: 2, unchanged: 0 });
    expect(tenant('T1')?.display_name).toBe('Tenant One Renamed');
    expect(tenant('T2')).toMatchObject({ locale: 'ja', currency: 'EUR' });
  });

  it.each([
    ['empty cells', 'tenant_name,display_name,cutoff_day,locale,currency\nT2,Tenant Two,20,,\n'],
    ['a file without the columns', 'tenant_name,display_name,cutoff_day\nT2,Tenant Two,20\n'],
  ])('keeps the stored locale and currency for %s (unchanged)', async (_what, text) => {
    const before = dataOnly(snapshot(db));
    expect(await importText(db, 'tenants', text)).toMatchObject({ unchanged: 1, updated: 0 });
    expect(dataOnly(snapshot(db))).toEqual(before);
    expect(tenant('T2')).toMatchObject({ locale: 'en', currency: 'USD' });
  });

  it('changes cutoff_day directly when the tenant has no fixed statement', async () => {
    const result = await importText(
      db,
      'tenants',
      'tenant_name,display_name,cutoff_day,locale,currency\nT1,Tenant One,15,ja,JPY\n',
    );
    expect(result).toMatchObject({ updated: 1 });
    expect(tenant('T1')).toMatchObject({ cutoff_day: 15, pending_cutoff_day: null, pending_cutoff_requested_at: null });
  });

  describe('with a fixed statement', () => {
    const header = 'tenant_name,display_name,cutoff_day,locale,currency';
    beforeEach(() => insertFixedStatement(db, 'T1'));

    it('keeps cutoff_day and records the new day as pending_cutoff_day', async () => {
      const result = await importText(db, 'tenants', `${header}\nT1,Tenant One,15,ja,JPY\n`);
      expect(result).toMatchObject({ updated: 1 });
      expect(tenant('T1')).toMatchObject({
        cutoff_day: 31,
        pending_cutoff_day: 15,
        pending_cutoff_requested_at: '2026-11-01T00:00:00.000Z',
      });
    });

    it('is unchanged when the pending day is imported again', async () => {
      await importText(db, 'tenants', `${header}\nT1,Tenant One,15,ja,JPY\n`);
      const before = dataOnly(snapshot(db));
      const result = await importText(db, 'tenants', `${header}\nT1,Tenant One,15,ja,JPY\n`);
      expect(result).toMatchObject({ unchanged: 1, updated: 0 });
      expect(dataOnly(snapshot(db))).toEqual(before);
    });

    it('cancels the pending day when the current day is imported again', async () => {
      await importText(db, 'tenants', `${header}\nT1,Tenant One,15,ja,JPY\n`);
      const result = await importText(db, 'tenants', `${header}\nT1,Tenant One,31,ja,JPY\n`);
      expect(result).toMatchObject({ updated: 1 });
      expect(tenant('T1')).toMatchObject({
        cutoff_day: 31,
        pending_cutoff_day: null,
        pending_cutoff_requested_at: null,
      });
    });

    it('refuses another currency once the tenant has a finalized month', async () => {
      await expectRefused(
        db,
        'tenants',
        `${header}\nT1,Tenant One,31,ja,USD\n`,
        'tenants.csv:2: currency: tenant T1 is billed in JPY and has usage priced in it; its currency cannot change',
      );
    });

    it('refuses another currency once the tenant has usage, even with no finalized month', async () => {
      await importText(db, 'tenants', `${header}\nT7,Tenant Seven,31,ja,JPY\n`);
      await importText(db, 'lplatforms', 'lplatform_id,tenant_name,lplatform_name\nLP7,T7,seven\n');
      await importText(
        db,
        'usage',
        'record_id,tenant_name,lplatform_id,resource_id,resource_kind,product_id,time_kind,start_at,end_at\n' +
          'r7,T7,LP7,srv,virtual_server,VM-1,operating,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z\n',
      );
      await expectRefused(
        db,
        'tenants',
        `${header}\nT7,Tenant Seven,31,ja,USD\n`,
        'tenants.csv:2: currency: tenant T7 is billed in JPY and has usage priced in it; its currency cannot change',
      );
      await expectRefused(
        db,
        'tenants',
        'tenant_name,display_name,cutoff_day,deleted_at\nT7,Tenant Seven,31,2026-10-01T00:00:00Z\n',
        'tenants.csv:2: deleted_at: tenant T7 has usage starting at 2026-10-01T00:00:00.000Z; it cannot have been deleted before that',
      );
      await expectRefused(
        db,
        'lplatforms',
        'lplatform_id,tenant_name,lplatform_name,returned_at\nLP7,T7,seven,2026-09-30T00:00:00Z\n',
        'lplatforms.csv:2: returned_at: L-Platform LP7 has usage starting at 2026-10-01T00:00:00.000Z; it cannot have been returned before that',
      );
      expect(
        await importText(
          db,
          'lplatforms',
          'lplatform_id,tenant_name,lplatform_name,returned_at\nLP7,T7,seven,2026-10-01T00:00:00.001Z\n',
        ),
      ).toMatchObject({ updated: 1 });
    });

    it('keeps the request time of a pending cut-off change when another field changes', async () => {
      await importText(db, 'tenants', `${header}\nT1,Tenant One,15,ja,JPY\n`);
      const requested = tenant('T1')!.pending_cutoff_requested_at;
      expect(requested).not.toBeNull();
      connection(db)
        .prepare("UPDATE tenants SET pending_cutoff_requested_at = '2026-01-01T00:00:00.000Z' WHERE tenant_name = 'T1'")
        .run();
      await importText(db, 'tenants', `${header}\nT1,Renamed One,15,ja,JPY\n`);
      expect(tenant('T1')).toMatchObject({
        display_name: 'Renamed One',
        pending_cutoff_day: 15,
        pending_cutoff_requested_at: '2026-01-01T00:00:00.000Z',
      });
    });

    it('still accepts the same currency and an empty one', async () => {
      expect(await importText(db, 'tenants', `${header}\nT1,Tenant One,31,ja,JPY\n`)).toMatchObject({ unchanged: 1 });
      expect(await importText(db, 'tenants', `${header}\nT1,Tenant One,31,,\n`)).toMatchObject({ unchanged: 1 });
    });

    it('leaves another tenant without a fixed statement to change directly', async () => {
      await importText(db, 'tenants', `${header}\nT2,Tenant Two,10,en,USD\n`);
      expect(tenant('T2')).toMatchObject({ cutoff_day: 10, pending_cutoff_day: null });
    });
  });
});

describe('tenants: all or nothing', () => {
  const many = Array.from({ length: 60 }, (_, i) => ({ tenant_name: `M${i}`, display_name: `Many ${i}` }));

  it('writes nothing when the last line is bad', async () => {
    const before = snapshot(db);
    await expectRefused(
      db,
      'tenants',
      file(...many, { tenant_name: 'M60', cutoff_day: '32' }),
      'tenants.csv:62: cutoff_day: must be a whole number from 1 to 31',
    );
    expect(snapshot(db)).toEqual(before);
  });

  it('writes nothing, updates included, when a line in the middle is bad', async () => {
    const text = rows(
      COLUMNS,
      BASE,
      { tenant_name: 'T1', display_name: 'Renamed', cutoff_day: '31' },
      ...many.slice(0, 30),
      { tenant_name: 'bad name' },
      ...many.slice(30),
    );
    await expectRefused(db, 'tenants', text, `tenants.csv:33: tenant_name: ${NAME_RULE}`);
    expect(tenant('T1')?.display_name).toBe('Tenant One');
    expect(tenant('M0')).toBeUndefined();
  });

  it('reports every bad row of a file, each at its line', async () => {
    await expectRefused(
      db,
      'tenants',
      file({ cutoff_day: '0' }, { tenant_name: 'T8' }, { tenant_name: 'T7', locale: 'xx' }),
      'tenants.csv:2: cutoff_day: must be a whole number from 1 to 31',
      'tenants.csv:4: locale: must be one of ja, en',
    );
  });
});
