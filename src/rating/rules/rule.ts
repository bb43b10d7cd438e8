/** What one per-menu rule is: the record each rule file exports and the registry lists. */
import type { ChargeType } from '../../domain/vocabulary.ts';
import type { ChargeFunction, ChargeGroup, PricingContext } from '../pricing.ts';
import type { ChargeLine } from '../types.ts';

/** The type of a rule parameter in the catalog's `rule_params`: a whole number or a decimal (a price). */
export type ParamType = 'int' | 'decimal';

/** The optional configuration columns of a usage record that a rule may require. */
export type UsageField = 'cpu_count' | 'clock_ghz' | 'size_gb' | 'vm_count' | 'vcpu';

/** A group and the lines its charge type (or group rule) gave it. */
export interface PricedGroup {
  group: ChargeGroup;
  lines: ChargeLine[];
}

/**
 * Everything about one per-menu rule. The catalog import checks a product's rule, its charge type,
 * plan group and parameters against it; the usage import checks the fields its records carry;
 * the rating engine groups and prices its usage by it.
 */
export interface RuleRecord<Name extends string = string> {
  /** The name the catalog's `rule` column gives. */
  name: Name;
  /**
   * Its parameters (all required), in the order of their canonical text: the catalog carries
   * them, so that no price lives in code.
   */
  params: Readonly<Record<string, ParamType>>;
  /** Whether it also takes the optional `scope` parameter (what it counts over: RULE_SCOPES). */
  scoped: boolean;
  /** The charge types a product with this rule may have. */
  chargeTypes: readonly ChargeType[];
  /**
   * How its usage is grouped for pricing: per product, or per plan group (the products of a
   * `plan_group` priced together; the catalog then requires a plan group).
   */
  groupBy: 'product' | 'plan_group';
  /** The usage fields every record of its products must carry. */
  usageFields: readonly UsageField[];
  /** Prices one group in place of the charge type's function. */
  priceGroup?: ChargeFunction;
  /**
   * Works across the tenant once every group is priced: may add correction lines to the priced
   * groups of its products, and returns the lines it adds at L-Platform level.
   */
  priceAcross?: (priced: readonly PricedGroup[], ctx: PricingContext) => ChargeLine[];
}

/** A rule record with its name kept as a literal type (so that the registry yields `RuleName`). */
export function defineRule<const Name extends string>(record: RuleRecord<Name>): RuleRecord<Name> {
  return record;
}
