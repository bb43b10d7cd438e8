/**
 * Migration 15: where a statement's zip is archived. On SQLite it stays a file under
 * `DATA_DIR/statements/` (nothing to change: the SQL is a comment). On PostgreSQL, the store of
 * several workers and web servers that share no folder, the zip's bytes are kept in the database
 * (`archived_zips`), one row per recorded file: written in the transaction that records the file,
 * so that no record is ever without its bytes nor bytes without their record, and deleted when the
 * retention prunes the file (its record stays, marked pruned).
 */
export const sql = `
-- SQLite: the archive is the folder DATA_DIR/statements; the store records each zip's path and SHA-256.
`;

export const postgres = `
CREATE TABLE archived_zips (
  file_pk bigint PRIMARY KEY REFERENCES statement_files (file_pk) ON DELETE CASCADE,
  bytes bytea NOT NULL
);
CREATE TRIGGER archived_zips_store_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON archived_zips
  FOR EACH STATEMENT EXECUTE FUNCTION store_version_raise();
`;
