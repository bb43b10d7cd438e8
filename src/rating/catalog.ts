/** The price in force: which catalog version applies at an instant, and where that changes. */
import { byText } from '../domain/text.ts';
import { RatingError } from './errors.ts';
import type { CatalogVersion } from './types.ts';

/** The catalog versions of a period, indexed by product. */
export class Catalog {
  private readonly byProduct = new Map<string, CatalogVersion[]>();
  private readonly clocks = new Map<string, string>();

  constructor(versions: readonly CatalogVersion[]) {
    for (const v of versions) {
      const list = this.byProduct.get(v.productId) ?? [];
      list.push(v);
      this.byProduct.set(v.productId, list);
    }
    for (const list of this.byProduct.values()) list.sort((a, b) => b.priority - a.priority);
    // The clock price of a CPU pool is the cpu_clock product with the same resource identifier.
    for (const [id, list] of [...this.byProduct].sort(([a], [b]) => byText(a, b))) {
      const v = list[0]!;
      const key = `${v.currency}|${v.resourceIdentifier}`;
      if (v.category === 'cpu_clock' && !this.clocks.has(key)) this.clocks.set(key, id);
    }
  }

  /** Every version of a product, highest priority first; an unknown product is an error. */
  versions(productId: string): CatalogVersion[] {
    const list = this.byProduct.get(productId);
    if (!list) throw new RatingError(`product ${productId} is not in the catalog`);
    return list;
  }

  /** Any version of a product: they share category, unit, charge type, rule and currency. */
  describe(productId: string): CatalogVersion {
    return this.versions(productId)[0]!;
  }

  /** One version of a product by its priority. */
  version(productId: string, priority: number): CatalogVersion {
    const v = this.versions(productId).find((x) => x.priority === priority);
    if (!v) throw new RatingError(`product ${productId} has no version of priority ${priority}`);
    return v;
  }

  /** The version in force at `t` (the highest priority whose applicable period holds `t`); none is an error. */
  at(productId: string, t: number): CatalogVersion {
    const v = this.versions(productId).find((x) => x.from <= t && (x.to === null || t <= x.to));
    if (!v) throw new RatingError(`product ${productId} has no price in force at ${new Date(t).toISOString()}`);
    return v;
  }

  /** The instants inside (start, end) at which the version in force may change. */
  changesWithin(productId: string, start: number, end: number): number[] {
    const out: number[] = [];
    for (const v of this.versions(productId)) {
      if (v.from > start && v.from < end) out.push(v.from);
      if (v.to !== null && v.to + 1 > start && v.to + 1 < end) out.push(v.to + 1);
    }
    return out;
  }

  /** The cpu_clock product that prices the clock of a CPU product's pool. */
  clockFor(cpu: CatalogVersion): string {
    const id = this.clocks.get(`${cpu.currency}|${cpu.resourceIdentifier}`);
    if (!id)
      throw new RatingError(
        `product ${cpu.productId} (cpu, ${cpu.resourceIdentifier}) has no cpu_clock product for its pool`,
      );
    return id;
  }
}

/** Splits [start, end) at the given instants (those outside are ignored), in order. */
export function splitAt(start: number, end: number, cuts: readonly number[]): [number, number][] {
  const points = [...new Set(cuts.filter((c) => c > start && c < end))].sort((a, b) => a - b);
  const pieces: [number, number][] = [];
  let s = start;
  for (const p of points) {
    pieces.push([s, p]);
    s = p;
  }
  pieces.push([s, end]);
  return pieces;
}
