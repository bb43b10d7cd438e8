/**
 * Before any test: the compiled program (dist/) is built from the current sources, since the tests
 * that start the real `usage-charges` process, and the statement-files thread, run it.
 */
// @ts-expect-error: a plain JavaScript module without types.
import { build } from '../scripts/build.js';

export default async function setup(): Promise<void> {
  await (build as (options: { ifStale: boolean }) => Promise<boolean>)({ ifStale: true });
}
