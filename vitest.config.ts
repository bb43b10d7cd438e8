// Vitest configuration: every suite runs against real SQLite files in temp folders.
import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Each test file in its own process: in-process runs of the command line set the process's
    // working directory, and the umask is set per file (test/helpers/setup.ts).
    pool: 'forks',
    // One test file per core (the default leaves one core to the runner, which mostly waits).
    maxWorkers: os.availableParallelism(),
    setupFiles: ['test/helpers/setup.ts'],
    // Generous on purpose: a hang still ends, a slow or busy machine does not fail a test.
    testTimeout: 10 * 60_000,
    hookTimeout: 10 * 60_000,
  },
});
