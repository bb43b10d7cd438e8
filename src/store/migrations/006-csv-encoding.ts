/**
 * Migration 6: statement file encodings.
 * - `tenants.csv_encoding`: the encoding a tenant's statement files are written in, when the
 *   tenants file sets one; NULL: by the CSV_ENCODING setting and the tenant's locale.
 * - `statement_file_settings`: the file settings that replace those frozen with a finalized
 *   statement whose files could not be written (`set-file-encoding`). The statement itself never
 *   changes; a replacement is made, changed or removed only while the statement has no files.
 */
export const sql = `
ALTER TABLE tenants ADD COLUMN csv_encoding TEXT CHECK (csv_encoding IN ('utf8', 'utf8-bom', 'cp932'));

CREATE TABLE statement_file_settings (
  statement_pk INTEGER PRIMARY KEY REFERENCES statements (statement_pk),
  files TEXT NOT NULL CHECK (json_valid(files)),
  changed_at TEXT NOT NULL
) STRICT;

CREATE TRIGGER statement_file_settings_insert BEFORE INSERT ON statement_file_settings
WHEN EXISTS (SELECT 1 FROM statement_files WHERE statement_pk = NEW.statement_pk)
  OR NOT EXISTS (SELECT 1 FROM statements WHERE statement_pk = NEW.statement_pk AND status = 'fixed')
BEGIN SELECT RAISE(ABORT, 'the file settings of a statement change only while it is finalized and has no files'); END;

CREATE TRIGGER statement_file_settings_update BEFORE UPDATE ON statement_file_settings
WHEN EXISTS (SELECT 1 FROM statement_files WHERE statement_pk IN (OLD.statement_pk, NEW.statement_pk))
BEGIN SELECT RAISE(ABORT, 'the file settings of a statement change only while it is finalized and has no files'); END;

CREATE TRIGGER statement_file_settings_delete BEFORE DELETE ON statement_file_settings
WHEN EXISTS (SELECT 1 FROM statement_files WHERE statement_pk = OLD.statement_pk)
BEGIN SELECT RAISE(ABORT, 'the file settings of a statement change only while it is finalized and has no files'); END;
`;
