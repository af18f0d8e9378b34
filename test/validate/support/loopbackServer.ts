import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COLOUR_DIM, imageColourEmbedding, textColourEmbedding } from './colourEmbedding';

/** A canned answer that replaces the real one (to test retries): status, and Retry-After if any. */
export interface CannedAnswer {
  status: number;
  retryAfter?: string;
  error?: string;
}

/** Options of {@link startLoopbackServer}. */
export interface LoopbackOptions {
  /** Require `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Width of the text embeddings (default: the image width), to test a tower pair that does not match. */
  textDim?: number;
  /** Answer the n-th (1-based) infer request of a model with this instead, when it returns one. */
  intercept?: (model: 'embed_image' | 'embed_text', n: number) => CannedAnswer | undefined;
  /** Called on the n-th image request before it is answered (the resume test kills its client here). */
  onImageRequest?: (n: number) => void;
  /** Serve no /config route (as a server without the model_configuration extension). */
  noConfig?: boolean;
}

/** What the server saw. */
export interface LoopbackStats {
  imageRequests: number;
  textRequests: number;
  /** SHA-256 of every image body answered with an embedding. */
  imagesEmbedded: string[];
  textBatchSizes: number[];
  maxInFlight: number;
  /** Distinct client sockets (keep-alive reuse shows as few). */
  connections: number;
}

/** A running loopback server. */
export interface LoopbackServer {
  url: string;
  stats: LoopbackStats;
  close(): Promise<void>;
}

/**
 * A small real KServe v2 server on 127.0.0.1 for the two requests of the accuracy check, with deterministic
 * embeddings (see colourEmbedding): the raw-bytes embed_image request, answered in the binary extension, and the
 * JSON embed_text request. A body sharp cannot decode gets 400 `{"error": ...}`, like the backend.
 */
export async function startLoopbackServer(options: LoopbackOptions = {}): Promise<LoopbackServer> {
  const stats: LoopbackStats = { imageRequests: 0, textRequests: 0, imagesEmbedded: [], textBatchSizes: [], maxInFlight: 0, connections: 0 };
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    handle(req, res, options, stats)
      .catch((err) => sendJson(res, 500, { error: String(err) }))
      .finally(() => inFlight--);
  });
  server.on('connection', () => stats.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: LoopbackOptions, stats: LoopbackStats): Promise<void> {
  const body = await readAll(req);
  if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`) return sendJson(res, 401, { error: 'missing or wrong API key' });
  const url = req.url ?? '';
  const meta = /^\/v2\/models\/(embed_image|embed_text)(\/config)?$/.exec(url);
  if (req.method === 'GET' && meta) {
    if (meta[2] && o.noConfig) return sendJson(res, 404, { error: 'no config route' });
    const dim = meta[1] === 'embed_text' ? (o.textDim ?? COLOUR_DIM) : COLOUR_DIM;
    if (meta[2]) return sendJson(res, 200, { name: meta[1], max_batch_size: 60, parameters: { colour_model: { string_value: 'loopback' } } });
    return sendJson(res, 200, { name: meta[1], versions: ['1'], platform: 'loopback', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, dim] }] });
  }
  if (req.method === 'POST' && url === '/v2/models/embed_image/infer') {
    const n = ++stats.imageRequests;
    o.onImageRequest?.(n);
    const canned = o.intercept?.('embed_image', n);
    if (canned) return sendCanned(res, canned);
    if (req.headers['content-type'] !== 'application/octet-stream' || req.headers['inference-header-content-length'] !== '0') {
      return sendJson(res, 400, { error: 'expected a raw-bytes request: application/octet-stream with Inference-Header-Content-Length: 0' });
    }
    let embedding: Float32Array;
    try {
      embedding = await imageColourEmbedding(body);
    } catch (err) {
      return sendJson(res, 400, { error: `INPUT_IMAGE: cannot decode the image (${(err as Error).message})` });
    }
    stats.imagesEmbedded.push(createHash('sha256').update(body).digest('hex'));
    const header = Buffer.from(JSON.stringify({ model_name: 'embed_image', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [1, embedding.length], parameters: { binary_data_size: embedding.length * 4 } }] }));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) });
    res.end(Buffer.concat([header, Buffer.from(embedding.buffer)]));
    return;
  }
  if (req.method === 'POST' && url === '/v2/models/embed_text/infer') {
    const n = ++stats.textRequests;
    const canned = o.intercept?.('embed_text', n);
    if (canned) return sendCanned(res, canned);
    const parsed = JSON.parse(body.toString('utf8'));
    const input = parsed.inputs?.[0];
    if (parsed.parameters?.embed_model !== 'siglip_text' || input?.name !== 'INPUT_TEXT' || input.datatype !== 'BYTES') {
      return sendJson(res, 400, { error: 'expected INPUT_TEXT BYTES with embed_model siglip_text' });
    }
    const texts: string[] = input.data;
    if (texts.length > 60 || input.shape[0] !== texts.length || input.shape[1] !== 1) return sendJson(res, 400, { error: `bad batch shape [${input.shape}]` });
    stats.textBatchSizes.push(texts.length);
    const dim = o.textDim ?? COLOUR_DIM;
    const data = texts.flatMap((t) => Array.from(textColourEmbedding(t)).concat(new Array(Math.max(0, dim - COLOUR_DIM)).fill(0)).slice(0, dim));
    return sendJson(res, 200, { model_name: 'embed_text', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [texts.length, dim], data }] });
  }
  sendJson(res, 404, { error: `no route ${req.method} ${url}` });
}

function sendCanned(res: ServerResponse, c: CannedAnswer): void {
  res.writeHead(c.status, { 'content-type': 'application/json', ...(c.retryAfter !== undefined ? { 'retry-after': c.retryAfter } : {}) });
  res.end(JSON.stringify({ error: c.error ?? 'canned answer' }));
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
