/**
 * Body admission under hostile clients (issue 11, defects 1 and 2): a client that leaves before or while its body
 * is admitted, or one that stalls mid-upload, holds no share of the budget that other clients need.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { expectServing } from '../helpers/visionRequests';
import { chunk, destroy, eventually, postHead, rawClient } from './abuse';

const INFER = '/v2/models/siglip_vision/infer';
let backend: Backend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

/** A real request must still be answered (bounded: a hang fails the test instead of stalling the suite). */
async function servesWithin(url: string, ms = 20_000): Promise<void> {
  await Promise.race([expectServing(url), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms: the backend is wedged`)), ms))]);
}

describe('body admission', () => {
  it('keeps serving after five clients each send 5 chunked bytes and close, in order (defect 1)', async () => {
    backend = await startTestBackend();
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await rawClient(backend.url, postHead(INFER), chunk('{"inp')));
    // All five are in the server before any leaves (the defect needed some of them queued for admission).
    await eventually(() => backend!.admission.inUse + backend!.admission.waiting > 0, 'the bodies reach the server');
    await new Promise((r) => setTimeout(r, 200));
    for (const s of clients) await destroy(s);
    await servesWithin(backend.url);
    await eventually(() => backend!.admission.inUse === 0 && backend!.admission.waiting === 0, 'every reservation released');
  });

  it('releases a body queued for admission whose client disconnects before it is admitted', async () => {
    // Room for one 60 MB body at a time: the second waits for admission, then its client leaves.
    backend = await startTestBackend({ maxInflightBodyBytes: 64 * 1024 * 1024, bodyIdleTimeoutMs: 60_000 });
    const first = await rawClient(backend.url, postHead(INFER, 60_000_000), '{');
    const second = await rawClient(backend.url, postHead(INFER, 60_000_000), '{');
    await new Promise((r) => setTimeout(r, 300));
    await destroy(second);
    await destroy(first);
    await servesWithin(backend.url);
    await eventually(() => backend!.admission.inUse === 0 && backend!.admission.waiting === 0, 'every reservation released');
  });

  it('serves others while three clients stall mid-upload after declaring 60 MB each (defect 2)', async () => {
    backend = await startTestBackend({ bodyIdleTimeoutMs: 60_000 });
    const stalled = await Promise.all([0, 1, 2].map(() => rawClient(backend!.url, postHead(INFER, 60_000_000), '{"inputs":[')));
    try {
      // A stalled body keeps only what it sent: the part of its reservation it has not received goes back.
      await eventually(() => backend!.admission.inUse > 0 && backend!.admission.inUse < 1024 * 1024 && backend!.admission.waiting === 0, 'the stalled bodies give back what they have not received');
      await servesWithin(backend.url);
    } finally {
      await Promise.all(stalled.map(destroy));
    }
    await eventually(() => backend!.admission.inUse === 0, 'every reservation released');
  });

  it('answers 408 to a client that stops sending mid-body, and frees what it held', async () => {
    backend = await startTestBackend({ bodyIdleTimeoutMs: 300 });
    const s = await rawClient(backend.url, postHead(INFER, 1000), '{"inputs":[');
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('close', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(reply).toContain('{"error":"request body stalled: no data for 300 ms; send the body without pauses"}');
    await eventually(() => backend!.admission.inUse === 0, 'the stalled body released');
    await servesWithin(backend.url);
  });
});
