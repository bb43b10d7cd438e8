/**
 * Migration 12: the coupon codes the billing team issues (`coupon_offers`, the `coupon-offers`
 * import), which a tenant's owner registers on the portal (a row of `coupons` with the same code).
 * An offer may be reserved for one tenant (`reserved_tenant_pk`) and registered until a date
 * (`redeem_by`, in the billing time zone); `issued_at` and `issued_by` record the import. An amount
 * off is in its `currency`: only a tenant billed in that currency can register it.
 */
export const sql = `
CREATE TABLE coupon_offers (
  offer_pk INTEGER PRIMARY KEY,
  coupon_code TEXT NOT NULL UNIQUE CHECK (length(coupon_code) = 12 AND coupon_code NOT GLOB '*[^A-Z0-9]*'),
  discount_type TEXT NOT NULL CHECK (discount_type IN ('amount', 'percent')),
  discount_value TEXT NOT NULL,
  currency TEXT CHECK ((discount_type = 'amount') = (currency IS NOT NULL)),
  valid_months INTEGER CHECK (valid_months > 0),
  valid_until TEXT,
  description TEXT NOT NULL DEFAULT '',
  reserved_tenant_pk INTEGER REFERENCES tenants (tenant_pk),
  redeem_by TEXT,
  issued_at TEXT NOT NULL,
  issued_by TEXT NOT NULL DEFAULT '',
  CHECK (valid_months IS NOT NULL OR valid_until IS NOT NULL)
) STRICT;
`;
