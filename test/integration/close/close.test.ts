/**
 * The close against a real SQLite store: one fixed statement per (tenant, month) however often it
 * runs, lines equal to the rating and frozen by the database, failures recorded and retried, cut-off
 * changes after the closing, catch-up, zero statements, deleted tenants, views rebuilt from the store.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeDue, findDue, type CloseSummary } from '../../../jobs/close.ts';
import { jobContext } from '../../../jobs/context.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { IMPORT_KINDS, importFile, type ImportKindName } from '../../../src/ingest/index.ts';
import type { AnyImportKind } from '../../../src/ingest/import-kind.ts';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import { ratingPolicy } from '../../../jobs/rating-policy.ts';
import type { ChargeTree } from '../../../src/rating/types.ts';
import { billingReader, loadStatementView } from '../../../src/store/billing.ts';
import { finalizeStatement } from '../../../src/store/finalize.ts';
import { connection, type Db } from '../../../src/store/db.ts';
import { summarize, type StatementView } from '../../../src/statements/view.ts';
import { csv, importText, otherConnection, tempStore } from '../../helpers/store.ts';

/** Imports CSV text as of `now` (the helper's importText always uses 2026-11-01). */
async function importAt(db: Db, kind: ImportKindName, text: string, now: string): Promise<void> {
  await importFile(
    IMPORT_KINDS[kind] as AnyImportKind,
    { stream: Readable.from([Buffer.from(text)]), name: `${kind}.csv` },
    { db, now, defaultCurrency: 'JPY', defaultLocale: 'ja' },
    { maxErrors: 100 },
  );
}

const TENANTS_HEADER = 'tenant_name,display_name,cutoff_day,locale,currency,deleted_at';
/** The tenants file, with optional replacements of whole rows by tenant name. */
function tenantsFile(over: Record<string, string> = {}): string {
  const rows: Record<string, string> = {
    alpha: 'alpha,Alpha Corp,31,ja,JPY,',
    bravo: 'bravo,Bravo Ltd,15,en,JPY,',
    charlie: 'charlie,Charlie KK,20,ja,JPY,',
    delta: 'delta,Delta (no usage),31,ja,JPY,',
    ...over,
  };
  return csv(TENANTS_HEADER, ...Object.values(rows));
}

const CATALOG_HEADER =
  'product_id,priority,applicable_from,applicable_to,category,resource_identifier,unit_code,unit_price,product_name,charge_type,time_basis';
const USAGE_HEADER =
  'record_id,tenant_name,lplatform_id,resource_id,resource_name,resource_kind,product_id,time_kind,start_at,end_at,quantity';

/**
 * A small cloud. Tenants registered 2026-10-01: alpha (cut-off 31, usage from August: three months to
 * catch up), bravo (15), charlie (20), delta (31, no usage at all).
 */
async function buildCloud(db: Db): Promise<void> {
  await importAt(db, 'tenants', tenantsFile(), '2026-10-01T00:00:00.000Z');
  await importText(
    db,
    'lplatforms',
    csv(
      'lplatform_id,tenant_name,lplatform_name,returned_at',
      'A1,alpha,alpha main,',
      'A2,alpha,alpha old,2026-09-15T00:00:00Z',
      'B1,bravo,bravo main,',
      'C1,charlie,charlie main,',
      'D1,delta,delta main,',
    ),
  );
  await importText(
    db,
    'catalog',
    csv(
      CATALOG_HEADER,
      'VM-1,0,2020-01-01T00:00:00Z,,vm,image001,hour,1.2,Virtual server,,operating',
      'ALARM,0,2020-01-01T00:00:00Z,,monitoring,alarm,unit,500,Alarm,metered,',
    ),
  );
  await importText(
    db,
    'usage',
    csv(
      USAGE_HEADER,
      'a-aug,alpha,A1,vm-a1,web,virtual_server,VM-1,operating,2026-08-10T00:00:00Z,2026-08-10T10:00:00Z,', // 10 h x 1.2 = 12
      'a-sep,alpha,A2,vm-a2,old,virtual_server,VM-1,operating,2026-09-05T00:00:00Z,2026-09-05T20:00:00Z,', // 20 h = 24
      'a-oct,alpha,A1,vm-a1,web,virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T10:00:00Z,', // 12
      'a-alarm,alpha,A1,alarm-a1,alarm,monitoring,ALARM,quantity,2026-10-03T00:00:00Z,,3', // 1500
      'b-oct,bravo,B1,vm-b1,batch,virtual_server,VM-1,operating,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,', // 24 h = 28.8 -> 29
      'b-alarm,bravo,B1,alarm-b1,alarm,monitoring,ALARM,quantity,2026-10-05T00:00:00Z,,2', // 1000
      'b-nov,bravo,B1,vm-b1,batch,virtual_server,VM-1,operating,2026-10-20T00:00:00Z,2026-10-20T05:00:00Z,', // in 2026-11 [10-16, 11-16): 6
      'c-oct,charlie,C1,vm-c1,app,virtual_server,VM-1,operating,2026-10-10T00:00:00Z,2026-10-10T05:00:00Z,',
    ),
  ); // 6
}

