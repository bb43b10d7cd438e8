/** The catalog_products table: priced products, versioned by priority, as the imports read and add them. */
import { cachedStatement, type Db } from './db.ts';

/** The columns a version of a product shares with every other version of it. */
export interface CatalogShared {
  category: string;
  resourceIdentifier: string;
  unitCode: string;
  chargeType: string;
  timeBasis: string;
  planGroup: string;
  rule: string;
  currency: string;
}

/** One stored version of a product, as imported. */
export interface CatalogProduct extends CatalogShared {
  productId: string;
  priority: number;
  applicableFrom: string;
  applicableTo: string | null;
  unitPrice: string;
  productName: string;
  description: string;
  monthlyCap: string | null;
  ruleParams: string;
  service: string;
  menu: string;
  submenu: string;
  plan: string;
  usageLabel: string;
}

/** A version of a product to add, with its creation time. */
export interface NewCatalogProduct extends CatalogProduct {
  now: string;
}

/** What the usage import checks a record against in its product (the same in every version). */
export interface ProductFacts {
  category: string;
  unitCode: string;
  rule: string;
  timeBasis: string;
  currency: string;
}

interface CatalogProductRow {
  product_id: string;
  priority: number;
  applicable_from: string;
  applicable_to: string | null;
  category: string;
  resource_identifier: string;
  unit_code: string;
  unit_price: string;
  product_name: string;
  description: string;
  charge_type: string;
  time_basis: string;
  monthly_cap: string | null;
  plan_group: string;
  rule: string;
  rule_params: string;
  currency: string;
  service: string;
  menu: string;
  submenu: string;
  plan: string;
  usage_label: string;
}

/** The columns a version shares with the others, as a record. */
function sharedOf(r: Omit<CatalogProductRow, 'product_id'>): CatalogShared {
  return {
    category: r.category,
    resourceIdentifier: r.resource_identifier,
    unitCode: r.unit_code,
    chargeType: r.charge_type,
    timeBasis: r.time_basis,
    planGroup: r.plan_group,
    rule: r.rule,
    currency: r.currency,
  };
}

/** The version `priority` of the product `productId`, when there is one. */
export function findCatalogProduct(db: Db, productId: string, priority: number): CatalogProduct | undefined {
  const r = cachedStatement(
    db,
    `SELECT product_id, priority, applicable_from, applicable_to, category, resource_identifier, unit_code, unit_price,
      product_name, description, charge_type, time_basis, monthly_cap, plan_group, rule, rule_params, currency,
      service, menu, submenu, plan, usage_label FROM catalog_products WHERE product_id = ? AND priority = ?`,
  ).get(productId, priority) as CatalogProductRow | undefined;
  if (r === undefined) return undefined;
  return {
    productId: r.product_id,
    priority: r.priority,
    applicableFrom: r.applicable_from,
    applicableTo: r.applicable_to,
    ...sharedOf(r),
    unitPrice: r.unit_price,
    productName: r.product_name,
    description: r.description,
    monthlyCap: r.monthly_cap,
    ruleParams: r.rule_params,
    service: r.service,
    menu: r.menu,
    submenu: r.submenu,
    plan: r.plan,
    usageLabel: r.usage_label,
  };
}

/** Another version of the product than `priority` (any one), with its priority and shared columns. */
export function otherCatalogVersion(
  db: Db,
  productId: string,
  priority: number,
): ({ priority: number } & CatalogShared) | undefined {
  const r = cachedStatement(
    db,
    'SELECT priority, category, resource_identifier, unit_code, charge_type, time_basis, plan_group, rule, currency FROM catalog_products WHERE product_id = ? AND priority <> ? LIMIT 1',
  ).get(productId, priority) as Omit<CatalogProductRow, 'product_id'> | undefined;
  if (r === undefined) return undefined;
  return { priority: r.priority, ...sharedOf(r) };
}

/** Adds a version of a product. */
export function insertCatalogProduct(db: Db, p: NewCatalogProduct): void {
  cachedStatement(
    db,
    `INSERT INTO catalog_products (product_id, priority, applicable_from, applicable_to, category,
      resource_identifier, unit_code, unit_price, product_name, description, charge_type, time_basis, monthly_cap,
      plan_group, rule, rule_params, currency, service, menu, submenu, plan, usage_label, created_at)
      VALUES (@productId, @priority, @applicableFrom, @applicableTo, @category, @resourceIdentifier, @unitCode,
      @unitPrice, @productName, @description, @chargeType, @timeBasis, @monthlyCap, @planGroup, @rule,
      @ruleParams, @currency, @service, @menu, @submenu, @plan, @usageLabel, @now)`,
  ).run(p);
}

/** The facts of the product `productId` that its usage is checked against, when it is in the catalog. */
export function findProductFacts(db: Db, productId: string): ProductFacts | undefined {
  // Versions of a product share these columns (the catalog import checks it), so any row will do.
  const r = cachedStatement(
    db,
    'SELECT category, unit_code, rule, time_basis, currency FROM catalog_products WHERE product_id = ? LIMIT 1',
  ).get(productId) as
    { category: string; unit_code: string; rule: string; time_basis: string; currency: string } | undefined;
  if (r === undefined) return undefined;
  return { category: r.category, unitCode: r.unit_code, rule: r.rule, timeBasis: r.time_basis, currency: r.currency };
}
