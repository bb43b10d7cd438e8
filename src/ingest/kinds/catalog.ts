/**
 * Import kind `catalog`: priced products, versioned by priority and applicable period. The first ten
 * columns are those of the ROR accounting information file; the rest carry the ECL charge rules.
 */
import * as z from 'zod';
import {
  CATEGORIES,
  CHARGE_TYPES,
  CURRENCIES,
  PRICE_DIGITS,
  TIME_BASES,
  UNIT_CODES,
  type ChargeType,
  type UnitCode,
} from '../../domain/vocabulary.ts';
import { parseRuleParams } from '../../rating/rules/params.ts';
import { RULE_NAMES, ruleRecord, type RuleName } from '../../rating/rules/registry.ts';
import {
  decimalText,
  identifier,
  instant,
  oneOf,
  optional,
  required,
  text,
  wholeNumber,
  withDefault,
} from '../fields.ts';
import { codePoint, firstNonCp932 } from '../../statements/csv.ts';
import type { ImportContext, ImportKind } from '../import-kind.ts';
import { firstDifference } from './shared.ts';
import { findCatalogProduct, insertCatalogProduct, otherCatalogVersion } from '../../store/catalog.ts';

/** A valid row of a catalog file, with defaults filled in. */
export interface CatalogRow {
  product_id: string;
  priority: number;
  applicable_from: string;
  applicable_to: string | null;
  category: string;
  resource_identifier: string;
  unit_code: UnitCode;
  unit_price: string;
  product_name: string;
  description: string;
  charge_type: ChargeType;
  time_basis: string;
  monthly_cap: string | null;
  plan_group: string;
  rule: RuleName | '';
  rule_params: string;
  currency: string;
  service: string;
  menu: string;
  submenu: string;
  plan: string;
  usage_label: string;
}

/** Digits a price or cap may have (the coupon import uses them too). */
export { PRICE_DIGITS };

const TIME_UNITS: readonly UnitCode[] = ['hour', 'minute', 'second'];
const MONTH_UNITS: readonly UnitCode[] = ['month', 'year'];

/** Which units each charge type can be combined with (a rule's charge types are in its record). */
const CHARGE_TYPE_UNITS: Record<ChargeType, readonly UnitCode[]> = {
  metered: [...TIME_UNITS, 'unit'],
  capped: TIME_UNITS,
  capped_plan: TIME_UNITS,
  monthly_fixed: MONTH_UNITS,
  daily_prorated: MONTH_UNITS,
};
const PRODUCT_ID = /^[A-Za-z0-9_-]{1,16}$/;
const PLAN_GROUP = /^[A-Za-z0-9_-]{1,32}$/;

/** The cells of one catalog row, each checked on its own. */
function catalogCells(ctx: ImportContext) {
  return z.object({
    product_id: required(identifier(PRODUCT_ID, '1-16 letters, digits, "_" or "-"')),
    priority: required(wholeNumber(0, 999)),
    applicable_from: required(instant()),
    applicable_to: optional(instant()),
    category: required(oneOf(CATEGORIES)),
    resource_identifier: required(text(128)),
    unit_code: required(oneOf(UNIT_CODES)),
    unit_price: required(decimalText(PRICE_DIGITS)),
    product_name: required(text(128)),
    description: withDefault(text(1024), ''),
    charge_type: optional(oneOf(CHARGE_TYPES)),
    time_basis: withDefault(oneOf(TIME_BASES), 'deployed'),
    monthly_cap: optional(decimalText(PRICE_DIGITS)),
    plan_group: withDefault(identifier(PLAN_GROUP, '1-32 letters, digits, "_" or "-"'), ''),
    rule: withDefault(oneOf<RuleName | ''>(RULE_NAMES), ''),
    rule_params: withDefault(text(256), ''),
    currency: withDefault(oneOf(CURRENCIES), ctx.defaultCurrency),
    service: withDefault(text(128), ''),
    menu: withDefault(text(128), ''),
    submenu: withDefault(text(128), ''),
    plan: withDefault(text(128), ''),
    usage_label: withDefault(text(64), ''),
  });
}
type CatalogCells = z.output<ReturnType<typeof catalogCells>>;