let store: ReturnType<typeof tempStore>;
let db: Db;
let config: Config;
beforeEach(async () => {
  store = tempStore();
  db = store.db;
  config = loadConfig({ env: { DATA_DIR: store.dir, BILLING_TZ: 'UTC' }, cwd: store.dir });
  await buildCloud(db);
});
afterEach(() => store.close());

/** Runs the close as of `asOf`, its clock fixed one hour later. */
function close(asOf: string, now = new Date(Date.parse(asOf) + 3_600_000).toISOString()): CloseSummary {
  return closeDue(jobContext(db, config, { now: () => new Date(now) }), { asOf: new Date(asOf) });
}
const closedList = (s: CloseSummary) => s.closed.map((c) => `${c.tenant} ${c.billingMonth} ${c.total}`);

interface StatementRow {
  statement_pk: number;
  tenant_name: string;
  billing_month: string;
  period_start: string;
  period_end: string;
  status: string;
  subtotal: string | null;
  tax: string | null;
  total: string | null;
  finalized_at: string | null;
  last_error: string | null;
  attempts: number;
  summary: string | null;
}
function statements(tenant?: string): StatementRow[] {
  return connection(db)
    .prepare(
      `SELECT s.*, t.tenant_name FROM statements s JOIN tenants t USING (tenant_pk)
    WHERE ? IS NULL OR t.tenant_name = ? ORDER BY s.statement_pk`,
    )
    .all(tenant ?? null, tenant ?? null) as StatementRow[];
}
const monthsOf = (tenant: string) => statements(tenant).map((s) => `${s.billing_month} ${s.status}`);
function tenantRow(name: string): {
  cutoff_day: number;
  pending_cutoff_day: number | null;
  pending_cutoff_requested_at: string | null;
} {
  return connection(db)
    .prepare('SELECT cutoff_day, pending_cutoff_day, pending_cutoff_requested_at FROM tenants WHERE tenant_name = ?')
    .get(name) as never;
}
function lineCount(statementPk: number): number {
  return connection(db)
    .prepare('SELECT COUNT(*) FROM charge_lines WHERE statement_pk = ?')
    .pluck()
    .get(statementPk) as number;
}
/** A fresh rating of a statement's period, from the same store reads the close uses. */
function rateAgain(s: StatementRow): ChargeTree {
  const reader = billingReader(db);
  const t = reader.tenant(s.tenant_name);
  const period = {
    billingMonth: s.billing_month,
    start: Date.parse(s.period_start),
    end: Date.parse(s.period_end),
    cutoffDay: t.cutoffDay,
  };
  return ratePeriod(reader.ratingInput(t, period, config.billingTimeZone, ratingPolicy(config)));
}
const linesOfTree = (tree: ChargeTree) =>
  summarize({
    tenant: { name: '', displayName: '', deletedAt: null, locale: 'ja', currency: tree.currency },
    status: 'fixed',
    madeAt: 0,
    tree,
  }).lines;

