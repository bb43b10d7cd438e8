/**
 * auditPage: a subject's entries (its own and those of several tenants that list it), newest first,
 * a page at a time after the entry `before`: every entry once, in the order auditEntries lists
 * them, also where entries share their time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEntries, auditPage, recordAudit } from '../../../src/store/audit.ts';
import { connection } from '../../../src/store/db.ts';
import { tempStore } from '../../helpers/store.ts';

let store: ReturnType<typeof tempStore>;
beforeEach(() => {
  store = tempStore();
});
afterEach(() => store.close());

/** 150 entries: TNT00001's, TNT00002's, and some of both tenants (`*`), three to a second. */
function seed(): void {
  connection(store.db).transaction(() => {
    for (let i = 0; i < 150; i++) {
      const at = new Date(Date.UTC(2026, 10, 1, 0, 0, Math.floor(i / 3))).toISOString();
      const month = i % 4 === 0 ? '2026-09' : '2026-10';
      if (i % 5 === 0)
        recordAudit(store.db, at, 'release', '*', { billingMonth: month, tenants: ['TNT00001', 'TNT00002'], n: i });
      else recordAudit(store.db, at, 'download', i % 2 === 0 ? 'TNT00001' : 'TNT00002', { billingMonth: month, n: i });
    }
  })();
}

/** Every page of `size` entries, following each page's last key. */
function walk(filter: { subject: string | null; billingMonth: string | null; action: string | null }, size: number) {
  const out: number[] = [];
  let before: number | null = null;
  for (;;) {
    const page = auditPage(store.db, { ...filter, limit: size, before });
    out.push(...page.map((e) => e.detail.n as number));
    if (page.length < size) return out;
    before = page.at(-1)!.auditPk;
  }
}

describe('auditPage', () => {
  it("pages through a subject's entries, its own and those listing it, each once and newest first", () => {
    seed();
    for (const filter of [
      { subject: 'TNT00001', billingMonth: null, action: null },
      { subject: 'TNT00001', billingMonth: '2026-10', action: null },
      { subject: 'TNT00002', billingMonth: null, action: 'release' },
      { subject: null, billingMonth: '2026-09', action: null },
    ]) {
      const all = auditEntries(store.db, { ...filter, limit: 1000 }).map((e) => e.detail.n as number);
      // What they should be, from the seed: newest first (the later of two at the same time first).
      const expected = Array.from({ length: 150 }, (_, i) => 149 - i).filter((i) => {
        const subject = i % 5 === 0 ? '*' : i % 2 === 0 ? 'TNT00001' : 'TNT00002';
        return (
          (filter.subject === null || subject === filter.subject || subject === '*') &&
          (filter.billingMonth === null || (i % 4 === 0 ? '2026-09' : '2026-10') === filter.billingMonth) &&
          (filter.action === null || (subject === '*' ? 'release' : 'download') === filter.action)
        );
      });
      expect(all, JSON.stringify(filter)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(10);
      for (const size of [1, 7, 100])
        expect(walk(filter, size), `${JSON.stringify(filter)} by ${size}`).toEqual(expected);
    }
  });

  it('after a key that is not stored: nothing', () => {
    seed();
    expect(
      auditPage(store.db, { subject: 'TNT00001', billingMonth: null, action: null, limit: 10, before: 99999 }),
    ).toEqual([]);
  });
});
