/** Work on a stream of items, a few at a time. */

/** A promise, or any object with a `then` (what `await` waits for). */
function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs `work` on the items `next` hands out, by `workers` workers at once, until `next` gives
 * `undefined` (it may wait for an item: a promise). A worker asks for its next item only once its
 * item in flight is done, so the promise settles after every item taken is finished. A worker
 * whose work fails takes no further item; the others go on. The promise rejects, after all the
 * workers ended, with the first failure, if any.
 */
export async function forEachConcurrently<T>(
  next: () => T | undefined | PromiseLike<T | undefined>,
  workers: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  // Set by the workers' handlers (hence the cast: the compiler would take it for always null).
  let failure = null as { error: unknown } | null;
  const worker = async (): Promise<void> => {
    for (;;) {
      const taken = next();
      // An item at hand starts at once (no turn of the event loop between taking and starting it).
      const item = isPromiseLike(taken) ? await taken : taken;
      if (item === undefined) return;
      await work(item);
    }
  };
  await Promise.all(
    Array.from({ length: workers }, () =>
      worker().catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure !== null) throw failure.error;
}
