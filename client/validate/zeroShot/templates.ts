import { readFile } from 'node:fs/promises';

/** A prompt template: `{text}` is the class description, `{label}` its synset id. */
export type Template = string;

/** The three templates of the old deployment's accuracy table (seed-data README), in its row order. */
export const OLD_TABLE_TEMPLATES: readonly Template[] = [
  'A photo of {text}.',
  'This is a photo containing images of {text}.',
  "This is a photo from ImageNet's {label} category. This category contains photos of {text}.",
];

/**
 * The 80 ImageNet prompt templates of CLIP (openai/CLIP notebooks/Prompt_Engineering_for_ImageNet.ipynb), as
 * open_clip ships them (`OPENAI_IMAGENET_TEMPLATES` in src/open_clip/zero_shot_metadata.py) and big_vision scores
 * SigLIP with them. Data, in their published order.
 */
export const CLIP_IMAGENET_TEMPLATES: readonly Template[] = [
  'a bad photo of a {text}.', 'a photo of many {text}.', 'a sculpture of a {text}.', 'a photo of the hard to see {text}.',
  'a low resolution photo of the {text}.', 'a rendering of a {text}.', 'graffiti of a {text}.', 'a bad photo of the {text}.',
  'a cropped photo of the {text}.', 'a tattoo of a {text}.', 'the embroidered {text}.', 'a photo of a hard to see {text}.',
  'a bright photo of a {text}.', 'a photo of a clean {text}.', 'a photo of a dirty {text}.', 'a dark photo of the {text}.',
  'a drawing of a {text}.', 'a photo of my {text}.', 'the plastic {text}.', 'a photo of the cool {text}.',
  'a close-up photo of a {text}.', 'a black and white photo of the {text}.', 'a painting of the {text}.', 'a painting of a {text}.',
  'a pixelated photo of the {text}.', 'a sculpture of the {text}.', 'a bright photo of the {text}.', 'a cropped photo of a {text}.',
  'a plastic {text}.', 'a photo of the dirty {text}.', 'a jpeg corrupted photo of a {text}.', 'a blurry photo of the {text}.',
  'a photo of the {text}.', 'a good photo of the {text}.', 'a rendering of the {text}.', 'a {text} in a video game.',
  'a photo of one {text}.', 'a doodle of a {text}.', 'a close-up photo of the {text}.', 'a photo of a {text}.',
  'the origami {text}.', 'the {text} in a video game.', 'a sketch of a {text}.', 'a doodle of the {text}.',
  'a origami {text}.', 'a low resolution photo of a {text}.', 'the toy {text}.', 'a rendition of the {text}.',
  'a photo of the clean {text}.', 'a photo of a large {text}.', 'a rendition of a {text}.', 'a photo of a nice {text}.',
  'a photo of a weird {text}.', 'a blurry photo of a {text}.', 'a cartoon {text}.', 'art of a {text}.',
  'a sketch of the {text}.', 'a embroidered {text}.', 'a pixelated photo of a {text}.', 'itap of the {text}.',
  'a jpeg corrupted photo of the {text}.', 'a good photo of a {text}.', 'a plushie {text}.', 'a photo of the nice {text}.',
  'a photo of the small {text}.', 'a photo of the weird {text}.', 'the cartoon {text}.', 'art of the {text}.',
  'a drawing of the {text}.', 'a photo of the large {text}.', 'a black and white photo of a {text}.', 'the plushie {text}.',
  'a dark photo of a {text}.', 'itap of a {text}.', 'graffiti of the {text}.', 'a toy {text}.',
  'itap of my {text}.', 'a photo of a cool {text}.', 'a photo of a small {text}.', 'a tattoo of the {text}.',
];

/** The prompt for one class: every `{text}` becomes the description and every `{label}` the synset id. */
export function fillTemplate(template: Template, cls: { synset: string; description: string }): string {
  return template.replaceAll('{text}', cls.description).replaceAll('{label}', cls.synset);
}

/** Reads a user's template file: one template per line; blank lines and lines starting with `#` are skipped. */
export async function readTemplateFile(path: string): Promise<Template[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the template file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): pass a text file with one template per line`);
  }
  const templates = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!templates.length) throw new Error(`${path} has no templates: write one per line, with {text} for the class description and {label} for the synset`);
  const bad = templates.find((t) => !t.includes('{text}') && !t.includes('{label}'));
  if (bad !== undefined) throw new Error(`${path}: the template "${bad}" has neither {text} nor {label}, so every class would get the same prompt`);
  return templates;
}
