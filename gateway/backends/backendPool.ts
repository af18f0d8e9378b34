/**
 * The backends behind the gateway: least-outstanding-requests balancing, active health checks,
 * passive ejection on connection failures, one retry elsewhere for requests that never got through,
 * and a per-request timeout.
 */
import { DRAINING_HEADER, GATEWAY_TOKEN_HEADER } from '../../shared/protocol';
import { InferenceError, unavailable } from '../../shared/errors';
import { silentLogger, type Logger } from '../../shared/log/logger';
import type { Clock } from '../types';
import { BackendConnectError, isStreamed, type BackendRequest, type BackendTarget, type BackendTransport } from './transport';

/** Pool settings, resolved at start-up. */
export interface BackendPoolOptions {
  clock: Clock;
  /** Whole-request budget; past it the client gets 504. */
  requestTimeoutMs: number;
  /** How stale the health picture may get before `refreshIfStale` probes again. */
  healthIntervalMs: number;
  healthTimeoutMs?: number;
  /** How long a backend that refused a connection is skipped (unless a health check clears it first). */
  ejectMs?: number;
  /** Shared secret sent to every backend. */
  token?: string;
  /** Where a backend going down and coming back is logged, once per change (not per probe). */
  log?: Logger;
}

/** A backend's state as /status shows it. */
export interface BackendStatus {
  name: string;
  ready: boolean;
  outstanding: number;
}

interface Member {
  target: BackendTarget;
  /** From the last active check; optimistic until the first one. */
  ready: boolean;
  ejectedUntil: number;
  outstanding: number;
  /** What the log last said about it: set by a failed probe or an ejection, cleared by a passing probe. */
  down: boolean;
}

