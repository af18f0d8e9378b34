import { InferenceError, invalidArgument, unavailable } from '../../shared/errors';
import { parseEmbeddingsBody, type EmbeddingItem } from '../../shared/schemas/embeddingsRequest';
import { checkBodyContentType } from '../../shared/contract/contentType';
import { PipelineModel } from '../models/pipelineModel';
import { imageBytes } from '../models/imageElement';
import type { BytesElement } from '../models/types';
import { withAdmittedBody, type BackendContext } from './routes';
import { readStreamWithin } from '../../shared/http/readStreamWithin';
import { sendJson } from './respond';
import type { Router } from './router';

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
export function defaultImageFetcher(maxBytes: number): RemoteImageFetcher {
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

/** Registers POST /v1/embeddings: texts and images in, L2-normalized embeddings out, each item to its tower. */
export function registerEmbeddingsRoute(router: Router, ctx: BackendContext, opts: EmbeddingsRouteOptions): void {
  const fetchImage = opts.fetchImage ?? defaultImageFetcher(opts.maxImageBytes);
  router.add('POST', '/v1/embeddings', async ({ req, res }) => {
    const image = ctx.models.get(opts.imageModel);
    const text = ctx.models.get(opts.textModel);
    if (ctx.state.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
    checkBodyContentType(req.headers['content-type']);
    // Under the same admission budget as infer bodies: embeddings bodies carry images too.
    const request = await withAdmittedBody(ctx, req, 0, parseEmbeddingsBody);
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
        if (!opts.allowlist.some((prefix) => item.image.startsWith(prefix))) {
          throw invalidArgument(`input[${index}]: remote image URLs are refused; send a data: URL, or start the backend with an allowlist that covers this URL`);
        }
        // Fetched only once every item has passed validation: a fetch started before a later item is
        // refused would fail (or succeed) unobserved.
        images.push({ index, url: item.image });
      }
    });
    if (texts.length && !(text instanceof PipelineModel)) throw invalidArgument(`text input needs the '${opts.textModel}' model, which is not loaded`);
    if (images.length && !(image instanceof PipelineModel)) throw invalidArgument(`image input needs the '${opts.imageModel}' model, which is not loaded`);

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
    const [textVecs, imageVecs] = await Promise.all([
      texts.length
        ? (text as PipelineModel).embed(texts.map((t) => t.value), ctxIn, { normalize: true }).catch((e) => Promise.reject(relabel(e, texts.map((t) => t.index))))
        : null,
      images.length
        ? Promise.all(images.map(({ index, inline, url }): BytesElement | Promise<BytesElement> => (inline ? imageBytes(inline, `input[${index}]`, true) : fetchImage(url!, index)))).then((values) =>
            (image as PipelineModel).embed(values, ctxIn, { normalize: true, base64: false }).catch((e) => Promise.reject(relabel(e, images.map((i) => i.index)))),
          )
        : null,
    ]);
    const data: { object: 'embedding'; index: number; embedding: number[] | string }[] = new Array(items.length);
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
    const tokens = texts.reduce((n, t) => n + countTokens(t.value), 0);
    sendJson(res, 200, { object: 'list', data, model: request.model ?? opts.servedName, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  });
}

/** Rough token count for usage: whitespace-separated words plus EOS. */
function countTokens(value: BytesElement): number {
  const s = typeof value === 'string' ? value : new TextDecoder().decode(value);
  return s.split(/\s+/).filter(Boolean).length + 1;
}
