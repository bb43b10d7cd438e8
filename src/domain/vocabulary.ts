/** The closed vocabularies of the store and the import files (enumerations shared by all layers). */

export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Currencies and the digits of their minor unit (JPY has none). */
export const CURRENCY_MINOR_DIGITS = { JPY: 0, USD: 2, EUR: 2, SGD: 2 } as const;
export type Currency = keyof typeof CURRENCY_MINOR_DIGITS;
export const CURRENCIES = Object.keys(CURRENCY_MINOR_DIGITS) as Currency[];

/** Catalog category codes: the ROR accounting codes first, then the ECL menus. */
export const CATEGORIES = [
  'cpu',
  'cpu_clock',
  'memory',
  'vm',
  'pm',
  'disk',
  'template',
  'compute',
  'volume',
  'network',
  'firewall',
  'load_balancer',
  'cic',
  'guest_image',
  'license',
  'monitoring',
  'vpn',
  'storage',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Units a catalog price is quoted in; `unit` prices a quantity, the others a length of time. */
export const UNIT_CODES = ['year', 'month', 'hour', 'minute', 'second', 'unit'] as const;
export type UnitCode = (typeof UNIT_CODES)[number];

/** The ECL charge types: how a product's usage becomes a monthly amount. */
export const CHARGE_TYPES = ['metered', 'capped', 'capped_plan', 'monthly_fixed', 'daily_prorated'] as const;
export type ChargeType = (typeof CHARGE_TYPES)[number];

/** Which kind of time a product charges: deployed (create -> delete) or operating (start -> stop). */
export const TIME_BASES = ['deployed', 'operating'] as const;
export type TimeBasis = (typeof TIME_BASES)[number];

/** What a usage record measures: one of the two kinds of time, or a quantity at an instant. */
export const TIME_KINDS = ['deployed', 'operating', 'quantity'] as const;
export type TimeKind = (typeof TIME_KINDS)[number];

export const RESOURCE_KINDS = [
  'virtual_server',
  'physical_server',
  'template',
  'disk',
  'volume',
  'network',
  'firewall',
  'load_balancer',
  'cic',
  'guest_image',
  'license',
  'monitoring',
  'vpn',
  'storage',
  'other',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * Per-menu rules and the parameters each takes (all required). The rating engine implements
 * them; the catalog carries their parameters so that no price lives in code.
 */
export const RULES = {
  /** Free allowance per tenant, in product-equivalents for the whole month (ECL logical networks). */
  network_allowance: { free_units: 'int' },
  /** The first N links of this product per tenant are free (ECL CIC 1 Gbps). */
  first_link_free: { free_links: 'int' },
  /** Price per VM up to max_vms VMs on one server, a flat price above (ECL guest images). */
  per_vm_flat: { max_vms: 'int', flat_price: 'decimal' },
  /** Charged once a month for the product of the largest vCPU count used (ECL SQL Server). */
  largest_vcpu: {},
  /** Metered price plus a fixed monthly fee (ECL Oracle for Windows). */
  plus_monthly_fixed: { fixed_fee: 'decimal' },
} as const satisfies Record<string, Record<string, 'int' | 'decimal'>>;
export type RuleName = keyof typeof RULES;
export const RULE_NAMES = Object.keys(RULES) as RuleName[];

/**
 * What a per-tenant ECL rule counts over, given as the optional parameter `scope`: `lplatform`
 * (the default: ECL grants its free links and networks per ECL tenant, which is an L-Platform
 * here) or `tenant` (the whole statement, every L-Platform together).
 */
export const RULE_SCOPES = ['lplatform', 'tenant'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];
export const DEFAULT_RULE_SCOPE: RuleScope = 'lplatform';
/** The rules that take the optional `scope` parameter. */
export const SCOPED_RULES: readonly RuleName[] = ['network_allowance', 'first_link_free'];

/** Statement statuses: estimated until finalized, then fixed forever. */
export const STATEMENT_STATUSES = ['estimated', 'fixed'] as const;
export type StatementStatus = (typeof STATEMENT_STATUSES)[number];
