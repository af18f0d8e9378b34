import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../client/validate/cache/embeddingCache';
import { startLoopbackServer, type LoopbackServer } from './support/loopbackServer';
import { writeSyntheticDataset, type SyntheticDataset } from './support/syntheticDataset';

const CLI = fileURLToPath(new URL('../../bin/siglip.js', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TOTAL = 12 * (5 + 4);
const CONCURRENCY = 4;

let root: string;
let data: SyntheticDataset;
let server: LoopbackServer;
let killAt: number | undefined;
let killWith: NodeJS.Signals = 'SIGKILL';
let running: ChildProcess | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'validate-resume-'));
  data = await writeSyntheticDataset({ dir: join(root, 'data'), classes: 12, trainPerClass: 5, validPerClass: 4 });
  // Signals the CLI when it sends the killAt-th image; SIGKILL leaves it no chance to flush or clean up.
  server = await startLoopbackServer({ onImageRequest: (n) => (n === killAt ? running?.kill(killWith) : undefined) });
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'validate', '--data', data.dir, '--url', server.url, '--concurrency', String(CONCURRENCY), '--no-ensemble', ...args], { cwd: REPO });
  running = child;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function cachedImages(cacheDir: string): Promise<number> {
  const file = (await readdir(cacheDir)).find((f) => f.startsWith('images-') && f.endsWith('.bin'))!;
  const cache = await EmbeddingCache.openFile(join(cacheDir, file));
  await cache.close();
  return cache.size;
}

describe('siglip validate, killed halfway and rerun', () => {
  it('embeds only the rest on the rerun and prints the same table as an uninterrupted run', async () => {
    const cacheDir = join(root, 'cache');
    killAt = TOTAL / 2;
    const killed = await cli(['--cache', cacheDir]);
    expect(killed.signal).toBe('SIGKILL');
    const kept = await cachedImages(cacheDir);
    // Each worker writes an embedding before it sends its next image, so all but the requests in flight are kept.
    expect(kept).toBeGreaterThanOrEqual(TOTAL / 2 - CONCURRENCY);
    expect(kept).toBeLessThan(TOTAL / 2);

    killAt = undefined;
    const before = server.stats.imageRequests;
    const resumed = await cli(['--cache', cacheDir]);
    expect(resumed.stderr).not.toContain('siglip validate:');
    expect(resumed.code).toBe(0);
    expect(server.stats.imageRequests - before).toBe(TOTAL - kept);
    expect(resumed.stderr).toContain(`${TOTAL - kept} embedded, ${kept} from the cache, 0 refused`);
    expect(await cachedImages(cacheDir)).toBe(TOTAL);

    const fresh = await cli(['--no-cache']);
    expect(fresh.code).toBe(0);
    expect(resumed.stdout).toBe(fresh.stdout);
    expect(resumed.stdout.split('\n')[0]).toBe('| | top-1 | top-5 | prompt template |');
  });

  it('stops on Ctrl-C with a line saying how to continue, and the rerun embeds only the rest', async () => {
    const cacheDir = join(root, 'cache-sigint');
    killWith = 'SIGINT';
    killAt = server.stats.imageRequests + TOTAL / 2;
    const interrupted = await cli(['--cache', cacheDir]);
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain(`siglip validate: interrupted; what was embedded is cached in ${cacheDir}; run the same command again to continue\n`);
    const kept = await cachedImages(cacheDir);
    expect(kept).toBeGreaterThanOrEqual(TOTAL / 2 - CONCURRENCY);

    killAt = undefined;
    const before = server.stats.imageRequests;
    const resumed = await cli(['--cache', cacheDir]);
    expect(resumed.code).toBe(0);
    expect(server.stats.imageRequests - before).toBe(TOTAL - kept);
  });
});
