import { InferenceError, invalidArgument, unavailable } from '../../../shared/errors';
import { parseEmbeddingsBody, type EmbeddingItem } from '../../../shared/schemas/embeddingsRequest';
import { checkBodyContentType } from '../../../shared/contract/contentType';
import { readStreamWithin } from '../../../shared/http/readStreamWithin';
import { PipelineModel } from '../../models/pipelineModel';
import { CancelledError } from '../../batching/dynamicBatcher';
import { imageBytes } from '../../models/imageElement';
import type { BytesElement, ServedModel } from '../../models/types';
import { withAdmittedBody, type BodyAdmission } from '../body/admittedBody';
import { sendJson } from '../respond';
import type { Handler } from '../router';

/** Fetches an allow-listed remote image; anything else is refused before a connection is made. */
export type RemoteImageFetcher = (url: string, index: number) => Promise<Uint8Array>;

/** Settings of the /v1/embeddings route. */
export interface EmbeddingsRouteOptions {
  imageModel: string;
  textModel: string;
  /** Name reported in the reply's `model` field when the request names none. */
  servedName: string;
  allowlist: string[];
  maxImageBytes: number;
  fetchImage?: RemoteImageFetcher;
}

/** Downloads an allow-listed image with a size cap and a timeout; errors name the item as input[index]. */
function defaultImageFetcher(maxBytes: number): RemoteImageFetcher {
  return async (url, index) => {
    const label = `input[${index}]`;
    const tooBig = (size: number) =>
      new InferenceError('PAYLOAD_TOO_LARGE', `${label}: image of ${size} bytes exceeds the limit of ${maxBytes} bytes`, 'too_large');
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) }).catch((err: Error) => {
      throw invalidArgument(`${label}: could not fetch image: ${err.message}`);
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw invalidArgument(`${label}: fetching the image returned HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw tooBig(declared);
    }
    // Content-Length may be absent or wrong: count while reading, and stop at the cap.
    return readStreamWithin(res.body!, maxBytes, tooBig).catch((err: Error) => {
      if (err instanceof InferenceError) throw err;
      throw invalidArgument(`${label}: could not fetch image: ${err.message}`);
    });
  };
}

/** What the embeddings handler needs. */
export interface EmbeddingsRouteDeps {
  models: ReadonlyMap<string, ServedModel>;
  lifecycle: { readonly shuttingDown: boolean };
  /** The same admission budget as infer bodies: embeddings bodies carry images too. */
  admission: BodyAdmission;
}

/** POST /v1/embeddings: texts and images in, L2-normalized embeddings out, each item to its tower. */
export function embeddingsHandler(deps: EmbeddingsRouteDeps, opts: EmbeddingsRouteOptions): Handler {
  const fetchImage = opts.fetchImage ?? defaultImageFetcher(opts.maxImageBytes);
  return async ({ req, res }) => {
    const image = deps.models.get(opts.imageModel);
    const text = deps.models.get(opts.textModel);
    if (deps.lifecycle.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
    checkBodyContentType(req.headers['content-type']);
    const request = await withAdmittedBody(deps.admission, req, parseEmbeddingsBody);
    const items: EmbeddingItem[] = typeof request.input === 'string' ? [request.input] : request.input;

    const texts: { index: number; value: BytesElement }[] = [];
    const images: { index: number; inline?: string; url?: string }[] = [];
    items.forEach((item, index) => {
      if (typeof item === 'string' || 'text' in item) {
        const value = typeof item === 'string' ? item : item.text;
        if (!value.trim()) throw invalidArgument(`input[${index}]: empty string`);
        texts.push({ index, value });
      } else if (item.image.startsWith('data:')) {
        if (!/^data:image\/[a-z0-9.+-]+;base64,/i.test(item.image)) throw invalidArgument(`input[${index}]: image must be a data:image/...;base64,... URL`);
        images.push({ index, inline: item.image });
      } else {
        if (!isAllowedImageUrl(item.image, opts.allowlist)) {
          throw invalidArgument(`input[${index}]: remote image URLs are refused; send a data: URL, or start the backend with an allowlist that covers this URL`);
        }
        // Fetched only once every item has passed validation: a fetch started before a later item is
        // refused would fail (or succeed) unobserved.
        images.push({ index, url: item.image });
      }
    });
    if (texts.length && !(text instanceof PipelineModel)) throw invalidArgument(`text input needs the '${opts.textModel}' model, which is not loaded`);
    if (images.length && !(image instanceof PipelineModel)) throw invalidArgument(`image input needs the '${opts.imageModel}' model, which is not loaded`);
    // SigLIP's embeddings are not trained to be truncated (no Matryoshka loss): a shorter vector would not
    // mean what the full one means, so `dimensions` is taken only when it asks for the model's own width.
    if (request.dimensions !== undefined) {
      const widths = [...new Set([texts.length ? (text as PipelineModel).dim : 0, images.length ? (image as PipelineModel).dim : 0].filter(Boolean))];
      if (widths.some((w) => w !== request.dimensions)) {
        throw invalidArgument(`dimensions ${request.dimensions} is not supported: SigLIP embeddings are ${widths.join('/')}-d and cannot be shortened; leave dimensions out`);
      }
    }
    const started = performance.now();
    const used = [texts.length ? (text as PipelineModel) : null, images.length ? (image as PipelineModel) : null].filter((m): m is PipelineModel => m !== null);

    const abort = new AbortController();
    res.on('close', () => !res.writableFinished && abort.abort());
    const ctxIn = { timeoutMs: 0, signal: abort.signal };
    const relabel = (err: unknown, indices: number[]) => {
      // Pipeline errors say "INPUT_TEXT[k]"/"INPUT_IMAGE[k]"; the client knows the items as input[i].
      if (err instanceof InferenceError) {
        const msg = err.message.replace(/^[A-Z_]+\[(\d+)\]/, (_, k: string) => `input[${indices[Number(k)]}]`).replace(/^[A-Z_]+:/, 'input:');
        return new InferenceError(err.code, msg, err.reason);
      }
      return err;
    };
    const usage = { tokens: 0 };
    let vectors: [Float32Array | null, Float32Array | null];
    try {
      vectors = await Promise.all([
        texts.length
          ? (text as PipelineModel).embed(texts.map((t) => t.value), ctxIn, { normalize: true, usage }).catch((e) => Promise.reject(relabel(e, texts.map((t) => t.index))))
          : null,
        images.length
          ? Promise.all(images.map(({ index, inline, url }): BytesElement | Promise<BytesElement> => (inline ? imageBytes(inline, `input[${index}]`, true) : fetchImage(url!, index)))).then((values) =>
              (image as PipelineModel).embed(values, ctxIn, { normalize: true, base64: false }).catch((e) => Promise.reject(relabel(e, images.map((i) => i.index)))),
            )
          : null,
      ]);
    } catch (err) {
      if (!(err instanceof CancelledError)) {
        const reason = err instanceof InferenceError ? err.reason.toLowerCase() : 'internal';
        for (const m of used) m.telemetry.requestFailed((performance.now() - started) * 1e6, reason);
      }
      throw err;
    }
    const [textVecs, imageVecs] = vectors;
    const data: { object: 'embedding'; index: number; embedding: number[] | string }[] = new Array<{ object: 'embedding'; index: number; embedding: number[] | string }>(items.length);
    const put = (vecs: Float32Array, dim: number, list: { index: number }[]) =>
      list.forEach(({ index }, k) => {
        const v = vecs.subarray(k * dim, (k + 1) * dim);
        data[index] = {
          object: 'embedding',
          index,
          embedding: request.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
        };
      });
    if (textVecs) put(textVecs, (text as PipelineModel).dim, texts);
    if (imageVecs) put(imageVecs, (image as PipelineModel).dim, images);
    // usage counts what the tokenizer made of each text (its ids up to EOS, at most 64), as OpenAI's does.
    sendJson(res, 200, { object: 'list', data, model: request.model ?? opts.servedName, usage: { prompt_tokens: usage.tokens, total_tokens: usage.tokens } });
    // Counted like infer requests of the models they used (nv_inference_request_success, /stats).
    for (const m of used) m.telemetry.requestSucceeded((performance.now() - started) * 1e6);
  };
}

/**
 * Whether `url` is covered by an allowlist entry: the same scheme, host and port, and a path under the entry's
 * path at a segment boundary ("http://h:1905/img" covers "/img" and "/img/a.png", not "/imgs" nor port 19059).
 * URLs with credentials, and schemes other than http(s), are never allowed.
 */
export function isAllowedImageUrl(url: string, allowlist: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password) return false;
  return allowlist.some((entry) => {
    let a: URL;
    try {
      a = new URL(entry);
    } catch {
      return false;
    }
    if (a.origin !== u.origin) return false;
    const base = a.pathname.endsWith('/') ? a.pathname : `${a.pathname}/`;
    return u.pathname === a.pathname || u.pathname.startsWith(base);
  });
}
