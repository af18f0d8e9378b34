/** The gateway app wired for unit tests: fetch transport (msw answers), memory limiter, fake clock. */
import { createGatewayApp, type GatewaySettings } from '../../../gateway/app';
import { MemoryKeyStore } from '../../../gateway/auth/memoryKeyStore';
import type { KeysFile } from '../../../gateway/auth/keysFile';
import { BackendPool } from '../../../gateway/backends/backendPool';
import { fetchTransport } from '../../../gateway/backends/fetchTransport';
import { ModelCatalog } from '../../../gateway/backends/modelCatalog';
import { MemoryTtlCache } from '../../../gateway/cache/memoryTtlCache';
import { MemoryRateLimiter } from '../../../gateway/ratelimit/memoryRateLimiter';
import type { RateLimiter } from '../../../gateway/types';
import type { Logger } from '../../../shared/log/logger';
import { fakeClock, type FakeClock } from './fakeClock';

export interface TestGatewayOptions {
  backends: string[];
  keys: KeysFile;
  limiter?: RateLimiter;
  settings?: Partial<GatewaySettings>;
  requestTimeoutMs?: number;
  healthIntervalMs?: number;
  token?: string;
  /** The app's and the pool's logger (default: none). */
  log?: Logger;
}

export function testGateway(opts: TestGatewayOptions) {
  const clock: FakeClock = fakeClock();
  const pool = new BackendPool(
    opts.backends.map((url, i) => ({ name: `backend-${i + 1}`, url })),
    fetchTransport(),
    { clock, requestTimeoutMs: opts.requestTimeoutMs ?? 5_000, healthIntervalMs: opts.healthIntervalMs ?? 60_000, token: opts.token ?? 'shared-secret', log: opts.log?.child({ component: 'backends' }) },
  );
  const catalog = new ModelCatalog(pool, { clock });
  const app = createGatewayApp({
    keys: new MemoryKeyStore(opts.keys),
    limiter: opts.limiter ?? new MemoryRateLimiter(clock),
    pool,
    catalog,
    cache: new MemoryTtlCache(clock),
    clock,
    log: opts.log,
    settings: opts.settings,
  });
  return { app, clock, pool, catalog };
}
