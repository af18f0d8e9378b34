/** Keys files with fresh keys for tests. */
import { generateApiKey } from '../../../gateway/auth/apiKey';
import type { KeysFile } from '../../../gateway/auth/keysFile';

export interface TenantSpec {
  models?: string[];
  rate?: number;
  burst?: number;
}

/** Builds a keys file for the given tenants and returns each tenant's plaintext key. */
export async function keysFor(tenants: Record<string, TenantSpec>): Promise<{ file: KeysFile; keys: Record<string, string> }> {
  const file: KeysFile = { version: 1, tenants: {} };
  const keys: Record<string, string> = {};
  for (const [name, t] of Object.entries(tenants)) {
    const k = await generateApiKey();
    keys[name] = k.key;
    file.tenants[name] = { models: t.models ?? ['*'], rate: t.rate ?? 100, burst: t.burst ?? 100, keys: [{ id: k.id, sha256: k.sha256 }] };
  }
  return { file, keys };
}
