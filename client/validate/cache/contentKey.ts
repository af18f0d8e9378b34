import { createHash } from 'node:crypto';

/** The cache key of an image file or a prompt: the SHA-256 of its bytes (UTF-8 for text), in hex. */
export function contentKey(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}
