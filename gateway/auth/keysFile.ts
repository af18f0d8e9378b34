/** The keys file: tenants, their policies and the SHA-256 hashes of their keys (never the keys). */
import { z } from 'zod';
import type { TenantPolicy } from '../types';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (a SHA-256)');

/** One stored key. */
const storedKeySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/, 'must be 12 lower-case hex digits'),
  sha256: hex64,
  created: z.string().optional(),
});

/** One tenant: allowed models (`["*"]` for all) and its token bucket. */
export const tenantSchema = z.object({
  models: z.array(z.string().min(1)).min(1),
  rate: z.number().positive(),
  burst: z.number().int().positive(),
  keys: z.array(storedKeySchema),
});

/** The whole file. */
export const keysFileSchema = z.object({
  version: z.literal(1),
  tenants: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'tenant names are 1-64 of A-Z a-z 0-9 _ . -'), tenantSchema),
});

export type KeysFile = z.infer<typeof keysFileSchema>;
export type TenantRecord = z.infer<typeof tenantSchema>;

/** An empty keys file. */
export function emptyKeysFile(): KeysFile {
  return { version: 1, tenants: {} };
}

/** Validates parsed JSON as a keys file; the message names the file and the field. */
export function parseKeysFile(value: unknown, source = 'keys file'): KeysFile {
  const r = keysFileSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/** The runtime policy of a tenant record. */
export function tenantPolicyOf(name: string, t: Pick<TenantRecord, 'models' | 'rate' | 'burst'>): TenantPolicy {
  return { name, models: t.models.includes('*') ? '*' : new Set(t.models), rate: t.rate, burst: t.burst };
}
