/**
 * The backend's gRPC front, as HttpServer is its HTTP one: request ids, one access-log line per call, the token
 * check, the start-up and shutdown answers, and draining. Services register their methods through `unary` and
 * `stream`, which wrap a handler with those rules; the handler itself only computes its answer or throws one of
 * our errors, mapped to a gRPC status by shared/errors.ts.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { httpStatusOf, InferenceError, toGrpcStatus, unavailable } from '../../shared/errors';
import { accessLogLine } from '../../shared/log/accessLog';
import { GATEWAY_TOKEN_HEADER } from '../../shared/protocol';
import { CancelledError } from '../batching/dynamicBatcher';

// Flow-control windows and frame size announced to clients (see widenFlowControl): a stream may send one image
// batch item without waiting; a connection, a few requests' worth.
const STREAM_WINDOW_BYTES = 2 * 1024 * 1024;
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
const MAX_FRAME_BYTES = 256 * 1024;

// A client's x-request-id is echoed into logs and metadata only when it is short and plain (as over HTTP).
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the front needs from the backend. */
export interface GrpcServerDeps {
  log: {
    info(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
    isLevelEnabled(level: string): boolean;
  };
  lifecycle: { readonly shuttingDown: boolean };
  /** The gateway's shared secret (--require-token), required as metadata on every call but health. */
  requireToken?: string;
  /** Largest message accepted (grpc.max_receive_message_length). */
  maxReceiveBytes: number;
}

/** When a method answers. */
export interface MethodPolicy {
  /** Answered without the token (health: load balancers and probes do not have it). */
  public?: boolean;
  /** Answered while the models load (live and ready say how far start-up is). */
  duringStartup?: boolean;
}

/** What a handler knows about its call, and what it tells the access log. */
export interface CallContext {
  readonly requestId: string;
  /** Aborts when the client cancels, its deadline passes, or the connection drops. */
  readonly signal: AbortSignal;
  readonly metadata: grpc.Metadata;
  /** Set by the handler for the access line. */
  model?: string;
  bytesIn?: number;
  bytesOut?: number;
}

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** A gRPC server over @grpc/grpc-js with the backend's rules on every call. */
export class GrpcServer {
  readonly server: grpc.Server;
  private address: string | null = null;
  private ready = false;
  private inflight = 0;
  private idle: (() => void) | null = null;
  private readonly onDrain = new Set<() => void>();
  private closed: Promise<void> | null = null;
  private readonly want: Buffer | null;

