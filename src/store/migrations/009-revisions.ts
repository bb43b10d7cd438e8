/**
 * Migration 9: revisions of a statement (`void`, `reissue`).
 * - `statements` is rebuilt: UNIQUE (tenant, billing month) becomes UNIQUE (tenant, billing month,
 *   revision), with at most one open (`estimated`) row per tenant and month. `corrects_pk` is the
 *   sent revision a re-issue corrects, with its reason and who asked; a re-close after a void
 *   corrects nothing (what it replaces was never sent).
 * - `statement_voids`: a finalized statement none of whose mails was sent, withdrawn with its
 *   reason. It is kept (lines, files) and never sent.
 * - A month's current revision is its finalized, not voided revision of the highest number
 *   (`current_statements`); a revision is finalized only as the month's first current one or as the
 *   correction of the current one, with a number above every other of the month.
 * - `deliveries` is rebuilt for one more status, `withdrawn`: a mail of a voided or replaced
 *   revision that was not sent, and never will be (a trigger refuses to claim one), with the status
 *   it had (`withdrawn_from`) and the revision that replaced its statement (`withdrawn_for`), so
 *   that a void of that re-issue gives it back.
 * - `runs` is rebuilt for one more kind, `reissue` (it holds the month-end lease like a resend).
 * The runner applies it with foreign keys off (SQLite's way to rebuild a table others refer to)
 * and checks every reference before it commits.
 */
export const foreignKeysOff = true;

