import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InferenceError, invalidArgument, notFound, unavailable } from '../../shared/errors';
import type { DecodedJsonRequest } from '../../shared/codec/jsonInferRequest';
import { splitBinaryBody, viewTensor } from '../../shared/codec/binaryTensor';
import { checkInferRequest, checkValueRanges } from '../../shared/contract/checkInferRequest';
import { checkBodyContentType } from '../../shared/contract/contentType';
import { isRawRequest, rawRequestInput } from '../../shared/contract/rawRequest';
import { GATEWAY_TOKEN_HEADER, INFERENCE_HEADER_CONTENT_LENGTH } from '../../shared/protocol';
import type { Metrics } from '../stats/metrics';
import type { ServedModel } from '../models/types';
import { CancelledError } from '../batching/dynamicBatcher';
import type { ByteBudget } from './byteBudget';
import { encodeInferResponse, toParsedRequest, type ParsedInferRequest } from './inferCodec';
import { readBody } from './readBody';
import type { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { sendError, sendJson } from './respond';
import { Router, type RouteContext } from './router';

export { GATEWAY_TOKEN_HEADER };

/** Everything the routes need, resolved at start-up. */
export interface BackendContext {
  serverName: string;
  serverVersion: string;
  models: Map<string, ServedModel>;
  metrics: Metrics;
  budget: ByteBudget;
  /** Reused buffers for binary infer bodies (see shared/http/bodyBufferPool.ts). */
  bodyPool?: BodyBufferPool;
  maxBodyBytes: number;
  /** Longest pause between two chunks of a body (408 past it). */
  bodyIdleTimeoutMs: number;
  /** Decodes a JSON request body (big ones off the event loop). */
  decodeJson(body: Uint8Array): Promise<DecodedJsonRequest>;
  /** Decodes a small JSON header inline. */
  decodeJsonInline(body: Uint8Array): DecodedJsonRequest;
  requireToken?: string;
  state: { ready: boolean; shuttingDown: boolean };
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Extra routes (e.g. /v1/embeddings) registered by other layers. */
  extraRoutes?: (router: Router, ctx: BackendContext) => void;
}

const nowNs = () => performance.now() * 1e6;

/** Builds the KServe v2 router over the loaded models. */
export function buildRouter(ctx: BackendContext): Router {
  const r = new Router();
  const model = (p: Record<string, string>): ServedModel => {
    const m = ctx.models.get(p.model);
    if (!m) throw notFound(`Request for unknown model: '${p.model}' is not found`);
    if (p.version !== undefined && p.version !== m.version) {
      throw notFound(`Request for unknown model: '${p.model}' version ${p.version} is not found`);
    }
    return m;
  };
  const both = (method: string, suffix: string, h: (c: RouteContext, m: ServedModel) => Promise<void> | void) => {
    r.add(method, `/v2/models/:model${suffix}`, (c) => h(c, model(c.params)));
    r.add(method, `/v2/models/:model/versions/:version${suffix}`, (c) => h(c, model(c.params)));
  };

  r.add('GET', '/v2', ({ res }) =>
    sendJson(res, 200, {
      name: ctx.serverName,
      version: ctx.serverVersion,
      // Only what is implemented (Triton lists more; clients probe this list).
      extensions: ['binary_tensor_data', 'parameters', 'statistics', 'model_configuration', 'model_repository'],
    }),
  );
  r.add('GET', '/v2/health/live', ({ res }) => sendJson(res, ctx.state.shuttingDown ? 503 : 200, ''));
  r.add('GET', '/v2/health/ready', ({ res }) => sendJson(res, isReady(ctx) ? 200 : 503, ''));
  r.add('GET', '/v2/models/stats', ({ res }) =>
    sendJson(res, 200, { model_stats: [...ctx.models.values()].map((m) => m.stats.toJSON(m.name, m.version)) }),
  );
  r.add('POST', '/v2/repository/index', ({ res }) =>
    sendJson(res, 200, [...ctx.models.values()].map((m) => ({ name: m.name, version: m.version, state: m.ready ? 'READY' : 'UNAVAILABLE', reason: '' }))),
  );
  // Models are loaded at start-up, as Triton does with --model-control-mode=none: load and unload are refused.
  for (const action of ['load', 'unload']) {
    r.add('POST', `/v2/repository/models/:model/${action}`, ({ req, res }) => {
      req.resume();
      sendJson(res, 400, { error: `explicit model ${action} is not allowed: models are loaded from the repository at start-up; restart the backend to change them` });
    });
  }
  both('GET', '', ({ res }, m) => sendJson(res, 200, m.metadata()));
  both('GET', '/ready', ({ res }, m) => sendJson(res, m.ready && !ctx.state.shuttingDown ? 200 : 503, ''));
  both('GET', '/config', ({ res }, m) => sendJson(res, 200, m.tritonConfig));
  both('GET', '/stats', ({ res }, m) => sendJson(res, 200, { model_stats: [m.stats.toJSON(m.name, m.version)] }));
  both('POST', '/infer', (c, m) => infer(ctx, c, m));
  r.add('GET', '/metrics', async ({ res }) => {
    for (const m of ctx.models.values()) if (m.busyMs !== undefined) m.telemetry.busy(m.busyMs);
    const text = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
    res.end(text);
  });
  ctx.extraRoutes?.(r, ctx);
  return r;
}

function isReady(ctx: BackendContext): boolean {
  if (ctx.state.shuttingDown || !ctx.state.ready) return false;
  for (const m of ctx.models.values()) if (!m.ready) return false;
  return true;
}

/** Checks the gateway's shared secret in constant time. */
export function checkToken(ctx: BackendContext, req: IncomingMessage): void {
  if (!ctx.requireToken) return;
  const got = Buffer.from(String(req.headers[GATEWAY_TOKEN_HEADER] ?? ''));
  const want = Buffer.from(ctx.requireToken);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new InferenceError('UNAUTHENTICATED', `missing or wrong ${GATEWAY_TOKEN_HEADER} header`);
  }
}

