/**
 * Migration 6: the encoding a tenant's statement files are written in, when the tenants file sets
 * one (`csv_encoding`); NULL: by the CSV_ENCODING setting and the tenant's locale.
 */
export const sql = `
ALTER TABLE tenants ADD COLUMN csv_encoding TEXT CHECK (csv_encoding IN ('utf8', 'utf8-bom', 'cp932'));
`;
