/** Migration 2: statements and their charge lines, deliveries (the outbox), runs and the run lock. */
export const sql = `
CREATE TABLE statements (
  statement_pk INTEGER PRIMARY KEY,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  billing_month TEXT NOT NULL CHECK (billing_month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('estimated', 'fixed')),
  currency TEXT NOT NULL,
  subtotal TEXT,
  tax TEXT,
  total TEXT,
  finalized_at TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant_pk, billing_month),
  CHECK (period_end > period_start),
  CHECK (status <> 'fixed' OR (finalized_at IS NOT NULL AND total IS NOT NULL))
) STRICT;
CREATE INDEX statements_status ON statements (status, billing_month);

CREATE TABLE charge_lines (
  line_pk INTEGER PRIMARY KEY,
  statement_pk INTEGER NOT NULL REFERENCES statements (statement_pk),
  seq INTEGER NOT NULL,
  line_kind TEXT NOT NULL CHECK (line_kind IN ('usage', 'fee', 'cap', 'allowance', 'free_link', 'adjustment', 'coupon', 'tax')),
  lplatform_id TEXT NOT NULL DEFAULT '',
  lplatform_name TEXT NOT NULL DEFAULT '',
  lplatform_returned_at TEXT,
  resource_id TEXT NOT NULL DEFAULT '',
  resource_name TEXT NOT NULL DEFAULT '',
  resource_kind TEXT NOT NULL DEFAULT '',
  product_id TEXT NOT NULL DEFAULT '',
  item_columns TEXT NOT NULL DEFAULT '[]',
  unit_price TEXT NOT NULL DEFAULT '',
  used TEXT NOT NULL DEFAULT '',
  amount TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}',
  UNIQUE (statement_pk, seq)
) STRICT;

-- A finalized statement and its lines never change (DESIGN invariant 2); the database itself refuses.
CREATE TRIGGER statements_fixed_no_update BEFORE UPDATE ON statements WHEN OLD.status = 'fixed'
BEGIN SELECT RAISE(ABORT, 'a fixed statement never changes'); END;
CREATE TRIGGER statements_fixed_no_delete BEFORE DELETE ON statements WHEN OLD.status = 'fixed'
BEGIN SELECT RAISE(ABORT, 'a fixed statement is never deleted'); END;
CREATE TRIGGER charge_lines_no_update BEFORE UPDATE ON charge_lines
BEGIN SELECT RAISE(ABORT, 'charge lines never change'); END;
CREATE TRIGGER charge_lines_fixed_no_delete BEFORE DELETE ON charge_lines
WHEN (SELECT status FROM statements WHERE statement_pk = OLD.statement_pk) = 'fixed'
BEGIN SELECT RAISE(ABORT, 'the lines of a fixed statement are never deleted'); END;
CREATE TRIGGER charge_lines_fixed_no_insert BEFORE INSERT ON charge_lines
WHEN (SELECT status FROM statements WHERE statement_pk = NEW.statement_pk) = 'fixed'
BEGIN SELECT RAISE(ABORT, 'a fixed statement takes no new lines'); END;

CREATE TABLE statement_files (
  file_pk INTEGER PRIMARY KEY,
  statement_pk INTEGER NOT NULL UNIQUE REFERENCES statements (statement_pk),
  zip_name TEXT NOT NULL,
  zip_path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE deliveries (
  delivery_pk INTEGER PRIMARY KEY,
  statement_pk INTEGER NOT NULL REFERENCES statements (statement_pk),
  contact_pk INTEGER REFERENCES contacts (contact_pk),
  recipient TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('statement', 'resend')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT,
  smtp_response TEXT,
  message_id TEXT NOT NULL UNIQUE,
  reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT
) STRICT;
CREATE INDEX deliveries_status ON deliveries (status, next_attempt_at);
CREATE UNIQUE INDEX deliveries_one_per_contact ON deliveries (statement_pk, contact_pk) WHERE kind = 'statement';

CREATE TABLE runs (
  run_pk INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  as_of TEXT NOT NULL,
  owner TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
  summary TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE run_lock (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
`;
