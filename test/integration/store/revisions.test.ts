/**
 * What the database itself guarantees of revisions (migration 9): one current revision per tenant
 * and month, numbers that only grow, a void only of a statement none of whose mails went and never
 * undone, no mail of a voided or replaced revision ever claimed; and an upgrade from version 8
 * that keeps every statement, line, file, delivery and hold with its references.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connection, openStore, type Db } from '../../../src/store/db.ts';
import { recoverInterrupted } from '../../../src/store/outbox.ts';
import { findStatement } from '../../../src/store/statements.ts';
import { tempDir } from '../../helpers/store.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function store(target?: number): { db: Db; dir: string } {
  const t = tempDir('uc-revisions-');
  const db = openStore(t.dir, target === undefined ? {} : { targetVersion: target });
  cleanups.push(() => {
    try {
      connection(db).close();
    } catch {
      // closed by the test
    }
    t.cleanup();
  });
  return { db, dir: t.dir };
}

const AT = '2026-11-01T00:00:00.000Z';

function sql(db: Db, text: string, ...params: unknown[]): { lastInsertRowid: number | bigint; changes: number } {
  return connection(db)
    .prepare(text)
    .run(...params);
}

/** A tenant with one contact, as rows. */
function tenant(db: Db): number {
  const pk = Number(
    sql(
      db,
      "INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at) VALUES ('T1', 'One', 31, 'ja', 'JPY', ?, ?)",
      AT,
      AT,
    ).lastInsertRowid,
  );
  sql(
    db,
    "INSERT INTO contacts (tenant_pk, email, active, created_at, updated_at) VALUES (?, 'a@example.com', 1, ?, ?)",
    pk,
    AT,
    AT,
  );
  return pk;
}

/** A finalized statement of 2026-10 (revision `revision`, correcting `corrects`), as the close writes one. */
function finalized(db: Db, tenantPk: number, revision: number, corrects: number | null = null): number {
  return connection(db).transaction(() => finalizedRows(db, tenantPk, revision, corrects))();
}

function finalizedRows(db: Db, tenantPk: number, revision: number, corrects: number | null): number {
  const pk = Number(
    sql(
      db,
      `INSERT INTO statements (tenant_pk, billing_month, revision, period_start, period_end, status, currency, corrects_pk,
        revision_reason, created_at, updated_at)
      VALUES (?, '2026-10', ?, '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 'estimated', 'JPY', ?, ?, ?, ?)`,
      tenantPk,
      revision,
      corrects,
      corrects === null ? '' : 'price',
      AT,
      AT,
    ).lastInsertRowid,
  );
  sql(db, "INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (?, 1, 'usage', '100')", pk);
  sql(
    db,
    "UPDATE statements SET status = 'fixed', total = '100', subtotal = '100', tax = '0', finalized_at = ?, summary = '{}' WHERE statement_pk = ?",
    AT,
    pk,
  );
  return pk;
}

function delivery(db: Db, statementPk: number, status: string): number {
  return Number(
    sql(
      db,
      `INSERT INTO deliveries (statement_pk, recipient, kind, status, message_id, created_at, updated_at)
      VALUES (?, 'a@example.com', 'resend', ?, ?, ?, ?)`,
      statementPk,
      status,
      `<${statementPk}-${status}-${Math.random()}@example.com>`,
      AT,
      AT,
    ).lastInsertRowid,
  );
}

function current(db: Db): number[] {
  return connection(db).prepare('SELECT statement_pk FROM current_statements').pluck().all() as number[];
}

