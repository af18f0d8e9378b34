import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** Name of the manifest fetchModel leaves beside the files it verified. */
const MANIFEST_FILE = '.siglip-fetch.json';

const manifestSchema = z.object({
  repo: z.string(),
  revision: z.string(),
  commit: z.string().optional(),
  files: z.record(z.string(), z.object({ size: z.number().int().min(0), sha256: z.string().optional(), gitSha1: z.string().optional() })),
});

/** What was downloaded and verified, and from where. */
export type FetchManifest = z.infer<typeof manifestSchema>;

/** Reads the manifest in `dir`, or undefined when absent or unreadable. */
export async function readManifest(dir: string): Promise<FetchManifest | undefined> {
  try {
    const r = manifestSchema.safeParse(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the manifest; it is written last, so its presence means every listed file was verified. */
export async function writeManifest(dir: string, manifest: FetchManifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}

/** True when the manifest is for this repo and revision and every file it lists is present with its size. */
export async function manifestSatisfied(dir: string, manifest: FetchManifest | undefined, repo: string, revision: string): Promise<boolean> {
  if (!manifest || manifest.repo !== repo || (manifest.revision !== revision && manifest.commit !== revision)) return false;
  for (const [path, f] of Object.entries(manifest.files)) {
    const s = await stat(join(dir, path)).catch(() => null);
    if (!s || s.size !== f.size) return false;
  }
  return true;
}