describe('close: exactly once', () => {
  it('closes every due (tenant, month) once, oldest first; a second run closes nothing', () => {
    const first = close('2026-11-02T00:00:00Z', '2026-11-02T01:00:00.000Z');
    expect(first.failed).toEqual([]);
    expect(closedList(first)).toEqual([
      'alpha 2026-08 12', // ends 09-01
      'alpha 2026-09 24', // ends 10-01
      'bravo 2026-10 1029', // ends 10-16
      'charlie 2026-10 6', // ends 10-21
      'alpha 2026-10 1512', // ends 11-01
      'delta 2026-10 0',
    ]);
    expect(first.closed.every((c) => c.currency === 'JPY')).toBe(true);
    const before = statements();
    expect(before.map((s) => [s.tenant_name, s.billing_month, s.status, s.finalized_at])).toEqual([
      ['alpha', '2026-08', 'fixed', '2026-11-02T01:00:00.000Z'],
      ['alpha', '2026-09', 'fixed', '2026-11-02T01:00:00.000Z'],
      ['bravo', '2026-10', 'fixed', '2026-11-02T01:00:00.000Z'],
      ['charlie', '2026-10', 'fixed', '2026-11-02T01:00:00.000Z'],
      ['alpha', '2026-10', 'fixed', '2026-11-02T01:00:00.000Z'],
      ['delta', '2026-10', 'fixed', '2026-11-02T01:00:00.000Z'],
    ]);
    const linesBefore = connection(db).prepare('SELECT * FROM charge_lines ORDER BY line_pk').all();

    const second = close('2026-11-02T00:00:00Z', '2026-11-02T02:00:00.000Z');
    expect(second).toEqual({ closed: [], failed: [] });
    expect(findDue(db, config, new Date('2026-11-02T00:00:00Z'))).toEqual([]);
    expect(statements()).toEqual(before);
    expect(connection(db).prepare('SELECT * FROM charge_lines ORDER BY line_pk').all()).toEqual(linesBefore);
    const perMonth = connection(db)
      .prepare('SELECT COUNT(*) FROM statements GROUP BY tenant_pk, billing_month HAVING COUNT(*) > 1')
      .all();
    expect(perMonth).toEqual([]);
    expect(connection(db).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'close'").pluck().get()).toBe(6);
  });

  it('finalizing a month that is already fixed (a racing run) writes nothing and says so', () => {
    close('2026-11-02T00:00:00Z');
    const s = statements('bravo')[0]!;
    const tree = rateAgain(s);
    const t = billingReader(db).tenant('bravo');
    const view: StatementView = {
      tenant: { name: 'bravo', displayName: t.displayName, deletedAt: null, locale: t.locale, currency: t.currency },
      status: 'fixed',
      madeAt: Date.parse('2026-11-03T00:00:00Z'),
      tree,
    };
    const snapshotBefore = {
      statements: statements(),
      lines: connection(db).prepare('SELECT * FROM charge_lines').all(),
    };
    const done = connection(db)
      .transaction(() => finalizeStatement(db, t, view, '2026-11-03T00:00:00.000Z'))
      .immediate();
    expect(done).toBeNull();
    expect({ statements: statements(), lines: connection(db).prepare('SELECT * FROM charge_lines').all() }).toEqual(
      snapshotBefore,
    );
  });

  it('catch-up: three missed months close as three statements, oldest first', () => {
    expect(
      findDue(db, config, new Date('2026-11-02T00:00:00Z'))
        .filter((d) => d.tenantName === 'alpha')
        .map((d) => d.billingMonth),
    ).toEqual(['2026-08', '2026-09', '2026-10']);
    const s = close('2026-11-02T00:00:00Z');
    expect(s.closed.filter((c) => c.tenant === 'alpha').map((c) => c.billingMonth)).toEqual([
      '2026-08',
      '2026-09',
      '2026-10',
    ]);
    // Stored (and so finalized) in that order, each period following the previous one.
    const alpha = statements('alpha');
    expect(alpha.map((x) => [x.billing_month, x.period_start, x.period_end])).toEqual([
      ['2026-08', '2026-08-01T00:00:00.000Z', '2026-09-01T00:00:00.000Z'],
      ['2026-09', '2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'],
      ['2026-10', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'],
    ]);
    expect(alpha.map((x) => x.total)).toEqual(['12', '24', '1512']);
  });
});

describe('close: the write lock left free between tenants', () => {
  it('after holding it ~50 ms, the close pauses with the lock free: another process writes then, and every period is still closed once', () => {
    // The clock moves 60 ms at every look: the close has held the lock long enough before each period.
    let clock = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 60));
    // At each pause, another process (a download's audit row on the web server) takes the lock at
    // once, without waiting for it: it is free.
    let pauses = 0;
    vi.spyOn(Atomics, 'wait').mockImplementation(() => {
      const other = otherConnection(store);
      try {
        other.pragma('busy_timeout = 0');
        other.exec('BEGIN IMMEDIATE');
        other
          .prepare('INSERT INTO audit_log (at, action, subject, detail) VALUES (?, ?, ?, ?)')
          .run('2026-11-02T01:00:00.000Z', 'download', 'bravo', '{}');
        other.exec('COMMIT');
      } finally {
        other.close();
      }
      pauses++;
      return 'timed-out';
    });
    try {
      const summary = close('2026-11-02T00:00:00Z', '2026-11-02T01:00:00.000Z');
      expect(summary.failed).toEqual([]);
      expect(closedList(summary)).toEqual([
        'alpha 2026-08 12',
        'alpha 2026-09 24',
        'bravo 2026-10 1029',
        'charlie 2026-10 6',
        'alpha 2026-10 1512',
        'delta 2026-10 0',
      ]);
    } finally {
      vi.restoreAllMocks();
    }
    expect(pauses).toBe(6);
    expect(connection(db).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'download'").pluck().get()).toBe(6);
    expect(connection(db).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'close'").pluck().get()).toBe(6);
    expect(findDue(db, config, new Date('2026-11-02T00:00:00Z'))).toEqual([]);
  });
});

describe('close: the lines are the rating, frozen', () => {
  it("each statement's lines and totals equal a fresh rating of the same input", () => {
    close('2026-11-02T00:00:00Z');
    const all = statements();
    expect(all).toHaveLength(6);
    for (const s of all) {
      const tree = rateAgain(s);
      const lines = linesOfTree(tree);
      expect(
        { total: s.total, subtotal: s.subtotal, tax: s.tax, lines: lineCount(s.statement_pk) },
        `${s.tenant_name} ${s.billing_month}`,
      ).toEqual({
        total: tree.total.toFixed(),
        subtotal: tree.subtotal.toFixed(),
        tax: tree.tax.toFixed(),
        lines: lines.length,
      });
      const stored = connection(db)
        .prepare('SELECT seq, product_id, resource_id, amount FROM charge_lines WHERE statement_pk = ? ORDER BY seq')
        .all(s.statement_pk);
      expect(stored).toEqual(
        lines.map((l, i) => ({
          seq: i + 1,
          product_id: l.productId,
          resource_id: l.resourceId,
          amount: l.charged.toFixed(),
        })),
      );
    }
    // Some statements do have lines: the comparison is not vacuous.
    expect(lineCount(statements('alpha')[2]!.statement_pk)).toBe(2);
    expect(lineCount(statements('bravo')[0]!.statement_pk)).toBe(2);
  });

  it('the database refuses to change, delete or add to a fixed statement and its lines', () => {
    close('2026-11-02T00:00:00Z');
    const s = statements('alpha')[2]!;
    const line = connection(db)
      .prepare('SELECT line_pk FROM charge_lines WHERE statement_pk = ? ORDER BY seq LIMIT 1')
      .pluck()
      .get(s.statement_pk) as number;
    const before = { statements: statements(), lines: connection(db).prepare('SELECT * FROM charge_lines').all() };
    expect(() => connection(db).prepare("UPDATE charge_lines SET amount = '0' WHERE line_pk = ?").run(line)).toThrow(
      /charge lines never change/,
    );
    expect(() => connection(db).prepare('DELETE FROM charge_lines WHERE statement_pk = ?').run(s.statement_pk)).toThrow(
      /never deleted/,
    );
    expect(() =>
      connection(db)
        .prepare(`INSERT INTO charge_lines (statement_pk, seq, line_kind, amount) VALUES (?, 99, 'usage', '1')`)
        .run(s.statement_pk),
    ).toThrow(/takes no new lines/);
    expect(() =>
      connection(db).prepare("UPDATE statements SET total = '0' WHERE statement_pk = ?").run(s.statement_pk),
    ).toThrow(/a fixed statement never changes/);
    expect(() =>
      connection(db).prepare("UPDATE statements SET status = 'estimated' WHERE statement_pk = ?").run(s.statement_pk),
    ).toThrow(/a fixed statement never changes/);
    expect(() => connection(db).prepare('DELETE FROM statements WHERE statement_pk = ?').run(s.statement_pk)).toThrow(
      /never deleted/,
    );
    expect({ statements: statements(), lines: connection(db).prepare('SELECT * FROM charge_lines').all() }).toEqual(
      before,
    );
  });

  it('loadStatementView rebuilds a view whose tree totals equal the stored ones', () => {
    close('2026-11-02T00:00:00Z');
    for (const s of statements()) {
      const view = loadStatementView(db, s.statement_pk);
      const where = `${s.tenant_name} ${s.billing_month}`;
      expect(view.status).toBe('fixed');
      expect(view.madeAt).toBe(Date.parse(s.finalized_at!));
      expect(view.tenant.name).toBe(s.tenant_name);
      expect(view.tree.period.billingMonth).toBe(s.billing_month);
      expect({ start: view.tree.period.start, end: view.tree.period.end }).toEqual({
        start: Date.parse(s.period_start),
        end: Date.parse(s.period_end),
      });
      expect(
        { total: view.tree.total.toFixed(), subtotal: view.tree.subtotal.toFixed(), tax: view.tree.tax.toFixed() },
        where,
      ).toEqual({ total: s.total, subtotal: s.subtotal, tax: s.tax });
      // The tree adds up: lines -> resources -> L-Platforms -> before discount.
      for (const lp of view.tree.lplatforms) {
        const lineSum = [...lp.resources.flatMap((r) => r.lines), ...lp.lines].reduce(
          (a, l) => a.plus(l.charged),
          lp.sum.minus(lp.sum),
        );
        expect(lineSum.toFixed(), `${where} ${lp.lplatformId}`).toBe(lp.sum.toFixed());
        for (const r of lp.resources)
          expect(r.lines.reduce((a, l) => a.plus(l.charged), r.amount.minus(r.amount)).toFixed()).toBe(
            r.amount.toFixed(),
          );
      }
      const lpTotal = view.tree.lplatforms.reduce((a, lp) => a.plus(lp.amount), view.tree.total.minus(view.tree.total));
      const tenantAdjust = view.tree.tenantLines
        .filter((l) => l.kind === 'adjustment')
        .reduce((a, l) => a.plus(l.charged), lpTotal.minus(lpTotal));
      expect(lpTotal.plus(tenantAdjust).toFixed(), where).toBe(view.tree.beforeDiscount.toFixed());
      // Every stored line is in the view, in order, and the summary round-trips.
      const again = summarize(view);
      expect(again.lines).toHaveLength(lineCount(s.statement_pk));
      expect(again.summary).toEqual(JSON.parse(s.summary!));
      // And it equals a fresh rating of the same period.
      expect(view.tree.total.toFixed()).toBe(rateAgain(s).total.toFixed());
    }
  });
});

describe('close: a failing tenant', () => {
  const LATE_USAGE = csv(
    USAGE_HEADER,
    'c-late,charlie,C1,alarm-c1,alarm,monitoring,LATE,quantity,2026-10-12T00:00:00Z,,1',
  );
  const REASON = 'product LATE has no price in force at 2026-10-12T00:00:00.000Z';

  beforeEach(async () => {
    // LATE is priced only from 2026-12-01: charlie's October usage of it has no price in force.
    await importText(
      db,
      'catalog',
      csv(CATALOG_HEADER, 'LATE,0,2026-12-01T00:00:00Z,,monitoring,late,unit,100,Late product,metered,'),
    );
    await importText(db, 'usage', LATE_USAGE);
  });

  it('is recorded and reported, does not stop the others, and is retried (and closes) once the catalog is fixed', async () => {
    const first = close('2026-11-22T00:00:00Z', '2026-11-22T01:00:00.000Z');
    expect(first.failed).toEqual([{ tenant: 'charlie', billingMonth: '2026-10', reason: REASON }]);
    // Everyone else closed, charlie's later month is held back until its earlier one closes.
    expect(closedList(first).map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'alpha 2026-08',
      'alpha 2026-09',
      'bravo 2026-10',
      'alpha 2026-10',
      'delta 2026-10',
      'bravo 2026-11',
    ]);
    expect(
      statements('charlie').map((s) => ({
        month: s.billing_month,
        status: s.status,
        last_error: s.last_error,
        attempts: s.attempts,
        total: s.total,
        finalized_at: s.finalized_at,
      })),
    ).toEqual([
      { month: '2026-10', status: 'estimated', last_error: REASON, attempts: 1, total: null, finalized_at: null },
    ]);
    expect(lineCount(statements('charlie')[0]!.statement_pk)).toBe(0);
    expect(
      connection(db)
        .prepare(
          "SELECT subject, json_extract(detail, '$.reason') AS reason FROM audit_log WHERE action = 'close-failed'",
        )
        .all(),
    ).toEqual([{ subject: 'charlie', reason: REASON }]);

    // Still broken: it fails again and the attempts are counted.
    const second = close('2026-11-22T00:00:00Z', '2026-11-22T02:00:00.000Z');
    expect(second).toEqual({ closed: [], failed: [{ tenant: 'charlie', billingMonth: '2026-10', reason: REASON }] });
    expect(statements('charlie').map((s) => [s.status, s.attempts, s.last_error])).toEqual([['estimated', 2, REASON]]);

    // The catalog is fixed (a version in force from 2020): the next run closes both months, oldest first.
    await importText(
      db,
      'catalog',
      csv(CATALOG_HEADER, 'LATE,1,2020-01-01T00:00:00Z,,monitoring,late,unit,100,Late product,metered,'),
    );
    const third = close('2026-11-22T00:00:00Z', '2026-11-22T03:00:00.000Z');
    expect(third.failed).toEqual([]);
    expect(closedList(third)).toEqual(['charlie 2026-10 106', 'charlie 2026-11 0']);
    expect(
      statements('charlie').map((s) => ({
        month: s.billing_month,
        status: s.status,
        last_error: s.last_error,
        total: s.total,
        finalized_at: s.finalized_at,
      })),
    ).toEqual([
      { month: '2026-10', status: 'fixed', last_error: null, total: '106', finalized_at: '2026-11-22T03:00:00.000Z' },
      { month: '2026-11', status: 'fixed', last_error: null, total: '0', finalized_at: '2026-11-22T03:00:00.000Z' },
    ]);
    expect(close('2026-11-22T00:00:00Z')).toEqual({ closed: [], failed: [] });
  });
});

describe('close: cut-off changes, zero statements, deleted tenants', () => {
  it('a pending cut-off change takes effect after the next closing; the next period is the in-between one', async () => {
    expect(closedList(close('2026-10-20T00:00:00Z'))).toEqual([
      'alpha 2026-08 12',
      'alpha 2026-09 24',
      'bravo 2026-10 1029',
    ]);
    // bravo asks for cut-off 31: it has a fixed month, so the change waits for the next closing.
    await importText(db, 'tenants', tenantsFile({ bravo: 'bravo,Bravo Ltd,31,en,JPY,' }));
    expect(tenantRow('bravo')).toEqual({
      cutoff_day: 15,
      pending_cutoff_day: 31,
      pending_cutoff_requested_at: '2026-11-01T00:00:00.000Z',
    });

    // The next closing still uses 15: 2026-11 is [10-16, 11-16).
    expect(findDue(db, config, new Date('2026-11-15T23:59:59.999Z')).filter((d) => d.tenantName === 'bravo')).toEqual(
      [],
    );
    const next = close('2026-11-16T00:00:00Z');
    expect(next.closed.filter((c) => c.tenant === 'bravo')).toEqual([
      { tenant: 'bravo', billingMonth: '2026-11', total: '6', currency: 'JPY', recipients: 0 },
    ]);
    expect(statements('bravo').map((s) => [s.billing_month, s.period_start, s.period_end])).toEqual([
      ['2026-10', '2026-09-16T00:00:00.000Z', '2026-10-16T00:00:00.000Z'],
      ['2026-11', '2026-10-16T00:00:00.000Z', '2026-11-16T00:00:00.000Z'],
    ]);
    expect(tenantRow('bravo')).toEqual({ cutoff_day: 31, pending_cutoff_day: null, pending_cutoff_requested_at: null });

    // Then the in-between period: from 11-16 to the end of December (2026-11 is taken), as 2026-12.
    expect(findDue(db, config, new Date('2026-12-31T23:59:59.999Z')).filter((d) => d.tenantName === 'bravo')).toEqual(
      [],
    );
    expect(
      findDue(db, config, new Date('2027-01-01T00:00:00Z'))
        .filter((d) => d.tenantName === 'bravo')
        .map((d) => ({ ...d, start: new Date(d.start).toISOString(), end: new Date(d.end).toISOString() })),
    ).toEqual([
      {
        tenantName: 'bravo',
        billingMonth: '2026-12',
        start: '2026-11-16T00:00:00.000Z',
        end: '2027-01-01T00:00:00.000Z',
        cutoffDay: 31,
      },
    ]);
    close('2027-01-01T00:00:00Z');
    close('2027-02-01T00:00:00Z');
    expect(statements('bravo').map((s) => [s.billing_month, s.period_start, s.period_end, s.total])).toEqual([
      ['2026-10', '2026-09-16T00:00:00.000Z', '2026-10-16T00:00:00.000Z', '1029'],
      ['2026-11', '2026-10-16T00:00:00.000Z', '2026-11-16T00:00:00.000Z', '6'],
      ['2026-12', '2026-11-16T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '0'],
      ['2027-01', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', '0'],
    ]);
  });

  it('a pending change and the two periods around it close in one catch-up run', async () => {
    close('2026-10-20T00:00:00Z');
    await importText(db, 'tenants', tenantsFile({ bravo: 'bravo,Bravo Ltd,31,en,JPY,' }));
    const s = close('2027-01-01T00:00:00Z');
    expect(s.closed.filter((c) => c.tenant === 'bravo').map((c) => c.billingMonth)).toEqual(['2026-11', '2026-12']);
    expect(statements('bravo').map((x) => [x.billing_month, x.period_end])).toEqual([
      ['2026-10', '2026-10-16T00:00:00.000Z'],
      ['2026-11', '2026-11-16T00:00:00.000Z'],
      ['2026-12', '2027-01-01T00:00:00.000Z'],
    ]);
    expect(tenantRow('bravo')).toMatchObject({ cutoff_day: 31, pending_cutoff_day: null });
  });

  it('a tenant with no usage gets a zero statement, not a missing one', () => {
    const s = close('2026-11-02T00:00:00Z');
    expect(s.closed.filter((c) => c.tenant === 'delta')).toEqual([
      { tenant: 'delta', billingMonth: '2026-10', total: '0', currency: 'JPY', recipients: 0 },
    ]);
    const [delta, ...more] = statements('delta');
    expect(more).toEqual([]);
    expect(delta).toMatchObject({
      billing_month: '2026-10',
      status: 'fixed',
      subtotal: '0',
      tax: '0',
      total: '0',
      last_error: null,
    });
    expect(lineCount(delta!.statement_pk)).toBe(0);
    expect(loadStatementView(db, delta!.statement_pk).tree.total.toFixed()).toBe('0');
    // A tenant with usage in some months only gets zero statements for the others.
    close('2026-12-16T00:00:00Z');
    expect(statements('bravo').map((x) => [x.billing_month, x.total])).toEqual([
      ['2026-10', '1029'],
      ['2026-11', '6'],
      ['2026-12', '0'],
    ]);
  });

  it('a deleted tenant gets its last statement (the period its deletion falls in) and no later one', async () => {
    await importText(db, 'tenants', tenantsFile({ alpha: 'alpha,Alpha Corp,31,ja,JPY,2026-10-25T00:00:00Z' }));
    close('2027-02-01T00:00:00Z');
    expect(monthsOf('alpha')).toEqual(['2026-08 fixed', '2026-09 fixed', '2026-10 fixed']);
    expect(monthsOf('delta')).toEqual(['2026-10 fixed', '2026-11 fixed', '2026-12 fixed', '2027-01 fixed']);
    expect(close('2027-06-01T00:00:00Z').closed.filter((c) => c.tenant === 'alpha')).toEqual([]);
    expect(monthsOf('alpha')).toHaveLength(3);
    expect(loadStatementView(db, statements('alpha')[2]!.statement_pk).tenant.deletedAt).toBe(
      Date.parse('2026-10-25T00:00:00Z'),
    );
  });

  it('a tenant deleted after its months were closed gets one last statement', async () => {
    close('2026-11-02T00:00:00Z');
    // charlie is deleted on 2026-11-25: its last period is 2026-12 [11-21, 12-21).
    await importText(db, 'tenants', tenantsFile({ charlie: 'charlie,Charlie KK,20,ja,JPY,2026-11-25T00:00:00Z' }));
    close('2027-06-01T00:00:00Z');
    expect(statements('charlie').map((s) => [s.billing_month, s.period_start, s.period_end])).toEqual([
      ['2026-10', '2026-09-21T00:00:00.000Z', '2026-10-21T00:00:00.000Z'],
      ['2026-11', '2026-10-21T00:00:00.000Z', '2026-11-21T00:00:00.000Z'],
      ['2026-12', '2026-11-21T00:00:00.000Z', '2026-12-21T00:00:00.000Z'],
    ]);
  });
});

describe('close: in the billing time zone', () => {
  it('Asia/Tokyo: periods end at 15:00Z and usage across the local month end is split between the months', async () => {
    const tokyo = loadConfig({ env: { DATA_DIR: store.dir, BILLING_TZ: 'Asia/Tokyo' }, cwd: store.dir });
    await importAt(db, 'tenants', csv(TENANTS_HEADER, 'echo,Echo KK,31,ja,JPY,'), '2026-10-01T00:00:00.000Z');
    await importText(db, 'lplatforms', csv('lplatform_id,tenant_name,lplatform_name', 'E1,echo,echo main'));
    // 2026-10-31 23:00 to 2026-11-01 01:00 in Tokyo: one hour in each month.
    await importText(
      db,
      'usage',
      csv(
        USAGE_HEADER,
        'e-1,echo,E1,vm-e1,web,virtual_server,VM-1,operating,2026-10-31T14:00:00Z,2026-10-31T16:00:00Z,',
      ),
    );
    expect(findDue(db, tokyo, new Date('2026-10-31T14:59:59.999Z')).filter((d) => d.tenantName === 'echo')).toEqual([]);
    closeDue(jobContext(db, tokyo, { now: () => new Date('2026-12-01T00:00:00Z') }), {
      asOf: new Date('2026-12-01T00:00:00Z'),
    });
    const echo = statements('echo');
    expect(echo.map((s) => [s.billing_month, s.period_start, s.period_end, s.total])).toEqual([
      ['2026-10', '2026-09-30T15:00:00.000Z', '2026-10-31T15:00:00.000Z', '1'],
      ['2026-11', '2026-10-31T15:00:00.000Z', '2026-11-30T15:00:00.000Z', '1'],
    ]);
    const minutes = connection(db)
      .prepare(
        `SELECT CAST(json_extract(detail, '$.measure.minutes') AS INTEGER) FROM charge_lines WHERE statement_pk IN (${echo.map((s) => s.statement_pk).join(',')}) ORDER BY line_pk`,
      )
      .pluck()
      .all();
    expect(minutes).toEqual([60, 60]);
  });
});
