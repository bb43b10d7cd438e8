/**
 * Migration 14: a number per tenant that the store itself raises on every change to what the pages
 * show of that tenant (`tenant_changes`): its row, its contacts, its statements and everything of
 * them (voids, holds, files, file settings, deliveries), and its audit entries (an entry of several
 * tenants, subject `*`, raises each tenant it lists). Triggers raise it, in the transaction of the
 * change, whoever writes: the pass, a command, the web server, another machine. A page made from a
 * tenant's rows may be kept and shown again as long as the number has not moved (src/web, the
 * console's statement page).
 */

/** A trigger's statement raising the number of the tenant `tenantPk` (an SQL expression). */
const raise = (tenantPk: string): string =>
  `INSERT INTO tenant_changes (tenant_pk, version) SELECT ${tenantPk}, 1 WHERE ${tenantPk} IS NOT NULL
    ON CONFLICT (tenant_pk) DO UPDATE SET version = version + 1;`;

/**
 * The tables whose rows belong to a tenant, and how a row names it (`R.` stands for NEW. or OLD.).
 * A row never moves to another tenant (no update changes its tenant_pk or statement_pk), so an
 * update raises the number of the tenant it belongs to.
 */
export const OWNED: readonly { table: string; tenant: string }[] = [
  { table: 'tenants', tenant: 'R.tenant_pk' },
  { table: 'contacts', tenant: 'R.tenant_pk' },
  { table: 'statements', tenant: 'R.tenant_pk' },
  ...['statement_voids', 'statement_holds', 'statement_files', 'statement_file_settings', 'deliveries'].map(
    (table) => ({ table, tenant: '(SELECT s.tenant_pk FROM statements s WHERE s.statement_pk = R.statement_pk)' }),
  ),
];

const of = (tenant: string, row: 'NEW' | 'OLD'): string => tenant.replaceAll('R.', `${row}.`);

const triggers = OWNED.map(
  ({ table, tenant }) => `CREATE TRIGGER ${table}_changes_insert AFTER INSERT ON ${table} BEGIN
  ${raise(of(tenant, 'NEW'))}
END;

CREATE TRIGGER ${table}_changes_update AFTER UPDATE ON ${table} BEGIN
  ${raise(of(tenant, 'NEW'))}
END;

CREATE TRIGGER ${table}_changes_delete AFTER DELETE ON ${table} BEGIN
  ${raise(of(tenant, 'OLD'))}
END;`,
);

/** An audit entry raises its tenant's number, or (subject `*`) those of the tenants it lists. */
const audit = `CREATE TRIGGER audit_log_changes_insert AFTER INSERT ON audit_log BEGIN
  ${raise('(SELECT t.tenant_pk FROM tenants t WHERE t.tenant_name = NEW.subject)')}
  INSERT INTO tenant_changes (tenant_pk, version)
    SELECT t.tenant_pk, 1
    FROM json_each(CASE WHEN NEW.subject = '*' AND json_valid(NEW.detail) THEN NEW.detail ELSE '{}' END, '$.tenants') j
      JOIN tenants t ON t.tenant_name = j.value
    WHERE true
    ON CONFLICT (tenant_pk) DO UPDATE SET version = version + 1;
END;`;

export const sql = `
CREATE TABLE tenant_changes (
  tenant_pk INTEGER PRIMARY KEY,
  version INTEGER NOT NULL
) STRICT;

${triggers.join('\n\n')}

${audit}
`;
