// Vitest configuration: every suite runs against real SQLite files in temp folders (project
// `sqlite`); the store's and the jobs' integration tests run again on PostgreSQL (project
// `postgres`, on the run's throwaway cluster: test/global-setup.ts).
import os from 'node:os';
import { defineConfig } from 'vitest/config';

/** The integration tests that run on both engines (tempStore() opens the engine TEST_STORE_ENGINE names). */
const BOTH_ENGINES = ['close', 'deliver', 'files', 'ingest', 'mail', 'store'].map(
  (folder) => `test/integration/${folder}/**/*.test.ts`,
);

export default defineConfig({
  test: {
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
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: BOTH_ENGINES,
          // Tests of SQLite's own file, of the files thread (SQLite's alone: on PostgreSQL the files
          // step writes every zip, the workers sharing them), or of the PostgreSQL engine itself:
          // the sqlite project runs them.
          exclude: [
            'test/integration/store/migrations.test.ts',
            'test/integration/files/files-thread.test.ts',
            // One pass at a time under the month-end lease is SQLite's; several workers passing at
            // once on PostgreSQL are proven by test/scenarios/postgres-cli and kill-matrix-postgres.
            'test/integration/deliver/pass.test.ts',
            'test/integration/store/leases.test.ts',
            'test/integration/store/postgres-*.test.ts',
          ],
          env: { TEST_STORE_ENGINE: 'postgres' },
        },
      },
    ],
  },
});
