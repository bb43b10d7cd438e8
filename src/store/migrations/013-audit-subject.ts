/**
 * Migration 13: the audit trail by subject (a tenant, or `*` for an entry of several tenants), newest
 * first: a tenant's month (`usage-charges audit --tenant`, the console's statement page) is read
 * from its own entries instead of the whole trail, which grows by a row per statement closed and
 * per file downloaded.
 */
export const sql = `
CREATE INDEX audit_subject_at ON audit_log (subject, at);
`;
