import { defineConfig } from 'vitest/config';

// One `npm test` runs both projects: everything on Node, and the Worker inside workerd.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'node_modules/**'],
          // The CLI tests run bin/siglip.js, which runs dist/: built first, from these sources.
          globalSetup: ['test/setup/buildDist.ts'],
          setupFiles: ['test/setup/fiveHundredGuard.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
