/** Import kind `catalog`: the ROR columns, the ECL charge rules, and how versions of a product relate. */
import { describe, expect, it } from 'vitest';
import { connection, type Db } from '../../../src/store/db.ts';
import { CATEGORIES, CHARGE_TYPES, UNIT_CODES } from '../../../src/domain/vocabulary.ts';
import { RULE_NAMES } from '../../../src/rating/rules/registry.ts';
import { billingReader } from '../../../src/store/billing.ts';
import { importText, snapshot } from '../../helpers/store.ts';
import { dataOnly, expectRefused, rows, useStore } from './support.ts';

const COLUMNS = [
  'product_id',
  'priority',
  'applicable_from',
  'applicable_to',
  'category',
  'resource_identifier',
  'unit_code',
  'unit_price',
  'product_name',
  'description',
  'charge_type',
  'time_basis',
  'monthly_cap',
  'plan_group',
  'rule',
  'rule_params',
  'currency',
] as const;
type Column = (typeof COLUMNS)[number];
type Row = Partial<Record<Column, string>>;
const BASE: Record<Column, string> = {
  product_id: 'P9',
  priority: '0',
  applicable_from: '2026-01-01T00:00:00Z',
  applicable_to: '',
  category: 'vm',
  resource_identifier: 'image009',
  unit_code: 'hour',
  unit_price: '1.5',
  product_name: 'Product nine',
  description: '',
  charge_type: '',
  time_basis: '',
  monthly_cap: '',
  plan_group: '',
  rule: '',
  rule_params: '',
  currency: '',
};
const file = (...overrides: Row[]): string => rows(COLUMNS, BASE, ...overrides);
/** The seeded product VM-1 priority 0, exactly as seedBase imports it. */
const VM1: Row = {
  product_id: 'VM-1',
  priority: '0',
  applicable_from: '2020-01-01T00:00:00Z',
  category: 'vm',
  resource_identifier: 'image001',
  unit_code: 'hour',
  unit_price: '1.2',
  product_name: 'Virtual server',
  time_basis: 'operating',
};

const CONTROL = 'contains a control character (CR, LF, tab or similar), which no field may hold';
const NOT_DECIMAL = 'is not a decimal number (digits, an optional point and fraction; no exponent or separators)';

let db: Db;
useStore(true, (s) => (db = s.db));

function product(id: string, priority = 0): Record<string, unknown> | undefined {
  return connection(db)
    .prepare('SELECT * FROM catalog_products WHERE product_id = ? AND priority = ?')
    .get(id, priority) as Record<string, unknown> | undefined;
}

/** Expects the one-row file `row` to be refused with `field: message` on line 2. */
async function refusesRow(row: Row, field: string, message: string): Promise<void> {
  await expectRefused(db, 'catalog', file(row), `catalog.csv:2: ${field}: ${message}`);
}

