import { readFile } from 'node:fs/promises';

/** One ImageNet class as LOC_synset_mapping.txt lists it: `n01440764 tench, Tinca tinca`. */
export interface SynsetClass {
  synset: string;
  description: string;
}

/** Parses LOC_synset_mapping.txt: one `<synset> <description>` per line, in the file's order (blank lines skipped). */
export function parseSynsetMapping(text: string, fileName = 'LOC_synset_mapping.txt'): SynsetClass[] {
  const classes: SynsetClass[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const space = line.indexOf(' ');
    const synset = space < 0 ? line : line.slice(0, space);
    const description = space < 0 ? '' : line.slice(space + 1).trim();
    if (!description) throw new Error(`${fileName}:${i + 1}: expected "<synset> <description>", got "${line}"`);
    if (seen.has(synset)) throw new Error(`${fileName}:${i + 1}: synset ${synset} is listed twice`);
    seen.add(synset);
    classes.push({ synset, description });
  });
  if (!classes.length) throw new Error(`${fileName} lists no classes: expected one "<synset> <description>" per line`);
  return classes;
}

/** Reads and parses a LOC_synset_mapping.txt file. */
export async function readSynsetMapping(path: string): Promise<SynsetClass[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): --data must be a folder with LOC_synset_mapping.txt, train/ and valid/`);
  }
  return parseSynsetMapping(text, path);
}
