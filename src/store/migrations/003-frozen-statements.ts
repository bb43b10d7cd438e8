/** Migration 3: what a statement freezes (its rating preset and tree summary), and usage booked late. */
export const sql = `
ALTER TABLE statements ADD COLUMN preset TEXT;
ALTER TABLE statements ADD COLUMN summary TEXT;
ALTER TABLE statements ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN booked_month TEXT;
CREATE INDEX usage_booked ON usage_records (tenant_pk, booked_month) WHERE booked_month IS NOT NULL;
`;
