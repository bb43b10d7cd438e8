/** All-or-nothing under failures that are not bad rows: a throwing applier, a failing stream, chunk edges. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importFile } from '../../../src/ingest/index.ts';
import { tenantsKind } from '../../../src/ingest/kinds/tenants.ts';
import type { ImportKind } from '../../../src/ingest/import-kind.ts';
import type { TenantRow } from '../../../src/ingest/kinds/tenants.ts';
import { InputError } from '../../../src/domain/errors.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { useStore } from './support.ts';
import { connection, type Db } from '../../../src/store/db.ts';

let db: Db;
useStore(false, (s) => (db = s.db));

const CTX = { now: '2026-11-01T00:00:00.000Z', defaultCurrency: 'JPY', defaultLocale: 'ja' } as const;
const TENANTS = 'tenant_name,display_name,cutoff_day\nT1,One,31\nT2,Two,31\nT3,Three,31\n';

describe('an import that fails for another reason than its rows', () => {
  it('rolls everything back when applying a row throws', async () => {
    const before = snapshot(db);
    let applied = 0;
    const exploding: ImportKind<TenantRow> = {
      ...tenantsKind,
      applier(ctx) {
        const apply = tenantsKind.applier(ctx);
        return (row, report) => {
          if (++applied === 3) throw new Error('disk went away');
          return apply(row, report);
        };
      },
    };
    await expect(
      importFile(
        exploding,
        { stream: Readable.from([Buffer.from(TENANTS)]), name: 't.csv' },
        { ...CTX, db },
        { maxErrors: 10 },
      ),
    ).rejects.toThrow('disk went away');
    expect(connection(db).inTransaction).toBe(false);
    expect(snapshot(db)).toEqual(before);
  });

  it('rolls everything back and names the file when the stream fails mid-way', async () => {
    const before = snapshot(db);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('tenant_name,display_name,cutoff_day\nT1,One,31\n');
      await new Promise((r) => setTimeout(r, 5));
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const err = await importFile(
      tenantsKind,
      { stream: Readable.from(failing()), name: 't.csv' },
      { ...CTX, db },
      { maxErrors: 10 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues.map((i) => `${i.file}:${i.line}: ${i.message}`)).toEqual([
      't.csv:0: cannot be read (EIO)',
    ]);
    expect(connection(db).inTransaction).toBe(false);
    expect(snapshot(db)).toEqual(before);
  });

  it("inside a caller's transaction, a refused file rolls back to its savepoint only", async () => {
    connection(db).exec('BEGIN');
    await importText(db, 'tenants', 'tenant_name,display_name,cutoff_day\nT1,One,31\n');
    await expect(
      importText(db, 'tenants', 'tenant_name,display_name,cutoff_day\nT2,Two,31\nT3,Three,99\n'),
    ).rejects.toBeInstanceOf(InputError);
    expect(connection(db).inTransaction).toBe(true);
    connection(db).exec('COMMIT');
    expect(connection(db).prepare('SELECT tenant_name FROM tenants ORDER BY 1').pluck().all()).toEqual(['T1']);
  });
});

describe('UTF-8 across read chunks', () => {
  /** The file split into chunks of `size` bytes, so that characters straddle chunk edges. */
  function chunked(bytes: Buffer, size: number): Readable {
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    return Readable.from(parts);
  }
  // Locale en: statements in UTF-8, which holds the emoji (cp932, the default for ja, does not).
  const lines = [
    'tenant_name,display_name,cutoff_day,locale',
    ...Array.from({ length: 40 }, (_, i) => `T${i},テナント名前${i}🙂,31,en`),
  ];

  it.each([1, 2, 3, 5, 7, 64])('accepts valid Japanese text split every %i bytes', async (size) => {
    const r = await importFile(
      tenantsKind,
      { stream: chunked(Buffer.from(lines.join('\n') + '\n'), size), name: 't.csv' },
      { ...CTX, db },
      { maxErrors: 10 },
    );
    expect(r.inserted).toBe(40);
    expect(connection(db).prepare("SELECT display_name FROM tenants WHERE tenant_name = 'T7'").pluck().get()).toBe(
      'テナント名前7🙂',
    );
  });

  it.each([1, 2, 3, 5, 7, 64])('places a Shift_JIS byte pair on its line when split every %i bytes', async (size) => {
    const bytes = Buffer.concat([
      Buffer.from(lines.slice(0, 31).join('\n') + '\n'),
      Buffer.from('TX,', 'latin1'),
      Buffer.from([0x83, 0x65]),
      Buffer.from(',31,en\n'),
      Buffer.from(lines.slice(31).join('\n') + '\n'),
    ]);
    const err = await importFile(
      tenantsKind,
      { stream: chunked(bytes, size), name: 't.csv' },
      { ...CTX, db },
      { maxErrors: 10 },
    ).catch((e: unknown) => e);
    expect((err as InputError).issues.map((i) => `${i.line}: ${i.field}`)).toEqual(['32: (encoding)']);
  });
});