  constructor(private readonly deps: GrpcServerDeps) {
    this.want = deps.requireToken ? Buffer.from(deps.requireToken) : null;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': deps.maxReceiveBytes,
      'grpc.max_send_message_length': -1,
      // Channelz (gRPC's introspection service, which we do not serve) would track every call.
      'grpc.enable_channelz': 0,
      // Idle connections from clients that went away are closed by the server (HTTP's keepAliveTimeout).
      'grpc.keepalive_time_ms': 120_000,
      'grpc.keepalive_timeout_ms': 20_000,
    });
  }

  /** Binds `host:port` (port 0 picks a free one); returns the port. A port in use is an error that names --grpc-port. */
  async listen(host: string, port: number): Promise<number> {
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    ).catch((err: Error) => {
      const inUse = /EADDRINUSE|address already in use/i.test(err.message);
      throw new Error(
        inUse
          ? `gRPC port ${port} is in use: stop the other server, pass --grpc-port, or --grpc-port 0 to turn gRPC off`
          : `cannot serve gRPC on ${target}: ${err.message}`,
        { cause: err },
      );
    });
    this.address = `${host.includes(':') ? `[${host}]` : host}:${bound}`;
    this.widenFlowControl();
    return bound;
  }

  /**
   * HTTP/2's default windows (64 KiB per stream and per connection) make a client wait for a WINDOW_UPDATE every
   * 64 KiB of a 1.77 MB image, and the server answer each: on a busy event loop that throttled uploads and cost a
   * third more CPU per request. grpc-js (1.14) has no server option for them, so each new connection's settings are
   * raised here, on grpc-js's own http2 servers; if a later grpc-js hides those, the defaults apply and nothing breaks.
   */
  private widenFlowControl(): void {
    const servers = (this.server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
    if (!(servers instanceof Map)) return;
    for (const h2 of servers.keys()) {
      if (typeof h2?.on !== 'function') continue;
      h2.on('session', (session: ServerHttp2Session) => {
        session.settings({ initialWindowSize: STREAM_WINDOW_BYTES, maxFrameSize: MAX_FRAME_BYTES });
        session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      });
    }
  }

  /** Starts answering every method (until now only the start-up ones answer). */
  serve(): void {
    this.ready = true;
  }

  /** Whether every method answers (models loaded, not shutting down). */
  get serving(): boolean {
    return this.ready && !this.deps.lifecycle.shuttingDown;
  }

  /** Called once when draining starts (open streams end themselves there). */
  whenDraining(fn: () => void): () => void {
    this.onDrain.add(fn);
    return () => this.onDrain.delete(fn);
  }

  /** A unary method: `handler` answers the request or throws. */
  unary(policy: MethodPolicy, handler: (request: unknown, ctx: CallContext) => unknown): grpc.handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      const ctx = this.begin(call);
      const finish = this.track(call, ctx);
      void (async () => {
        try {
          this.admit(call, policy);
          const response = await handler(call.request, ctx);
          finish(grpc.status.OK, 200);
          echoRequestId(call, ctx);
          callback(null, response);
        } catch (err) {
          const { status, httpStatus } = this.failure(err, ctx);
          finish(status.code, httpStatus);
          echoRequestId(call, ctx);
          callback(status);
        }
      })();
    };
  }

  /**
   * A streaming method: `handler` runs the call and resolves when it has ended it (call.end()); a throw before
   * that ends the call with the error's status.
   */
  stream<S extends grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>>(
    policy: MethodPolicy,
    handler: (call: S, ctx: CallContext) => Promise<void>,
  ): (call: S) => void {
    return (call) => {
      const ctx = this.begin(call);
      echoRequestId(call, ctx);
      const finish = this.track(call, ctx);
      void (async () => {
        try {
          this.admit(call, policy);
          await handler(call, ctx);
          finish(grpc.status.OK, 200);
        } catch (err) {
          const { status, httpStatus } = this.failure(err, ctx);
          finish(status.code, httpStatus);
          // grpc-js ends a server stream with the status of an 'error' event.
          call.emit('error', status);
        }
      })();
    };
  }

  /**
   * The status a failed call ends with (and the HTTP status of the same error, for the access line; 499 when the
   * client left). An INTERNAL error's detail goes to the log with the request id, never to the client.
   */
  failure(err: unknown, ctx: CallContext): { status: grpc.StatusObject; httpStatus: number } {
    if (err instanceof CancelledError || ctx.signal.aborted) {
      return { status: { code: grpc.status.CANCELLED, details: 'cancelled by the client', metadata: new grpc.Metadata() }, httpStatus: 499 };
    }
    const { code, details, error } = toGrpcStatus(err, ctx.requestId);
    if (error.code === 'INTERNAL') this.deps.log.error({ err: err instanceof Error ? err : new Error(String(err)), requestId: ctx.requestId }, 'request failed');
    return { status: { code, details, metadata: new grpc.Metadata() }, httpStatus: httpStatusOf(error.code) };
  }

  /** Stops taking inference, ends open streams, waits (at most `timeoutMs`) for calls in flight, then closes. */
  async drain(timeoutMs: number): Promise<void> {
    for (const fn of [...this.onDrain]) fn();
    // GOAWAY on every connection: calls in flight finish, new ones come on a new connection (and are refused).
    if (this.address) this.server.drain(this.address, timeoutMs);
    if (this.inflight > 0) {
      await Promise.race([new Promise<void>((resolve) => (this.idle = resolve)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    }
    await this.close();
  }

  /** Closes the listener and every connection (idempotent). */
  close(): Promise<void> {
    return (this.closed ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000).unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }));
  }

  private begin(call: Call): CallContext {
    const given = call.metadata.get('x-request-id')[0];
    const requestId = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    const abort = new AbortController();
    (call as NodeJS.EventEmitter).on('cancelled', () => abort.abort());
    return { requestId, signal: abort.signal, metadata: call.metadata };
  }

  // Counts the call in flight until it is answered, and writes its access line then.
  private track(call: Call, ctx: CallContext): (code: grpc.status, httpStatus: number) => void {
    const started = performance.now();
    this.inflight++;
    let done = false;
    return (code, httpStatus) => {
      if (done) return;
      done = true;
      if (--this.inflight === 0) this.idle?.();
      if (!this.deps.log.isLevelEnabled('info')) return;
      const [entry, msg] = accessLogLine({
        method: 'GRPC',
        path: call.getPath(),
        model: ctx.model,
        // The HTTP status of the same outcome, so one filter reads both servers' lines; grpcStatus says the rest.
        status: httpStatus,
        durationMs: performance.now() - started,
        bytesIn: ctx.bytesIn ?? 0,
        bytesOut: ctx.bytesOut ?? 0,
        requestId: ctx.requestId,
      });
      this.deps.log.info({ ...entry, grpcStatus: code }, msg);
    };
  }

  // The rules before any handler runs: start-up, token.
  private admit(call: Call, policy: MethodPolicy): void {
    if (!this.ready && !policy.duringStartup) throw unavailable('Server is starting: models are loading; retry shortly', 'starting');
    if (this.want && !policy.public) {
      const got = Buffer.from(String(call.metadata.get(GATEWAY_TOKEN_HEADER)[0] ?? ''));
      if (got.length !== this.want.length || !timingSafeEqual(got, this.want)) {
        throw new InferenceError('UNAUTHENTICATED', `missing or wrong ${GATEWAY_TOKEN_HEADER} metadata`);
      }
    }
  }
}

// The request id goes back in the response headers; a unary call's go out with its answer (one write, not two).
function echoRequestId(call: Call, ctx: CallContext): void {
  const md = new grpc.Metadata();
  md.set('x-request-id', ctx.requestId);
  call.sendMetadata(md);
}
