/** Usage that cannot be rated as it stands is a RatingError, never a silent guess. */
import { describe, expect, it } from 'vitest';
import { chargeFunction, CHARGE_FUNCTIONS } from '../../../src/rating/charge-types/index.ts';
import { RatingError } from '../../../src/rating/errors.ts';
import { at, usage, version } from '../../helpers/rating.ts';
import { rate } from './support.ts';

/** The error `fn` throws (failing the test when it throws none). */
function thrown(fn: () => unknown): RatingError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RatingError);
    expect((e as RatingError).code).toBe('E_RATING');
    return e as RatingError;
  }
  throw new Error('expected a RatingError, nothing was thrown');
}

const metered = version({ productId: 'CMP', unitPrice: '0.173612' });

describe('overlapping usage of one resource and product', () => {
  it.each([
    {
      label: 'partly overlapping',
      a: ['2026-10-01T00:00:00Z', '2026-10-10T00:00:00Z'],
      b: ['2026-10-05T00:00:00Z', '2026-10-15T00:00:00Z'],
    },
    {
      label: 'the same interval twice',
      a: ['2026-10-01T00:00:00Z', '2026-10-10T00:00:00Z'],
      b: ['2026-10-01T00:00:00Z', '2026-10-10T00:00:00Z'],
    },
    {
      label: 'one inside the other',
      a: ['2026-10-01T00:00:00Z', '2026-10-20T00:00:00Z'],
      b: ['2026-10-05T00:00:00Z', '2026-10-06T00:00:00Z'],
    },
    {
      label: 'overlapping by one second',
      a: ['2026-10-01T00:00:00Z', '2026-10-10T00:00:01Z'],
      b: ['2026-10-10T00:00:00Z', '2026-10-15T00:00:00Z'],
    },
  ])('$label: an error naming both record IDs', ({ a, b }) => {
    const err = thrown(() =>
      rate({
        catalog: [metered],
        usage: [
          usage({ recordId: 'REC-B', productId: 'CMP', start: b[0]!, end: b[1]! }),
          usage({ recordId: 'REC-A', productId: 'CMP', start: a[0]!, end: a[1]! }),
        ],
      }),
    );
    expect(err.message).toContain('REC-A');
    expect(err.message).toContain('REC-B');
  });

  it('two plans of one plan group overlapping on one server are an error too', () => {
    const plan = { chargeType: 'capped_plan', planGroup: 'flavor' } as const;
    const err = thrown(() =>
      rate({
        catalog: [
          version({ productId: 'A', unitPrice: '0.173612', monthlyCap: '7000', ...plan }),
          version({ productId: 'B', unitPrice: '0.347223', monthlyCap: '14000', ...plan }),
        ],
        usage: [
          usage({ recordId: 'PLAN-A', productId: 'A', start: '2026-10-01T00:00:00Z', end: '2026-10-10T00:00:00Z' }),
          usage({ recordId: 'PLAN-B', productId: 'B', start: '2026-10-09T00:00:00Z', end: '2026-10-20T00:00:00Z' }),
        ],
      }),
    );
    expect(err.message).toContain('PLAN-A');
    expect(err.message).toContain('PLAN-B');
  });

  it.each([
    {
      label: 'adjacent records of one resource',
      resources: ['res-1', 'res-1'],
      second: ['2026-10-10T00:00:00Z', '2026-10-15T00:00:00Z'],
    },
    {
      label: 'the same interval on two resources',
      resources: ['res-1', 'res-2'],
      second: ['2026-10-01T00:00:00Z', '2026-10-10T00:00:00Z'],
    },
  ])('$label are not overlaps', ({ resources, second }) => {
    const tree = rate({
      catalog: [metered],
      usage: [
        usage({
          productId: 'CMP',
          resourceId: resources[0]!,
          start: '2026-10-01T00:00:00Z',
          end: '2026-10-10T00:00:00Z',
        }),
        usage({ productId: 'CMP', resourceId: resources[1]!, start: second[0]!, end: second[1]! }),
      ],
    });
    expect(tree.lplatforms).toHaveLength(1);
  });
});

