import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../../src/domain/concurrency.ts';

/** Hands out 0..count-1, then undefined. */
function counter(count: number): () => number | undefined {
  let i = 0;
  return () => (i < count ? i++ : undefined);
}

/** A promise that settles after a few turns of the event loop. */
function later(turns: number): Promise<void> {
  return turns === 0
    ? Promise.resolve()
    : new Promise((resolve) => setImmediate(() => void later(turns - 1).then(resolve)));
}

describe('forEachConcurrently', () => {
  it('works on every item once, never more than the workers at once', async () => {
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    await forEachConcurrently(counter(25), 4, async (i) => {
      running += 1;
      most = Math.max(most, running);
      await later(i % 3);
      seen.push(i);
      running -= 1;
    });
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(most).toBe(4);
  });

  it('hands the items out in order', async () => {
    const started: number[] = [];
    await forEachConcurrently(counter(10), 3, async (i) => {
      started.push(i);
      await later(1);
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('starts as many workers as asked, each asking for an item, and none with zero', async () => {
    let asked = 0;
    await forEachConcurrently(
      () => {
        asked += 1;
        return undefined;
      },
      3,
      async () => {},
    );
    expect(asked).toBe(3);
    asked = 0;
    await forEachConcurrently(
      () => {
        asked += 1;
        return 1;
      },
      0,
      async () => {},
    );
    expect(asked).toBe(0);
  });

  it('waits for items that come later', async () => {
    const items = [1, 2, 3, 4, 5];
    const done: number[] = [];
    await forEachConcurrently(
      async () => {
        await later(1);
        return items.shift();
      },
      2,
      async (i) => {
        await later(2);
        done.push(i);
      },
    );
    expect([...done].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('ends after every item in flight is done, with the first failure; the other workers go on', async () => {
    const done: number[] = [];
    const failing = forEachConcurrently(counter(8), 3, async (i) => {
      await later(i === 0 ? 1 : 3);
      if (i === 0) throw new Error('first');
      if (i === 1) throw new Error('second');
      done.push(i);
    });
    await expect(failing).rejects.toThrow('first');
    // Worker 1 stopped at item 0 and worker 2 at item 1; the third took every other item.
    expect(done).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('does not settle before a slow item in flight is done, even after a failure', async () => {
    let slowDone = false;
    const failing = forEachConcurrently(counter(2), 2, async (i) => {
      if (i === 0) throw new Error('at once');
      await later(5);
      slowDone = true;
    });
    await expect(failing).rejects.toThrow('at once');
    expect(slowDone).toBe(true);
  });

  it('stops a worker whose next item cannot be had, with that failure', async () => {
    let calls = 0;
    await expect(
      forEachConcurrently(
        () => {
          calls += 1;
          if (calls === 2) throw new Error('no page');
          return calls < 5 ? calls : undefined;
        },
        1,
        async () => {},
      ),
    ).rejects.toThrow('no page');
    expect(calls).toBe(2);
  });

  it('starts an item at hand at once, before other queued work', async () => {
    const events: string[] = [];
    const run = forEachConcurrently(counter(1), 1, async () => {
      events.push('work');
    });
    events.push('after call');
    await run;
    expect(events).toEqual(['work', 'after call']);
  });
});
