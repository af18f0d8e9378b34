import { readFileSync } from 'node:fs';
import { encodeBytesElements } from '../../shared/codec/binaryTensor';
import { binaryRequest, readBinaryResponse } from '../helpers/backend';
import { fixturePath } from '../helpers/fixtures';

/** The three photos of reference.json, in its order. */
export const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png'] as const;

/** Raw bytes of a fixture file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** What an embedding model answered: rows on 200, the `{"error"}` message otherwise. */
export interface EmbedResult {
  status: number;
  shape?: number[];
  rows?: Float32Array[];
  error?: string;
}

const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function splitRows(data: Float32Array, n: number): Float32Array[] {
  const dim = data.length / n;
  return Array.from({ length: n }, (_, i) => data.slice(i * dim, (i + 1) * dim));
}

async function readEmbedding(res: Response, n: number, binary: boolean): Promise<EmbedResult> {
  if (res.status !== 200) return { status: res.status, error: (await res.json()).error };
  if (!binary) {
    const body = await res.json();
    const out = body.outputs[0];
    return { status: 200, shape: out.shape, rows: splitRows(Float32Array.from(out.data), out.shape[0]) };
  }
  const { header, binary: bytes } = await readBinaryResponse(res);
  return { status: 200, shape: header.outputs[0].shape, rows: splitRows(new Float32Array(bytes.slice().buffer), n) };
}

/** POSTs a binary-extension body (binaryRequest's output) to a model's infer endpoint. */
export function postBinary(url: string, model: string, req: { body: Uint8Array; headers: Record<string, string> }): Promise<Response> {
  // binaryRequest allocates a fresh ArrayBuffer; its declared Uint8Array<ArrayBufferLike> type is wider than fetch accepts.
  return fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', headers: req.headers, body: req.body as Uint8Array<ArrayBuffer> });
}

/** Optional KServe request parameters, e.g. `{ normalize: true }`. */
type Params = Record<string, unknown>;

/** POSTs BYTES elements to a pipeline model (embed_image: base64 file bytes; embed_text: strings) as KServe v2 JSON. */
export async function inferBytesJson(url: string, model: string, input: string, elements: string[], parameters?: Params): Promise<EmbedResult> {
  const body = JSON.stringify({ inputs: [{ name: input, shape: [elements.length], datatype: 'BYTES', data: elements }], ...(parameters && { parameters }) });
  const res = await fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return readEmbedding(res, elements.length, false);
}

/** POSTs raw BYTES elements (4-byte little-endian length prefix each) with the binary extension, binary output. */
export async function inferBytesBinary(url: string, model: string, input: string, elements: Uint8Array[], parameters?: Params): Promise<EmbedResult> {
  const data = encodeBytesElements(elements);
  const req = binaryRequest(
    {
      inputs: [{ name: input, shape: [elements.length], datatype: 'BYTES', parameters: { binary_data_size: data.byteLength } }],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
      ...(parameters && { parameters }),
    },
    data,
  );
  const res = await postBinary(url, model, req);
  return readEmbedding(res, elements.length, true);
}

/** embed_image over JSON, each file base64-encoded (so with parameters.base64_encoded true, as the Triton deployment's clients send it). */
export const embedImagesJson = (url: string, files: Uint8Array[], parameters?: Params) =>
  inferBytesJson(url, 'embed_image', 'INPUT_IMAGE', files.map(base64), { base64_encoded: true, ...parameters });

/** embed_image over the binary extension, each file as raw bytes (base64_encoded's default, false). */
export const embedImagesBinary = (url: string, files: Uint8Array[], parameters?: Params) => inferBytesBinary(url, 'embed_image', 'INPUT_IMAGE', files, parameters);

/** siglip_text with INT64 INPUT_IDS [n, 64], as JSON numbers or binary. */
export async function inferInputIds(url: string, ids: BigInt64Array, n: number, binary: boolean): Promise<EmbedResult> {
  const shape = [n, ids.length / n];
  if (!binary) {
    const body = JSON.stringify({ inputs: [{ name: 'INPUT_IDS', shape, datatype: 'INT64', data: Array.from(ids, Number) }] });
    const res = await fetch(`${url}/v2/models/siglip_text/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return readEmbedding(res, n, false);
  }
  const req = binaryRequest(
    {
      inputs: [{ name: 'INPUT_IDS', shape, datatype: 'INT64', parameters: { binary_data_size: ids.byteLength } }],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
    },
    ids,
  );
  const res = await postBinary(url, 'siglip_text', req);
  return readEmbedding(res, n, true);
}

/** POSTs a JSON body to /v1/embeddings; returns status and parsed body. */
export async function postEmbeddings(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** A file as a data: URL. */
export const dataUrl = (file: Uint8Array, mime = 'image/png') => `data:${mime};base64,${base64(file)}`;

/** Euclidean norm. */
export function l2norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** `v / |v|` as a new array. */
export function unit(v: ArrayLike<number>): Float32Array {
  const n = l2norm(v);
  return Float32Array.from(v, (x) => x / n);
}
