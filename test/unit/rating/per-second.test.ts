/** A product priced per second (ECL Cloud Foundry, 0.000450 yen per second) counts whole seconds, not minutes x 60. */
import { describe, expect, it } from 'vitest';
import { eclDetailRows } from '../../../src/statements/ecl-files.ts';
import { ECL, ROR, t, usage, version } from '../../helpers/rating.ts';
import { linesOf, oct, rate } from './support.ts';

const CF = { productId: 'CF-128M', category: 'other', unitCode: 'second', chargeType: 'metered' } as const;
const cloudFoundry = version({ ...CF, unitPrice: '0.00045' });

describe('per-second products', () => {
  it.each([
    // seconds, the line's seconds, its exact amount
    [90, 90, '0.0405'], // not 2 minutes x 60 = 120 s (0.054)
    [20, 20, '0.009'], // not 0 minutes (0)
    [3600, 3600, '1.62'],
    [0.4, 0, '0'], // 400 ms: less than half a second
    [1.5, 2, '0.0009'], // half a second rounds up, as 30 seconds do for minutes
  ])('%s s of use count %s s: %s', (seconds, counted, amount) => {
    const tree = rate({
      catalog: [cloudFoundry],
      usage: [usage({ productId: 'CF-128M', start: oct(0), end: oct(0, seconds) })],
    });
    const [line] = linesOf(tree);
    expect(line!.measure).toEqual({ seconds: counted });
    expect(t(line!.amount)).toBe(amount);
  });

  it("seconds are not pooled into minutes across records, and a price change shares a record's seconds", () => {
    const campaign = version({ ...CF, priority: 1, unitPrice: '0.0003', from: Date.parse('2026-10-05T00:00:00Z') });
    const tree = rate({
      catalog: [cloudFoundry, campaign],
      usage: [
        usage({ productId: 'CF-128M', start: oct(0), end: oct(0, 40) }),
        usage({ productId: 'CF-128M', start: '2026-10-04T23:59:30Z', end: '2026-10-05T00:00:45Z' }),
      ],
    });
    // 40 s + 30 s at 0.00045 = 0.0315; 45 s at 0.0003 = 0.0135
    expect(linesOf(tree).map((l) => [l.priority, l.measure.seconds, t(l.amount)])).toEqual([
      [0, 70, '0.0315'],
      [1, 45, '0.0135'],
    ]);
  });

  it("a capped per-second product (Cloud Foundry is 従量上限) caps the seconds' amount", () => {
    const capped = version({ ...CF, unitPrice: '0.00045', chargeType: 'capped', monthlyCap: '810' });
    const tree = rate({
      catalog: [capped],
      policy: ROR,
      usage: [usage({ productId: 'CF-128M', start: oct(0), end: oct(44640) })],
    });
    // 2678400 s x 0.00045 = 1205.28, charged 1205; cap 810
    expect(linesOf(tree).map((l) => [l.kind, l.measure.seconds, t(l.charged)])).toEqual([
      ['usage', 2678400, '1205'],
      ['cap', undefined, '-395'],
    ]);
    expect(t(tree.total)).toBe('810');
  });

  it('under ecl the line keeps 6 decimals', () => {
    const tree = rate({
      catalog: [cloudFoundry],
      policy: ECL,
      usage: [usage({ productId: 'CF-128M', start: oct(0), end: oct(1, 31) })],
    });
    expect(t(linesOf(tree)[0]!.charged)).toBe('0.04095'); // 91 s x 0.00045
  });

  it('the ECL Detail shows the seconds (Usage 90, Unit sec)', () => {
    const tree = rate({
      catalog: [cloudFoundry],
      usage: [usage({ productId: 'CF-128M', start: oct(0), end: oct(0, 90) })],
    });
    const view = {
      tenant: { name: 'T1', displayName: 'T one', deletedAt: null, locale: 'en' as const, currency: 'JPY' as const },
      status: 'estimated' as const,
      madeAt: 0,
      tree,
    };
    const row = eclDetailRows(view)[0]!;
    expect(row.slice(15, 18)).toEqual([{ bare: '90' }, 'sec', { bare: '0.040500' }]);
  });
});