export const catalogKind: ImportKind<CatalogRow, CatalogCells> = {
  name: 'catalog',
  columns: {
    required: [
      'product_id',
      'priority',
      'applicable_from',
      'category',
      'resource_identifier',
      'unit_code',
      'unit_price',
      'product_name',
    ],
    optional: [
      'applicable_to',
      'description',
      'charge_type',
      'time_basis',
      'monthly_cap',
      'plan_group',
      'rule',
      'rule_params',
      'currency',
      'service',
      'menu',
      'submenu',
      'plan',
      'usage_label',
    ],
  },
  schema: catalogCells,
  combine(row: CatalogCells, issue): CatalogRow {
    const chargeType: ChargeType =
      row.charge_type ?? (MONTH_UNITS.includes(row.unit_code) ? 'monthly_fixed' : 'metered');
    if (row.applicable_to !== undefined && row.applicable_to <= row.applicable_from) {
      issue('applicable_to', 'must be after applicable_from');
    }
    if (!CHARGE_TYPE_UNITS[chargeType].includes(row.unit_code)) {
      issue(
        'unit_code',
        `${row.unit_code} cannot be used with charge type ${chargeType} (use ${CHARGE_TYPE_UNITS[chargeType].join(' or ')})`,
      );
    }
    // The catalog is shared by every tenant, and any tenant's statements may be written in cp932:
    // what a statement file shows of a product must be writable there.
    for (const field of ['product_name', 'resource_identifier'] as const) {
      const bad = firstNonCp932(row[field]);
      if (bad !== null)
        issue(
          field,
          `"${bad}" (${codePoint(bad)}) cannot be written in cp932, in which statement files that show this product may be written; use another character`,
        );
    }
    const capped = chargeType === 'capped' || chargeType === 'capped_plan';
    if (capped && row.monthly_cap === undefined) issue('monthly_cap', `is required for charge type ${chargeType}`);
    if (!capped && row.monthly_cap !== undefined)
      issue('monthly_cap', `applies only to capped charge types, not ${chargeType}`);
    const rule = ruleRecord(row.rule);
    const needsGroup = chargeType === 'capped_plan' || rule?.groupBy === 'plan_group';
    if (needsGroup && row.plan_group === '')
      issue(
        'plan_group',
        `is required for ${rule?.groupBy === 'plan_group' ? `rule ${rule.name}` : 'charge type capped_plan'}`,
      );
    let ruleParams = '';
    if (rule === undefined) {
      if (row.rule_params !== '') issue('rule_params', 'must be empty when no rule is given');
    } else {
      if (!rule.chargeTypes.includes(chargeType)) {
        issue('rule', `${rule.name} applies to charge type ${rule.chargeTypes.join(' or ')}, not ${chargeType}`);
      }
      const params = parseRuleParams(rule, row.rule_params);
      if (params.ok) ruleParams = params.value;
      else issue('rule_params', params.error);
    }
    return {
      ...row,
      applicable_to: row.applicable_to ?? null,
      charge_type: chargeType,
      monthly_cap: row.monthly_cap ?? null,
      rule_params: ruleParams,
    };
  },
  key: (row) => `product ${row.product_id} priority ${row.priority}`,
  keyField: 'priority',
  applier({ db, now }) {
    return (row, report) => {
      const stored = findCatalogProduct(db, row.product_id, row.priority);
      if (stored) {
        const diff = firstDifference(stored, { ...row });
        if (diff === null) return 'unchanged';
        report(
          'priority',
          `product ${row.product_id} priority ${row.priority} exists with other content (${diff.text}); catalog rows never change: add a row with another priority`,
        );
        return 'rejected';
      }
      const sibling = otherCatalogVersion(db, row.product_id, row.priority);
      if (sibling) {
        const { priority, ...shared } = sibling;
        const diff = firstDifference(shared, {
          category: row.category,
          resource_identifier: row.resource_identifier,
          unit_code: row.unit_code,
          charge_type: row.charge_type,
          time_basis: row.time_basis,
          plan_group: row.plan_group,
          rule: row.rule,
          currency: row.currency,
        });
        if (diff !== null) {
          report(
            diff.field,
            `differs from product ${row.product_id} priority ${String(priority)} (${diff.text}); versions of a product share everything but prices, caps, rule parameters, names and dates`,
          );
          return 'rejected';
        }
      }
      insertCatalogProduct(db, {
        productId: row.product_id,
        priority: row.priority,
        applicableFrom: row.applicable_from,
        applicableTo: row.applicable_to,
        category: row.category,
        resourceIdentifier: row.resource_identifier,
        unitCode: row.unit_code,
        unitPrice: row.unit_price,
        productName: row.product_name,
        description: row.description,
        chargeType: row.charge_type,
        timeBasis: row.time_basis,
        monthlyCap: row.monthly_cap,
        planGroup: row.plan_group,
        rule: row.rule,
        ruleParams: row.rule_params,
        currency: row.currency,
        service: row.service,
        menu: row.menu,
        submenu: row.submenu,
        plan: row.plan,
        usageLabel: row.usage_label,
        now,
      });
      return 'inserted';
    };
  },
};
