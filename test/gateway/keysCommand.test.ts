import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerGatewayCommands } from '../../cli/commands/gateway';
import { sha256Hex } from '../../gateway/auth/apiKey';
import { ensureDevTenant } from '../../gateway/auth/keysFileWriter';
import { MemoryKeyStore } from '../../gateway/auth/memoryKeyStore';
import { loadKeysFile } from '../../gateway/node';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'siglip-keys-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const program = new Command('siglip').exitOverride();
  registerGatewayCommands(program);
  await program.parseAsync(['node', 'siglip', ...args]);
  vi.restoreAllMocks();
  return { stdout, stderr };
}

describe('siglip keys create', () => {
  it('prints a new key once and stores only its SHA-256, readable by the gateway', async () => {
    const file = join(dir, 'nested', 'keys.json');
    const { stdout, stderr } = await run('keys', 'create', '--tenant', 'acme', '--keys', file, '--models', 'siglip_vision,embed_text', '--rate', '5', '--burst', '8');
    const key = stdout.trim();
    expect(key).toMatch(/^sgk_/);
    expect(stderr).toMatch(/shown only this once/);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).toContain(await sha256Hex(key));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const tenant = await new MemoryKeyStore(await loadKeysFile(file)).lookup(key);
    expect(tenant).toMatchObject({ name: 'acme', rate: 5, burst: 8, models: new Set(['siglip_vision', 'embed_text']) });
  });

  it('adds a second key to an existing tenant and keeps the first working', async () => {
    const file = join(dir, 'keys.json');
    const first = (await run('keys', 'create', '--tenant', 'acme', '--keys', file, '--burst', '3')).stdout.trim();
    const second = (await run('keys', 'create', '--tenant', 'acme', '--keys', file)).stdout.trim();
    const store = new MemoryKeyStore(await loadKeysFile(file));
    expect((await store.lookup(first))?.burst).toBe(3);
    expect((await store.lookup(second))?.burst).toBe(3);
  });

  it('prints the KV record command for Workers with --kv, holding the hash and never the key', async () => {
    const { stdout, stderr } = await run('keys', 'create', '--tenant', 'edge', '--keys', join(dir, 'k.json'), '--kv');
    const key = stdout.trim();
    expect(stderr).toMatch(/wrangler kv key put --binding KEYS --remote 'key:[0-9a-f]{12}'/);
    expect(stderr).toContain(await sha256Hex(key));
    expect(stderr).not.toContain(key);
  });
});

describe('ensureDevTenant', () => {
  it('creates a dev tenant on first start only', async () => {
    const file = join(dir, 'keys.json');
    const created = await ensureDevTenant(file);
    expect(created?.tenant).toBe('dev');
    expect(await ensureDevTenant(file)).toBeUndefined();
    expect((await new MemoryKeyStore(await loadKeysFile(file)).lookup(created!.key))?.name).toBe('dev');
  });
});
