import { mkdir, open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { identityHash, type ModelIdentity } from './modelIdentity';

// Record layout, little-endian: magic u32 | dim u32 | key 32 bytes (SHA-256) | dim × f32 | crc32 u32 of dim..values.
// Records are 40 + 4·dim bytes, so values stay 4-byte aligned in the file.
const MAGIC = 0x31435653; // "SVC1"
const MAGIC_BYTES = Buffer.from([0x53, 0x56, 0x43, 0x31]);
const HEAD = 4 + 4 + 32;
const MAX_DIM = 1 << 16;

/** What {@link EmbeddingCache.open} found in the file. */
export interface CacheLoadStats {
  records: number;
  /** Bytes skipped as torn or corrupt (a run killed mid-write leaves at most one torn record). */
  skippedBytes: number;
}

/**
 * An append-only on-disk store of embeddings keyed by content hash, one file per model identity. Every embedding is
 * appended as one self-checking record as soon as it arrives, so a run that is killed keeps all it has written; on
 * open, a torn or corrupt record is skipped by scanning to the next record's magic, and never stops later ones
 * from being read.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  private writes: Promise<void> = Promise.resolve();
  private failed?: Error;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly loaded: CacheLoadStats,
  ) {}

  /** Opens (creating) `<dir>/<kind>-<identity hash>.bin`, with the identity written beside it as JSON. */
  static async open(dir: string, kind: string, identity: ModelIdentity): Promise<EmbeddingCache> {
    await mkdir(dir, { recursive: true });
    const base = join(dir, `${kind}-${identityHash(identity)}`);
    await writeFile(`${base}.json`, `${JSON.stringify(identity, null, 2)}\n`);
    return EmbeddingCache.openFile(`${base}.bin`);
  }

  /** Opens (creating) one cache file. */
  static async openFile(path: string): Promise<EmbeddingCache> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      bytes = Buffer.alloc(0);
    }
    const entries = new Map<string, Float32Array>();
    const stats = scan(bytes, entries);
    const cache = new EmbeddingCache(path, await open(path, 'a'), stats);
    for (const [k, v] of entries) cache.entries.set(k, v);
    return cache;
  }

  /** Number of embeddings held. */
  get size(): number {
    return this.entries.size;
  }

  /** The embedding stored under a hex SHA-256 key. */
  get(key: string): Float32Array | undefined {
    return this.entries.get(key);
  }

  /** Stores an embedding; resolves once its record is written (appends are serialized, one write call each). */
  put(key: string, embedding: Float32Array): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    this.entries.set(key, embedding);
    const record = encodeRecord(key, embedding);
    this.writes = this.writes.then(async () => {
      try {
        await this.handle.write(record);
      } catch (err) {
        this.failed = new Error(`cannot write the embedding cache ${this.path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): free disk space or pass --no-cache`);
        throw this.failed;
      }
    });
    return this.writes;
  }

  /** Waits for pending writes and closes the file. */
  async close(): Promise<void> {
    await this.writes.catch(() => undefined);
    await this.handle.close();
  }
}

/** Encodes one record (exported for tests that tear files on purpose). */
export function encodeRecord(key: string, embedding: Float32Array): Buffer {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`EmbeddingCache: key must be 64 hex digits (SHA-256), got "${key}"`);
  const dim = embedding.length;
  const rec = Buffer.alloc(HEAD + dim * 4 + 4);
  rec.writeUInt32LE(MAGIC, 0);
  rec.writeUInt32LE(dim, 4);
  rec.write(key, 8, 'hex');
  Buffer.from(embedding.buffer, embedding.byteOffset, dim * 4).copy(rec, HEAD);
  rec.writeUInt32LE(crc32(rec.subarray(4, HEAD + dim * 4)), HEAD + dim * 4);
  return rec;
}

function scan(bytes: Buffer, into: Map<string, Float32Array>): CacheLoadStats {
  let pos = 0;
  let records = 0;
  let skippedBytes = 0;
  while (pos + HEAD + 4 <= bytes.length) {
    const dim = bytes.readUInt32LE(pos) === MAGIC ? bytes.readUInt32LE(pos + 4) : 0;
    const end = pos + HEAD + dim * 4;
    if (dim > 0 && dim <= MAX_DIM && end + 4 <= bytes.length && crc32(bytes.subarray(pos + 4, end)) === bytes.readUInt32LE(end)) {
      const values = new Float32Array(dim);
      new Uint8Array(values.buffer).set(bytes.subarray(pos + HEAD, end));
      into.set(bytes.toString('hex', pos + 8, pos + HEAD), values);
      records++;
      pos = end + 4;
      continue;
    }
    const next = bytes.indexOf(MAGIC_BYTES, pos + 1);
    const resume = next < 0 ? bytes.length : next;
    skippedBytes += resume - pos;
    pos = resume;
  }
  skippedBytes += bytes.length - pos;
  return { records, skippedBytes };
}
