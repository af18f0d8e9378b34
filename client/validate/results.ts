import type { ModelIdentity } from './cache/modelIdentity';
import type { RejectedImage } from './embedImages';

/** How a row's class scores are made. */
export type ScoringMethod = 'knn' | 'cosine';

/** One figure pair of the results: a method on a set of images or prompts. */
export interface ResultRow {
  /** Stable id, used as the per-class CSV's column prefix: `fewshot_knn`, `old1_knn`, `clip80_cosine`. */
  id: string;
  /** The old table's first column: `10-shot kNN`, `zero-shot`, `zero-shot ensemble`. */
  kind: string;
  method: ScoringMethod;
  /** The old table's last column: the template, or a description of the ensemble. */
  template: string;
  /** The templates behind the row (empty for the few-shot row). */
  templates: string[];
  /** null where the row cannot be computed; `note` says why. */
  top1: number | null;
  top5: number | null;
  note?: string;
}

/** One class's figures: images used and each row's per-class top-1/top-5 (null where the row is not computed). */
export interface PerClassRow {
  synset: string;
  description: string;
  trainImages: number;
  validImages: number;
  accuracy: Record<string, { top1: number | null; top5: number | null }>;
}

/** The run's settings, as resolved (defaults filled in). */
export interface ValidateSettings {
  data: string;
  url: string;
  classes: number | null;
  trainPerClass: number | null;
  validPerClass: number | null;
  seed: number;
  concurrency: number;
  templatesFile: string | null;
  cacheDir: string | null;
  ensemble: boolean;
  neighbours: number;
}

/** Everything a run measured. */
export interface ValidateResult {
  settings: ValidateSettings;
  server: { url: string; image: ModelIdentity; text: ModelIdentity | null };
  counts: {
    classes: number;
    trainImages: number;
    validImages: number;
    rejectedImages: number;
    imagesFromCache: number;
    imagesEmbedded: number;
    textsFromCache: number;
    textsEmbedded: number;
    imageDim: number;
    textDim: number | null;
  };
  /** The table's rows, in its order. */
  rows: ResultRow[];
  rejected: RejectedImage[];
  perClass: PerClassRow[];
  /** Why rows are missing, and other things a reader of the table should know. */
  notes: string[];
  timings: { embedImagesMs: number; embedTextsMs: number; scoringMs: number };
}
