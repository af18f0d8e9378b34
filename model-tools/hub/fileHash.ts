import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The hash the hub publishes for a file: sha256 of the content for LFS files (`lfs.oid` in the tree API,
 * `X-Linked-Etag` on resolve), and the git blob id for regular files (`oid`): sha1 of `blob <size>\0<content>`.
 */
export type ExpectedHash = { kind: 'sha256'; hex: string } | { kind: 'git-sha1'; hex: string };

/** A running hash of a file's content, in the form the hub publishes it. */
export function contentHasher(expected: ExpectedHash, size: number): Hash {
  if (expected.kind === 'sha256') return createHash('sha256');
  // git hashes a header before the content, so the size must be known up front.
  return createHash('sha1').update(`blob ${size}\0`);
}

/** Feeds bytes [0, length) of a file into a hash. */
export async function hashFilePrefix(hash: Hash, path: string, length: number): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) hash.update(chunk as Buffer);
}

/** Hashes a whole file the way the hub does; true when it matches. */
export async function fileMatches(path: string, size: number, expected: ExpectedHash): Promise<boolean> {
  const h = contentHasher(expected, size);
  await hashFilePrefix(h, path, size);
  return h.digest('hex') === expected.hex;
}
