/** The coupons table: codes registered by a tenant, as the import reads and adds them. */
import { cachedStatement, type Db } from './db.ts';

/** What a coupon says of its discount and when it applies. */
interface CouponFields {
  couponCode: string;
  registeredAt: string;
  discountType: string;
  discountValue: string;
  validMonths: number | null;
  validUntil: string | null;
  description: string;
}

/** A coupon as imported, with its tenant's name. */
export interface StoredCoupon extends CouponFields {
  tenantName: string;
}

/** A coupon to add, with its creation time. */
export interface NewCoupon extends CouponFields {
  tenantPk: number;
  now: string;
}

interface StoredCouponRow {
  coupon_code: string;
  tenant_name: string;
  registered_at: string;
  discount_type: string;
  discount_value: string;
  valid_months: number | null;
  valid_until: string | null;
  description: string;
}

/** The coupon with the code `code`, when there is one. */
export function findCoupon(db: Db, code: string): StoredCoupon | undefined {
  const r = cachedStatement(
    db,
    `SELECT c.coupon_code, t.tenant_name, c.registered_at, c.discount_type, c.discount_value, c.valid_months,
      c.valid_until, c.description FROM coupons c JOIN tenants t USING (tenant_pk) WHERE c.coupon_code = ?`,
  ).get(code) as StoredCouponRow | undefined;
  if (r === undefined) return undefined;
  return {
    couponCode: r.coupon_code,
    tenantName: r.tenant_name,
    registeredAt: r.registered_at,
    discountType: r.discount_type,
    discountValue: r.discount_value,
    validMonths: r.valid_months,
    validUntil: r.valid_until,
    description: r.description,
  };
}

/** Adds a coupon. */
export function insertCoupon(db: Db, c: NewCoupon): void {
  cachedStatement(
    db,
    `INSERT INTO coupons (coupon_code, tenant_pk, registered_at, discount_type, discount_value,
      valid_months, valid_until, description, created_at)
      VALUES (@couponCode, @tenantPk, @registeredAt, @discountType, @discountValue, @validMonths, @validUntil, @description, @now)`,
  ).run(c);
}

/** A tenant's coupons, in the order they were registered. */
export function tenantCoupons(db: Db, tenantPk: number): Omit<StoredCoupon, 'tenantName'>[] {
  return cachedStatement(
    db,
    `SELECT coupon_code AS couponCode, registered_at AS registeredAt, discount_type AS discountType,
      discount_value AS discountValue, valid_months AS validMonths, valid_until AS validUntil, description
    FROM coupons WHERE tenant_pk = ? ORDER BY registered_at, coupon_code`,
  ).all(tenantPk) as Omit<StoredCoupon, 'tenantName'>[];
}

/** Adds a coupon unless its code is taken (the code is unique): whether it was added. */
export function insertCouponOnce(db: Db, c: NewCoupon): boolean {
  return (
    cachedStatement(
      db,
      `INSERT INTO coupons (coupon_code, tenant_pk, registered_at, discount_type, discount_value,
      valid_months, valid_until, description, created_at)
      VALUES (@couponCode, @tenantPk, @registeredAt, @discountType, @discountValue, @validMonths, @validUntil, @description, @now)
      ON CONFLICT (coupon_code) DO NOTHING`,
    ).run(c).changes === 1
  );
}
