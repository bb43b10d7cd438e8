/** The per-menu rules that price a group in their own way (the others work across the tenant). */
import type { RuleName } from '../../domain/vocabulary.ts';
import type { ChargeFunction } from '../pricing.ts';
import { largestVcpu } from './largest-vcpu.ts';
import { perVmFlat } from './per-vm-flat.ts';
import { plusMonthlyFixed } from './plus-monthly-fixed.ts';

/** Rules that replace the charge type's function for their groups. */
export const GROUP_RULES: Partial<Record<RuleName, ChargeFunction>> = {
  largest_vcpu: largestVcpu,
  per_vm_flat: perVmFlat,
  plus_monthly_fixed: plusMonthlyFixed,
};
