/** What an operator's request names, checked against the store before a job or a verb acts on it. */
import { InputError } from '../src/domain/errors.ts';
import { tenantExists } from '../src/store/billing.ts';
import type { Db } from '../src/store/db.ts';

/** Refuses (InputError on `--tenant`) a tenant name the store does not know. */
export function requireTenant(db: Db, tenantName: string): void {
  if (!tenantExists(db, tenantName))
    throw new InputError(`--tenant: tenant ${JSON.stringify(tenantName)} does not exist`);
}
