// Worker tests: run inside workerd via @cloudflare/vitest-pool-workers, with the bindings of wrangler.toml.
// The backend is played by a fetch stub inside the test isolate; nothing leaves the machine.
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Offline: no request.cf download, no metrics, no banner (unless the caller decided otherwise).
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.WRANGLER_HIDE_BANNER ??= 'true';

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: './gateway/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          BACKENDS: 'gpu-a=http://backend-a.test',
          BACKEND_TOKEN: 'worker-test-secret',
          CACHE_TTL_SECONDS: '30',
          HEALTH_INTERVAL_MS: '60000',
        },
      },
    }),
  ],
  test: {
    name: 'worker',
    include: ['test/worker/**/*.test.ts'],
  },
});
