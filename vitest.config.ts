// Vitest configuration: every suite runs against real SQLite files in temp folders.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous on purpose: a hang still ends, a slow or busy machine does not fail a test.
    testTimeout: 10 * 60_000,
    hookTimeout: 10 * 60_000,
  },
});
