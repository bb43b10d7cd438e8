/** Migration 1: tenants, contacts, L-Platforms, the versioned catalog, usage records, coupons, audit log. */
export const sql = `
CREATE TABLE tenants (
  tenant_pk INTEGER PRIMARY KEY,
  tenant_name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  cutoff_day INTEGER NOT NULL CHECK (cutoff_day BETWEEN 1 AND 31),
  pending_cutoff_day INTEGER CHECK (pending_cutoff_day BETWEEN 1 AND 31),
  pending_cutoff_requested_at TEXT,
  locale TEXT NOT NULL CHECK (locale IN ('ja', 'en')),
  currency TEXT NOT NULL CHECK (currency IN ('JPY', 'USD', 'EUR', 'SGD')),
  deleted_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
-- Names become file names: two that differ only in letter case would collide on some file systems.
CREATE UNIQUE INDEX tenants_name_nocase ON tenants (tenant_name COLLATE NOCASE);

CREATE TABLE contacts (
  contact_pk INTEGER PRIMARY KEY,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  email TEXT NOT NULL COLLATE NOCASE,
  contact_name TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant_pk, email)
) STRICT;

CREATE TABLE lplatforms (
  lplatform_pk INTEGER PRIMARY KEY,
  lplatform_id TEXT NOT NULL UNIQUE,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  lplatform_name TEXT NOT NULL,
  returned_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX lplatforms_tenant ON lplatforms (tenant_pk);
CREATE UNIQUE INDEX lplatforms_id_nocase ON lplatforms (lplatform_id COLLATE NOCASE);

CREATE TABLE catalog_products (
  catalog_pk INTEGER PRIMARY KEY,
  product_id TEXT NOT NULL,
  priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 999),
  applicable_from TEXT NOT NULL,
  applicable_to TEXT,
  category TEXT NOT NULL,
  resource_identifier TEXT NOT NULL,
  unit_code TEXT NOT NULL,
  unit_price TEXT NOT NULL,
  product_name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  charge_type TEXT NOT NULL,
  time_basis TEXT NOT NULL CHECK (time_basis IN ('deployed', 'operating')),
  monthly_cap TEXT,
  plan_group TEXT NOT NULL DEFAULT '',
  rule TEXT NOT NULL DEFAULT '',
  rule_params TEXT NOT NULL DEFAULT '',
  currency TEXT NOT NULL CHECK (currency IN ('JPY', 'USD', 'EUR', 'SGD')),
  created_at TEXT NOT NULL,
  UNIQUE (product_id, priority)
) STRICT;

CREATE TABLE usage_records (
  usage_pk INTEGER PRIMARY KEY,
  record_id TEXT NOT NULL UNIQUE,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  lplatform_pk INTEGER NOT NULL REFERENCES lplatforms (lplatform_pk),
  resource_id TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  resource_kind TEXT NOT NULL,
  component TEXT NOT NULL DEFAULT '',
  product_id TEXT NOT NULL,
  time_kind TEXT NOT NULL CHECK (time_kind IN ('deployed', 'operating', 'quantity')),
  start_at TEXT NOT NULL,
  end_at TEXT,
  quantity TEXT NOT NULL,
  cpu_count INTEGER,
  clock_ghz TEXT,
  size_gb TEXT,
  vm_count INTEGER,
  vcpu INTEGER,
  created_at TEXT NOT NULL,
  CHECK ((time_kind = 'quantity') = (end_at IS NULL)),
  CHECK (end_at IS NULL OR end_at > start_at)
) STRICT;
CREATE INDEX usage_tenant_start ON usage_records (tenant_pk, start_at);
CREATE INDEX usage_slot ON usage_records (tenant_pk, resource_id, component, product_id, time_kind, start_at);

CREATE TABLE coupons (
  coupon_pk INTEGER PRIMARY KEY,
  coupon_code TEXT NOT NULL UNIQUE,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  registered_at TEXT NOT NULL,
  discount_type TEXT NOT NULL CHECK (discount_type IN ('amount', 'percent')),
  discount_value TEXT NOT NULL,
  valid_months INTEGER CHECK (valid_months > 0),
  valid_until TEXT,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  CHECK (valid_months IS NOT NULL OR valid_until IS NOT NULL)
) STRICT;
CREATE INDEX coupons_tenant ON coupons (tenant_pk);

CREATE TABLE audit_log (
  audit_pk INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_action_at ON audit_log (action, at);
`;