describe('catalog: valid rows', () => {
  it('inserts a product with its defaults (metered, deployed, default currency, no rule)', async () => {
    const result = await importText(db, 'catalog', file({}));
    expect(result).toMatchObject({ kind: 'catalog', rows: 1, inserted: 1, updated: 0, unchanged: 0 });
    expect(product('P9')).toMatchObject({
      applicable_from: '2026-01-01T00:00:00.000Z',
      applicable_to: null,
      unit_price: '1.5',
      charge_type: 'metered',
      time_basis: 'deployed',
      monthly_cap: null,
      plan_group: '',
      rule: '',
      rule_params: '',
      currency: 'JPY',
      description: '',
    });
  });

  it.each([
    ['month', 'monthly_fixed'],
    ['year', 'monthly_fixed'],
    ['hour', 'metered'],
    ['unit', 'metered'],
  ])('defaults the charge type of unit %s to %s', async (unit, chargeType) => {
    await importText(db, 'catalog', file({ unit_code: unit }));
    expect(product('P9')?.charge_type).toBe(chargeType);
  });

  it.each([
    ['001.500000', '1.5'],
    ['99999999999.999999', '99999999999.999999'],
    ['0', '0'],
    ['+2', '2'],
  ])('stores the price %s as %s', async (given, stored) => {
    await importText(db, 'catalog', file({ unit_price: given }));
    expect(product('P9')?.unit_price).toBe(stored);
  });

  it.each([
    ['network_allowance', 'metered', 'free_units=3', 'free_units=3'],
    ['network_allowance', 'metered', ' free_units = 003 ', 'free_units=3'],
    ['first_link_free', 'monthly_fixed', 'free_links=1', 'free_links=1'],
    ['network_allowance', 'metered', 'free_units=5;scope=tenant', 'free_units=5;scope=tenant'],
    ['network_allowance', 'metered', 'scope=tenant;free_units=5', 'free_units=5;scope=tenant'],
    ['first_link_free', 'monthly_fixed', 'free_links=1;scope=tenant', 'free_links=1;scope=tenant'],
    // lplatform is the default: stated or not, the row is the same
    ['first_link_free', 'monthly_fixed', 'free_links=1;scope=lplatform', 'free_links=1'],
    ['per_vm_flat', 'monthly_fixed', 'flat_price=66000.0;max_vms=07', 'max_vms=7;flat_price=66000'],
    ['largest_vcpu', 'monthly_fixed', '', ''],
    ['plus_monthly_fixed', 'metered', 'fixed_fee=1200.50', 'fixed_fee=1200.5'],
  ])('accepts rule %s on %s and stores its parameters %j as %j', async (rule, chargeType, params, stored) => {
    const unit = chargeType === 'monthly_fixed' ? 'month' : 'hour';
    const cap = chargeType === 'capped' ? '5000' : '';
    await importText(
      db,
      'catalog',
      file({
        rule,
        charge_type: chargeType,
        unit_code: unit,
        rule_params: params,
        monthly_cap: cap,
        plan_group: 'grp',
      }),
    );
    expect(product('P9')).toMatchObject({ rule, rule_params: stored });
  });

  it("a rule's scope reaches the rating: tenant when stated, absent (lplatform) otherwise", async () => {
    await importText(
      db,
      'catalog',
      file(
        {
          product_id: 'NET-T',
          unit_code: 'minute',
          rule: 'network_allowance',
          rule_params: 'free_units=5;scope=tenant',
        },
        {
          product_id: 'NET-L',
          unit_code: 'minute',
          rule: 'network_allowance',
          rule_params: 'free_units=5;scope=lplatform',
        },
      ),
    );
    const tenant = billingReader(db).tenant(
      connection(db).prepare('SELECT tenant_name FROM tenants LIMIT 1').pluck().get() as string,
    );
    const period = {
      start: Date.parse('2026-10-01T00:00:00Z'),
      end: Date.parse('2026-11-01T00:00:00Z'),
      billingMonth: '2026-10',
    };
    const input = billingReader(db).ratingInput(tenant, period as never, 'UTC', {
      preset: 'ror',
      roundingMode: 'half-up',
      taxEnabled: false,
      taxRates: [],
    });
    const of = (id: string) => input.catalog.find((v) => v.productId === id)!;
    expect([of('NET-T').ruleScope, of('NET-T').ruleParams.free_units!.toFixed()]).toEqual(['tenant', '5']);
    expect([of('NET-L').ruleScope, Object.keys(of('NET-L').ruleParams)]).toEqual([undefined, ['free_units']]);
  });

  it('accepts applicable_to after applicable_from, in any zone', async () => {
    await importText(
      db,
      'catalog',
      file({ applicable_from: '2026-01-01T09:00:00+09:00', applicable_to: '2026-04-01T00:00:00+0900' }),
    );
    expect(product('P9')).toMatchObject({
      applicable_from: '2026-01-01T00:00:00.000Z',
      applicable_to: '2026-03-31T15:00:00.000Z',
    });
  });
});

