/** Migration 4: what the outbox needs beyond migration 2: when a delivery was last tried, and who asked for a resend. */
export const sql = `
ALTER TABLE deliveries ADD COLUMN last_attempt_at TEXT;
ALTER TABLE deliveries ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_statement ON deliveries (statement_pk, kind);
`;
