/** A real HTTP backend on 127.0.0.1 (node:http) for testing the Node gateway's undici transport end to end. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackBackend {
  url: string;
  /** Requests seen in full: path and headers. */
  seen: { path: string; headers: IncomingMessage['headers'] }[];
  /** Paths of requests as they begin, before their bodies are read. */
  started: string[];
  /** When true, infer requests are held until `release()` or `kill()`. */
  hold: boolean;
  release(): void;
  held(): number;
  /** Destroys every connection and stops listening, like a crashed process. */
  kill(): Promise<void>;
}

/** Options of `startLoopbackBackend`. */
export interface LoopbackOptions {
  /** One item's PIXEL_VALUES shape (default [3, 2, 2]: 12 values). */
  itemShape?: number[];
  /** Answer every infer with this error at once, without reading its body. */
  refuseInfer?: { status: number; error: string };
}

/**
 * Serves model `toy`; infer answers EMBEDDING = the sum of each item's input values, so every
 * response can be checked against its own request. Understands JSON and the binary extension.
 */
export async function startLoopbackBackend(name: string, options: LoopbackOptions = {}): Promise<LoopbackBackend> {
  const itemShape = options.itemShape ?? [3, 2, 2];
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  const metadata = {
    name: 'toy',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, ...itemShape] }],
    outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 1] }],
  };
  const seen: LoopbackBackend['seen'] = [];
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  let server: Server;
  const backend: LoopbackBackend = {
    url: '',
    seen,
    started,
    hold: false,
    release: () => waiting.splice(0).forEach((go) => go()),
    held: () => waiting.length,
    kill: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    started.push(req.url!);
    if (options.refuseInfer && req.url === '/v2/models/toy/infer') {
      res.writeHead(options.refuseInfer.status, { 'content-type': 'application/json', 'x-served-by': name });
      return res.end(JSON.stringify({ error: options.refuseInfer.error }));
    }
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return; // the sender went away mid-body: nothing to answer
    }
    const body = Buffer.concat(chunks);
    seen.push({ path: req.url!, headers: req.headers });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': name });
      res.end(JSON.stringify(value));
    };
    if (req.url === '/v2/health/ready') return json(200, '');
    if (req.url === '/v2/models/toy') return json(200, metadata);
    if (req.url === '/v2/models/toy/config') return json(200, { name: 'toy', max_batch_size: 8 });
    if (req.url === '/v2/repository/index') return json(200, [{ name: 'toy', version: '1', state: 'READY' }]);
    if (req.url === '/v2/models/toy/infer') {
      if (backend.hold) await new Promise<void>((go) => waiting.push(go));
      const headerLength = req.headers['inference-header-content-length'];
      const header = JSON.parse(body.subarray(0, headerLength ? Number(headerLength) : body.length).toString('utf8'));
      const input = header.inputs[0];
      const values: number[] = headerLength
        ? Array.from(new Float32Array(body.buffer.slice(body.byteOffset + Number(headerLength), body.byteOffset + body.length)))
        : input.data;
      const n = input.shape[0];
      const sums = Array.from({ length: n }, (_, i) => values.slice(i * itemSize, (i + 1) * itemSize).reduce((a, b) => a + b, 0));
      return json(200, { model_name: 'toy', model_version: '1', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [n, 1], data: sums }] });
    }
    return json(404, { error: 'not found' });
  };
  server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return backend;
}

/** A URL on which nothing listens (a port just released). */
export async function deadBackendUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

/** A binary-extension body for `n` items whose values are `base + i`. */
export function binaryBody(n: number, base: number): { body: Uint8Array; headerLength: number; sums: number[] } {
  const values = new Float32Array(n * 12).map((_, i) => base + i);
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [n, 3, 2, 2], parameters: { binary_data_size: values.byteLength } }] }));
  const body = Buffer.concat([header, Buffer.from(values.buffer)]);
  const sums = Array.from({ length: n }, (_, i) => values.slice(i * 12, i * 12 + 12).reduce((a, b) => a + b, 0));
  return { body, headerLength: header.length, sums };
}
