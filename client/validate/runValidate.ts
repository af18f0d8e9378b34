import { resolve } from 'node:path';
import { EmbeddingCache } from './cache/embeddingCache';
import type { ModelIdentity } from './cache/modelIdentity';
import { loadDataset, type LabeledImage } from './dataset/loadDataset';
import { embedImages, type EmbedProgress, type RejectedImage } from './embedImages';
import { embedTexts } from './embedTexts';
import type { RetryPolicy } from './http/retryPolicy';
import { TEXT_EMBED_MODEL, V2Client } from './http/v2Client';
import type { PerClassRow, ResultRow, ValidateResult, ValidateSettings } from './results';
import { cosineKNeighbours } from './scoring/cosineKNeighbours';
import { cosineLabelRanks } from './scoring/cosineLabelRanks';
import { knnLabelRanks, type LabelRanks } from './scoring/knnLabelRanks';
import { normalizeRows } from './scoring/normalizeRows';
import { SimilarityEngine, type Matrix } from './scoring/similarityEngine';
import { topKAccuracy, topKAccuracyPerLabel } from './scoring/topKAccuracy';
import { ensembleClassEmbeddings } from './zeroShot/ensembleClassEmbeddings';
import { CLIP_IMAGENET_TEMPLATES, fillTemplate, OLD_TABLE_TEMPLATES, readTemplateFile, type Template } from './zeroShot/templates';
import { ValidateError } from './validateError';

/** The server `siglip validate` talks to unless told otherwise (`siglip serve`'s default address). */
export const DEFAULT_URL = 'http://127.0.0.1:8000';
/** Where embeddings are cached unless told otherwise (relative to the working directory). */
export const DEFAULT_CACHE_DIR = '.siglip/validate-cache';
/** Requests in flight at once: the old accuracy script's 60 client threads. */
export const DEFAULT_CONCURRENCY = 60;
/** The classifier's k (`KNeighborsClassifier(n_neighbors=10)`). */
export const NEIGHBOURS = 10;

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

interface TemplateSet {
  id: string;
  template: string;
  templates: Template[];
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

    const trainUsed = usable(dataset.train, embedded.embeddings.slice(0, dataset.train.length));
    const validUsed = usable(dataset.valid, embedded.embeddings.slice(dataset.train.length));
    if (!validUsed.images.length) throw new ValidateError('no validation image could be embedded: check that valid/<synset>/ holds images the server accepts');
    const imageDim = validUsed.matrix.dim;
    if (trainUsed.images.length && trainUsed.matrix.dim !== imageDim) throw new ValidateError(`the server returned image embeddings of ${trainUsed.matrix.dim} and ${imageDim} values`);