describe('revisions in the database', () => {
  it('a month has one current revision: a second close is refused, a correction of the current one is not', () => {
    const { db } = store();
    const t = tenant(db);
    const r1 = finalized(db, t, 1);
    expect(() => finalized(db, t, 2)).toThrow(/only as the first current one of its month or as the correction/);
    const r2 = finalized(db, t, 2, r1);
    expect(current(db)).toEqual([r2]);
    // A correction of a revision that is no longer current is refused too.
    expect(() => finalized(db, t, 3, r1)).toThrow(/as the correction of the current one/);
    expect(findStatement(db, 'T1', '2026-10')).toEqual({ statementPk: r2, status: 'fixed', revision: 2 });
  });

  it('revision numbers only grow, and a fixed revision never changes', () => {
    const { db } = store();
    const t = tenant(db);
    const r3 = finalized(db, t, 3);
    sql(
      db,
      "INSERT INTO statement_voids (statement_pk, voided_at, voided_by, reason) VALUES (?, ?, 'op', 'x')",
      r3,
      AT,
    );
    expect(() => finalized(db, t, 2)).toThrow(/a number above every other of its month/);
    const r1 = finalized(db, t, 4);
    expect(() => sql(db, "UPDATE statements SET revision_reason = 'x' WHERE statement_pk = ?", r1)).toThrow(
      /a fixed statement never changes/,
    );
    expect(() => sql(db, 'DELETE FROM statements WHERE statement_pk = ?', r1)).toThrow(/never deleted/);
    expect(() => sql(db, "UPDATE charge_lines SET amount = '1'")).toThrow(/charge lines never change/);
  });

  it('a void is only of a finalized statement none of whose mails went, and is never undone', () => {
    const { db } = store();
    const t = tenant(db);
    const r1 = finalized(db, t, 1);
    delivery(db, r1, 'sent');
    const voidIt = (pk: number): unknown =>
      sql(
        db,
        "INSERT INTO statement_voids (statement_pk, voided_at, voided_by, reason) VALUES (?, ?, 'op', 'x')",
        pk,
        AT,
      );
    expect(() => voidIt(r1)).toThrow(/none of whose mails was sent/);
    const other = tenant2(db);
    const s = finalized(db, other, 1);
    const pending = delivery(db, s, 'pending');
    voidIt(s);
    expect(current(db)).toEqual([r1]);
    expect(findStatement(db, 'T2', '2026-10')).toEqual({ statementPk: s, status: 'void', revision: 1 });
    expect(() => sql(db, 'DELETE FROM statement_voids')).toThrow(/never undone/);
    expect(() => sql(db, "UPDATE statement_voids SET reason = 'y'")).toThrow(/never changed/);
    // Its mail is never claimed.
    expect(() => sql(db, "UPDATE deliveries SET status = 'sending' WHERE delivery_pk = ?", pending)).toThrow(
      /a mail of a voided or replaced statement is never sent/,
    );
    // The month is open again: a close makes revision 2, current.
    const r2 = finalized(db, other, 2);
    expect(current(db).sort()).toEqual([r1, r2].sort());
  });

  it('months are finalized in order: none while an earlier month is voided and not closed again', () => {
    const { db } = store();
    const t = tenant(db);
    const september = connection(db).transaction(() => {
      const pk = Number(
        sql(
          db,
          `INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, created_at, updated_at)
          VALUES (?, '2026-09', '2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', 'estimated', 'JPY', ?, ?)`,
          t,
          AT,
          AT,
        ).lastInsertRowid,
      );
      sql(db, "UPDATE statements SET status = 'fixed', total = '1', finalized_at = ? WHERE statement_pk = ?", AT, pk);
      return pk;
    })();
    sql(
      db,
      "INSERT INTO statement_voids (statement_pk, voided_at, voided_by, reason) VALUES (?, ?, 'op', 'x')",
      september,
      AT,
    );
    expect(() => finalized(db, t, 1)).toThrow(/only once every earlier voided month of its tenant is closed again/);
    expect(() =>
      sql(
        db,
        `INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, total, finalized_at, created_at, updated_at)
        VALUES (?, '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', 'fixed', 'JPY', '1', ?, ?, ?)`,
        t,
        AT,
        AT,
        AT,
      ),
    ).toThrow(/made open and finalized afterwards/);
  });

  it('a mail of a replaced revision is never claimed, and a replaced revision is never voided', () => {
    const { db } = store();
    const t = tenant(db);
    const r1 = finalized(db, t, 1);
    delivery(db, r1, 'sent');
    const waiting = delivery(db, r1, 'pending');
    const other = tenant2(db);
    const unsent = finalized(db, other, 1);
    finalized(db, other, 2, unsent);
    expect(() =>
      sql(
        db,
        "INSERT INTO statement_voids (statement_pk, voided_at, voided_by, reason) VALUES (?, ?, 'op', 'x')",
        unsent,
        AT,
      ),
    ).toThrow(/only the current revision of a month/);
    finalized(db, t, 2, r1);
    expect(() => sql(db, "UPDATE deliveries SET status = 'sending' WHERE delivery_pk = ?", waiting)).toThrow(
      /never sent/,
    );
  });

  it('a mail of a replaced revision left sending by a killed pass is withdrawn, not sent again', () => {
    const { db } = store();
    const t = tenant(db);
    const r1 = finalized(db, t, 1);
    delivery(db, r1, 'sent');
    const stuck = delivery(db, r1, 'sending');
    finalized(db, t, 2, r1);
    expect(recoverInterrupted(db, AT, 5)).toEqual({ recovered: 0, failed: [] });
    expect(
      connection(db).prepare('SELECT status, last_error FROM deliveries WHERE delivery_pk = ?').get(stuck),
    ).toEqual({
      status: 'withdrawn',
      last_error:
        'the pass sending it stopped before its result was recorded, and its statement was replaced since: not sent again',
    });
  });

  it('an upgrade from version 8 keeps statements, lines, files, deliveries and holds as revision 1', () => {
    const { db, dir } = store(8);
    const t = tenant(db);
    const pk = Number(
      sql(
        db,
        `INSERT INTO statements (tenant_pk, billing_month, period_start, period_end, status, currency, created_at, updated_at)
        VALUES (?, '2026-10', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 'estimated', 'JPY', ?, ?)`,
        t,
        AT,
        AT,
      ).lastInsertRowid,
    );
    sql(db, "INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (?, 1, 'usage', '100')", pk);
    sql(
      db,
      "UPDATE statements SET status = 'fixed', total = '100', finalized_at = ?, summary = '{}' WHERE statement_pk = ?",
      AT,
      pk,
    );
    sql(
      db,
      "INSERT INTO statement_files (statement_pk, zip_name, zip_path, sha256, bytes, created_at) VALUES (?, 'a.zip', 'statements/202610/a.zip', 'x', 1, ?)",
      pk,
      AT,
    );
    sql(
      db,
      "INSERT INTO statement_holds (statement_pk, kind, held_at, held_by) VALUES (?, 'review', ?, 'REVIEW_HOLD')",
      pk,
      AT,
    );
    const d = Number(
      sql(
        db,
        `INSERT INTO deliveries (statement_pk, recipient, kind, status, message_id, created_at, updated_at)
        VALUES (?, 'a@example.com', 'statement', 'pending', '<m@example.com>', ?, ?)`,
        pk,
        AT,
        AT,
      ).lastInsertRowid,
    );
    sql(db, "INSERT INTO runs (started_at, as_of, owner, status, kind) VALUES (?, ?, 'o', 'ok', 'resend')", AT, AT);
    connection(db).close();
    expect(fs.existsSync(dir)).toBe(true);

    const upgraded = openStore(dir);
    cleanups.push(() => connection(upgraded).close());
    const c = connection(upgraded);
    expect(c.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(c.pragma('foreign_key_check')).toEqual([]);
    expect(c.prepare('SELECT statement_pk, revision, status, total FROM statements').all()).toEqual([
      { statement_pk: pk, revision: 1, status: 'fixed', total: '100' },
    ]);
    expect(c.prepare('SELECT statement_pk FROM current_statements').pluck().all()).toEqual([pk]);
    expect(c.prepare('SELECT delivery_pk, statement_pk, status FROM deliveries').all()).toEqual([
      { delivery_pk: d, statement_pk: pk, status: 'pending' },
    ]);
    expect(c.prepare('SELECT COUNT(*) FROM statement_holds WHERE statement_pk = ?').pluck().get(pk)).toBe(1);
    expect(c.prepare('SELECT kind FROM runs').pluck().all()).toEqual(['resend']);
    // The guards of the rebuilt table and of the tables that refer to it still hold.
    expect(() => c.prepare("UPDATE statements SET total = '1'").run()).toThrow(/never changes/);
    expect(() =>
      c.prepare("INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (?, 2, 'usage', '1')").run(pk),
    ).toThrow(/takes no new lines/);
    expect(() =>
      c
        .prepare("INSERT INTO statement_holds (statement_pk, kind, held_at, held_by) VALUES (999, 'review', 'x', 'y')")
        .run(),
    ).toThrow();
    expect(() =>
      c
        .prepare(
          "INSERT INTO deliveries (statement_pk, recipient, kind, status, message_id, created_at, updated_at) VALUES (999, 'a', 'resend', 'pending', '<z@x>', 'x', 'x')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });
});

function tenant2(db: Db): number {
  return Number(
    sql(
      db,
      "INSERT INTO tenants (tenant_name, display_name, cutoff_day, locale, currency, created_at, updated_at) VALUES ('T2', 'Two', 31, 'ja', 'JPY', ?, ?)",
      AT,
      AT,
    ).lastInsertRowid,
  );
}
