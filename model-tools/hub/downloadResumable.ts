import { open, rename, rm, stat } from 'node:fs/promises';
import { downloadFile, fileDownloadInfo } from '@huggingface/hub';
import { writeFully } from '../io/writeFully';
import { contentHasher, hashFilePrefix, type ExpectedHash } from './fileHash';
import { HubFetchError } from './hubFetchError';

/** Where a hub file comes from and what it must hash to. */
export interface HubFileRequest {
  repo: string;
  revision: string;
  path: string;
  size: number;
  expected: ExpectedHash;
  hubUrl: string;
  accessToken?: string;
  fetch: typeof fetch;
  /** Connection failures to resume from before giving up. */
  maxRetries: number;
  onBytes?: (done: number, total: number) => void;
}

/**
 * Downloads one hub file to `dest`, resuming from `dest.part` (left by an interrupted run or a dropped
 * connection) with a Range request, hashing as it writes. The file appears at `dest` only once its size and hash
 * match the hub's metadata; on a mismatch the partial file is removed and an error says which hash differed.
 */
export async function downloadResumable(req: HubFileRequest, dest: string): Promise<void> {
  const part = `${dest}.part`;
  let have = (await stat(part).catch(() => null))?.size ?? 0;
  if (have > req.size) {
    await rm(part);
    have = 0;
  }
  let hash = contentHasher(req.expected, req.size);
  await hashFilePrefix(hash, part, have);
  req.onBytes?.(have, req.size);

  for (let attempt = 0; have < req.size; attempt++) {
    try {
      have = await appendFrom(req, part, have, (chunk) => hash.update(chunk));
    } catch (err) {
      if (attempt >= req.maxRetries) {
        // @huggingface/hub rejects some failed reads with a bare string, not an Error.
        const reason = err instanceof Error ? err.message : String(err);
        const failure = new Error(`${req.path}: download failed after ${attempt + 1} attempts at byte ${have} of ${req.size}: ${reason}`, { cause: err });
        throw new HubFetchError({ repo: req.repo, revision: req.revision, hubUrl: req.hubUrl }, failure);
      }
      // Resume from what reached the disk, re-hashing it: a failed write may have left part of a chunk.
      have = (await stat(part).catch(() => null))?.size ?? 0;
      hash = contentHasher(req.expected, req.size);
      await hashFilePrefix(hash, part, have);
    }
  }
  const got = hash.digest('hex');
  if (have !== req.size || got !== req.expected.hex) {
    await rm(part, { force: true });
    throw new Error(
      `${req.path}: ${req.expected.kind} mismatch (hub says ${req.expected.hex}, downloaded ${got}, ${have} of ${req.size} bytes); the partial download was removed, run again`,
    );
  }
  await rename(part, dest);
}

// One request: streams bytes [from, size) to the end of `part`, returns the new length.
async function appendFrom(req: HubFileRequest, part: string, from: number, onChunk: (c: Uint8Array) => void): Promise<number> {
  const params = { repo: req.repo, path: req.path, revision: req.revision, hubUrl: req.hubUrl, accessToken: req.accessToken, fetch: strictFetch(req.fetch) };
  // Resolve again on each attempt: the hub redirects LFS files to signed CDN URLs that expire.
  const info = await fileDownloadInfo(params);
  if (!info) throw new Error(`${req.path} is not in ${req.repo}@${req.revision}`);
  const blob = await downloadFile({ ...params, downloadInfo: info });
  if (!blob) throw new Error(`${req.path} is not in ${req.repo}@${req.revision}`);
  const handle = await open(part, from === 0 ? 'w' : 'a');
  let at = from;
  try {
    // Blob.slice on the hub's blobs becomes a Range request (or a xet range read) for the rest of the file.
    for await (const chunk of blob.slice(from, req.size).stream() as unknown as AsyncIterable<Uint8Array>) {
      await writeFully(handle, chunk);
      onChunk(chunk);
      at += chunk.byteLength;
      req.onBytes?.(at, req.size);
    }
  } finally {
    await handle.close();
  }
  if (at !== req.size) throw new Error(`connection ended at byte ${at} of ${req.size}`);
  return at;
}

// @huggingface/hub's range reads hand back a failed response instead of throwing; a resumed read that gets the
// whole file (200 instead of 206) would append it twice. Turn both into errors.
function strictFetch(inner: typeof fetch): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await inner(input, init);
    const range = new Headers(init?.headers).get('range');
    if (range && !res.ok) {
      throw new Error(`GET ${urlOf(input)} (${range}): HTTP ${res.status}`);
    }
    if (range && res.status === 200 && !/^bytes=0-/.test(range)) {
      await res.body?.cancel();
      throw new Error(`GET ${urlOf(input)}: the server ignored "Range: ${range}" (HTTP 200)`);
    }
    return res;
  };
}

// A Request would print as [object Request].
function urlOf(input: RequestInfo | URL): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}
