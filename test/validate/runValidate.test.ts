import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderResultsTable } from '../../client/validate/report/resultsMarkdown';
import { writeResults } from '../../client/validate/report/writeResults';
import { runValidate, type ValidateOptions } from '../../client/validate/runValidate';
import { CLIP_IMAGENET_TEMPLATES } from '../../client/validate/zeroShot/templates';
import { textColourEmbedding } from './support/colourEmbedding';
import { independentFigures, meanOfUnitVectors } from './support/independentFigures';
import { startLoopbackServer, type LoopbackOptions } from './support/loopbackServer';
import { writeSyntheticDataset, type SyntheticDataset } from './support/syntheticDataset';

let root: string;
let data: SyntheticDataset;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'validate-run-'));
  // 30 hues with a strong colour jitter: classes overlap, so no row is a trivial 1.0 (top-5 included).
  data = await writeSyntheticDataset({ dir: join(root, 'data'), classes: 30, trainPerClass: 5, validPerClass: 4, colourJitter: 70 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function run(options: Partial<ValidateOptions> = {}, server: LoopbackOptions = {}) {
  const s = await startLoopbackServer(server);
  try {
    const result = await runValidate({ data: data.dir, url: s.url, cacheDir: false, concurrency: 4, chunkRows: 7, ...options });
    return { result, stats: s.stats };
  } finally {
    await s.close();
  }
}

const figures = (r: { top1: number | null; top5: number | null } | undefined) => ({ top1: r?.top1, top5: r?.top5 });

describe('runValidate against the loopback server', () => {
  it('gives the figures an independent computation gives, for every row', async () => {
    const templateFile = join(root, 'templates.txt');
    await writeFile(templateFile, 'a swatch of {text}\n{label}: {text}\n');
    const { result } = await run({ templatesFile: templateFile });
    const want = await independentFigures(data, {
      old1: (c) => `A photo of ${c.description}.`,
      old2: (c) => `This is a photo containing images of ${c.description}.`,
      old3: (c) => `This is a photo from ImageNet's ${c.synset} category. This category contains photos of ${c.description}.`,
      user1: (c) => `a swatch of ${c.description}`,
      user2: (c) => `${c.synset}: ${c.description}`,
    });
    const row = (id: string) => result.rows.find((r) => r.id === id);
    expect(figures(row('fewshot_knn'))).toEqual(want.fewShot);
    expect(row('fewshot_knn')!.kind).toBe('5-shot kNN');
    for (const id of ['old1', 'old2', 'old3', 'user1', 'user2']) {
      expect(figures(row(`${id}_knn`)), id).toEqual(want.zeroShot[id].knn);
      expect(figures(row(`${id}_cosine`)), id).toEqual(want.zeroShot[id].cosine);
    }
    const ensemble = (prompts: ((c: { synset: string; description: string }) => string)[]) =>
      data.classes.map((c) => meanOfUnitVectors(prompts.map((p) => textColourEmbedding(p(c)))));
    const clip = ensemble(CLIP_IMAGENET_TEMPLATES.map((t) => (c) => t.replace('{text}', c.description)));
    expect(figures(row('clip80_cosine'))).toEqual(want.cosine(clip));
    expect(figures(row('clip80_knn'))).toEqual(want.knn(clip, data.classes.map((_, i) => i)));
    const user = ensemble([(c) => `a swatch of ${c.description}`, (c) => `${c.synset}: ${c.description}`]);
    expect(figures(row('user_ensemble_cosine'))).toEqual(want.cosine(user));
    // Far above chance (1/30) yet below 1, so the comparisons above can fail.
    for (const id of ['fewshot_knn', 'old1_knn', 'clip80_cosine']) {
      expect(row(id)!.top1).toBeGreaterThan(0.15);
      expect(row(id)!.top5).toBeLessThan(1);
    }
    expect(result.counts).toMatchObject({ classes: 30, trainImages: 150, validImages: 120, rejectedImages: 0, imageDim: 8, textDim: 8 });
  });

  it("prints the old table's format: few-shot row, a zero-shot row per template, then the ensemble", async () => {
    const { result } = await run();
    const f = (x: number | null) => x!.toFixed(4);
    const r = (id: string) => result.rows.find((x) => x.id === id)!;
    expect(renderResultsTable(result.rows).split('\n')).toEqual([
      '| | top-1 | top-5 | prompt template |',
      '|---|---|---|---|',
      `| 5-shot kNN | ${f(r('fewshot_knn').top1)} | ${f(r('fewshot_knn').top5)} | |`,
      `| zero-shot | ${f(r('old1_knn').top1)} | ${f(r('old1_knn').top5)} | \`A photo of {text}.\` |`,
      `| zero-shot | ${f(r('old2_knn').top1)} | ${f(r('old2_knn').top5)} | \`This is a photo containing images of {text}.\` |`,
      `| zero-shot | ${f(r('old3_knn').top1)} | ${f(r('old3_knn').top5)} | \`This is a photo from ImageNet's {label} category. This category contains photos of {text}.\` |`,
      `| zero-shot | ${f(r('clip80_knn').top1)} | ${f(r('clip80_knn').top5)} | 80 CLIP ImageNet templates |`,
      `| zero-shot ensemble | ${f(r('clip80_cosine').top1)} | ${f(r('clip80_cosine').top5)} | 80 CLIP ImageNet templates |`,
    ]);
  });

  it('writes results.json with every figure and the settings, results.md and the per-class CSV', async () => {
    const { result } = await run({ classes: 10, validPerClass: 2, seed: 3 });
    const out = join(root, 'out');
    await writeResults(out, result);
    const json = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(json.settings).toMatchObject({ classes: 10, validPerClass: 2, seed: 3, trainPerClass: null, neighbours: 10, ensemble: true });
    expect(json.rows.map((r: { id: string }) => r.id)).toEqual(result.rows.map((r) => r.id));
    expect(json.counts.validImages).toBe(20);
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md.startsWith('| | top-1 | top-5 | prompt template |\n')).toBe(true);
    expect(md).toContain('| prompt template | kNN top-1 | kNN top-5 | cosine top-1 | cosine top-5 |');
    const csv = (await readFile(join(out, 'per_class_accuracy.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(11);
    expect(csv[0].split(',').slice(0, 6)).toEqual(['synset', 'description', 'train_images', 'valid_images', 'fewshot_knn_top1', 'fewshot_knn_top5']);
    // Per-class top-1 averages back to the overall figure (every class has 2 valid images).
    const col = csv[0].split(',').indexOf('fewshot_knn_top1');
    const rows = csv.slice(1).map((l) => l.match(/("[^"]*"|[^,]+)/g)!);
    const mean = rows.reduce((a, r) => a + Number(r[col]), 0) / rows.length;
    expect(mean).toBeCloseTo(result.rows[0].top1!, 10);
  });

  it('reports, counts and leaves out a corrupt image', async () => {
    const corrupt = join(data.dir, 'valid', data.classes[0].synset, `${data.classes[0].synset}_99.JPEG`);
    await writeFile(corrupt, 'not a JPEG at all');
    try {
      const rejected: string[] = [];
      const { result } = await run({ ensemble: false, onRejected: (r) => rejected.push(r.name) });
      expect(rejected).toEqual([`valid/${data.classes[0].synset}/${data.classes[0].synset}_99.JPEG`]);
      expect(result.counts.rejectedImages).toBe(1);
      expect(result.counts.validImages).toBe(120);
      expect(result.notes).toContain('1 images were refused by the server and left out (listed in results.json)');
    } finally {
      await rm(corrupt);
    }
  });

  it('scores the few-shot row and explains the missing zero-shot rows when the towers differ in width', async () => {
    const { result } = await run({ ensemble: false }, { textDim: 4 });
    expect(result.rows[0].top1).not.toBeNull();
    const zeroShot = result.rows.filter((r) => r.templates.length);
    expect(zeroShot.every((r) => r.top1 === null && r.top5 === null)).toBe(true);
    expect(result.notes[0]).toBe("zero-shot needs image and text embeddings of one width: the server's are 8-d and 4-d (serve a model pair whose towers share a width)");
  });

  it('leaves kNN over class embeddings out below 10 classes, as kneighbors would refuse, and still scores by cosine', async () => {
    const { result } = await run({ classes: 4, ensemble: false });
    const r = result.rows.find((x) => x.id === 'old1_knn')!;
    expect(r.top1).toBeNull();
    expect(r.note).toBe('kNN over class embeddings needs at least k = 10 classes, got 4');
    expect(result.rows.find((x) => x.id === 'old1_cosine')!.top1).not.toBeNull();
    expect(result.notes).toContain('with 4 classes top-5 counts every label as a hit (top_k_accuracy_score warns that k ≥ n_classes is meaningless)');
  });

  it('leaves the few-shot row out, saying why, when there are fewer train images than k', async () => {
    const { result } = await run({ classes: 3, trainPerClass: 3, ensemble: false });
    expect(result.rows[0]).toMatchObject({ id: 'fewshot_knn', kind: '3-shot kNN', top1: null, top5: null });
    expect(result.rows[0].note).toBe('the few-shot row needs at least k = 10 train images, got 9');
    expect(renderResultsTable(result.rows).split('\n')[2]).toBe('| 3-shot kNN | n/a | n/a | |');
  });

  it('embeds nothing again on a rerun with the cache, and gives the same figures', async () => {
    const cacheDir = join(root, 'cache');
    const s = await startLoopbackServer();
    try {
      const options = { data: data.dir, url: s.url, cacheDir, concurrency: 4, ensemble: false };
      const first = await runValidate(options);
      expect(s.stats.imageRequests).toBe(270);
      const texts = s.stats.textRequests;
      const second = await runValidate(options);
      expect(s.stats.imageRequests).toBe(270);
      expect(s.stats.textRequests).toBe(texts);
      expect(second.counts).toMatchObject({ imagesFromCache: 270, imagesEmbedded: 0, textsEmbedded: 0 });
      expect(second.rows).toEqual(first.rows);
    } finally {
      await s.close();
    }
  });

  it('keeps embeddings of another server apart: a new URL is a new model identity', async () => {
    const cacheDir = join(root, 'cache-url');
    await run({ cacheDir, ensemble: false, classes: 2 });
    const again = await run({ cacheDir, ensemble: false, classes: 2 });
    expect(again.stats.imageRequests).toBe(18);
  });
});
