/** Guest images: the price per VM up to `max_vms` VMs on one server, a flat price from one more. */
import { dec } from '../../domain/money.ts';
import { largest, monthlyFee, type ChargeFunction } from '../pricing.ts';
import { feeLines, runsInPeriod } from '../charge-types/monthly-fixed.ts';
import { defineRule } from './rule.ts';

const priceGroup: ChargeFunction = (group, ctx) =>
  feeLines(group, ctx, runsInPeriod(group, ctx), (pr) => {
    const vms = largest(pr.records, (r) => dec(r.vmCount ?? 1));
    const maxVms = pr.version.ruleParams.max_vms!;
    if (vms.lessThanOrEqualTo(maxVms))
      return { multiplier: vms, amount: monthlyFee(pr.version, vms), note: `${vms.toFixed()} VM` };
    const flat = pr.version.ruleParams.flat_price!;
    return {
      multiplier: dec(1),
      amount: flat,
      unitPrice: flat,
      note: `${vms.toFixed()} VM: flat price above ${maxVms.toFixed()} VM`,
    };
  });

/** `per_vm_flat`: per VM up to `max_vms`, then `flat_price`; every record carries its VM count. */
export const perVmFlat = defineRule({
  name: 'per_vm_flat',
  params: { max_vms: 'int', flat_price: 'decimal' },
  scoped: false,
  chargeTypes: ['monthly_fixed'],
  groupBy: 'product',
  usageFields: ['vm_count'],
  priceGroup,
});
