/** The closed vocabularies of the store and the import files (enumerations shared by all layers). */

export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Currencies and the digits of their minor unit (JPY has none). */
export const CURRENCY_MINOR_DIGITS = { JPY: 0, USD: 2, EUR: 2, SGD: 2 } as const;
export type Currency = keyof typeof CURRENCY_MINOR_DIGITS;
export const CURRENCIES = Object.keys(CURRENCY_MINOR_DIGITS) as Currency[];

/** Digits a price, cap or price parameter may have: 11 before the point (ROR), 6 after (ECL per-minute prices). */
export const PRICE_DIGITS = { integerDigits: 11, fractionDigits: 6 } as const;

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

/**
 * What a scoped per-menu rule counts over, given as its optional parameter `scope`: `lplatform`
 * (the default: ECL grants its free links and networks per ECL tenant, which is an L-Platform
 * here) or `tenant` (the whole statement, every L-Platform together).
 */
export const RULE_SCOPES = ['lplatform', 'tenant'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];
export const DEFAULT_RULE_SCOPE: RuleScope = 'lplatform';
