/**
 * The ROR list file's TotalChargeAmount is the statement's total: the L-Platform amounts, plus the
 * tenant-level adjustments, less the coupons, plus any tax. The code writes it so, and the two docs
 * that define it (charging.md, statements.md) say the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.ts';
import { ratePeriod } from '../../../src/rating/rate-period.ts';
import { buildRorFiles } from '../../../src/statements/ror-files.ts';
import { ROR, coupon, input, usage, version } from '../../helpers/rating.ts';

const doc = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('TotalChargeAmount', () => {
  it('is the total after tenant adjustments, coupons and tax, not the sum of the L-Platform amounts', () => {
    const tree = ratePeriod(
      input({
        catalog: [version({ productId: 'BM', unitCode: 'month', unitPrice: '10800', chargeType: 'monthly_fixed' })],
        policy: { ...ROR, taxEnabled: true },
        lplatforms: [
          { id: 'LP1', name: 'one', returnedAt: null },
          { id: 'LP2', name: 'two', returnedAt: null },
        ],
        usage: [
          usage({ productId: 'BM', lplatformId: 'LP1', start: '2026-10-02T00:00:00Z', end: '2026-10-03T00:00:00Z' }),
          usage({ productId: 'BM', lplatformId: 'LP2', start: '2026-10-02T00:00:00Z', end: '2026-10-03T00:00:00Z' }),
        ],
        adjustments: [{ id: 'a1', lplatformId: null, amount: dec(400), reason: 'late usage', originalMonth: null }],
        coupons: [coupon({ registeredAt: '2026-09-15T00:00:00Z', discountValue: '1000' })],
      }),
    );
    // 10800 + 10800 + 400 - 1000 = 21000; tax 10 % 2100; total 23100
    expect(tree.total.toFixed()).toBe('23100');
    const view = {
      tenant: { name: 'T1', displayName: 'T one', deletedAt: null, locale: 'ja' as const, currency: 'JPY' as const },
      status: 'fixed' as const,
      madeAt: 0,
      tree,
    };
    const rows = buildRorFiles(view, { encoding: 'utf8', currencySymbol: '\\' })
      .listFile.bytes.toString('utf8')
      .split('\r\n');
    expect(rows[1]).toBe('"T1","T one","","2026-10",23100,"1.0","","","",');
    expect(rows.slice(2, 4).map((r) => r.split(',').pop())).toEqual(['10800', '10800']);
  });

  it('docs/charging.md and docs/statements.md both define it as the total (subtotal + tax)', () => {
    const charging = doc('charging.md')
      .split('\n')
      .filter((l) => l.includes('`TotalChargeAmount`'));
    expect(charging).toHaveLength(1);
    expect(charging[0]).toMatch(/^\| total \(the ROR list file's `TotalChargeAmount`\) \| subtotal \+ tax \|/);
    expect(charging[0]).not.toMatch(/`TotalChargeAmount` is the sum of the L-Platform amounts/);
    expect(doc('statements.md').replace(/\s+/g, ' ')).toContain(
      "`TotalChargeAmount` is the statement's total (after coupons and any tax)",
    );
  });
});
