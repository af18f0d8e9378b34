/**
 * The gateway on Node: @hono/node-server, undici keep-alive pools, in-memory buckets and TTL cache, a keys file.
 * With `httpThreads`, threads (threads/gatewayThread.ts) accept on the port and serve requests, each with its own
 * app and pools, while the rate limits stay on the main thread, in one place.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createLogger } from '../shared/log/createLogger';
import type { Logger } from '../shared/log/logger';
import { createGatewayApp, MAX_INFLIGHT_BODY_BYTES } from './app';
import { MemoryKeyStore } from './auth/memoryKeyStore';
import { emptyKeysFile, parseKeysFile, type KeysFile } from './auth/keysFile';
import { BackendPool } from './backends/backendPool';
import { ModelCatalog } from './backends/modelCatalog';
import { undiciTransport } from './backends/undiciTransport';
import { MemoryTtlCache } from './cache/memoryTtlCache';
import { nodeBodyReader, nodeBodyRelay, releaseNodeBody } from './body/nodeBody';
import { describeConfigError, parseBackendList } from './config';
import { MemoryRateLimiter } from './ratelimit/memoryRateLimiter';
import { startGatewayOptionsSchema, type GatewayOptions, type StartGatewayOptions } from './nodeOptions';
import { GatewayThreads } from './threads/gatewayThreads';
import type { Clock, KeyStore, RateLimiter } from './types';

export type { StartGatewayOptions } from './nodeOptions';

/** A running gateway. */
export interface RunningGateway {
  url: string;
  /** HTTP threads serving (0: the main thread serves). */
  httpThreads: number;
  /** Re-reads the keys file (the CLI calls this on SIGHUP), in every thread; in-flight requests keep the keys they had. */
  reloadKeys(): Promise<void>;
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

/** An app with what it owns: the backend pools, their health checks and the keep-alive connections. */
export interface NodeGatewayApp {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  close(): Promise<void>;
}

/** The app one event loop serves with (the main thread's, or each HTTP thread's), its rate limits from `limiter`. */
export function createNodeGatewayApp(opts: GatewayOptions, log: Logger, keys: KeyStore, limiter: RateLimiter): NodeGatewayApp {
  const clock = systemClock;
  const transport = undiciTransport({ connections: opts.connections });
  const pool = new BackendPool(parseBackendList(opts.backends), transport.send, {
    clock,
    requestTimeoutMs: opts.requestTimeoutMs,
    healthIntervalMs: opts.healthIntervalMs,
    token: opts.backendToken,
    log: log.child({ component: 'backends' }),
  });
  const catalog = new ModelCatalog(pool, { clock });
  const app = createGatewayApp({
    keys,
    limiter,
    pool,
    catalog,
    cache: new MemoryTtlCache(clock),
    clock,
    log,
    readBody: nodeBodyReader,
    relayBody: nodeBodyRelay,
    releaseBody: releaseNodeBody,
    settings: {
      cacheTtlSeconds: opts.cacheTtlSeconds,
      limiterFailure: opts.limiterFailure,
      relayJsonFromBytes: opts.relayJsonFromBytes,
      maxBodyWaitMs: opts.maxBodyWaitMs,
      // Each HTTP thread holds its share of the process's bodies in flight.
      maxInflightBodyBytes: Math.ceil(MAX_INFLIGHT_BODY_BYTES / Math.max(1, opts.httpThreads)),
    },
  });
  void pool.checkHealth();
  const timer = setInterval(() => void pool.checkHealth(), opts.healthIntervalMs);
  timer.unref();
  return {
    fetch: app.fetch,
    async close() {
      clearInterval(timer);
      await transport.close();
    },
  };
}

/** The keys the options name: inline, from the keys file, or none. */
async function readGatewayKeys(opts: Pick<GatewayOptions, 'keys' | 'keysFile'>): Promise<KeysFile> {
  return opts.keys ?? (opts.keysFile ? await loadKeysFile(opts.keysFile) : emptyKeysFile());
}

/**
 * Stops accepting, lets requests in flight finish, and closes each kept-alive connection as soon as it goes idle
 * (server.close alone would wait out the keep-alive timeout); past `timeoutMs`, cuts them. Safe to call twice.
 */
export function closeHttpServer(server: Server, timeoutMs: number): Promise<void> {
  const known = closing.get(server);
  if (known) return known;
  const done = new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
  });
  closing.set(server, done);
  return done;
}
const closing = new WeakMap<Server, Promise<void>>();

/**
 * Starts the gateway; resolves once it listens. Without keys every model route answers 401. `logger` is the
 * gateway's own (the CLI passes a child with `service: 'gateway'`); by default a JSON logger at `logLevel`.
 */
export async function startGateway(options: StartGatewayOptions, logger?: Logger): Promise<RunningGateway> {
  const parsed = startGatewayOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(describeConfigError('gateway options', parsed.error));
  const opts = parsed.data;
  const log = logger ?? createLogger({ level: opts.logLevel }).child({ service: 'gateway' });
  let keys = await readGatewayKeys(opts);
  let keyStore = new MemoryKeyStore(keys);
  // One set of buckets for the process: the HTTP threads take from it too.
  const limiter = new MemoryRateLimiter(systemClock);
  const app = createNodeGatewayApp(opts, log, { lookup: (key) => keyStore.lookup(key) }, limiter);

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s));
    s.once('error', reject);
  });
  const http = server as unknown as Server;
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let threads: GatewayThreads | null = null;
  if (opts.httpThreads > 0) {
    try {
      threads = await GatewayThreads.start({ count: opts.httpThreads, server: http, options: { ...opts, port }, keys, limiter, log });
      // The threads accept from now on; the main thread answers the connections it already has.
      void closeHttpServer(http, opts.requestTimeoutMs);
      log.info({ threads: opts.httpThreads }, 'HTTP threads accepting on the gateway port');
    } catch (err) {
      log.warn({ err }, 'HTTP threads could not start; serving on the main thread');
    }
  }
  return {
    url: `http://${host}:${port}`,
    httpThreads: threads?.size ?? 0,
    async reloadKeys() {
      keys = await readGatewayKeys(opts);
      keyStore = new MemoryKeyStore(keys);
      await threads?.reloadKeys(keys);
    },
    async close() {
      await threads?.drain(opts.requestTimeoutMs);
      await threads?.close();
      await closeHttpServer(http, opts.requestTimeoutMs);
      await app.close();
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
