import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { seededSample } from './seededSample';
import { readSynsetMapping, type SynsetClass } from './synsetMapping';

/** Which part of the dataset to use; undefined counts mean all. */
export interface DatasetSubset {
  classes?: number;
  trainPerClass?: number;
  validPerClass?: number;
  seed?: number;
}

/** One image file and its label: an index into `Dataset.classes`. */
export interface LabeledImage {
  path: string;
  /** Path relative to the data folder, for reports: `valid/n01440764/n01440764_1.JPEG`. */
  name: string;
  label: number;
}

/** The classes (in mapping-file order) and the chosen train and valid images. */
export interface Dataset {
  classes: SynsetClass[];
  train: LabeledImage[];
  valid: LabeledImage[];
}

/** The file that lists the classes, in the data folder. */
const MAPPING_FILE = 'LOC_synset_mapping.txt';

/**
 * Loads the old accuracy check's layout: `LOC_synset_mapping.txt`, `train/<synset>/*` and `valid/<synset>/*`.
 * An image's label is its file name up to the first `_`. With a subset, the classes and then each class's images
 * are chosen by seeded shuffles (per class and split, so one class's choice does not depend on the others), and
 * kept in mapping-file and file-name order. A class folder that is missing has no images of that split.
 */
export async function loadDataset(dir: string, subset: DatasetSubset = {}): Promise<Dataset> {
  const seed = subset.seed ?? 0;
  const all = await readSynsetMapping(join(dir, MAPPING_FILE));
  const classes = seededSample(all.length, subset.classes, `classes:${seed}`).map((i) => all[i]);
  const labelOf = new Map(classes.map((c, i) => [c.synset, i]));
  const split = async (name: 'train' | 'valid', perClass: number | undefined): Promise<LabeledImage[]> => {
    const root = join(dir, name);
    await listFolder(root, true);
    const images: LabeledImage[] = [];
    for (const cls of classes) {
      const files = await listFolder(join(root, cls.synset), false);
      for (const i of seededSample(files.length, perClass, `${name}:${seed}:${cls.synset}`)) {
        const file = files[i];
        const synset = file.includes('_') ? file.slice(0, file.indexOf('_')) : file;
        const label = labelOf.get(synset);
        const rel = `${name}/${cls.synset}/${file}`;
        if (label === undefined) {
          throw new Error(`${rel}: its label "${synset}" (the file name up to the first "_") is not a chosen synset of ${MAPPING_FILE}; name files <synset>_<n>.JPEG`);
        }
        images.push({ path: join(root, cls.synset, file), name: rel, label });
      }
    }
    return images;
  };
  return { classes, train: await split('train', subset.trainPerClass), valid: await split('valid', subset.validPerClass) };
}

// Regular, non-hidden file names in code-unit order; a missing class folder is empty, a missing split is an error.
async function listFolder(path: string, mustExist: boolean): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return [];
    throw new Error(`cannot read ${path} (${code ?? String(err)}): --data must be a folder with ${MAPPING_FILE}, train/<synset>/ and valid/<synset>/`);
  }
}
