import { describe, expect, it } from 'vitest';
import { BackendPool } from '../../gateway/backends/backendPool';
import { BackendConnectError, type BackendRequest, type BackendTarget } from '../../gateway/backends/transport';
import { fakeClock } from './support/fakeClock';

/** A transport whose answers the test controls: each call waits until the test settles it. */
function controlledTransport() {
  const calls: { backend: string; req: BackendRequest; signal: AbortSignal; resolve: (r: Response) => void; reject: (e: unknown) => void }[] = [];
  const health = new Map<string, number>();
  const send = (t: BackendTarget, req: BackendRequest, signal: AbortSignal) => {
    if (req.path === '/v2/health/ready') return Promise.resolve(new Response(null, { status: health.get(t.name) ?? 200 }));
    return new Promise<Response>((resolve, reject) => {
      calls.push({ backend: t.name, req, signal, resolve, reject });
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  };
  return { send, calls, health };
}

const targets = [
  { name: 'a', url: 'http://a.test' },
  { name: 'b', url: 'http://b.test' },
];
const req: BackendRequest = { method: 'POST', path: '/v2/models/toy/infer', headers: {}, body: new Uint8Array(1) };
const settle = () => new Promise((r) => setImmediate(r));

function makePool(opts: { requestTimeoutMs?: number; token?: string } = {}) {
  const clock = fakeClock();
  const t = controlledTransport();
  const pool = new BackendPool(targets, t.send, { clock, requestTimeoutMs: opts.requestTimeoutMs ?? 60_000, healthIntervalMs: 2_000, ejectMs: 10_000, token: opts.token });
  return { pool, clock, t };
}

describe('BackendPool', () => {
  it('sends each request to the backend with the fewest outstanding requests', async () => {
    const { pool, t } = makePool();
    const r1 = pool.forward(req);
    const r2 = pool.forward(req);
    await settle();
    expect(t.calls.map((c) => c.backend).sort()).toEqual(['a', 'b']);
    const first = t.calls[0];
    first.resolve(new Response('ok'));
    await r1;
    // `first.backend` is now idle while the other still has one outstanding.
    const r3 = pool.forward(req);
    await settle();
    expect(t.calls[2].backend).toBe(first.backend);
    t.calls[1].resolve(new Response('ok'));
    t.calls[2].resolve(new Response('ok'));
    await Promise.all([r2, r3]);
  });

  it('retries a request that failed to connect once on another backend, and ejects the first', async () => {
    const { pool, t, clock } = makePool();
    const r = pool.forward(req);
    await settle();
    const failed = t.calls[0].backend;
    t.calls[0].reject(new BackendConnectError('refused'));
    await settle();
    expect(t.calls[1].backend).not.toBe(failed);
    t.calls[1].resolve(new Response('from the other one'));
    expect(await (await r).text()).toBe('from the other one');
    expect(pool.status().find((s) => s.name === failed)?.ready).toBe(false);

    // Ejected: everything goes to the other backend until the ejection ends.
    for (let i = 0; i < 3; i++) {
      const p = pool.forward(req);
      await settle();
      expect(t.calls.at(-1)!.backend).not.toBe(failed);
      t.calls.at(-1)!.resolve(new Response('ok'));
      await p;
    }
    clock.advance(10_000);
    expect(pool.status().every((s) => s.ready)).toBe(true);
  });

  it('sends a request refused by a draining backend (503 with x-siglip-draining) to the other one', async () => {
    const { pool, t } = makePool();
    const r = pool.forward(req);
    await settle();
    const draining = t.calls[0].backend;
    t.calls[0].resolve(new Response('{"error":"Server is shutting down"}', { status: 503, headers: { 'x-siglip-draining': '1' } }));
    await settle();
    expect(t.calls[1].backend).not.toBe(draining);
    t.calls[1].resolve(new Response('ok'));
    expect((await r).status).toBe(200);
  });

  it('relays a plain 503 (e.g. a full queue) without retrying', async () => {
    const { pool, t } = makePool();
    const r = pool.forward(req);
    await settle();
    t.calls[0].resolve(new Response('{"error":"Exceeds maximum queue size"}', { status: 503 }));
    expect((await r).status).toBe(503);
    expect(t.calls).toHaveLength(1);
  });

  it('does not retry a request that reached a backend', async () => {
    const { pool, t } = makePool();
    const r = pool.forward(req);
    await settle();
    t.calls[0].reject(new Error('socket hang up after the request was sent'));
    await expect(r).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^backend [ab] failed/) });
    expect(t.calls).toHaveLength(1);
  });

  it('gives up with 503 after the retry also fails to connect', async () => {
    const { pool, t } = makePool();
    const r = pool.forward(req);
    await settle();
    t.calls[0].reject(new BackendConnectError('refused'));
    await settle();
    t.calls[1].reject(new BackendConnectError('refused'));
    await expect(r).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'no backend could be reached' });
    await expect(pool.forward(req)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'no backend available' });
  });

  it('answers 504 when the backend does not answer in time', async () => {
    const { pool } = makePool({ requestTimeoutMs: 5 });
    await expect(pool.forward(req)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT', message: 'backend did not answer within 5 ms' });
    expect(pool.status().map((s) => s.outstanding)).toEqual([0, 0]);
  });

  it('stops sending to a backend whose health check fails, and resumes when it passes', async () => {
    const { pool, t } = makePool();
    t.health.set('a', 503);
    await pool.checkHealth();
    expect(pool.status()).toEqual([
      { name: 'a', ready: false, outstanding: 0 },
      { name: 'b', ready: true, outstanding: 0 },
    ]);
    const p = pool.forward(req);
    await settle();
    expect(t.calls[0].backend).toBe('b');
    t.calls[0].resolve(new Response('ok'));
    await p;
    t.health.set('b', 503);
    await pool.checkHealth();
    await expect(pool.forward(req)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'no backend available' });
    t.health.clear();
    await pool.checkHealth();
    expect(pool.anyReady()).toBe(true);
  });

  it('probes at most once per interval, however many callers ask', async () => {
    const clock = fakeClock();
    let probes = 0;
    const pool = new BackendPool(targets, async () => { probes++; return new Response(null); }, { clock, requestTimeoutMs: 1_000, healthIntervalMs: 2_000 });
    await Promise.all(Array.from({ length: 50 }, () => pool.refreshIfStale()));
    expect(probes).toBe(2);
    clock.advance(1_999);
    await pool.refreshIfStale();
    expect(probes).toBe(2);
    clock.advance(1);
    await pool.refreshIfStale();
    expect(probes).toBe(4);
  });

  it('sends the shared secret to backends, probes included', async () => {
    const seen: Record<string, string>[] = [];
    const pool = new BackendPool(targets, async (_t, r) => { seen.push(r.headers); return new Response(null); }, { clock: fakeClock(), requestTimeoutMs: 1_000, healthIntervalMs: 1, token: 's3cret' });
    await pool.checkHealth();
    await pool.forward(req);
    expect(seen.map((h) => h['x-siglip-gateway-token'])).toEqual(['s3cret', 's3cret', 's3cret']);
  });

  it('refuses a configuration without backends or with duplicate names', () => {
    const opts = { clock: fakeClock(), requestTimeoutMs: 1, healthIntervalMs: 1 };
    expect(() => new BackendPool([], async () => new Response(), opts)).toThrow(/at least one backend/);
    expect(() => new BackendPool([targets[0], targets[0]], async () => new Response(), opts)).toThrow(/unique/);
  });
});
