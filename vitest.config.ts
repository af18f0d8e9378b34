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
