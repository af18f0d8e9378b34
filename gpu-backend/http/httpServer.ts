import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InferenceError, notFound, unavailable } from '../../shared/errors';
import { accessLogLine } from '../../shared/log/accessLog';
import { answerClientError } from '../../shared/http/clientError';
import { CancelledError } from '../batching/dynamicBatcher';
import { sendError, sendJson, type ErrorLog } from './respond';
import type { Handler, Router } from './router';

// A client's X-Request-Id is echoed into logs and headers only when it is short and plain.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MODEL_IN_PATH = /^\/v2\/models\/([^/]+)/;

/** What the front of the server needs. */
export interface HttpServerDeps {
  log: ErrorLog & { info(obj: object, msg?: string): void; isLevelEnabled(level: string): boolean };
  lifecycle: { readonly shuttingDown: boolean };
  /** Throws when a request lacks the gateway's token (see tokenCheck.ts). */
  checkToken(req: IncomingMessage, path: string): void;
  /** Serves what no route matches (an HTTP thread hands it to the main thread); default: 404, or 405 with Allow. */
  fallback?: Handler;
}

// Responses someone else logs (an HTTP thread's request served by the main thread, which logs it).
const UNLOGGED = new WeakSet<ServerResponse>();

/** Leaves `res` out of this server's access log. */
export function logElsewhere(res: ServerResponse): void {
  UNLOGGED.add(res);
}

/**
 * The backend's HTTP server: request ids, one access-log line per request, 404/405, the token check, and
 * draining. Until `serve(router)` is called (the models are loading) only health answers.
 */
export class HttpServer {
  /** The first listener (the API port). */
  readonly server: Server;
  private readonly servers: Server[] = [];
  private router: Router | null = null;
  private inflight = 0;
  private idle: (() => void) | null = null;

  constructor(private readonly deps: HttpServerDeps) {
    this.server = this.newServer();
  }

  private newServer(): Server {
    const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, (req, res) => void this.handle(req, res));
    server.on('clientError', answerClientError);
    this.servers.push(server);
    return server;
  }

  /** Opens the port; returns it (useful with port 0). */
  async listen(port: number, host: string): Promise<number> {
    await listen(this.server, port, host);
    return (this.server.address() as AddressInfo).port;
  }

  /** Accepts on a listening socket's descriptor (an HTTP thread's copy of the API port). */
  async listenOnDescriptor(fd: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ fd }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** A second listener on loopback, for requests the HTTP threads hand over; returns its URL. */
  async listenInternal(): Promise<string> {
    const server = this.newServer();
    await listen(server, 0, '127.0.0.1');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops accepting on the API port (the HTTP threads accept there now); connections already open are served. */
  stopAcceptingOnApiPort(): Promise<void> {
    return this.stopAccepting(this.server);
  }

  /** Starts answering every route. */
  serve(router: Router): void {
    this.router = router;
  }

  /** Stops accepting and waits (at most `timeoutMs`) for the requests already accepted to finish. */
  async drain(timeoutMs: number): Promise<void> {
    for (const server of this.servers) void this.stopAccepting(server);
    // Idle keep-alive sockets go now, busy ones after their response (connection: close).
    for (const server of this.servers) server.closeIdleConnections();
    if (this.inflight === 0) return;
    await Promise.race([new Promise<void>((resolve) => (this.idle = resolve)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    const stopped = this.servers.map((server) => this.stopAccepting(server));
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(stopped);
  }

  private readonly stopped = new Map<Server, Promise<void>>();
  private stopAccepting(server: Server): Promise<void> {
    let p = this.stopped.get(server);
    if (!p) this.stopped.set(server, (p = new Promise<void>((resolve) => server.close(() => resolve()))));
    return p;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.inflight++;
    const path = (req.url ?? '/').split('?')[0];
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      if (--this.inflight === 0) this.idle?.();
      this.logAccess(req, res, path, requestId, started);
    });
    if (this.deps.lifecycle.shuttingDown) res.setHeader('connection', 'close');
    try {
      if (!this.router) return startingUp(req, res, path);
      const handler = this.route(req, res, path);
      this.deps.checkToken(req, path);
      await handler.run({ req, res, params: handler.params });
    } catch (err) {
      // The client left (e.g. while its body was being read): nobody to answer.
      if (err instanceof CancelledError) return void res.destroy();
      sendError(res, err, this.deps.log);
    }
  }

  private route(req: IncomingMessage, res: ServerResponse, path: string): { run: Handler; params: Record<string, string> } {
    const m = this.router!.match(req.method ?? 'GET', path);
    if ('handler' in m) return { run: m.handler, params: m.params };
    if (this.deps.fallback) return { run: this.deps.fallback, params: {} };
    req.resume();
    if (!m.allowed.length) throw notFound(`no route for ${req.method} ${path}`);
    // Triton answers a known path with the wrong method 405.
    const allowed = [...new Set(m.allowed)];
    res.setHeader('allow', allowed.join(', '));
    throw new InferenceError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed for ${path}; use ${allowed.join(' or ')}`);
  }

  // One access line per request; 499 (nginx's "client closed request") when the client left unanswered.
  private logAccess(req: IncomingMessage, res: ServerResponse, path: string, requestId: string, started: number): void {
    if (UNLOGGED.has(res) || !this.deps.log.isLevelEnabled('info')) return;
    this.deps.log.info(
      ...accessLogLine({
        method: req.method ?? 'GET',
        path,
        model: MODEL_IN_PATH.exec(path)?.[1],
        status: res.writableFinished ? res.statusCode : 499,
        durationMs: performance.now() - started,
        bytesIn: Number(req.headers['content-length'] ?? 0) || 0,
        bytesOut: Number(res.getHeader('content-length') ?? 0) || 0,
        requestId,
      }),
    );
  }
}

// While the models load: health answers truthfully, everything else is a retryable 503.
function startingUp(req: IncomingMessage, res: ServerResponse, path: string): void {
  req.resume();
  if (path === '/v2/health/live') return sendJson(res, 200, '');
  if (path === '/v2/health/ready') return sendJson(res, 503, '');
  sendError(res, unavailable('Server is starting: models are loading; retry shortly', 'starting'));
}

/** Listens on `port`, rejecting on the first error (e.g. EADDRINUSE). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