/**
 * Reads a request body under the admission budget (see readBody) and hands it to `use`; its bytes count against
 * the budget until `use` (decoding, validation) is done. `lead` spare bytes go before the body.
 */
export async function withAdmittedBody<T>(
  ctx: BackendContext,
  req: IncomingMessage,
  lead: number,
  use: (body: Uint8Array) => Promise<T> | T,
  pool?: BodyBufferPool,
): Promise<T> {
  const body = await readBody(req, { limit: ctx.maxBodyBytes, budget: ctx.budget, idleTimeoutMs: ctx.bodyIdleTimeoutMs, lead, pool });
  try {
    return await use(body.bytes);
  } finally {
    body.release();
  }
}

/** A decoded infer request; `release()` hands a pooled body back once nothing reads its tensors any more. */
export interface ReadInferRequest {
  request: ParsedInferRequest;
  release(): void;
}

/**
 * Reads, decodes and checks an infer request for model `m` under the admission budget: JSON, the binary
 * extension, or Triton's raw binary request (Inference-Header-Content-Length: 0). Every form is checked
 * against the model's request contract, the same rules the gateway applies.
 */
export async function readInferRequest(ctx: BackendContext, req: IncomingMessage, m: ServedModel): Promise<ReadInferRequest> {
  const headerLength = req.headers[INFERENCE_HEADER_CONTENT_LENGTH] as string | undefined;
  if (headerLength === undefined) checkBodyContentType(req.headers['content-type']);
  // Start the body so that the binary section after the JSON header is 8-byte aligned: tensors are then
  // viewed in place instead of copied.
  const lead = headerLength && /^\d+$/.test(headerLength) ? (8 - (Number(headerLength) % 8)) % 8 : 0;
  // Binary tensors are views into the body, so only binary bodies are pooled (JSON ones go to a decoder
  // thread, and their tensors are new arrays).
  const pool = headerLength !== undefined ? ctx.bodyPool : undefined;
  return withAdmittedBody(ctx, req, lead, async (body) => {
    const release = () => pool?.release(body);
    if (isRawRequest(headerLength)) {
      const request = rawRequest(m, body);
      checkValueRanges(m.contract, request.inputs);
      return { request, release };
    }
    if (headerLength !== undefined) {
      const { json, binary } = splitBinaryBody(body, headerLength);
      const decoded = ctx.decodeJsonInline(json);
      checkInferRequest(m.contract, decoded, binary);
      const request = toParsedRequest(decoded, binary);
      checkValueRanges(m.contract, request.inputs);
      return { request, release };
    }
    const decoded = await ctx.decodeJson(body);
    checkInferRequest(m.contract, decoded, undefined);
    const request = toParsedRequest(decoded, null);
    checkValueRanges(m.contract, request.inputs);
    return { request, release };
  }, pool);
}