describe('catalog: product_id', () => {
  it.each([
    ['empty', '', 'is required'],
    ['with a space', 'P 9', 'must be 1-16 letters, digits, "_" or "-"'],
    ['with a dot', 'P.9', 'must be 1-16 letters, digits, "_" or "-"'],
    ['a path', '../P9', 'must be 1-16 letters, digits, "_" or "-"'],
    ['17 characters', 'P'.repeat(17), 'must be 1-16 letters, digits, "_" or "-"'],
  ])('refuses %s', async (_what, id, message) => {
    await refusesRow({ product_id: id }, 'product_id', message);
  });
});

describe('catalog: priority', () => {
  it.each([
    ['empty', '', 'is required'],
    ['-1', '-1', 'must be a whole number from 0 to 999'],
    ['1000', '1000', 'must be a whole number from 0 to 999'],
    ['1.5', '1.5', 'must be a whole number from 0 to 999'],
    ['abc', 'abc', 'must be a whole number from 0 to 999'],
  ])('refuses %s', async (_what, priority, message) => {
    await refusesRow({ priority }, 'priority', message);
  });

  it('accepts 0 and 999', async () => {
    expect(
      await importText(db, 'catalog', file({ priority: '0' }, { priority: '999', unit_price: '2' })),
    ).toMatchObject({ inserted: 2 });
  });

  it('refuses one product and priority twice in a file', async () => {
    await expectRefused(
      db,
      'catalog',
      file({}, { unit_price: '2' }),
      'catalog.csv:3: priority: product P9 priority 0 appears again (first at line 2)',
    );
  });
});

describe('catalog: applicable_from and applicable_to', () => {
  it.each([
    ['empty', '', 'is required'],
    [
      'without a zone',
      '2026-01-01T00:00:00',
      '"2026-01-01T00:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
    ],
    ['on 30 February', '2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z": day 30 does not exist in 2026-02'],
    ['at 25:00', '2026-01-01T25:00:00Z', '"2026-01-01T25:00:00Z": the time of day does not exist'],
    ['before 1970', '1969-12-31T23:59:59Z', '"1969-12-31T23:59:59Z": year 1969 is outside 1970-9999'],
  ])('refuses applicable_from %s', async (_what, value, message) => {
    await refusesRow({ applicable_from: value }, 'applicable_from', message);
  });

  it.each([
    [
      'without a zone',
      '2026-06-01T00:00:00',
      '"2026-06-01T00:00:00" is not an ISO 8601 instant with a time zone (the time zone is missing: add Z or an offset such as +09:00)',
    ],
    ['on 30 February', '2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z": day 30 does not exist in 2026-02'],
  ])('refuses applicable_to %s', async (_what, value, message) => {
    await refusesRow({ applicable_to: value }, 'applicable_to', message);
  });

  it.each([
    ['before applicable_from', '2025-12-31T00:00:00Z'],
    ['equal to applicable_from', '2026-01-01T00:00:00Z'],
    ['equal to applicable_from in another zone', '2026-01-01T09:00:00+09:00'],
  ])('refuses applicable_to %s', async (_what, value) => {
    await refusesRow({ applicable_to: value }, 'applicable_to', 'must be after applicable_from');
  });
});

describe('catalog: category, resource_identifier, product_name, description', () => {
  it.each(['', 'vms', 'CPU', 'network '])('refuses category %j', async (category) => {
    await refusesRow(
      { category },
      'category',
      category === '' ? 'is required' : `must be one of ${CATEGORIES.join(', ')}`,
    );
  });

  it.each([
    ['resource_identifier', '', 'is required'],
    ['resource_identifier', 'r'.repeat(129), 'is longer than 128 characters'],
    ['resource_identifier', '/VM\tPool', CONTROL],
    ['product_name', '', 'is required'],
    ['product_name', 'n'.repeat(129), 'is longer than 128 characters'],
    ['product_name', 'Virtual\nserver', CONTROL],
    ['description', 'd'.repeat(1025), 'is longer than 1024 characters'],
    ['description', 'line one\nline two', CONTROL],
  ] as const)('refuses %s %j', async (field, value, message) => {
    await refusesRow({ [field]: value }, field, message);
  });
});

