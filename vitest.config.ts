// Vitest configuration: every suite runs against real SQLite files in temp folders (project
// `sqlite`); the store's and the jobs' integration tests and the command-line and web scenarios
// run again on PostgreSQL (project `postgres`, each data dir a database of the run's throwaway
// cluster: test/global-setup.ts, test/helpers/store-engine.ts).
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
          include: [...BOTH_ENGINES, 'test/scenarios/**/*.test.ts'],
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
            // Scenarios of SQLite's own: the embedded install's first day, its systemd unit and
            // `npm start` (install, systemd, schedule), faults of its store file and of zips on
            // disk (store-faults), file modes and files on disk (security), and one pass at a time
            // under the month-end lease with SQLite's busy waits (run-lock, concurrency,
            // busy-store-send, kill-matrix). Several workers at once on PostgreSQL, its first day
            // and its kill matrix are postgres-cli and kill-matrix-postgres (in the sqlite project,
            // each on databases of its own); bench runs both engines itself.
            ...[
              'install',
              'systemd',
              'schedule',
              'store-faults',
              'security',
              'run-lock',
              'concurrency',
              'busy-store-send',
              'kill-matrix',
              'kill-matrix-postgres',
              'postgres-cli',
              'bench',
            ].map((name) => `test/scenarios/${name}.test.ts`),
          ],
          env: { TEST_STORE_ENGINE: 'postgres' },
        },
      },
    ],
  },
});
