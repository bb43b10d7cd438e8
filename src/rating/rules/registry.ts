/**
 * The per-menu rules: one record each (its parameters, the charge types it applies to, how it
 * groups usage, which usage fields it needs, how it prices), read by the catalog and usage imports
 * and by the rating engine alike.
 *
 * To add a rule: write one file in this folder exporting its record (`defineRule({...})`, see
 * `rule.ts`), and add the record to RULE_RECORDS below. Nothing else names a rule.
 */
import { firstLinkFree } from './first-link-free.ts';
import { largestVcpu } from './largest-vcpu.ts';
import { networkAllowance } from './network-allowance.ts';
import { perVmFlat } from './per-vm-flat.ts';
import { plusMonthlyFixed } from './plus-monthly-fixed.ts';
import type { RuleRecord } from './rule.ts';

/** Every rule, in the order the catalog import lists them. */
export const RULE_RECORDS = [networkAllowance, firstLinkFree, perVmFlat, largestVcpu, plusMonthlyFixed] as const;

/** The name of a per-menu rule, as the catalog's `rule` column gives it. */
export type RuleName = (typeof RULE_RECORDS)[number]['name'];
/** The rule names, in registry order. */
export const RULE_NAMES: readonly RuleName[] = RULE_RECORDS.map((r) => r.name);

const BY_NAME = new Map<string, RuleRecord>(RULE_RECORDS.map((r) => [r.name, r]));

/** The record of a rule by its name; undefined for no rule (the empty name) or a name no record has. */
export function ruleRecord(name: string): RuleRecord | undefined {
  return BY_NAME.get(name);
}