describe('catalog: unit_code and charge_type', () => {
  it.each(['', 'day', 'Hour', 'hours'])('refuses unit_code %j', async (unit) => {
    await refusesRow(
      { unit_code: unit },
      'unit_code',
      unit === '' ? 'is required' : `must be one of ${UNIT_CODES.join(', ')}`,
    );
  });

  it.each(['flat', 'Metered', 'capped-plan'])('refuses charge_type %j', async (chargeType) => {
    await refusesRow({ charge_type: chargeType }, 'charge_type', `must be one of ${CHARGE_TYPES.join(', ')}`);
  });

  it.each(['running', 'Deployed'])('refuses time_basis %j', async (basis) => {
    await refusesRow({ time_basis: basis }, 'time_basis', 'must be one of deployed, operating');
  });

  it.each([
    ['month', 'metered', '', 'month cannot be used with charge type metered (use hour or minute or second or unit)'],
    ['unit', 'capped', '100', 'unit cannot be used with charge type capped (use hour or minute or second)'],
    ['year', 'capped', '100', 'year cannot be used with charge type capped (use hour or minute or second)'],
    ['hour', 'monthly_fixed', '', 'hour cannot be used with charge type monthly_fixed (use month or year)'],
    ['second', 'daily_prorated', '', 'second cannot be used with charge type daily_prorated (use month or year)'],
    ['unit', 'daily_prorated', '', 'unit cannot be used with charge type daily_prorated (use month or year)'],
  ])('refuses unit %s with charge type %s', async (unit, chargeType, cap, message) => {
    await refusesRow({ unit_code: unit, charge_type: chargeType, monthly_cap: cap }, 'unit_code', message);
  });
});

describe('catalog: unit_price', () => {
  it.each([
    ['empty', '', 'is required'],
    ['an exponent', '1e3', `"1e3" ${NOT_DECIMAL}`],
    ['a thousands separator', '1,000', `"1,000" ${NOT_DECIMAL}`],
    ['a currency sign', '¥100', `"¥100" ${NOT_DECIMAL}`],
    ['a leading point', '.5', `".5" ${NOT_DECIMAL}`],
    ['a trailing point', '5.', `"5." ${NOT_DECIMAL}`],
    ['a space', ' 5', `" 5" ${NOT_DECIMAL}`],
    ['a negative sign', '-1', '"-1" must not be negative'],
    ['12 digits before the point', '123456789012', '"123456789012" has more than 11 digits before the point'],
    ['7 digits after the point', '0.1234567', '"0.1234567" has more than 6 digits after the point'],
  ])('refuses a price with %s', async (_what, price, message) => {
    await refusesRow({ unit_price: price }, 'unit_price', message);
  });
});

describe('catalog: monthly_cap', () => {
  it.each(['capped', 'capped_plan'])('is required for charge type %s', async (chargeType) => {
    await refusesRow(
      { charge_type: chargeType, plan_group: 'flavors' },
      'monthly_cap',
      `is required for charge type ${chargeType}`,
    );
  });

  it.each([
    ['metered', 'hour'],
    ['monthly_fixed', 'month'],
    ['daily_prorated', 'month'],
  ])('is refused for charge type %s', async (chargeType, unit) => {
    await refusesRow(
      { charge_type: chargeType, unit_code: unit, monthly_cap: '7000' },
      'monthly_cap',
      `applies only to capped charge types, not ${chargeType}`,
    );
  });

  it('is refused when the charge type defaults to metered', async () => {
    await refusesRow({ monthly_cap: '7000' }, 'monthly_cap', 'applies only to capped charge types, not metered');
  });

  it.each([
    ['1e3', `"1e3" ${NOT_DECIMAL}`],
    ['-7000', '"-7000" must not be negative'],
    ['123456789012', '"123456789012" has more than 11 digits before the point'],
  ])('refuses a malformed cap %s', async (cap, message) => {
    await refusesRow({ charge_type: 'capped', monthly_cap: cap }, 'monthly_cap', message);
  });

  it('stores the cap of a capped product in its canonical form', async () => {
    await importText(db, 'catalog', file({ charge_type: 'capped', monthly_cap: '7000.00' }));
    expect(product('P9')?.monthly_cap).toBe('7000');
  });
});

