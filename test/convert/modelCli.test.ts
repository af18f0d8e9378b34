import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hubEnvironment, registerModelCommands } from '../../cli/commands/model';
import { FakeHub } from '../hub/fakeHub';
import { VISION_TINY } from './referenceData';

function program(): Command {
  const p = new Command('siglip').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerModelCommands(p);
  return p;
}

const run = (...args: string[]) => program().parseAsync(['node', 'siglip', 'model', ...args]);

describe('siglip model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siglip-cli-'));
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('synth then convert --flavor cuda --dtype fp16 writes a model repository entry', async () => {
    await run('synth', '--like', VISION_TINY, '--into', join(dir, 'ckpt'), '--seed', '3');
    await run('convert', '--from', join(dir, 'ckpt'), '--into', join(dir, 'repo'), '--flavor', 'cuda', '--dtype', 'fp16', '--towers', 'vision');
    expect((await readdir(join(dir, 'repo', 'siglip_vision'))).sort()).toEqual(['1', 'config.json']);
  });

  it('convert --attention picks the cuda self-attention graph and records it in config.json', async () => {
    await run('convert', '--from', join(dir, 'ckpt'), '--into', join(dir, 'repo-attention'), '--flavor', 'cuda', '--dtype', 'fp16', '--attention', 'attention');
    const config = JSON.parse(await readFile(join(dir, 'repo-attention', 'siglip_vision', 'config.json'), 'utf8'));
    expect(config.parameters.conversion).toMatchObject({ flavor: 'cuda', dtype: 'fp16', attention: 'attention' });
  });

  it('rejects an unknown flavor, attention kind and a bad tower list before doing any work', async () => {
    await expect(run('convert', '--from', 'x', '--into', 'y', '--flavor', 'tensorrt')).rejects.toThrow(/tensorrt/);
    await expect(run('convert', '--from', 'x', '--into', 'y', '--flavor', 'cuda', '--attention', 'flash')).rejects.toThrow(/flash/);
    await expect(run('convert', '--from', 'x', '--into', 'y', '--towers', 'audio')).rejects.toThrow(/vision, text/);
  });

  it('fetch takes the hub endpoint and token from HF_ENDPOINT and HF_TOKEN', async () => {
    const hub = new FakeHub('org/tiny', [
      { path: 'config.json', content: Buffer.from('{}') },
      { path: 'model.safetensors', content: Buffer.from('weights'), lfs: true },
    ]);
    vi.stubEnv('HF_ENDPOINT', await hub.start());
    vi.stubEnv('HF_TOKEN', 'hf_from_env');
    try {
      await run('fetch', 'org/tiny', '--into', join(dir, 'fetched'));
    } finally {
      vi.unstubAllEnvs();
      await hub.stop();
    }
    expect((await readdir(join(dir, 'fetched'))).sort()).toEqual(['.siglip-fetch.json', 'config.json', 'model.safetensors']);
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.every((q) => q.authorization === 'Bearer hf_from_env')).toBe(true);
  });

  it('treats empty HF_* variables as unset', () => {
    expect(hubEnvironment({ HF_ENDPOINT: '', HF_TOKEN: '' })).toEqual({ endpoint: undefined, token: undefined });
  });
});