/** Spreads requests over backends; the single place that knows their URLs. */
export class BackendPool {
  private readonly members: Member[];
  private readonly extraHeaders: Record<string, string>;
  private rr = 0;
  private lastHealthCheck = Number.NEGATIVE_INFINITY;
  private healthCheck: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    targets: readonly BackendTarget[],
    private readonly transport: BackendTransport,
    private readonly opts: BackendPoolOptions,
  ) {
    if (targets.length === 0) throw new Error('BackendPool: at least one backend is required');
    const names = new Set(targets.map((t) => t.name));
    if (names.size !== targets.length) throw new Error('BackendPool: backend names must be unique');
    this.members = targets.map((target) => ({ target, ready: true, ejectedUntil: 0, outstanding: 0, down: false }));
    this.log = opts.log ?? silentLogger;
    this.extraHeaders = opts.token ? { [GATEWAY_TOKEN_HEADER]: opts.token } : {};
  }

  /**
   * Sends `req` to the least-loaded available backend. A connect failure ejects that backend and
   * retries once on another; anything else is the answer.
   */
  async forward(req: BackendRequest): Promise<Response> {
    const first = this.pick(undefined);
    if (!first) throw unavailable('no backend available', 'no_backend');
    try {
      const res = await this.send(first, req);
      // A backend that is shutting down refused the request without computing it: same as unreachable.
      if (res.status === 503 && res.headers.get(DRAINING_HEADER)) {
        await res.arrayBuffer().catch(() => undefined);
        throw new BackendConnectError(`backend ${first.target.name} is shutting down`);
      }
      return res;
    } catch (err) {
      if (!(err instanceof BackendConnectError)) throw err;
      this.eject(first, err);
      const second = this.pick(first);
      if (!second) throw unavailable('no backend available', 'no_backend');
      try {
        return await this.send(second, req);
      } catch (err2) {
        if (err2 instanceof BackendConnectError) {
          this.eject(second, err2);
          throw unavailable('no backend could be reached', 'no_backend');
        }
        throw err2;
      }
    }
  }

  /** Backends by name with readiness and load (no URLs). */
  status(): BackendStatus[] {
    const now = this.opts.clock.now();
    return this.members.map((m) => ({ name: m.target.name, ready: m.ready && m.ejectedUntil <= now, outstanding: m.outstanding }));
  }

  /** True when at least one backend is ready and not ejected. */
  anyReady(): boolean {
    return this.status().some((b) => b.ready);
  }

  /** Whether the health picture is older than the interval. */
  isStale(): boolean {
    return this.opts.clock.now() - this.lastHealthCheck >= this.opts.healthIntervalMs;
  }

  /** Probes every backend's `/v2/health/ready` if the last probe is stale; concurrent callers share one probe. */
  refreshIfStale(): Promise<void> {
    if (this.healthCheck) return this.healthCheck;
    if (!this.isStale()) return Promise.resolve();
    return this.checkHealth();
  }

  /** Probes every backend now (Node runs this on an interval). */
  checkHealth(): Promise<void> {
    if (this.healthCheck) return this.healthCheck;
    this.lastHealthCheck = this.opts.clock.now();
    this.healthCheck = Promise.all(this.members.map((m) => this.probe(m))).then(
      () => { this.healthCheck = undefined; },
      () => { this.healthCheck = undefined; },
    );
    return this.healthCheck;
  }

  private async probe(m: Member): Promise<void> {
    const timeoutMs = this.opts.healthTimeoutMs ?? 2_000;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    let failure: string | undefined;
    try {
      const res = await this.transport(m.target, { method: 'GET', path: '/v2/health/ready', headers: { ...this.extraHeaders } }, ac.signal);
      await res.arrayBuffer();
      m.ready = res.status === 200;
      if (!m.ready) failure = `GET /v2/health/ready answered ${res.status}`;
    } catch (err) {
      m.ready = false;
      failure = ac.signal.aborted ? `GET /v2/health/ready did not answer within ${timeoutMs} ms` : `GET /v2/health/ready failed: ${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
    if (m.ready) {
      m.ejectedUntil = 0;
      this.markUp(m);
    } else {
      this.markDown(m, failure!);
    }
  }

  private markDown(m: Member, reason: string): void {
    if (m.down) return;
    m.down = true;
    this.log.warn({ backend: m.target.name, url: m.target.url, reason }, 'backend unhealthy; sending its requests elsewhere');
  }

  private markUp(m: Member): void {
    if (!m.down) return;
    m.down = false;
    this.log.info({ backend: m.target.name, url: m.target.url }, 'backend healthy again');
  }

  // Least outstanding requests; ties go round-robin so equal backends share the load.
  private pick(exclude: Member | undefined): Member | undefined {
    const now = this.opts.clock.now();
    const n = this.members.length;
    const start = this.rr++ % n;
    let best: Member | undefined;
    for (let i = 0; i < n; i++) {
      const m = this.members[(start + i) % n];
      if (m === exclude || !m.ready || m.ejectedUntil > now) continue;
      if (!best || m.outstanding < best.outstanding) best = m;
    }
    return best;
  }

  private eject(m: Member, err: BackendConnectError): void {
    const ejectMs = this.opts.ejectMs ?? 10_000;
    m.ejectedUntil = this.opts.clock.now() + ejectMs;
    this.markDown(m, `${err.message} (skipped for ${ejectMs} ms unless a health check passes)`);
  }

  private async send(m: Member, req: BackendRequest): Promise<Response> {
    const ac = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const arm = () => {
      if (settled) return;
      timer = setTimeout(() => {
        timedOut = true;
        ac.abort();
      }, this.opts.requestTimeoutMs);
    };
    // The timeout is the backend's budget: for a body still arriving it starts once the client has sent it all,
    // so a slow upload is not taken for a slow backend.
    if (isStreamed(req.body)) void req.body.done().then(arm);
    else arm();
    m.outstanding++;
    try {
      // The timer covers what the transport awaits: the undici transport reads the (small) reply in full,
      // fetch streams the body on after the headers.
      return await this.transport(m.target, { ...req, headers: { ...req.headers, ...this.extraHeaders } }, ac.signal);
    } catch (err) {
      if (timedOut) throw new InferenceError('GATEWAY_TIMEOUT', `backend did not answer within ${this.opts.requestTimeoutMs} ms`);
      if (err instanceof BackendConnectError || err instanceof InferenceError) throw err;
      // The transport's own message (addresses, errno) is for the log, not for the client.
      throw Object.assign(unavailable(`backend ${m.target.name} failed to answer; retry shortly`, 'backend_error'), { cause: err });
    } finally {
      settled = true;
      clearTimeout(timer);
      m.outstanding--;
    }
  }
}