describe('catalog: plan_group', () => {
  it('is required for charge type capped_plan', async () => {
    await refusesRow(
      { charge_type: 'capped_plan', monthly_cap: '7000' },
      'plan_group',
      'is required for charge type capped_plan',
    );
  });

  it('is required for rule largest_vcpu', async () => {
    await refusesRow({ unit_code: 'month', rule: 'largest_vcpu' }, 'plan_group', 'is required for rule largest_vcpu');
  });

  it.each(['a b', 'g'.repeat(33), 'grp.1'])('refuses the group %j', async (group) => {
    await refusesRow(
      { charge_type: 'capped_plan', monthly_cap: '7000', plan_group: group },
      'plan_group',
      'must be 1-32 letters, digits, "_" or "-"',
    );
  });

  it('reports both missing cap and group of a capped_plan product', async () => {
    await expectRefused(
      db,
      'catalog',
      file({ charge_type: 'capped_plan' }),
      'catalog.csv:2: monthly_cap: is required for charge type capped_plan',
      'catalog.csv:2: plan_group: is required for charge type capped_plan',
    );
  });
});

describe('catalog: rule and rule_params', () => {
  it.each(['free', 'LARGEST_VCPU', 'per-vm-flat'])('refuses the unknown rule %j', async (rule) => {
    await refusesRow({ rule }, 'rule', `must be one of ${RULE_NAMES.join(', ')}`);
  });

  it.each([
    [
      'network_allowance',
      'monthly_fixed',
      'month',
      'free_units=1',
      'network_allowance applies to charge type metered, not monthly_fixed',
    ],
    [
      'first_link_free',
      'metered',
      'hour',
      'free_links=1',
      'first_link_free applies to charge type monthly_fixed, not metered',
    ],
    [
      'per_vm_flat',
      'daily_prorated',
      'month',
      'max_vms=7;flat_price=1',
      'per_vm_flat applies to charge type monthly_fixed, not daily_prorated',
    ],
    [
      'plus_monthly_fixed',
      'monthly_fixed',
      'month',
      'fixed_fee=1',
      'plus_monthly_fixed applies to charge type metered, not monthly_fixed',
    ],
  ])('refuses rule %s on charge type %s', async (rule, chargeType, unit, params, message) => {
    await refusesRow({ rule, charge_type: chargeType, unit_code: unit, rule_params: params }, 'rule', message);
  });

  it('refuses a free allowance on a capped product (the credit would ignore the cap)', async () => {
    await refusesRow(
      {
        rule: 'network_allowance',
        charge_type: 'capped',
        unit_code: 'minute',
        monthly_cap: '600',
        rule_params: 'free_units=1',
      },
      'rule',
      'network_allowance applies to charge type metered, not capped',
    );
  });

  it('refuses largest_vcpu on a capped_plan product', async () => {
    await refusesRow(
      { rule: 'largest_vcpu', charge_type: 'capped_plan', monthly_cap: '1', plan_group: 'g' },
      'rule',
      'largest_vcpu applies to charge type monthly_fixed, not capped_plan',
    );
  });

  it.each([
    ['network_allowance', '', 'rule network_allowance needs free_units=<whole number>'],
    ['per_vm_flat', 'max_vms=7', 'rule per_vm_flat needs flat_price=<decimal>'],
    ['per_vm_flat', 'flat_price=1', 'rule per_vm_flat needs max_vms=<whole number>'],
    ['network_allowance', 'free_units=1;bonus=2', 'rule network_allowance takes no bonus'],
    ['largest_vcpu', 'vcpu=4', 'rule largest_vcpu takes no vcpu'],
    ['network_allowance', 'free_units', '"free_units" is not key=value'],
    ['network_allowance', 'free_units=1,bonus=2', 'free_units must be a whole number'],
    ['network_allowance', 'Free_Units=1', '"Free_Units=1" is not key=value'],
    ['network_allowance', 'free_units=1;', '"" is not key=value'],
    ['network_allowance', 'free_units=1;free_units=2', 'free_units is given twice'],
    ['network_allowance', 'free_units=1.5', 'free_units must be a whole number'],
    ['network_allowance', 'free_units=-1', 'free_units must be a whole number'],
    ['network_allowance', 'free_units=1234567', 'free_units must be a whole number'],
    ['per_vm_flat', 'max_vms=7;flat_price=1e3', `flat_price: "1e3" ${NOT_DECIMAL}`],
    ['per_vm_flat', 'max_vms=7;flat_price=-1', 'flat_price: "-1" must not be negative'],
    ['plus_monthly_fixed', 'fixed_fee=0.1234567', 'fixed_fee: "0.1234567" has more than 6 digits after the point'],
    ['network_allowance', 'free_units=5;scope=workspace', 'scope must be lplatform or tenant, not "workspace"'],
    ['first_link_free', 'free_links=1;scope=Tenant', 'scope must be lplatform or tenant, not "Tenant"'],
    ['first_link_free', 'free_links=1;scope=tenant;scope=lplatform', 'scope is given twice'],
    ['per_vm_flat', 'max_vms=7;flat_price=1;scope=tenant', 'rule per_vm_flat takes no scope'],
  ])('refuses rule %s with parameters %j', async (rule, params, message) => {
    const monthly = rule === 'per_vm_flat' || rule === 'largest_vcpu' || rule === 'first_link_free';
    await refusesRow(
      { rule, rule_params: params, unit_code: monthly ? 'month' : 'hour', plan_group: 'g' },
      'rule_params',
      message,
    );
  });

  it('refuses parameters without a rule', async () => {
    await refusesRow({ rule_params: 'free_units=1' }, 'rule_params', 'must be empty when no rule is given');
  });

  it('refuses parameters longer than 256 characters', async () => {
    await refusesRow(
      { rule: 'network_allowance', rule_params: `free_units=${'1'.repeat(250)}` },
      'rule_params',
      'is longer than 256 characters',
    );
  });
});

