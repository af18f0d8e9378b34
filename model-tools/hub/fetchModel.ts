import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listFiles, type ListFileEntry } from '@huggingface/hub';
import { downloadResumable } from './downloadResumable';
import { manifestSatisfied, readManifest, writeManifest, type FetchManifest } from './fetchManifest';
import { fileMatches, type ExpectedHash } from './fileHash';
import { HubFetchError } from './hubFetchError';

/** Files of a SigLIP checkpoint repo; the first two are required, the rest fetched when the repo has them. */
const CHECKPOINT_FILES = {
  required: ['config.json', 'model.safetensors'],
  optional: ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'spiece.model', 'special_tokens_map.json'],
} as const;

/** The hub's public endpoint, used when no HF_ENDPOINT is given. */
const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Progress of a fetch, per file. */
export interface FetchProgress {
  file: string;
  done: number;
  total: number;
}

/** Options of {@link fetchModel}. HF_TOKEN / HF_ENDPOINT are read by the CLI and passed in here. */
export interface FetchOptions {
  repo: string;
  revision?: string;
  into: string;
  /** Hub base URL (HF_ENDPOINT); default https://huggingface.co. */
  endpoint?: string;
  /** Access token (HF_TOKEN), sent as `Authorization: Bearer`. */
  token?: string;
  onProgress?: (p: FetchProgress) => void;
  /** Dropped connections to resume from, per file (default 3). */
  maxRetries?: number;
  /** fetch implementation (tests, proxies). */
  fetch?: typeof fetch;
}

/** What {@link fetchModel} left in `dir`. */
export interface FetchResult {
  dir: string;
  files: string[];
  commit?: string;
  /** True when everything was already there and verified: no request was made. */
  offline: boolean;
}

/**
 * Downloads a SigLIP checkpoint from the Hugging Face hub (or a mirror) into `into`: resumable, verified against
 * the hub's hashes, and offline once a verified copy is there (recorded in a manifest written last).
 */
export async function fetchModel(options: FetchOptions): Promise<FetchResult> {
  const revision = options.revision ?? 'main';
  const dir = options.into;
  const existing = await readManifest(dir);
  if (await manifestSatisfied(dir, existing, options.repo, revision)) {
    return { dir, files: Object.keys(existing!.files), commit: existing!.commit, offline: true };
  }

  const hubUrl = (options.endpoint ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  let commit: string | undefined;
  const baseFetch = options.fetch ?? globalThis.fetch;
  // The hub names the commit a revision resolved to in X-Repo-Commit; keep it for the manifest.
  const recordingFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await baseFetch(input, init);
    commit ??= res.headers.get('x-repo-commit') ?? undefined;
    return res;
  }) as typeof fetch;
  const credentials = { hubUrl, accessToken: options.token, fetch: recordingFetch };

  const listed = new Map<string, ListFileEntry>();
  const wanted = new Set<string>([...CHECKPOINT_FILES.required, ...CHECKPOINT_FILES.optional]);
  try {
    for await (const entry of listFiles({ repo: options.repo, revision, ...credentials })) {
      if (entry.type === 'file' && wanted.has(entry.path)) listed.set(entry.path, entry);
    }
  } catch (err) {
    throw new HubFetchError({ repo: options.repo, revision, hubUrl }, err);
  }
  const missing = CHECKPOINT_FILES.required.filter((f) => !listed.has(f));
  if (missing.length) {
    throw new Error(`${options.repo}@${revision} has no ${missing.join(', ')} (found: ${[...listed.keys()].join(', ') || 'none of the checkpoint files'})`);
  }

  await mkdir(dir, { recursive: true });
  const manifest: FetchManifest = { repo: options.repo, revision, files: {} };
  for (const entry of listed.values()) {
    const expected = expectedHash(entry);
    const size = entry.lfs?.size ?? entry.size;
    const dest = join(dir, entry.path);
    // A file finished by an earlier, interrupted run is kept if it verifies.
    const alreadyThere = await fileMatchesIfPresent(dest, size, expected);
    if (!alreadyThere) {
      await downloadResumable(
        {
          repo: options.repo,
          revision,
          path: entry.path,
          size,
          expected,
          ...credentials,
          maxRetries: options.maxRetries ?? 3,
          onBytes: (done, total) => options.onProgress?.({ file: entry.path, done, total }),
        },
        dest,
      );
    } else {
      options.onProgress?.({ file: entry.path, done: size, total: size });
    }
    manifest.files[entry.path] = { size, ...(expected.kind === 'sha256' ? { sha256: expected.hex } : { gitSha1: expected.hex }) };
  }
  if (commit) manifest.commit = commit;
  await writeManifest(dir, manifest);
  return { dir, files: [...listed.keys()], commit, offline: false };
}

function expectedHash(entry: ListFileEntry): ExpectedHash {
  if (entry.lfs) return { kind: 'sha256', hex: entry.lfs.oid };
  if (!entry.oid) throw new Error(`the hub listed ${entry.path} without a hash (oid); cannot verify it`);
  return { kind: 'git-sha1', hex: entry.oid };
}

async function fileMatchesIfPresent(path: string, size: number, expected: ExpectedHash): Promise<boolean> {
  const s = await stat(path).catch(() => null);
  return s !== null && s.size === size && (await fileMatches(path, size, expected));
}
