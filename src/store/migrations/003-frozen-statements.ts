/**
 * Migration 3: what a statement freezes (its rating preset and tree summary), usage booked late,
 * and the display names the ECL exports show (service, menu, sub-menu, plan, usage label; region).
 */
export const sql = `
ALTER TABLE statements ADD COLUMN preset TEXT;
ALTER TABLE statements ADD COLUMN summary TEXT;
ALTER TABLE statements ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN booked_month TEXT;
ALTER TABLE catalog_products ADD COLUMN service TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_products ADD COLUMN menu TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_products ADD COLUMN submenu TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_products ADD COLUMN plan TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_products ADD COLUMN usage_label TEXT NOT NULL DEFAULT '';
ALTER TABLE lplatforms ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE statement_files ADD COLUMN pruned_at TEXT;
CREATE UNIQUE INDEX statement_files_path ON statement_files (zip_path);
CREATE INDEX usage_booked ON usage_records (tenant_pk, booked_month) WHERE booked_month IS NOT NULL;
`;
