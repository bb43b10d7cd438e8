/** Guest images (月額固定): the price per VM up to 7 VMs on one server, a flat price from 8 (rule per_vm_flat). */
import { describe, expect, it } from 'vitest';
import { t, usage, version } from '../../helpers/rating.ts';
import { oct, rate, resourceOf } from './support.ts';

// Windows Server for Hyper-V (GP3): 10,200 yen per VM up to 7 VMs; 66,000 yen flat from 8 VMs.
const catalog = [
  version({
    productId: 'GI-WIN',
    category: 'guest_image',
    unitCode: 'month',
    unitPrice: '10200',
    chargeType: 'monthly_fixed',
    rule: 'per_vm_flat',
    ruleParams: { max_vms: '7', flat_price: '66000' },
  }),
];

describe('guest image per VM, flat from 8', () => {
  it.each([
    { vms: 1, unitPrice: '10200', multiplier: '1', amount: '10200' }, // 10200 x 1
    { vms: 7, unitPrice: '10200', multiplier: '7', amount: '71400' }, // 10200 x 7 = 71400 (the last count priced per VM)
    { vms: 8, unitPrice: '66000', multiplier: '1', amount: '66000' }, // 8 > 7: the flat price 66000
    { vms: 12, unitPrice: '66000', multiplier: '1', amount: '66000' }, // 12 > 7: the flat price 66000
  ])('$vms VM(s): $amount', ({ vms, unitPrice, multiplier, amount }) => {
    const tree = rate({
      catalog,
      usage: [
        usage({ productId: 'GI-WIN', resourceKind: 'guest_image', vmCount: vms, start: oct(0), end: oct(44640) }),
      ],
    });
    const res = resourceOf(tree, 'res-1');
    expect(res.lines.map((l) => [l.kind, t(l.unitPrice!), t(l.multiplier), t(l.charged)])).toEqual([
      ['fee', unitPrice, multiplier, amount],
    ]);
    expect(t(res.amount)).toBe(amount);
  });

  it('a run whose VM count grows from 5 to 9 is priced at its largest count, flat', () => {
    const tree = rate({
      catalog,
      usage: [
        usage({ productId: 'GI-WIN', vmCount: 5, start: oct(0), end: oct(10000) }),
        usage({ productId: 'GI-WIN', vmCount: 9, start: oct(10000), end: oct(20000) }),
      ],
    });
    // one run (adjacent records), largest count 9 > 7: 66000
    expect(t(resourceOf(tree, 'res-1').amount)).toBe('66000');
  });
});
