import type { EmbeddingCache } from './cache/embeddingCache';
import { contentKey } from './cache/contentKey';
import type { EmbedProgress } from './embedImages';
import { forEachConcurrent } from './forEachConcurrent';
import { MAX_TEXTS_PER_REQUEST, type V2Client } from './http/v2Client';

/** What {@link embedTexts} needs. */
export interface EmbedTextsDeps {
  client: V2Client;
  cache?: EmbeddingCache;
  concurrency: number;
  onProgress?: (p: EmbedProgress) => void;
  signal?: AbortSignal;
}

/** Text embeddings by text, and how many were sent. */
export interface TextEmbeddings {
  byText: Map<string, Float32Array>;
  fromCache: number;
  embedded: number;
}

/**
 * Embeds the distinct texts through embed_text, in requests of at most 60 (the old deployment's batch size), at most
 * `concurrency` requests at a time; cached texts are not sent, and each batch's embeddings are cached as it arrives.
 */
export async function embedTexts(texts: readonly string[], deps: EmbedTextsDeps): Promise<TextEmbeddings> {
  const distinct = [...new Set(texts)];
  const byText = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const t of distinct) {
    const hit = deps.cache?.get(contentKey(t));
    if (hit) byText.set(t, hit);
    else missing.push(t);
  }
  const fromCache = byText.size;
  const report = () => deps.onProgress?.({ stage: 'texts', done: byText.size, total: distinct.length, fromCache, rejected: 0 });
  report();
  const batches = Math.ceil(missing.length / MAX_TEXTS_PER_REQUEST);
  await forEachConcurrent(
    batches,
    deps.concurrency,
    async (b) => {
      const batch = missing.slice(b * MAX_TEXTS_PER_REQUEST, (b + 1) * MAX_TEXTS_PER_REQUEST);
      const embeddings = await deps.client.embedTexts(batch, deps.signal);
      batch.forEach((t, i) => byText.set(t, embeddings[i]));
      if (deps.cache) await Promise.all(batch.map((t, i) => deps.cache!.put(contentKey(t), embeddings[i])));
      report();
    },
    deps.signal,
  );
  return { byText, fromCache, embedded: missing.length };
}