describe('catalog: currency', () => {
  it.each(['GBP', 'usd', '円'])('refuses %j', async (currency) => {
    await refusesRow({ currency }, 'currency', 'must be one of JPY, USD, EUR, SGD');
  });
});

describe('catalog: versions of a product', () => {
  it('re-importing the stored row is unchanged (the price compared in canonical form)', async () => {
    expect(await importText(db, 'catalog', file(VM1, { ...VM1, product_id: 'VM-9' }))).toMatchObject({
      rows: 2,
      inserted: 1,
      unchanged: 1,
    });
    expect(await importText(db, 'catalog', file({ ...VM1, unit_price: '01.20' }))).toMatchObject({
      rows: 1,
      inserted: 0,
      unchanged: 1,
    });
  });

  it('refuses the same product and priority with another price', async () => {
    await refusesRow(
      { ...VM1, unit_price: '1.3' },
      'priority',
      'product VM-1 priority 0 exists with other content (unit_price: "1.2" -> "1.3"); catalog rows never change: add a row with another priority',
    );
  });

  it.each([
    ['product_name', 'Virtual server v2', '"Virtual server" -> "Virtual server v2"'],
    ['applicable_to', '2030-01-01T00:00:00Z', 'null -> "2030-01-01T00:00:00.000Z"'],
    ['description', 'now described', '"" -> "now described"'],
  ] as const)('refuses the same product and priority with another %s', async (field, value, change) => {
    await refusesRow(
      { ...VM1, [field]: value },
      'priority',
      `product VM-1 priority 0 exists with other content (${field}: ${change}); catalog rows never change: add a row with another priority`,
    );
  });

  it('accepts a new priority with a new price, name and dates', async () => {
    const result = await importText(
      db,
      'catalog',
      file({
        ...VM1,
        priority: '1',
        unit_price: '1.4',
        product_name: 'VS (2027)',
        applicable_from: '2027-01-01T00:00:00Z',
      }),
    );
    expect(result).toMatchObject({ inserted: 1 });
    expect(product('VM-1', 1)?.unit_price).toBe('1.4');
  });

  it.each([
    ['category', 'cpu', '"vm" -> "cpu"'],
    ['resource_identifier', 'image002', '"image001" -> "image002"'],
    ['unit_code', 'minute', '"hour" -> "minute"'],
    ['time_basis', 'deployed', '"operating" -> "deployed"'],
    ['currency', 'USD', '"JPY" -> "USD"'],
  ] as const)('refuses a new priority whose %s differs from the other versions', async (field, value, change) => {
    await refusesRow(
      { ...VM1, priority: '1', [field]: value },
      field,
      `differs from product VM-1 priority 0 (${field}: ${change}); versions of a product share everything but prices, caps, rule parameters, names and dates`,
    );
  });

  it('accepts a new priority with another cap and other rule parameters', async () => {
    const result = await importText(
      db,
      'catalog',
      file(
        { product_id: 'NET', charge_type: 'metered', rule: 'network_allowance', rule_params: 'free_units=5' },
        {
          product_id: 'NET',
          priority: '1',
          charge_type: 'metered',
          rule: 'network_allowance',
          rule_params: 'free_units=6',
          applicable_from: '2027-01-01T00:00:00Z',
        },
        { product_id: 'VOL', charge_type: 'capped', monthly_cap: '600' },
        {
          product_id: 'VOL',
          priority: '1',
          charge_type: 'capped',
          monthly_cap: '650',
          applicable_from: '2027-01-01T00:00:00Z',
        },
      ),
    );
    expect(result).toMatchObject({ inserted: 4 });
  });

  it('refuses a new priority whose rule differs from the other versions', async () => {
    await importText(
      db,
      'catalog',
      file({ product_id: 'NET', rule: 'network_allowance', rule_params: 'free_units=5' }),
    );
    await refusesRow(
      { product_id: 'NET', priority: '1' },
      'rule',
      'differs from product NET priority 0 (rule: "network_allowance" -> ""); versions of a product share everything but prices, caps, rule parameters, names and dates',
    );
  });

  it('refuses a second version in the same file whose category differs from the first', async () => {
    await expectRefused(
      db,
      'catalog',
      file({}, { priority: '1', category: 'cpu' }),
      'catalog.csv:3: category: differs from product P9 priority 0 (category: "vm" -> "cpu"); versions of a product share everything but prices, caps, rule parameters, names and dates',
    );
  });
});

