/** KeyStore over a keys file held in memory (Node). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyStore, TenantPolicy } from '../types';
import { apiKeyId, fromHex } from './apiKey';
import { tenantPolicyOf, type KeysFile } from './keysFile';

interface Entry {
  hash: Uint8Array;
  tenant: TenantPolicy;
}

/** Indexes every key by its public id once, so a lookup is one Map get plus one hash. */
export class MemoryKeyStore implements KeyStore {
  private readonly byId = new Map<string, Entry>();

  constructor(file: KeysFile) {
    for (const [name, t] of Object.entries(file.tenants)) {
      const tenant = tenantPolicyOf(name, t);
      for (const k of t.keys) this.byId.set(k.id, { hash: fromHex(k.sha256), tenant });
    }
  }

  async lookup(apiKey: string): Promise<TenantPolicy | undefined> {
    const id = apiKeyId(apiKey);
    const entry = id === undefined ? undefined : this.byId.get(id);
    if (!entry) return undefined;
    // node:crypto hashes synchronously (a few µs); WebCrypto's async digest costs more on every request.
    const hash = createHash('sha256').update(apiKey).digest();
    return timingSafeEqual(hash, entry.hash) ? entry.tenant : undefined;
  }
}
