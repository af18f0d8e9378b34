/** Creating keys in a keys file (Node): the new key is returned once; only its SHA-256 is written. */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateApiKey } from './apiKey';
import { emptyKeysFile, parseKeysFile, tenantSchema, type KeysFile } from './keysFile';
import type { KvKeyRecord } from './kvKeyStore';

/** Where `siglip gateway`, `siglip serve` and `siglip keys create` look by default. */
export const DEFAULT_KEYS_FILE = '.siglip/keys.json';

/** Policy of a new tenant (or changes to an existing one). */
export interface TenantOptions {
  tenant: string;
  models?: string[];
  rate?: number;
  burst?: number;
}

/** A created key: `key` is shown once; `record` is what the Workers KV namespace stores under `kvKey`. */
export interface CreatedKey {
  key: string;
  id: string;
  tenant: string;
  kvKey: string;
  record: KvKeyRecord;
}

// New tenants: every model, 10 images/s sustained, bursts of 20.
const DEFAULT_POLICY = { models: ['*'], rate: 10, burst: 20 };

/** Adds a key for `tenant` to the file (creating the file and tenant as needed); writes atomically, mode 0600. */
export async function createTenantKey(path: string, opts: TenantOptions): Promise<CreatedKey> {
  const file = await readKeysFileOrEmpty(path);
  const existing = file.tenants[opts.tenant];
  const policy = tenantSchema.omit({ keys: true }).parse({
    models: opts.models ?? existing?.models ?? DEFAULT_POLICY.models,
    rate: opts.rate ?? existing?.rate ?? DEFAULT_POLICY.rate,
    burst: opts.burst ?? existing?.burst ?? DEFAULT_POLICY.burst,
  });
  const k = await generateApiKey();
  const next: KeysFile = {
    ...file,
    tenants: { ...file.tenants, [opts.tenant]: { ...policy, keys: [...(existing?.keys ?? []), { id: k.id, sha256: k.sha256, created: new Date().toISOString() }] } },
  };
  parseKeysFile(next, path);
  await writeAtomically(path, JSON.stringify(next, null, 2) + '\n');
  return { key: k.key, id: k.id, tenant: opts.tenant, kvKey: `key:${k.id}`, record: { sha256: k.sha256, tenant: opts.tenant, ...policy } };
}

/** For `siglip serve`: creates tenant `dev` with a key if the file has no tenants yet; returns the key to print once, or undefined. */
export async function ensureDevTenant(path: string = DEFAULT_KEYS_FILE): Promise<CreatedKey | undefined> {
  const file = await readKeysFileOrEmpty(path);
  if (Object.keys(file.tenants).length > 0) return undefined;
  return createTenantKey(path, { tenant: 'dev', models: ['*'], rate: 1000, burst: 1000 });
}

async function readKeysFileOrEmpty(path: string): Promise<KeysFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyKeysFile();
    throw err;
  }
  return parseKeysFile(JSON.parse(text), path);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
