/**
 * API keys look like `sgk_<id>_<secret>`: the 12-hex-digit id is public and finds the stored record
 * in a Map (or KV); the whole key's SHA-256 is then compared in constant time. Only hashes are stored.
 */

const KEY_PATTERN = /^sgk_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$/;
const encoder = new TextEncoder();

/** A freshly generated key: `key` is shown to the user once; only `id` and `sha256` are stored. */
export interface NewApiKey {
  key: string;
  id: string;
  sha256: string;
}

/** The id part of a well-formed key, or undefined. */
export function apiKeyId(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

/** Generates a key with 256 bits of secret from the platform CSPRNG. */
export async function generateApiKey(): Promise<NewApiKey> {
  const id = toHex(crypto.getRandomValues(new Uint8Array(6)));
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const key = `sgk_${id}_${secret}`;
  return { key, id, sha256: await sha256Hex(key) };
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes (WebCrypto: the same on Node and Workers). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await sha256(text));
}

/** SHA-256 of a string's UTF-8 bytes. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** Equality whose running time depends only on the lengths, never on where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Bytes of a hex string (as stored in keys files). */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
