import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keysFor } from '../gateway/support/tenants';
import { closedPort, runSiglip } from './support/cli';

const STACK_FRAME = /^\s+at /m;
let dir: string;
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'siglip-cli-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

describe('siglip start-up mistakes: one line that says what to do, exit code 1, no stack', () => {
  it('a backend port already in use', async () => {
    const port = await occupyPort();
    const r = await runSiglip(['backend', '--port', String(port), '--providers', 'cpu', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`siglip backend: port ${port} is in use: stop the other server or pass --port\n`);
  });

  it('a gateway port already in use under serve names --gateway-port', async () => {
    const port = await occupyPort();
    const keys = join(dir, 'keys.json');
    // A keys file with a tenant already: serve creates no dev tenant (and prints no key).
    await writeFile(keys, JSON.stringify((await keysFor({ acme: {} })).file));
    const r = await runSiglip(['serve', '--port', '0', '--gateway-port', String(port), '--keys', keys, '--providers', 'cpu', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`siglip serve: port ${port} is in use: stop the other server or pass --gateway-port\n`);
  });

  it('a model repository that does not exist', async () => {
    const missing = join(dir, 'no-such-repository');
    const r = await runSiglip(['backend', '--port', '0', '--model-repository', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `siglip backend: model repository ${missing} not found: pass --model-repository DIR, a Triton layout (DIR/<model>/config.json, DIR/<model>/1/model.onnx)\n`,
    );
  });

  it('a model config with a bad field: the message names the file and the field', async () => {
    await mkdir(join(dir, 'toy', '1'), { recursive: true });
    await writeFile(join(dir, 'toy', 'config.json'), JSON.stringify({ name: 'toy', platform: 'onnxruntime_onnx', max_batch_size: 'eight' }));
    const r = await runSiglip(['backend', '--port', '0', '--model-repository', dir, '--providers', 'cpu', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(new RegExp(`^siglip backend: ${join(dir, 'toy', 'config.json')}: field 'max_batch_size': `))]);
  });

  it('a --require-token shorter than the backend accepts, from the flag or SIGLIP_GATEWAY_TOKEN', async () => {
    const expected = 'siglip serve: --require-token (or SIGLIP_GATEWAY_TOKEN) is 15 characters; it must be at least 16: use a long random secret, e.g. `openssl rand -hex 32`\n';
    const flag = await runSiglip(['serve', '--port', '0', '--require-token', 'fifteen-chars!!']);
    expect([flag.code, flag.stderr]).toEqual([1, expected]);
    const env = await runSiglip(['serve', '--port', '0'], { SIGLIP_GATEWAY_TOKEN: 'fifteen-chars!!' });
    expect([env.code, env.stderr]).toEqual([1, expected]);
  });

  it('the hub unreachable in `model fetch`: says HF_ENDPOINT, HF_TOKEN and how to convert a local checkout', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await runSiglip(['model', 'fetch', 'google/siglip-base-patch16-224', '--into', join(dir, 'ckpt')], { HF_ENDPOINT: endpoint, HF_TOKEN: '' });
    expect(r.code).toBe(1);
    const out = r.stderr.split('\n').filter(Boolean);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(new RegExp(`^siglip model fetch: cannot download google/siglip-base-patch16-224@main from ${endpoint} \\(fetch failed: .*ECONNREFUSED`));
    for (const hint of ['HF_ENDPOINT', 'HF_TOKEN', 'siglip model convert --from DIR']) expect(out[0]).toContain(hint);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('the hub unreachable in `serve --model`: the same line, before anything listens', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await runSiglip(['serve', '--model', 'google/siglip-base-patch16-224', '--models-dir', dir, '--port', '0', '--no-gateway'], {
      HF_ENDPOINT: endpoint,
    });
    expect(r.code).toBe(1);
    const out = r.stderr.split('\n').filter(Boolean);
    expect(out).toEqual([expect.stringMatching(/^siglip serve: cannot download google\/siglip-base-patch16-224@main .*HF_ENDPOINT.*HF_TOKEN.*siglip model convert --from DIR/)]);
    expect(r.stdout).not.toContain('backend ready');
  });

  it('prints the stack only with --debug', async () => {
    const missing = join(dir, 'absent');
    const r = await runSiglip(['backend', '--debug', '--model-repository', missing]);
    expect(r.code).toBe(1);
    const [first, ...rest] = r.stderr.split('\n');
    expect(first).toBe(`siglip backend: model repository ${missing} not found: pass --model-repository DIR, a Triton layout (DIR/<model>/config.json, DIR/<model>/1/model.onnx)`);
    expect(rest.join('\n')).toMatch(STACK_FRAME);
  });
});
