import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentKey } from '../../client/validate/cache/contentKey';
import { EmbeddingCache, encodeRecord } from '../../client/validate/cache/embeddingCache';
import { identityHash, type ModelIdentity } from '../../client/validate/cache/modelIdentity';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'validate-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const key = (s: string) => contentKey(s);
const vec = (...v: number[]) => Float32Array.from(v);

describe('EmbeddingCache', () => {
  it('returns what was put, after reopening', async () => {
    const path = join(dir, 'c.bin');
    const c = await EmbeddingCache.openFile(path);
    await c.put(key('a'), vec(1, 2, 3));
    await c.put(key('b'), vec(-0.5, 0.25));
    await c.close();
    const again = await EmbeddingCache.openFile(path);
    expect(again.size).toBe(2);
    expect(Array.from(again.get(key('a'))!)).toEqual([1, 2, 3]);
    expect(Array.from(again.get(key('b'))!)).toEqual([-0.5, 0.25]);
    expect(again.loaded).toEqual({ records: 2, skippedBytes: 0 });
    await again.close();
  });

  it('keeps every whole record when the last one was torn by a crash, and appends after it', async () => {
    const path = join(dir, 'c.bin');
    await writeFile(path, Buffer.concat([encodeRecord(key('a'), vec(1)), encodeRecord(key('b'), vec(2))]));
    await truncate(path, (await stat(path)).size - 3); // b loses its last bytes
    const c = await EmbeddingCache.openFile(path);
    expect(c.get(key('a'))).toBeDefined();
    expect(c.get(key('b'))).toBeUndefined();
    await c.put(key('c'), vec(3));
    await c.close();
    const again = await EmbeddingCache.openFile(path);
    expect(Array.from(again.get(key('c'))!)).toEqual([3]);
    expect(again.loaded.records).toBe(2);
    expect(again.loaded.skippedBytes).toBe(encodeRecord(key('b'), vec(2)).length - 3);
    await again.close();
  });

  it('skips a record whose checksum does not match and reads the ones after it', async () => {
    const path = join(dir, 'c.bin');
    const bad = encodeRecord(key('b'), vec(2, 2));
    bad[bad.length - 6] ^= 0xff; // flip a value byte
    await writeFile(path, Buffer.concat([encodeRecord(key('a'), vec(1)), bad, encodeRecord(key('c'), vec(3))]));
    const c = await EmbeddingCache.openFile(path);
    expect([c.get(key('a')), c.get(key('b')), c.get(key('c'))].map((v) => v && Array.from(v))).toEqual([[1], undefined, [3]]);
    await c.close();
  });

  it('keeps one file per model identity, with the identity beside it', async () => {
    const a: ModelIdentity = { url: 'http://x', model: 'embed_image', metadata: { versions: ['1'] }, request: {} };
    const b: ModelIdentity = { ...a, metadata: { versions: ['2'] } };
    expect(identityHash({ ...a, metadata: { versions: ['1'] } })).toBe(identityHash(a));
    expect(identityHash(b)).not.toBe(identityHash(a));
    const ca = await EmbeddingCache.open(dir, 'images', a);
    await ca.put(key('x'), vec(1));
    await ca.close();
    const cb = await EmbeddingCache.open(dir, 'images', b);
    expect(cb.get(key('x'))).toBeUndefined();
    await cb.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`images-${identityHash(a)}.bin`, `images-${identityHash(a)}.json`, `images-${identityHash(b)}.bin`, `images-${identityHash(b)}.json`].sort());
    expect(JSON.parse(await readFile(join(dir, `images-${identityHash(a)}.json`), 'utf8'))).toEqual(a);
  });

  it('reads garbage appended between records as skipped bytes, not as an end', async () => {
    const path = join(dir, 'c.bin');
    await writeFile(path, encodeRecord(key('a'), vec(1)));
    await appendFile(path, Buffer.from('SVC1 not a record'));
    await appendFile(path, encodeRecord(key('b'), vec(2)));
    const c = await EmbeddingCache.openFile(path);
    expect(c.size).toBe(2);
    expect(c.loaded.skippedBytes).toBe('SVC1 not a record'.length);
    await c.close();
  });
});