    const nClasses = dataset.classes.length;
    const validLabels = Int32Array.from(validUsed.images, (im) => im.label);
    const rows: ResultRow[] = [];
    const ranks = new Map<string, LabelRanks>();
    const notes: string[] = [];
    const engine = await SimilarityEngine.create({ chunkRows: options.chunkRows });
    try {
      const valid = { ...validUsed.matrix, data: normalizeRows(validUsed.matrix.data, imageDim) };
      const shots = Math.max(0, ...dataset.classes.map((_, c) => trainUsed.images.filter((im) => im.label === c).length));
      const fewshot: ResultRow = { id: 'fewshot_knn', kind: `${shots}-shot kNN`, method: 'knn', template: '', templates: [], top1: null, top5: null };
      if (trainUsed.images.length >= NEIGHBOURS) {
        const train = { ...trainUsed.matrix, data: normalizeRows(trainUsed.matrix.data, imageDim) };
        const trainLabels = Int32Array.from(trainUsed.images, (im) => im.label);
        const r = knnLabelRanks(await cosineKNeighbours(engine, valid, train, NEIGHBOURS), trainLabels, validLabels, nClasses);
        setFigures(fewshot, r, ranks);
      } else {
        fewshot.note = `the few-shot row needs at least k = ${NEIGHBOURS} train images, got ${trainUsed.images.length}`;
      }
      rows.push(fewshot);

      const textDim = texts.byText.size ? texts.byText.values().next().value!.length : null;
      const zeroShotNote =
        textDim !== null && textDim !== imageDim
          ? `zero-shot needs image and text embeddings of one width: the server's are ${imageDim}-d and ${textDim}-d (serve a model pair whose towers share a width)`
          : undefined;
      const classIndex = Int32Array.from({ length: nClasses }, (_, i) => i);
      for (const set of sets) {
        const knn: ResultRow = { id: `${set.id}_knn`, kind: 'zero-shot', method: 'knn', template: set.template, templates: set.templates, top1: null, top5: null };
        const cosine: ResultRow = { ...knn, id: `${set.id}_cosine`, method: 'cosine', kind: set.templates.length > 1 ? 'zero-shot ensemble' : 'zero-shot' };
        if (zeroShotNote) {
          knn.note = cosine.note = zeroShotNote;
        } else {
          const perTemplate = set.templates.map((t) => promptMatrix(dataset.classes.map((c) => texts.byText.get(fillTemplate(t, c))!), textDim!));
          const classes = perTemplate.length === 1 ? { ...perTemplate[0], data: normalizeRows(perTemplate[0].data, textDim!) } : ensembleClassEmbeddings(perTemplate);
          if (nClasses >= NEIGHBOURS) {
            setFigures(knn, knnLabelRanks(await cosineKNeighbours(engine, valid, classes, NEIGHBOURS), classIndex, validLabels, nClasses), ranks);
          } else {
            knn.note = `kNN over class embeddings needs at least k = ${NEIGHBOURS} classes, got ${nClasses}`;
          }
          setFigures(cosine, await cosineLabelRanks(engine, valid, classes, validLabels), ranks);
        }
        rows.push(knn, cosine);
      }
      for (const r of rows) if (r.note && !notes.includes(r.note)) notes.push(r.note);
      if (embedded.rejected.length) notes.push(`${embedded.rejected.length} images were refused by the server and left out (listed in results.json)`);
      if (nClasses <= 5) notes.push(`with ${nClasses} classes top-5 counts every label as a hit (top_k_accuracy_score warns that k ≥ n_classes is meaningless)`);
      const t3 = performance.now();

      const perClass = perClassRows(dataset.classes, trainUsed.images, validUsed.images, rows, ranks, validLabels);
      return {
        settings,
        server: { url: client.baseUrl, image: imageIdentity, text: prompts.length ? textIdentity : null },
        counts: {
          classes: nClasses,
          trainImages: trainUsed.images.length,
          validImages: validUsed.images.length,
          rejectedImages: embedded.rejected.length,
          imagesFromCache: embedded.fromCache,
          imagesEmbedded: embedded.embedded,
          textsFromCache: texts.fromCache,
          textsEmbedded: texts.embedded,
          imageDim,
          textDim,
        },
        rows,
        rejected: embedded.rejected,
        perClass,
        notes,
        timings: { embedImagesMs: t1 - t0, embedTextsMs: t2 - t1, scoringMs: t3 - t2 },
      };
    } finally {
      await engine.close();
    }
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

// The old table's three templates, each of the user's (and their ensemble), and the CLIP 80 as an ensemble.
function templateSets(user: Template[], ensemble: boolean): TemplateSet[] {
  const sets: TemplateSet[] = OLD_TABLE_TEMPLATES.map((t, i) => ({ id: `old${i + 1}`, template: t, templates: [t] }));
  user.forEach((t, i) => sets.push({ id: `user${i + 1}`, template: t, templates: [t] }));
  if (user.length > 1) sets.push({ id: 'user_ensemble', template: `${user.length} templates of the template file`, templates: user });
  if (ensemble) sets.push({ id: 'clip80', template: `${CLIP_IMAGENET_TEMPLATES.length} CLIP ImageNet templates`, templates: [...CLIP_IMAGENET_TEMPLATES] });
  return sets;
}

async function identify(client: V2Client, model: string, request: Record<string, unknown>): Promise<ModelIdentity> {
  const metadata = await client.modelMetadata(model);
  const config = await client.modelConfig(model);
  return { url: client.baseUrl, model, metadata, ...(config ? { config } : {}), request };
}

// The images that got an embedding, and their embeddings as one matrix.
function usable(images: readonly LabeledImage[], embeddings: readonly (Float32Array | undefined)[]): { images: LabeledImage[]; matrix: Matrix } {
  const kept = images.map((im, i) => ({ im, e: embeddings[i] })).filter((x): x is { im: LabeledImage; e: Float32Array } => x.e !== undefined);
  const dim = kept.length ? kept[0].e.length : 0;
  const data = new Float32Array(kept.length * dim);
  kept.forEach(({ e }, i) => {
    if (e.length !== dim) throw new ValidateError(`the server returned image embeddings of ${dim} and ${e.length} values`);
    data.set(e, i * dim);
  });
  return { images: kept.map((x) => x.im), matrix: { data, rows: kept.length, dim } };
}

function promptMatrix(embeddings: Float32Array[], dim: number): Matrix {
  const data = new Float32Array(embeddings.length * dim);
  embeddings.forEach((e, i) => {
    if (e.length !== dim) throw new ValidateError(`the server returned text embeddings of ${dim} and ${e.length} values`);
    data.set(e, i * dim);
  });
  return { data, rows: embeddings.length, dim };
}

function setFigures(row: ResultRow, r: LabelRanks, ranks: Map<string, LabelRanks>): void {
  row.top1 = topKAccuracy(r, 1);
  row.top5 = topKAccuracy(r, 5);
  ranks.set(row.id, r);
}

function perClassRows(
  classes: { synset: string; description: string }[],
  train: LabeledImage[],
  valid: LabeledImage[],
  rows: ResultRow[],
  ranks: Map<string, LabelRanks>,
  validLabels: Int32Array,
): PerClassRow[] {
  const n = classes.length;
  const count = (images: LabeledImage[]) => images.reduce((acc, im) => (acc[im.label]++, acc), new Array<number>(n).fill(0));
  const trainCounts = count(train);
  const validCounts = count(valid);
  const perRow = new Map(
    rows.filter((r) => ranks.has(r.id)).map((r) => [r.id, [topKAccuracyPerLabel(ranks.get(r.id)!, validLabels, n, 1), topKAccuracyPerLabel(ranks.get(r.id)!, validLabels, n, 5)]] as const),
  );
  const orNull = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : x);
  return classes.map((c, i) => ({
    synset: c.synset,
    description: c.description,
    trainImages: trainCounts[i],
    validImages: validCounts[i],
    accuracy: Object.fromEntries(rows.map((r) => [r.id, { top1: orNull(perRow.get(r.id)?.[0][i]), top5: orNull(perRow.get(r.id)?.[1][i]) }])),
  }));
}