describe('catalog: idempotency and all or nothing', () => {
  const products = file(
    {},
    { product_id: 'P8', unit_code: 'month', unit_price: '30000', rule: 'largest_vcpu', plan_group: 'sql' },
    {
      product_id: 'P7',
      charge_type: 'capped_plan',
      monthly_cap: '7000',
      plan_group: 'flavors',
      unit_code: 'minute',
      unit_price: '0.173612',
    },
    {
      product_id: 'P6',
      unit_code: 'unit',
      unit_price: '500',
      currency: 'USD',
      description: 'per alarm, "quoted", with commas',
    },
    {
      product_id: 'P6',
      priority: '1',
      unit_code: 'unit',
      unit_price: '550',
      currency: 'USD',
      applicable_from: '2027-01-01T00:00:00Z',
    },
  );

  it('imports the same file twice: inserted N, then unchanged N with the same data', async () => {
    expect(await importText(db, 'catalog', products)).toMatchObject({ rows: 5, inserted: 5, updated: 0, unchanged: 0 });
    const before = snapshot(db);
    expect(await importText(db, 'catalog', products)).toMatchObject({ rows: 5, inserted: 0, updated: 0, unchanged: 5 });
    const after = snapshot(db);
    expect(dataOnly(after)).toEqual(dataOnly(before));
    expect(after.audit_log).toHaveLength(before.audit_log!.length + 1);
  });

  it('writes nothing when the last line is bad', async () => {
    const bad = products + file({ product_id: 'P5', unit_price: '1e3' }).split('\n')[1] + '\n';
    await expectRefused(db, 'catalog', bad, `catalog.csv:7: unit_price: "1e3" ${NOT_DECIMAL}`);
    expect(product('P9')).toBeUndefined();
  });
});
