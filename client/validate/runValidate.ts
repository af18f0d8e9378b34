import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { EmbeddingCache } from './cache/embeddingCache';
import type { ModelIdentity } from './cache/modelIdentity';
import { loadDataset, type LabeledImage } from './dataset/loadDataset';
import { embedImages, type EmbedProgress, type RejectedImage } from './embedImages';
import { embedTexts } from './embedTexts';
import type { RetryPolicy } from './http/retryPolicy';
import { TEXT_EMBED_MODEL, V2Client } from './http/v2Client';
import { perClassRows } from './report/perClassRows';
import type { ValidateResult, ValidateSettings } from './results';
import { scoreRows, stackRows, type LabeledEmbeddings } from './scoreRows';
import { ValidateError } from './validateError';
import { templateSets } from './zeroShot/templateSets';
import { fillTemplate, readTemplateFile } from './zeroShot/templates';

/** The server `siglip validate` talks to unless told otherwise (`siglip serve`'s default address). */
export const DEFAULT_URL = 'http://127.0.0.1:8000';
/** Where embeddings are cached unless told otherwise (relative to the working directory). */
export const DEFAULT_CACHE_DIR = '.siglip/validate-cache';
/** Requests in flight at once: the old accuracy script's 60 client threads. */
export const DEFAULT_CONCURRENCY = 60;
/** The classifier's k (`KNeighborsClassifier(n_neighbors=10)`). */
const NEIGHBOURS = 10;

/** Options of {@link runValidate}; only `data` is required. */
export interface ValidateOptions {
  data: string;
  url?: string;
  apiKey?: string;
  classes?: number;
  trainPerClass?: number;
  validPerClass?: number;
  seed?: number;
  concurrency?: number;
  /** A file of the user's templates, one per line. */
  templatesFile?: string;
  /** Cache folder; false for none. */
  cacheDir?: string | false;
  /** Score the 80 CLIP ImageNet templates as an ensemble (80 prompts per class to embed). Default true. */
  ensemble?: boolean;
  onProgress?: (p: EmbedProgress) => void;
  onRejected?: (r: RejectedImage) => void;
  /** Informational lines (cache use, skipped rows). */
  log?: (line: string) => void;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /** Query rows per ORT run (tests use small blocks to cover block edges). */
  chunkRows?: number;
}


/**
 * `siglip validate` as a function: embeds the dataset through the server (cached, resumable), scores the 10-shot
 * kNN and the zero-shot rows exactly as the old accuracy check did (scikit-learn's rules), adds the prompt
 * ensembles, and returns every figure. Writing files and printing are the caller's.
 */
