/**
 * Migration 8: manual adjustments (`import adjustments`): a credit (negative) or debit (positive)
 * amount of a tenant, or of one of its L-Platforms, billed in one billing month with its reason.
 * - `adjustment_id`: the import's idempotency key.
 * - `billing_month`: the month it is billed in; when the file left it empty, the tenant's next
 *   open month at the import, resolved then and stored (`month_given` = 0).
 * - `amount`: signed decimal text; `taxed`: 1 when consumption tax applies to it.
 */
export const sql = `
CREATE TABLE adjustments (
  adjustment_pk INTEGER PRIMARY KEY,
  adjustment_id TEXT NOT NULL UNIQUE,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  lplatform_pk INTEGER REFERENCES lplatforms (lplatform_pk),
  billing_month TEXT NOT NULL CHECK (billing_month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
  month_given INTEGER NOT NULL CHECK (month_given IN (0, 1)),
  amount TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason <> ''),
  taxed INTEGER NOT NULL CHECK (taxed IN (0, 1)),
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX adjustments_tenant_month ON adjustments (tenant_pk, billing_month);
`;
