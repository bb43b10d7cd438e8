/**
 * Values a page computed from the store, kept per open store (a test's many stores never mix) for
 * the most recently used `max` keys. The key must name everything the value depends on: what never
 * changes (a frozen revision), or the number the store raises on each change (tenantChanges).
 */
import type { Db } from '../store/db.ts';

export class Kept<T> {
  private readonly byStore = new WeakMap<Db, Map<string, T>>();

  constructor(private readonly max: number) {}

  /** The value kept under `key`, else `compute()`'s, kept unless undefined. */
  get(db: Db, key: string, compute: () => T | undefined): T | undefined {
    let kept = this.byStore.get(db);
    if (kept === undefined) this.byStore.set(db, (kept = new Map()));
    const found = kept.get(key);
    const value = found !== undefined ? found : compute();
    if (value === undefined) return undefined;
    // Most recently used last; the least recently used goes first when there are too many.
    kept.delete(key);
    kept.set(key, value);
    if (kept.size > this.max) kept.delete(kept.keys().next().value!);
    return value;
  }
}
