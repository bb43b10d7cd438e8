import { describe, expect, it } from 'vitest';
import { ratingPolicy } from '../../../jobs/rating-policy.ts';

describe('the rating policy from the configuration', () => {
  const base = {
    ratingPreset: 'ecl',
    roundingMode: 'half-up',
    taxEnabled: true,
    taxRates: [
      { from: '2014-04-01', percent: '8' },
      { from: '2019-10-01', percent: '10' },
    ],
  } as const;

  it('places each tax date at midnight in the billing time zone', () => {
    const utc = ratingPolicy({ ...base, taxRates: [...base.taxRates], billingTimeZone: 'UTC' });
    expect(utc.taxRates.map((r) => [new Date(r.from).toISOString(), r.percent.toFixed()])).toEqual([
      ['2014-04-01T00:00:00.000Z', '8'],
      ['2019-10-01T00:00:00.000Z', '10'],
    ]);
    const tokyo = ratingPolicy({ ...base, taxRates: [...base.taxRates], billingTimeZone: 'Asia/Tokyo' });
    expect(new Date(tokyo.taxRates[1]!.from).toISOString()).toBe('2019-09-30T15:00:00.000Z');
  });

  it('keeps the preset, mode and tax switch', () => {
    const p = ratingPolicy({
      ...base,
      ratingPreset: 'ror',
      roundingMode: 'up',
      taxEnabled: false,
      taxRates: [],
      billingTimeZone: 'UTC',
    });
    expect(p).toMatchObject({ preset: 'ror', roundingMode: 'up', taxEnabled: false, taxRates: [] });
  });
});
