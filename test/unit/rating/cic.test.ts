/** CIC (月額固定): the first 1 Gbps link of an ECL tenant (an L-Platform) is free (rule first_link_free); 10 Gbps links never are. */
import { describe, expect, it } from 'vitest';
import { t, usage, version } from '../../helpers/rating.ts';
import { linesOf, octDay, rate } from './support.ts';

const catalog = [
  // Colocation connection (1 Gbps): 54,000 yen a month, the first link per L-Platform free.
  version({
    productId: 'CIC-1G',
    category: 'cic',
    unitCode: 'month',
    unitPrice: '54000',
    chargeType: 'monthly_fixed',
    rule: 'first_link_free',
    ruleParams: { free_links: '1' },
  }),
  // Colocation connection (10 Gbps): 300,000 yen a month, no free link.
  version({
    productId: 'CIC-10G',
    category: 'cic',
    unitCode: 'month',
    unitPrice: '300000',
    chargeType: 'monthly_fixed',
  }),
];

/** `n` links of a product, each its own resource, link k first used on day k-1 and kept to the month's end. */
const links = (productId: string, n: number, lplatformId = 'LP1') =>
  Array.from({ length: n }, (_, i) =>
    usage({
      productId,
      lplatformId,
      resourceId: `${productId}-link${i + 1}`,
      resourceKind: 'cic',
      start: octDay(i),
      end: octDay(31),
    }),
  );

describe('CIC links', () => {
  it.each([
    { product: 'CIC-1G', n: 0, free: [], total: '0' }, // no link, nothing
    { product: 'CIC-1G', n: 1, free: ['CIC-1G-link1'], total: '0' }, // 54000 - 54000 (free) = 0
    { product: 'CIC-1G', n: 2, free: ['CIC-1G-link1'], total: '54000' }, // (2 - 1) x 54000 = 54000
    { product: 'CIC-1G', n: 3, free: ['CIC-1G-link1'], total: '108000' }, // (3 - 1) x 54000 = 108000
    { product: 'CIC-10G', n: 0, free: [], total: '0' }, // no link, nothing
    { product: 'CIC-10G', n: 1, free: [], total: '300000' }, // 1 x 300000
    { product: 'CIC-10G', n: 2, free: [], total: '600000' }, // 2 x 300000
    { product: 'CIC-10G', n: 3, free: [], total: '900000' }, // 3 x 300000
  ])('$n link(s) of $product: $total before tax', ({ product, n, free, total }) => {
    const tree = rate({ catalog, usage: links(product, n) });
    const lines = linesOf(tree);
    // every link pays the monthly fee; the free link is a negative line of the same amount on its resource
    expect(lines.filter((l) => l.kind === 'fee').map((l) => t(l.charged))).toEqual(
      Array(n).fill(product === 'CIC-1G' ? '54000' : '300000'),
    );
    expect(lines.filter((l) => l.kind === 'free_link').map((l) => [l.resourceId, t(l.charged)])).toEqual(
      free.map((id) => [id, '-54000']),
    );
    expect(t(tree.subtotal)).toBe(total);
  });

  it('a tenant with one 1 Gbps and one 10 Gbps link pays for the 10 Gbps link only', () => {
    const tree = rate({ catalog, usage: [...links('CIC-1G', 1), ...links('CIC-10G', 1)] });
    // 54000 - 54000 + 300000 = 300000
    expect(t(tree.subtotal)).toBe('300000');
  });

  it("the free link waives one month's fee, even when that link was started twice", () => {
    const tree = rate({
      catalog,
      usage: [
        usage({ productId: 'CIC-1G', resourceId: 'link1', start: octDay(0), end: octDay(5) }),
        usage({ productId: 'CIC-1G', resourceId: 'link1', start: octDay(10), end: octDay(31) }),
      ],
    });
    // two starts: 2 x 54000 = 108000; one link free: - 54000 = 54000
    expect(linesOf(tree).map((l) => [l.kind, l.measure.runs, t(l.charged)])).toEqual([
      ['fee', 2, '108000'],
      ['free_link', 1, '-54000'],
    ]);
    expect(t(tree.subtotal)).toBe('54000');
  });

  const twoLplatforms = {
    lplatforms: [
      { id: 'LP1', name: 'one', returnedAt: null },
      { id: 'LP2', name: 'two', returnedAt: null },
    ],
    usage: [
      ...links('CIC-1G', 2, 'LP1'),
      ...links('CIC-1G', 1, 'LP2').map((r) => ({ ...r, resourceId: 'CIC-1G-other', start: r.start + 86_400_000 })),
    ],
  };

  it('by default one link is free per L-Platform (an ECL tenant)', () => {
    const tree = rate({ catalog, ...twoLplatforms });
    // LP1: 2 links, the first free: 54000; LP2: its only link is its first: free, 0
    expect(tree.lplatforms.map((l) => [l.lplatformId, t(l.amount)])).toEqual([
      ['LP1', '54000'],
      ['LP2', '0'],
    ]);
    expect(
      linesOf(tree)
        .filter((l) => l.kind === 'free_link')
        .map((l) => [l.resourceId, l.note]),
    ).toEqual([
      ['CIC-1G-link1', 'free link: the first 1 link(s) of CIC-1G per L-Platform'],
      ['CIC-1G-other', 'free link: the first 1 link(s) of CIC-1G per L-Platform'],
    ]);
    expect(t(tree.subtotal)).toBe('54000');
  });

  it('with scope=tenant one link is free per tenant, not per L-Platform', () => {
    const perTenant = [{ ...catalog[0]!, ruleScope: 'tenant' as const }, catalog[1]!];
    const tree = rate({ catalog: perTenant, ...twoLplatforms });
    // LP1's first link (first used on 10-01) is the tenant's only free link; LP2's link (10-02) pays 54000
    expect(tree.lplatforms.map((l) => [l.lplatformId, t(l.amount)])).toEqual([
      ['LP1', '54000'],
      ['LP2', '54000'],
    ]);
    expect(
      linesOf(tree)
        .filter((l) => l.kind === 'free_link')
        .map((l) => [l.resourceId, l.note]),
    ).toEqual([['CIC-1G-link1', 'free link: the first 1 link(s) of CIC-1G per tenant']]);
    expect(t(tree.subtotal)).toBe('108000');
  });
});
