import { createHash } from 'node:crypto';

/**
 * What makes two embeddings of the same bytes comparable: the server URL, the model's metadata (name, versions,
 * platform, inputs, outputs), its served config when the server gives one, and the request's own parameters.
 * Changing any of them starts a separate cache file.
 */
export interface ModelIdentity {
  url: string;
  model: string;
  metadata: Record<string, unknown>;
  config?: Record<string, unknown>;
  request: Record<string, unknown>;
}

/** A short, stable hash of an identity (key order does not matter). */
export function identityHash(identity: ModelIdentity): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted at every level, so equal values always serialize alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
