/** A KServe v2 backend played by msw: a few models, request log, switchable readiness. */
import { delay, http, HttpResponse, type HttpHandler } from 'msw';

export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

export interface FakeModel {
  name: string;
  maxBatchSize: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** A small batched model: 12 FP32 values per item in, 4 out. */
const TOY: FakeModel = {
  name: 'toy',
  maxBatchSize: 8,
  inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 2, 2] }],
  outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 4] }],
};

/** The real SigLIP vision signature (used where the body-size limit matters). */
const SIGLIP_VISION: FakeModel = {
  name: 'siglip_vision',
  maxBatchSize: 4,
  inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }],
  outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 64] }],
};

/** A variable-size BYTES model. */
const EMBED_TEXT: FakeModel = {
  name: 'embed_text',
  maxBatchSize: 16,
  inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [-1] }],
  outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 4] }],
};

export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
}

export interface MswBackend {
  origin: string;
  handlers: HttpHandler[];
  seen: SeenRequest[];
  /** Requests other than health probes. */
  seenExceptHealth(): SeenRequest[];
  ready: boolean;
  /** When set, infer requests wait until aborted (to provoke timeouts). */
  hang: boolean;
}

export function mswBackend(origin: string, models: FakeModel[] = [TOY, SIGLIP_VISION, EMBED_TEXT]): MswBackend {
  const byName = new Map(models.map((m) => [m.name, m]));
  const seen: SeenRequest[] = [];
  const backend: MswBackend = {
    origin,
    seen,
    ready: true,
    hang: false,
    handlers: [],
    seenExceptHealth: () => seen.filter((r) => r.path !== '/v2/health/ready'),
  };
  const record = async (request: Request) => {
    const url = new URL(request.url);
    seen.push({ method: request.method, path: url.pathname, headers: request.headers, body: new Uint8Array(await request.clone().arrayBuffer()) });
  };
  const model = (name: string) => byName.get(name);
  const notFound = (name: unknown) => HttpResponse.json({ error: `Request for unknown model: '${String(name)}' is not found` }, { status: 404 });

  backend.handlers = [
    http.get(`${origin}/v2/health/ready`, async ({ request }) => {
      await record(request);
      return new HttpResponse(null, { status: backend.ready ? 200 : 503 });
    }),
    http.post(`${origin}/v2/repository/index`, async ({ request }) => {
      await record(request);
      return HttpResponse.json(models.map((m) => ({ name: m.name, version: '1', state: 'READY', reason: '' })));
    }),
    http.get(`${origin}/v2/models/:model`, async ({ request, params }) => {
      await record(request);
      const m = model(String(params.model));
      if (!m) return notFound(params.model);
      return HttpResponse.json({ name: m.name, versions: ['1'], platform: 'onnxruntime_onnx', inputs: m.inputs, outputs: m.outputs });
    }),
    http.get(`${origin}/v2/models/:model/config`, async ({ request, params }) => {
      await record(request);
      const m = model(String(params.model));
      if (!m) return notFound(params.model);
      return HttpResponse.json({ name: m.name, platform: 'onnxruntime_onnx', max_batch_size: m.maxBatchSize });
    }),
    http.get(`${origin}/v2/models/:model/versions/:version/ready`, async ({ request, params }) => {
      await record(request);
      return model(String(params.model)) && params.version === '1' ? new HttpResponse(null, { status: 200 }) : notFound(params.model);
    }),
    http.get(`${origin}/v2/models/:model/ready`, async ({ request, params }) => {
      await record(request);
      return model(String(params.model)) ? new HttpResponse(null, { status: 200 }) : notFound(params.model);
    }),
    http.post(`${origin}/v2/models/:model/infer`, async ({ request, params }) => {
      await record(request);
      if (backend.hang) await delay('infinite');
      const m = model(String(params.model));
      if (!m) return notFound(params.model);
      const n = Number(request.headers.get('x-test-batch') ?? 1);
      return HttpResponse.json(
        { model_name: m.name, model_version: '1', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [n, 4], data: new Array(n * 4).fill(0.5) }] },
        { headers: { 'x-backend': origin, 'set-cookie': 'backend=secret', connection: 'keep-alive' } },
      );
    }),
    http.post(`${origin}/v1/embeddings`, async ({ request }) => {
      await record(request);
      return HttpResponse.json({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model: 'embed_text' });
    }),
  ];
  return backend;
}

/** A JSON infer body for `shape` filled with `fill`. */
export function jsonInfer(name: string, shape: number[], datatype = 'FP32', count?: number): string {
  const n = count ?? shape.reduce((a, b) => a * b, 1);
  return JSON.stringify({ inputs: [{ name, shape, datatype, data: new Array(n).fill(0.25) }] });
}

/** A binary-extension infer body: JSON header then raw FP32 bytes. */
export function binaryInfer(name: string, shape: number[], opts: { declared?: number; actual?: number } = {}): { body: Uint8Array; headerLength: number } {
  const n = shape.reduce((a, b) => a * b, 1);
  const declared = opts.declared ?? n * 4;
  const header = new TextEncoder().encode(
    JSON.stringify({ inputs: [{ name, shape, datatype: 'FP32', parameters: { binary_data_size: declared } }], outputs: [{ name: 'EMBEDDING', parameters: { binary_data: false } }] }),
  );
  const data = new Uint8Array(opts.actual ?? declared);
  const body = new Uint8Array(header.length + data.length);
  body.set(header);
  body.set(data, header.length);
  return { body, headerLength: header.length };
}
