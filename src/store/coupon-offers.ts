/** The coupon_offers table: the codes the billing team issues, which a tenant's owner registers. */
import { cachedStatement, type Db } from './db.ts';

/** What an issued code says of its discount, when it applies and who may register it until when. */
export interface OfferFields {
  couponCode: string;
  discountType: 'amount' | 'percent';
  discountValue: string;
  /** The currency of an amount off (null for a percentage): only a tenant billed in it registers the code. */
  currency: string | null;
  validMonths: number | null;
  validUntil: string | null;
  description: string;
  /** The only tenant that may register it; null: any tenant. */
  tenantName: string | null;
  /** The last date (billing time zone) it may be registered on; null: no limit. */
  redeemBy: string | null;
}

/** An issued code as stored. */
export interface StoredOffer extends OfferFields {
  issuedAt: string;
  issuedBy: string;
}

/** The issued code `code`, when there is one. */
export function findOffer(db: Db, code: string): StoredOffer | undefined {
  return cachedStatement(
    db,
    `SELECT o.coupon_code AS couponCode, o.discount_type AS discountType, o.discount_value AS discountValue, o.currency,
      o.valid_months AS validMonths, o.valid_until AS validUntil, o.description, t.tenant_name AS tenantName,
      o.redeem_by AS redeemBy, o.issued_at AS issuedAt, o.issued_by AS issuedBy
    FROM coupon_offers o LEFT JOIN tenants t ON t.tenant_pk = o.reserved_tenant_pk WHERE o.coupon_code = ?`,
  ).get(code) as StoredOffer | undefined;
}

/** Issues a code (its reserved tenant given by key). */
export function insertOffer(
  db: Db,
  o: Omit<OfferFields, 'tenantName'> & { reservedTenantPk: number | null; issuedAt: string; issuedBy: string },
): void {
  cachedStatement(
    db,
    `INSERT INTO coupon_offers (coupon_code, discount_type, discount_value, currency, valid_months, valid_until, description,
      reserved_tenant_pk, redeem_by, issued_at, issued_by)
    VALUES (@couponCode, @discountType, @discountValue, @currency, @validMonths, @validUntil, @description,
      @reservedTenantPk, @redeemBy, @issuedAt, @issuedBy)`,
  ).run(o);
}
