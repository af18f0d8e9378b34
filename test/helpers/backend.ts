import { pino } from 'pino';
import { startBackend, type Backend } from '../../gpu-backend/server';
import type { BackendOptionsInput } from '../../gpu-backend/config/backendOptions';

/** Starts a real backend on a random loopback port with the bundled demo models on CPU. */
export function startTestBackend(opts: BackendOptionsInput = {}): Promise<Backend> {
  return startBackend({ port: 0, metricsPort: false, providers: ['cpu'], workers: 1, logLevel: 'silent', ...opts }, pino({ level: 'silent' }));
}

/** Encodes a binary-extension infer request: JSON header followed by raw tensor bytes. */
export function binaryRequest(header: object, ...tensors: ArrayBufferView[]): { body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  const json = new TextEncoder().encode(JSON.stringify(header));
  let total = json.length;
  for (const t of tensors) total += t.byteLength;
  const body = new Uint8Array(total);
  body.set(json);
  let off = json.length;
  for (const t of tensors) {
    body.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), off);
    off += t.byteLength;
  }
  return { body, headers: { 'inference-header-content-length': String(json.length), 'content-type': 'application/octet-stream' } };
}

/** Splits a binary-extension response into its JSON header and binary section. */
export async function readBinaryResponse(res: Response): Promise<{ header: any; binary: Uint8Array }> {
  const buf = new Uint8Array(await res.arrayBuffer());
  const n = Number(res.headers.get('inference-header-content-length') ?? buf.length);
  return { header: JSON.parse(new TextDecoder().decode(buf.subarray(0, n))), binary: buf.subarray(n) };
}

/** The pixel request body as the Python client sends it (JSON, flat data). */
export function jsonPixelRequest(pixels: Float32Array, n: number, extra: object = {}): string {
  return JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [n, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }], ...extra });
}
