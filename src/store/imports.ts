/** What the store remembers of earlier imports: the month the demo was seeded for. */
import { cachedStatement, type Db } from './db.ts';

/** The month the demo was last seeded for (`seed-demo`), when it was seeded. */
export function seededDemoMonth(db: Db): string | undefined {
  return cachedStatement(
    db,
    "SELECT json_extract(detail, '$.month') FROM audit_log WHERE action = 'seed-demo' ORDER BY audit_pk DESC LIMIT 1",
  )
    .pluck()
    .get() as string | undefined;
}
