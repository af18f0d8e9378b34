import { readFile } from 'node:fs/promises';
import type { EmbeddingCache } from './cache/embeddingCache';
import { contentKey } from './cache/contentKey';
import type { LabeledImage } from './dataset/loadDataset';
import { forEachConcurrent } from './forEachConcurrent';
import { ImageRejectedError } from './http/imageRejectedError';
import type { V2Client } from './http/v2Client';
import { ValidateError } from './validateError';

/** Progress of one embedding stage. */
export interface EmbedProgress {
  stage: 'images' | 'texts';
  done: number;
  total: number;
  /** Of `done`, how many came from the cache. */
  fromCache: number;
  /** Of `done`, how many the server refused. */
  rejected: number;
}

/** An image the server refused, and why. */
export interface RejectedImage {
  name: string;
  error: string;
}

/** Embeddings by image index; undefined where the server refused the image. */
export interface ImageEmbeddings {
  embeddings: (Float32Array | undefined)[];
  rejected: RejectedImage[];
  fromCache: number;
  embedded: number;
}

/** What {@link embedImages} needs. */
export interface EmbedImagesDeps {
  client: V2Client;
  cache?: EmbeddingCache;
  concurrency: number;
  onProgress?: (p: EmbedProgress) => void;
  onRejected?: (r: RejectedImage) => void;
  signal?: AbortSignal;
}

/**
 * Embeds every image through embed_image, at most `concurrency` at a time. Each file is read only when its turn
 * comes (never more files open than requests in flight), hashed, and looked up in the cache; a miss is sent and
 * its embedding appended to the cache before the worker takes the next file. A refused image is counted and skipped.
 */
export async function embedImages(images: readonly LabeledImage[], deps: EmbedImagesDeps): Promise<ImageEmbeddings> {
  const embeddings = new Array<Float32Array | undefined>(images.length);
  const rejected: RejectedImage[] = [];
  const inFlight = new Map<string, Promise<Float32Array>>();
  let done = 0;
  let fromCache = 0;
  let embedded = 0;
  const report = () => deps.onProgress?.({ stage: 'images', done, total: images.length, fromCache, rejected: rejected.length });
  report();
  await forEachConcurrent(
    images.length,
    deps.concurrency,
    async (i) => {
      const image = images[i];
      let bytes: Uint8Array;
      try {
        bytes = await readFile(image.path);
      } catch (err) {
        throw new ValidateError(`cannot read ${image.path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): fix its permissions or remove it`);
      }
      const key = contentKey(bytes);
      const cached = deps.cache?.get(key);
      try {
        if (cached) {
          embeddings[i] = cached;
          fromCache++;
        } else {
          // Two files with the same bytes are sent once.
          let pending = inFlight.get(key);
          if (!pending) {
            pending = deps.client.embedImage(bytes, deps.signal).then(async (e) => {
              await deps.cache?.put(key, e);
              embedded++;
              return e;
            });
            inFlight.set(key, pending);
            pending.then(() => inFlight.delete(key), () => inFlight.delete(key));
          }
          embeddings[i] = await pending;
        }
      } catch (err) {
        if (!(err instanceof ImageRejectedError)) throw err;
        const r = { name: image.name, error: err.message };
        rejected.push(r);
        deps.onRejected?.(r);
      }
      done++;
      report();
    },
    deps.signal,
  );
  return { embeddings, rejected, fromCache, embedded };
}
