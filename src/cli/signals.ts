/** Graceful shutdown on SIGINT/SIGTERM: the first asks the work to stop after the message in flight; a second ends the process at once. */

/** A stop request shared by the work of a verb. */
export interface StopSignal {
  /** True once SIGINT or SIGTERM arrived. */
  readonly requested: boolean;
  /** Resolves when a stop is requested. */
  readonly whenRequested: Promise<string>;
  /** Removes the handlers. */
  dispose(): void;
}

/** Installs the handlers; `onFirst` is told which signal arrived. */
export function onStopSignals(onFirst: (signal: string) => void = () => undefined): StopSignal {
  let requested = false;
  let resolve!: (s: string) => void;
  const whenRequested = new Promise<string>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals): void => {
    if (requested) {
      // A second signal: the operator insists. Exit now; the lease expires and the next pass resumes.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    requested = true;
    onFirst(signal);
    resolve(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return requested;
    },
    whenRequested,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