describe('no price in force', () => {
  it.each([
    {
      label: 'usage before the only version starts',
      catalog: [version({ productId: 'CMP', unitPrice: '0.173612', from: at('2026-10-15T00:00:00Z') })],
    },
    {
      label: 'usage after the only version ends',
      catalog: [version({ productId: 'CMP', unitPrice: '0.173612', to: at('2026-10-05T23:59:59.999Z') })],
    },
    {
      label: 'a gap between two versions',
      catalog: [
        version({ productId: 'CMP', priority: 0, unitPrice: '0.173612', to: at('2026-10-09T23:59:59.999Z') }),
        version({ productId: 'CMP', priority: 1, unitPrice: '0.2', from: at('2026-10-12T00:00:00Z') }),
      ],
    },
  ])('$label: an error naming the product', ({ catalog }) => {
    const err = thrown(() =>
      rate({
        catalog,
        usage: [usage({ productId: 'CMP', start: '2026-10-01T00:00:00Z', end: '2026-10-20T00:00:00Z' })],
      }),
    );
    expect(err.message).toContain('CMP');
  });

  it('a product missing from the catalog is an error', () => {
    const err = thrown(() =>
      rate({
        catalog: [metered],
        usage: [usage({ productId: 'GHOST', start: '2026-10-01T00:00:00Z', end: '2026-10-02T00:00:00Z' })],
      }),
    );
    expect(err.message).toContain('GHOST');
  });
});

describe('the charge-type registry', () => {
  it.each(['bogus', '', 'Metered', 'capped-plan'])('an unknown charge type "%s" is an error', (type) => {
    const err = thrown(() => chargeFunction(type));
    expect(err.message).toContain(`"${type}"`);
  });

  it.each(Object.keys(CHARGE_FUNCTIONS))('the known type %s has its function', (type) => {
    expect(chargeFunction(type)).toBe(CHARGE_FUNCTIONS[type as keyof typeof CHARGE_FUNCTIONS]);
  });

  it('a catalog row with an unknown charge type fails the rating', () => {
    const bogus = { ...metered, chargeType: 'bogus' as unknown as typeof metered.chargeType };
    thrown(() =>
      rate({
        catalog: [bogus],
        usage: [usage({ productId: 'CMP', start: '2026-10-01T00:00:00Z', end: '2026-10-02T00:00:00Z' })],
      }),
    );
  });
});

describe('currency', () => {
  it('a product priced in another currency than the tenant is an error', () => {
    const usd = version({ productId: 'CMP-USD', unitPrice: '0.0012', currency: 'USD' });
    const err = thrown(() =>
      rate({
        catalog: [usd],
        currency: 'JPY',
        usage: [usage({ productId: 'CMP-USD', start: '2026-10-01T00:00:00Z', end: '2026-10-02T00:00:00Z' })],
      }),
    );
    expect(err.message).toContain('CMP-USD');
    expect(err.message).toContain('USD');
  });
});

describe('the period', () => {
  it.each([
    {
      label: 'a billing month that is not YYYY-MM',
      period: {
        start: at('2026-10-01T00:00:00Z'),
        end: at('2026-11-01T00:00:00Z'),
        billingMonth: '2026-13',
        timeZone: 'UTC',
      },
    },
    {
      label: 'a period ending where it starts',
      period: {
        start: at('2026-10-01T00:00:00Z'),
        end: at('2026-10-01T00:00:00Z'),
        billingMonth: '2026-10',
        timeZone: 'UTC',
      },
    },
    {
      label: 'a period ending before it starts',
      period: {
        start: at('2026-11-01T00:00:00Z'),
        end: at('2026-10-01T00:00:00Z'),
        billingMonth: '2026-10',
        timeZone: 'UTC',
      },
    },
  ])('$label is an error', ({ period }) => {
    thrown(() => rate({ catalog: [metered], period, usage: [] }));
  });
});
