import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../client/validate/dataset/loadDataset';
import { seededSample } from '../../client/validate/dataset/seededSample';
import { parseSynsetMapping } from '../../client/validate/dataset/synsetMapping';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'validate-dataset-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

// A layout with empty files: loading never reads image bytes.
async function layout(classes: number, train: number, valid: number): Promise<void> {
  const synsets = Array.from({ length: classes }, (_, i) => `n${String(i).padStart(8, '0')}`);
  await writeFile(join(dir, 'LOC_synset_mapping.txt'), synsets.map((s, i) => `${s} class number ${i}, a thing\n`).join(''));
  for (const [split, count] of [['train', train], ['valid', valid]] as const) {
    for (const s of synsets) {
      await mkdir(join(dir, split, s), { recursive: true });
      for (let n = 0; n < count; n++) await writeFile(join(dir, split, s, `${s}_${n}.JPEG`), '');
    }
  }
}

describe('LOC_synset_mapping.txt', () => {
  it('splits each line at its first space, keeping the file order', () => {
    expect(parseSynsetMapping('n01440764 tench, Tinca tinca\n\nn01443537 goldfish, Carassius auratus\n')).toEqual([
      { synset: 'n01440764', description: 'tench, Tinca tinca' },
      { synset: 'n01443537', description: 'goldfish, Carassius auratus' },
    ]);
  });

  it('names the line of a malformed entry and of a repeated synset', () => {
    expect(() => parseSynsetMapping('n1 one\nn2\n')).toThrow('LOC_synset_mapping.txt:2: expected "<synset> <description>", got "n2"');
    expect(() => parseSynsetMapping('n1 one\nn1 again\n')).toThrow('LOC_synset_mapping.txt:2: synset n1 is listed twice');
  });
});

describe('seededSample', () => {
  it('is deterministic in its seed and returns sorted indices', () => {
    const a = seededSample(100, 10, 's');
    expect(seededSample(100, 10, 's')).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(new Set(a).size).toBe(10);
    expect(seededSample(100, 10, 't')).not.toEqual(a);
  });

  it('keeps the smaller subset inside the larger one for the same seed', () => {
    const small = seededSample(50, 5, 'grow');
    const large = seededSample(50, 20, 'grow');
    for (const i of small) expect(large).toContain(i);
  });

  it('takes everything when asked for all or more', () => {
    expect(seededSample(4, undefined, 's')).toEqual([0, 1, 2, 3]);
    expect(seededSample(4, 9, 's')).toEqual([0, 1, 2, 3]);
  });
});

describe('loadDataset', () => {
  it('reads every class and image, labels from the file names, in mapping and name order', async () => {
    await layout(3, 2, 3);
    const d = await loadDataset(dir);
    expect(d.classes.map((c) => c.synset)).toEqual(['n00000000', 'n00000001', 'n00000002']);
    expect(d.train.map((im) => [im.name, im.label])).toEqual([
      ['train/n00000000/n00000000_0.JPEG', 0],
      ['train/n00000000/n00000000_1.JPEG', 0],
      ['train/n00000001/n00000001_0.JPEG', 1],
      ['train/n00000001/n00000001_1.JPEG', 1],
      ['train/n00000002/n00000002_0.JPEG', 2],
      ['train/n00000002/n00000002_1.JPEG', 2],
    ]);
    expect(d.valid).toHaveLength(9);
  });

  it('chooses a seeded subset of classes and images, the same on every call', async () => {
    await layout(10, 6, 8);
    const subset = { classes: 4, trainPerClass: 2, validPerClass: 3, seed: 7 };
    const a = await loadDataset(dir, subset);
    expect(await loadDataset(dir, subset)).toEqual(a);
    expect(a.classes).toHaveLength(4);
    const synsets = a.classes.map((c) => c.synset);
    expect([...synsets].sort()).toEqual(synsets); // mapping order kept
    expect(a.train).toHaveLength(8);
    expect(a.valid).toHaveLength(12);
    for (let c = 0; c < 4; c++) expect(a.valid.filter((im) => im.label === c)).toHaveLength(3);
    const other = await loadDataset(dir, { ...subset, seed: 8 });
    expect(other.classes.map((c) => c.synset).join() + other.valid.map((im) => im.name).join()).not.toBe(synsets.join() + a.valid.map((im) => im.name).join());
  });

  it("keeps a class's images when other options change (per-class streams)", async () => {
    await layout(6, 6, 6);
    const few = await loadDataset(dir, { classes: 3, validPerClass: 2, seed: 1 });
    const more = await loadDataset(dir, { classes: 5, validPerClass: 2, seed: 1 });
    const names = new Set(more.valid.map((im) => im.name));
    for (const im of few.valid) expect(names.has(im.name)).toBe(true);
  });

  it('gives a class without a train folder no train images, so its label never occurs in training', async () => {
    await layout(3, 2, 2);
    await rm(join(dir, 'train', 'n00000001'), { recursive: true });
    const d = await loadDataset(dir);
    expect(d.train.filter((im) => im.label === 1)).toHaveLength(0);
    expect(d.valid.filter((im) => im.label === 1)).toHaveLength(2);
  });

  it('says what to fix when the layout is wrong', async () => {
    await expect(loadDataset(dir)).rejects.toThrow(/LOC_synset_mapping\.txt \(ENOENT\): --data must be a folder with LOC_synset_mapping\.txt, train\/ and valid\//);
    await layout(2, 1, 1);
    await writeFile(join(dir, 'valid', 'n00000000', 'n99999999_1.JPEG'), '');
    await expect(loadDataset(dir)).rejects.toThrow('valid/n00000000/n99999999_1.JPEG: its label "n99999999"');
    await rm(join(dir, 'train'), { recursive: true });
    await expect(loadDataset(dir)).rejects.toThrow(/train \(ENOENT\)/);
  });
});
