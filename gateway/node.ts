/** The gateway on Node: @hono/node-server, undici keep-alive pools, in-memory buckets and TTL cache, a keys file. */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { z } from 'zod';
import { createLogger } from '../shared/log/createLogger';
import { LOG_LEVELS, type Logger } from '../shared/log/logger';
import { createGatewayApp } from './app';
import { MemoryKeyStore } from './auth/memoryKeyStore';
import { emptyKeysFile, keysFileSchema, parseKeysFile, type KeysFile } from './auth/keysFile';
import { BackendPool } from './backends/backendPool';
import { ModelCatalog } from './backends/modelCatalog';
import { undiciTransport } from './backends/undiciTransport';
import { MemoryTtlCache } from './cache/memoryTtlCache';
import { nodeBodyReader, nodeBodyRelay, releaseNodeBody } from './body/nodeBody';
import { describeConfigError, parseBackendList, sharedSettingsSchema } from './config';
import { MemoryRateLimiter } from './ratelimit/memoryRateLimiter';
import type { Clock } from './types';

/** Options of `startGateway`. */
export const startGatewayOptionsSchema = sharedSettingsSchema.extend({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  /** `URL` or `name=URL`, one per backend. */
  backends: z.array(z.string()).min(1, 'at least one backend is required'),
  /** Path of the keys file (see `siglip keys create`). */
  keysFile: z.string().optional(),
  /** Keys given inline instead of a file (tests). */
  keys: keysFileSchema.optional(),
  /** Keep-alive connections per backend. */
  connections: z.number().int().positive().default(256),
  /** Level of the default logger (a logger passed to startGateway keeps its own). */
  logLevel: z.enum(LOG_LEVELS).default('info'),
});

export type StartGatewayOptions = z.input<typeof startGatewayOptionsSchema>;

/** A running gateway. */
export interface RunningGateway {
  url: string;
  /** Re-reads the keys file (the CLI calls this on SIGHUP); in-flight requests keep the keys they had. */
  reloadKeys(): Promise<void>;
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

/**
 * Starts the gateway; resolves once it listens. Without keys every model route answers 401. `logger` is the
 * gateway's own (the CLI passes a child with `service: 'gateway'`); by default a JSON logger at `logLevel`.
 */
export async function startGateway(options: StartGatewayOptions, logger?: Logger): Promise<RunningGateway> {
  const parsed = startGatewayOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(describeConfigError('gateway options', parsed.error));
  const opts = parsed.data;
  const log = logger ?? createLogger({ level: opts.logLevel }).child({ service: 'gateway' });
  const targets = parseBackendList(opts.backends);
  const readKeys = async () => opts.keys ?? (opts.keysFile ? await loadKeysFile(opts.keysFile) : emptyKeysFile());
  let keyStore = new MemoryKeyStore(await readKeys());

  const clock = systemClock;
  const transport = undiciTransport({ connections: opts.connections });
  const pool = new BackendPool(targets, transport.send, {
    clock,
    requestTimeoutMs: opts.requestTimeoutMs,
    healthIntervalMs: opts.healthIntervalMs,
    token: opts.backendToken,
    log: log.child({ component: 'backends' }),
  });
  const catalog = new ModelCatalog(pool, { clock });
  const app = createGatewayApp({
    keys: { lookup: (key) => keyStore.lookup(key) },
    limiter: new MemoryRateLimiter(clock),
    pool,
    catalog,
    cache: new MemoryTtlCache(clock),
    clock,
    log,
    readBody: nodeBodyReader,
    relayBody: nodeBodyRelay,
    releaseBody: releaseNodeBody,
    settings: { cacheTtlSeconds: opts.cacheTtlSeconds, limiterFailure: opts.limiterFailure, relayJsonFromBytes: opts.relayJsonFromBytes, maxBodyWaitMs: opts.maxBodyWaitMs },
  });

  void pool.checkHealth();
  const timer = setInterval(() => void pool.checkHealth(), opts.healthIntervalMs);
  timer.unref();

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    async reloadKeys() {
      keyStore = new MemoryKeyStore(await readKeys());
    },
    async close() {
      clearInterval(timer);
      const http = server as unknown as { closeIdleConnections(): void; closeAllConnections(): void };
      // Stop accepting, let requests in flight finish, and close each kept-alive connection as soon as it
      // goes idle (server.close alone would wait out the keep-alive timeout); past the request timeout, cut.
      const sweep = setInterval(() => http.closeIdleConnections(), 50);
      const cut = setTimeout(() => http.closeAllConnections(), opts.requestTimeoutMs);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearInterval(sweep);
      clearTimeout(cut);
      await transport.close();
    },
  };
}

/** Reads and validates a keys file; the error names the file and the field. */
export async function loadKeysFile(path: string): Promise<KeysFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`keys file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (create one with `siglip keys create`)' : (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`keys file ${path}: not JSON: ${(err as Error).message}`);
  }
  return parseKeysFile(json, `keys file ${path}`);
}
