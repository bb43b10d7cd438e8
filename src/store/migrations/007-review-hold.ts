/**
 * Migration 7: statements held for review.
 * - `statement_holds`: a finalized statement whose mails wait (REVIEW_HOLD, or `hold`) until it is
 *   released (`release`, or REVIEW_HOLD_HOURS after it was held). One row per statement, which a
 *   release closes and a later hold opens again; the audit log keeps every hold and release. The
 *   statement itself never changes.
 */
export const sql = `
CREATE TABLE statement_holds (
  statement_pk INTEGER PRIMARY KEY REFERENCES statements (statement_pk),
  kind TEXT NOT NULL CHECK (kind IN ('review', 'operator')),
  held_at TEXT NOT NULL,
  held_by TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  released_at TEXT,
  released_by TEXT,
  release_reason TEXT,
  CHECK ((released_at IS NULL) = (released_by IS NULL))
) STRICT;

CREATE INDEX statement_holds_open ON statement_holds (released_at, kind, held_at);

CREATE TRIGGER statement_holds_fixed BEFORE INSERT ON statement_holds
WHEN NOT EXISTS (SELECT 1 FROM statements WHERE statement_pk = NEW.statement_pk AND status = 'fixed')
BEGIN SELECT RAISE(ABORT, 'only a finalized statement is held'); END;
`;