export async function runValidate(options: ValidateOptions): Promise<ValidateResult> {
  const settings = resolveSettings(options);
  const log = options.log ?? (() => undefined);
  const dataset = await loadDataset(settings.data, {
    classes: options.classes,
    trainPerClass: options.trainPerClass,
    validPerClass: options.validPerClass,
    seed: settings.seed,
  });
  const userTemplates = options.templatesFile ? await readTemplateFile(options.templatesFile) : [];
  const sets = templateSets(userTemplates, settings.ensemble);

  // Every request in flight (and every retry wait) listens on the signal: more than EventTarget's default 10.
  if (options.signal) setMaxListeners(2 * settings.concurrency + 16, options.signal);
  const client = new V2Client({ url: settings.url, apiKey: options.apiKey, connections: settings.concurrency, retry: options.retry });
  const caches: EmbeddingCache[] = [];
  try {
    const imageIdentity = await identify(client, 'embed_image', { request: 'raw-bytes' });
    const textIdentity = await identify(client, 'embed_text', { embed_model: TEXT_EMBED_MODEL });
    const openCache = async (kind: string, identity: ModelIdentity) => {
      if (!settings.cacheDir) return undefined;
      const cache = await EmbeddingCache.open(settings.cacheDir, kind, identity);
      caches.push(cache);
      const skipped = cache.loaded.skippedBytes ? `, skipped ${cache.loaded.skippedBytes} torn bytes` : '';
      log(`cache ${cache.path}: ${cache.size} embeddings held${skipped}`);
      return cache;
    };

    const t0 = performance.now();
    const images = [...dataset.train, ...dataset.valid];
    const imageCache = await openCache('images', imageIdentity);
    const embedded = await embedImages(images, {
      client,
      cache: imageCache,
      concurrency: settings.concurrency,
      onProgress: options.onProgress,
      onRejected: options.onRejected,
      signal: options.signal,
    });
    const t1 = performance.now();

    const prompts = sets.flatMap((s) => s.templates.flatMap((t) => dataset.classes.map((c) => fillTemplate(t, c))));
    const textCache = prompts.length ? await openCache('texts', textIdentity) : undefined;
    const texts = await embedTexts(prompts, { client, cache: textCache, concurrency: settings.concurrency, onProgress: options.onProgress, signal: options.signal });
    const t2 = performance.now();

    const train = usable(dataset.train, embedded.embeddings.slice(0, dataset.train.length));
    const valid = usable(dataset.valid, embedded.embeddings.slice(dataset.train.length));
    if (!valid.labels.length) throw new ValidateError('no validation image could be embedded: check that valid/<synset>/ holds images the server accepts');
    if (train.labels.length && train.matrix.dim !== valid.matrix.dim) {
      throw new ValidateError(`the server returned image embeddings of ${train.matrix.dim} and ${valid.matrix.dim} values`);
    }
    const textDim = texts.byText.size ? texts.byText.values().next().value!.length : null;
    const { rows, ranks } = await scoreRows({
      classes: dataset.classes,
      train,
      valid,
      sets,
      textEmbedding: (p) => texts.byText.get(p)!,
      textDim,
      neighbours: NEIGHBOURS,
      chunkRows: options.chunkRows,
    });
    const t3 = performance.now();

    const nClasses = dataset.classes.length;
    const notes = [...new Set(rows.flatMap((r) => (r.note ? [r.note] : [])))];
    if (embedded.rejected.length) notes.push(`${embedded.rejected.length} images were refused by the server and left out (listed in results.json)`);
    if (nClasses <= 5) notes.push(`with ${nClasses} classes top-5 counts every label as a hit (top_k_accuracy_score warns that k ≥ n_classes is meaningless)`);
    // top_k_accuracy_score refuses two-column scores for binary targets, and labels that are not sorted.
    if (nClasses === 2) notes.push('with 2 classes scikit-learn would refuse these scores as binary; the figures use its multiclass rule');
    if (dataset.classes.some((c, i) => i > 0 && dataset.classes[i - 1].synset > c.synset)) {
      notes.push("the mapping file's synsets are not sorted: scikit-learn's columns would be in sorted order (its top_k_accuracy_score refuses unsorted labels); equal scores are ranked in file order here");
    }
    return {
      settings,
      server: { url: client.baseUrl, image: imageIdentity, text: prompts.length ? textIdentity : null },
      counts: {
        classes: nClasses,
        trainImages: train.labels.length,
        validImages: valid.labels.length,
        rejectedImages: embedded.rejected.length,
        imagesFromCache: embedded.fromCache,
        imagesEmbedded: embedded.embedded,
        textsFromCache: texts.fromCache,
        textsEmbedded: texts.embedded,
        imageDim: valid.matrix.dim,
        textDim,
      },
      rows,
      rejected: embedded.rejected,
      perClass: perClassRows(dataset.classes, train.labels, valid.labels, rows, ranks),
      notes,
      timings: { embedImagesMs: t1 - t0, embedTextsMs: t2 - t1, scoringMs: t3 - t2 },
    };
  } finally {
    await Promise.all(caches.map((c) => c.close()));
    await client.close();
  }
}

function resolveSettings(o: ValidateOptions): ValidateSettings {
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ValidateError(`${name} must be a positive integer, got ${v}`);
    return v ?? null;
  };
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ValidateError(`--seed must be an integer, got ${seed}`);
  return {
    data: resolve(o.data),
    url: o.url ?? DEFAULT_URL,
    classes: positive('--classes', o.classes),
    trainPerClass: positive('--train-per-class', o.trainPerClass),
    validPerClass: positive('--valid-per-class', o.validPerClass),
    seed,
    concurrency: positive('--concurrency', o.concurrency) ?? DEFAULT_CONCURRENCY,
    templatesFile: o.templatesFile ? resolve(o.templatesFile) : null,
    cacheDir: o.cacheDir === false ? null : resolve(o.cacheDir ?? DEFAULT_CACHE_DIR),
    ensemble: o.ensemble ?? true,
    neighbours: NEIGHBOURS,
  };
}

// A model's identity for the cache: what the server says about it, and how we call it.
async function identify(client: V2Client, model: string, request: Record<string, unknown>): Promise<ModelIdentity> {
  const metadata = await client.modelMetadata(model);
  const config = await client.modelConfig(model);
  return { url: client.baseUrl, model, metadata, ...(config ? { config } : {}), request };
}

// The images that got an embedding: their labels, and their embeddings as one matrix.
function usable(images: readonly LabeledImage[], embeddings: readonly (Float32Array | undefined)[]): LabeledEmbeddings {
  const kept = images.flatMap((im, i) => (embeddings[i] ? [{ label: im.label, e: embeddings[i] }] : []));
  const dim = kept.length ? kept[0].e.length : 0;
  return { matrix: stackRows(kept.map((x) => x.e), dim, 'image'), labels: Int32Array.from(kept, (x) => x.label) };
}