export const sql = `
CREATE TABLE statements_rebuilt (
  statement_pk INTEGER PRIMARY KEY,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  billing_month TEXT NOT NULL CHECK (billing_month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
  revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
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
  preset TEXT,
  summary TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  corrects_pk INTEGER REFERENCES statements (statement_pk),
  revision_reason TEXT NOT NULL DEFAULT '',
  revision_by TEXT NOT NULL DEFAULT '',
  UNIQUE (tenant_pk, billing_month, revision),
  CHECK (period_end > period_start),
  CHECK (status <> 'fixed' OR (finalized_at IS NOT NULL AND total IS NOT NULL)),
  CHECK (corrects_pk IS NULL OR (revision > 1 AND revision_reason <> ''))
) STRICT;

INSERT INTO statements_rebuilt (statement_pk, tenant_pk, billing_month, revision, period_start, period_end, status,
  currency, subtotal, tax, total, finalized_at, last_error, created_at, updated_at, preset, summary, attempts)
SELECT statement_pk, tenant_pk, billing_month, 1, period_start, period_end, status,
  currency, subtotal, tax, total, finalized_at, last_error, created_at, updated_at, preset, summary, attempts
FROM statements;

DROP TABLE statements;
ALTER TABLE statements_rebuilt RENAME TO statements;

CREATE INDEX statements_status ON statements (status, billing_month);
CREATE UNIQUE INDEX statements_open ON statements (tenant_pk, billing_month) WHERE status = 'estimated';

CREATE TABLE deliveries_rebuilt (
  delivery_pk INTEGER PRIMARY KEY,
  statement_pk INTEGER NOT NULL REFERENCES statements (statement_pk),
  contact_pk INTEGER REFERENCES contacts (contact_pk),
  recipient TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('statement', 'resend')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT,
  smtp_response TEXT,
  message_id TEXT NOT NULL UNIQUE,
  reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  last_attempt_at TEXT,
  requested_by TEXT NOT NULL DEFAULT '',
  withdrawn_from TEXT CHECK (withdrawn_from IN ('pending', 'sending', 'failed')),
  withdrawn_for INTEGER REFERENCES statements (statement_pk),
  CHECK ((withdrawn_from IS NULL) = (status <> 'withdrawn'))
) STRICT;

INSERT INTO deliveries_rebuilt (delivery_pk, statement_pk, contact_pk, recipient, kind, status, attempts,
  next_attempt_at, last_error, smtp_response, message_id, reason, created_at, updated_at, sent_at, last_attempt_at, requested_by)
SELECT delivery_pk, statement_pk, contact_pk, recipient, kind, status, attempts,
  next_attempt_at, last_error, smtp_response, message_id, reason, created_at, updated_at, sent_at, last_attempt_at, requested_by
FROM deliveries;

DROP TABLE deliveries;
ALTER TABLE deliveries_rebuilt RENAME TO deliveries;

CREATE INDEX deliveries_status ON deliveries (status, next_attempt_at);
CREATE UNIQUE INDEX deliveries_one_per_contact ON deliveries (statement_pk, contact_pk) WHERE kind = 'statement';
CREATE INDEX deliveries_statement ON deliveries (statement_pk, kind);

CREATE TABLE runs_rebuilt (
  run_pk INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  as_of TEXT NOT NULL,
  owner TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
  summary TEXT NOT NULL DEFAULT '{}',
  kind TEXT NOT NULL DEFAULT 'pass' CHECK (kind IN ('pass', 'resend', 'reissue'))
) STRICT;
INSERT INTO runs_rebuilt SELECT run_pk, started_at, finished_at, as_of, owner, status, summary, kind FROM runs;
DROP TABLE runs;
ALTER TABLE runs_rebuilt RENAME TO runs;

CREATE TABLE statement_voids (
  statement_pk INTEGER PRIMARY KEY REFERENCES statements (statement_pk),
  voided_at TEXT NOT NULL,
  voided_by TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason <> '')
) STRICT;

-- The revisions of a month that stand: finalized and not voided. The current one has the highest number.
CREATE VIEW live_statements AS
SELECT s.* FROM statements s
WHERE s.status = 'fixed' AND NOT EXISTS (SELECT 1 FROM statement_voids v WHERE v.statement_pk = s.statement_pk);

CREATE VIEW current_statements AS
SELECT s.* FROM live_statements s
WHERE NOT EXISTS (
  SELECT 1 FROM live_statements n
  WHERE n.tenant_pk = s.tenant_pk AND n.billing_month = s.billing_month AND n.revision > s.revision);

-- A finalized statement never changes (DESIGN invariant 2), as before the rebuild.
CREATE TRIGGER statements_fixed_no_update BEFORE UPDATE ON statements WHEN OLD.status = 'fixed'
BEGIN SELECT RAISE(ABORT, 'a fixed statement never changes'); END;
CREATE TRIGGER statements_fixed_no_delete BEFORE DELETE ON statements WHEN OLD.status = 'fixed'
BEGIN SELECT RAISE(ABORT, 'a fixed statement is never deleted'); END;

-- Exactly one revision of a month is current: a revision is finalized with a number above every
-- other of its month, and either as the month's first current one or as the correction of the current one.
CREATE TRIGGER statements_revision_order BEFORE UPDATE OF status ON statements
WHEN NEW.status = 'fixed' AND EXISTS (
  SELECT 1 FROM statements o WHERE o.tenant_pk = NEW.tenant_pk AND o.billing_month = NEW.billing_month
    AND o.statement_pk <> NEW.statement_pk AND o.revision >= NEW.revision)
BEGIN SELECT RAISE(ABORT, 'a revision is finalized with a number above every other of its month'); END;
CREATE TRIGGER statements_one_current BEFORE UPDATE OF status ON statements
WHEN NEW.status = 'fixed' AND NEW.corrects_pk IS NOT (
  SELECT c.statement_pk FROM current_statements c WHERE c.tenant_pk = NEW.tenant_pk AND c.billing_month = NEW.billing_month)
BEGIN SELECT RAISE(ABORT, 'a revision is finalized only as the first current one of its month or as the correction of the current one'); END;

-- Months are finalized in order: none while an earlier month of the tenant is voided and not closed again.
CREATE TRIGGER statements_months_in_order BEFORE UPDATE OF status ON statements
WHEN NEW.status = 'fixed' AND NEW.corrects_pk IS NULL AND EXISTS (
  SELECT 1 FROM statements s JOIN statement_voids v USING (statement_pk)
  WHERE s.tenant_pk = NEW.tenant_pk AND s.billing_month < NEW.billing_month
    AND NOT EXISTS (SELECT 1 FROM current_statements c WHERE c.tenant_pk = s.tenant_pk AND c.billing_month = s.billing_month))
BEGIN SELECT RAISE(ABORT, 'a month is finalized only once every earlier voided month of its tenant is closed again'); END;
-- A statement is inserted open and finalized by an update, so that the guards above see it.
CREATE TRIGGER statements_inserted_open BEFORE INSERT ON statements WHEN NEW.status <> 'estimated'
BEGIN SELECT RAISE(ABORT, 'a statement is made open and finalized afterwards'); END;

-- A void is of a month's current revision none of whose mails was sent or is being sent, and is never undone.
CREATE TRIGGER statement_voids_unsent BEFORE INSERT ON statement_voids
WHEN NOT EXISTS (SELECT 1 FROM current_statements WHERE statement_pk = NEW.statement_pk)
  OR EXISTS (SELECT 1 FROM deliveries WHERE statement_pk = NEW.statement_pk AND status IN ('sending', 'sent'))
BEGIN SELECT RAISE(ABORT, 'only the current revision of a month, none of whose mails was sent, is voided'); END;
CREATE TRIGGER statement_voids_no_update BEFORE UPDATE ON statement_voids
BEGIN SELECT RAISE(ABORT, 'a void is never changed'); END;
CREATE TRIGGER statement_voids_no_delete BEFORE DELETE ON statement_voids
BEGIN SELECT RAISE(ABORT, 'a void is never undone'); END;

-- A mail of a voided or replaced revision is never sent.
CREATE TRIGGER deliveries_current_only BEFORE UPDATE OF status ON deliveries
WHEN NEW.status = 'sending' AND OLD.status <> 'sending'
  AND NOT EXISTS (SELECT 1 FROM current_statements c WHERE c.statement_pk = NEW.statement_pk)
BEGIN SELECT RAISE(ABORT, 'a mail of a voided or replaced statement is never sent'); END;
`;
