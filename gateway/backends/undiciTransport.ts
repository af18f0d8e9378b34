/** BackendTransport over undici keep-alive pools (Node), one pool per backend origin. */
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { BackendConnectError, isStreamed, type BackendTarget, type BackendTransport } from './transport';

// Errors raised before the backend could have read the request: safe to send elsewhere.
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT',
  // A kept-alive socket the backend closed as we wrote (it was shutting down): no response started.
  'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

// Hop-by-hop headers (RFC 9110 §7.6.1) are not passed on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** Options of the Node transport. */
export interface UndiciTransportOptions {
  /** Connections per backend. */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** A transport plus the means to close its pools. */
export interface UndiciTransport {
  send: BackendTransport;
  close(): Promise<void>;
}

/** Creates keep-alive pools lazily per backend origin. */
export function undiciTransport(opts: UndiciTransportOptions = {}): UndiciTransport {
  const pools = new Map<string, Pool>();
  const poolFor = (target: BackendTarget): Pool => {
    let pool = pools.get(target.url);
    if (!pool) {
      pool = new Pool(target.url, {
        connections: opts.connections ?? 256,
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
        connectTimeout: opts.connectTimeoutMs ?? 2_000,
        // The gateway's own timer answers 504; undici's header/body timers stay out of the way.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      pools.set(target.url, pool);
    }
    return pool;
  };

  async function send(target: BackendTarget, req: Parameters<BackendTransport>[1], signal: AbortSignal): Promise<Response> {
    let res;
    const { body } = req;
    try {
      res = await poolFor(target).request({
        method: req.method,
        path: req.path,
        // A relayed body goes out as it arrives, with its declared length (undici checks the count).
        headers: isStreamed(body) ? { ...req.headers, 'content-length': String(body.length) } : req.headers,
        // undici takes async iterables as bodies; its typings list only Readable.
        body: isStreamed(body) ? (body.chunks() as unknown as Readable) : body,
        signal,
      });
    } catch (err) {
      // The client stopped sending mid-body, or its body was refused: the backend is fine, and no other backend
      // could do better. A refusal is answered once the client has sent it all, worded from the whole body.
      if (isStreamed(body) && body.failure) {
        await body.done();
        throw body.failure;
      }
      if (!signal.aborted && CONNECT_CODES.has((err as { code?: string }).code ?? '')) {
        throw new BackendConnectError(`${target.name}: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      else headers.set(k, v);
    }
    // Replies are embeddings and metadata (kilobytes): one read beats a web-stream adapter per chunk.
    const reply = res.statusCode === 204 || res.statusCode === 304 ? null : await res.body.bytes();
    return new Response(reply as BodyInit | null, { status: res.statusCode, headers });
  }

  return {
    send,
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}