// The whole body is the one input's data, batch 1; Triton then returns every output as binary.
function rawRequest(m: ServedModel, body: Uint8Array): ParsedInferRequest {
  const input = rawRequestInput(m.contract, body.byteLength);
  const count = input.shape.reduce((a, b) => a * b, 1);
  const data = input.datatype === 'BYTES' ? [body] : viewTensor(input.datatype, body, count);
  return {
    parameters: { binary_data_output: true },
    inputs: [{ name: input.name, datatype: input.datatype, shape: input.shape, data: data as ParsedInferRequest['inputs'][number]['data'] }],
    outputs: [],
  };
}

/** Resolves the queue timeout for a request under the model's queue policy, in ms (0 = none). */
export function queueTimeoutMs(m: ServedModel, parameters: Record<string, unknown>): number {
  const policy = m.config.dynamic_batching?.default_queue_policy;
  const fallback = (policy?.default_timeout_microseconds ?? 0) / 1000;
  const asked = parameters.timeout;
  if (asked === undefined) return fallback;
  if (typeof asked !== 'number' || !Number.isFinite(asked) || asked < 0) throw invalidArgument('parameter timeout must be a non-negative number of microseconds');
  return policy?.allow_timeout_override ? asked / 1000 : fallback;
}

async function infer(ctx: BackendContext, { req, res }: RouteContext, m: ServedModel): Promise<void> {
  const start = nowNs();
  const abort = new AbortController();
  // The client went away before we answered: drop its request if it has not been dispatched yet.
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    if (ctx.state.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
    const { request: parsed, release } = await readInferRequest(ctx, req, m);
    const outputs = await m.infer(parsed.inputs, {
      timeoutMs: queueTimeoutMs(m, parsed.parameters),
      signal: abort.signal,
      parameters: parsed.parameters,
      outputs: parsed.outputs.map((o) => o.name),
    });
    // Every batch holding this request has run: its body can carry another one. (After a failure the body
    // is left to the GC, as a queued copy might still be referenced.)
    release();
    const encoded = encodeInferResponse(m.name, m.version, parsed, outputs);
    if (encoded.headerLength !== undefined) {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': encoded.headerLength,
        'content-length': (encoded.body as Uint8Array).byteLength,
      });
      res.end(encoded.body);
    } else {
      sendJson(res, 200, encoded.body as string);
    }
    recordOutcome(m, start, null);
  } catch (err) {
    if (err instanceof CancelledError) {
      res.destroy();
      return;
    }
    recordOutcome(m, start, err);
    sendError(res, err, ctx.log);
  }
}

function recordOutcome(m: ServedModel, start: number, err: unknown): void {
  const ns = nowNs() - start;
  if (err === null) m.telemetry.requestSucceeded(ns);
  else m.telemetry.requestFailed(ns, err instanceof InferenceError ? err.reason.toLowerCase() : 'internal');
}
