// The Node gateway with HTTP threads: each thread accepts on its own descriptor of the port and serves with its own
// app, while the rate-limit buckets stay on the main thread (one set for the process), keys reload in every
// thread, and close drains what the threads accepted. Real threads, a real loopback backend, real connections.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeysFile } from '../../gateway/auth/keysFile';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { binaryBody, startLoopbackBackend, type LoopbackBackend } from './support/loopbackBackend';
import { keysFor } from './support/tenants';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function backend(): Promise<LoopbackBackend> {
  const b = await startLoopbackBackend('a');
  cleanups.push(() => b.kill());
  return b;
}

async function keysFile(file: KeysFile): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-threads-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'keys.json');
  await writeFile(path, JSON.stringify(file));
  return path;
}

async function gateway(backendUrl: string, keys: string, extra: { requestTimeoutMs?: number } = {}): Promise<RunningGateway> {
  const gw = await startGateway({ port: 0, backends: [backendUrl], keysFile: keys, healthIntervalMs: 60_000, logLevel: 'silent', httpThreads: 2, ...extra });
  cleanups.push(() => gw.close());
  return gw;
}

/** One infer on a connection of its own (so that requests spread over the threads' accepts). */
function inferOnNewConnection(gw: RunningGateway, key: string, base: number): Promise<{ status: number; body: string; sums: number[] }> {
  const { body, headerLength, sums } = binaryBody(1, base);
  const url = new URL(`${gw.url}/v2/models/toy/infer`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: new Agent({ keepAlive: false }),
        headers: { authorization: `Bearer ${key}`, 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, sums }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const threadNames = () => readdirSync('/proc/self/task').map((t) => { try { return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim(); } catch { return ''; } });

describe('the Node gateway with HTTP threads', () => {
  it('serves from its threads: every answer right, on connections of their own', async () => {
    const a = await backend();
    const { file, keys } = await keysFor({ acme: { models: ['toy'], rate: 1000, burst: 1000 } });
    const gw = await gateway(a.url, await keysFile(file));
    expect(gw.httpThreads).toBe(2);
    if (process.platform === 'linux') expect(threadNames()).toEqual(expect.arrayContaining(['siglip-gw-0', 'siglip-gw-1']));
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => inferOnNewConnection(gw, keys.acme, i * 10)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).outputs[0].data).toEqual(r.sums);
    }
  });

  it('takes every tenant\'s tokens from one bucket for the process, whichever thread serves', async () => {
    const a = await backend();
    const { file, keys } = await keysFor({ acme: { models: ['toy'], rate: 0.001, burst: 5 } });
    const gw = await gateway(a.url, await keysFile(file));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => inferOnNewConnection(gw, keys.acme, i)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const r of results.filter((x) => x.status === 429)) expect(JSON.parse(r.body).error).toMatch(/rate limit/i);
  });

  it('gives every thread the keys file as it is now on reloadKeys', async () => {
    const a = await backend();
    const first = await keysFor({ acme: { models: ['toy'], rate: 1000, burst: 1000 } });
    const path = await keysFile(first.file);
    const gw = await gateway(a.url, path);
    const second = await keysFor({ beta: { models: ['toy'], rate: 1000, burst: 1000 } });
    expect((await inferOnNewConnection(gw, second.keys.beta, 1)).status).toBe(401);
    await writeFile(path, JSON.stringify(second.file));
    await gw.reloadKeys();
    const after = await Promise.all(Array.from({ length: 12 }, (_, i) => inferOnNewConnection(gw, second.keys.beta, i)));
    expect(after.map((r) => r.status)).toEqual(Array(12).fill(200));
    const old = await Promise.all(Array.from({ length: 6 }, (_, i) => inferOnNewConnection(gw, first.keys.acme, i)));
    expect(old.map((r) => r.status)).toEqual(Array(6).fill(401));
  });

  it('drains on close: requests the threads accepted get their answers, then the port is closed', async () => {
    const a = await backend();
    const { file, keys } = await keysFor({ acme: { models: ['toy'], rate: 1000, burst: 1000 } });
    const gw = await gateway(a.url, await keysFile(file));
    a.hold = true;
    const inflight = Array.from({ length: 6 }, (_, i) => inferOnNewConnection(gw, keys.acme, i));
    while (a.held() < 6) await new Promise((r) => setTimeout(r, 10));
    const closed = gw.close();
    setTimeout(() => a.release(), 100);
    const results = await Promise.all(inflight);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).outputs[0].data).toEqual(r.sums);
    }
    await closed;
    // No descriptor of the port is left open (the spares are closed too): a new connection is refused.
    await expect(inferOnNewConnection(gw, keys.acme, 0)).rejects.toThrow(/ECONNREFUSED/);
  });
});
