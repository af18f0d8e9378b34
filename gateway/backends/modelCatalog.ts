/**
 * What the backends serve, learned from them: each model's metadata and config (fetched on first use
 * and cached), from which the gateway derives input checks and body-size limits.
 */
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { unavailable } from '../../shared/errors';
import { DATATYPE_SIZE, DATATYPES, type Datatype } from '../../shared/protocol';
import { modelContract, type ConfigLike, type ModelContract } from '../../shared/contract/modelContract';
import type { Clock } from '../types';
import type { BackendRequest } from './transport';

/** An input or output as the model's metadata declares it; -1 marks a variable dimension. */
export interface TensorMeta {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** A model as the gateway needs it, precomputed once per fetch. */
export interface ModelInfo {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  /** 0 means the model takes no batch dimension. */
  maxBatchSize: number;
  /** The request rules, built exactly as the backend builds its own (shared/contract). */
  contract: ModelContract;
  /** Largest acceptable body, by encoding; over it the gateway answers 413 without reading further. */
  maxBodyBytes: { json: number; binary: number };
}

/** A model listed by `POST /v2/repository/index`. */
export interface RepositoryEntry {
  name: string;
  version?: string;
  state?: string;
}

/** Anything that can send a request to some backend (the BackendPool). */
export interface Forwarder {
  forward(req: BackendRequest): Promise<Response>;
}

/** Catalog settings. */
export interface ModelCatalogOptions {
  clock: Clock;
  ttlMs?: number;
  /** How long "no such model" is remembered, so unknown names do not hammer the backends. */
  negativeTtlMs?: number;
  /** Hard cap on any body. */
  maxBodyBytes?: number;
  /** Assumed size of one BYTES element (an encoded image or a text) when sizing bodies. */
  maxBytesElementSize?: number;
  /** How long the backends' repository index is trusted: names not in it are unknown without asking per name. */
  indexTtlMs?: number;
  /** Most models remembered (known or unknown); the least recently stored go first. */
  maxEntries?: number;
}

const tensorMetaSchema = z.object({
  name: z.string(),
  datatype: z.enum(DATATYPES as [Datatype, ...Datatype[]]),
  shape: z.array(z.number().int()),
});
const metadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).optional(),
  platform: z.string().optional(),
  inputs: z.array(tensorMetaSchema),
  outputs: z.array(tensorMetaSchema),
});
const configSchema = z
  .object({ max_batch_size: z.number().int().nonnegative().optional(), parameters: z.record(z.string(), z.unknown()).optional() })
  .passthrough();
const indexSchema = z.array(z.object({ name: z.string(), version: z.string().optional(), state: z.string().optional() }).passthrough());

// Longest JSON text of one number ("-1.2345678e-05, "), with slack for spaces and nesting.
const JSON_CHARS_PER_NUMBER = 24;
const HEADER_ALLOWANCE = 64 * 1024;

/** Metadata cache with single-flight fetches. */
export class ModelCatalog {
  // lru-cache (docs/library-choices.md): bounded, per-entry TTL by the injected clock, O(1) stores when full.
  private readonly entries: LRUCache<string, { model: ModelInfo | undefined }>;
  private readonly inflight = new Map<string, Promise<ModelInfo | undefined>>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxBody: number;
  private readonly bytesElement: number;
  private readonly indexTtlMs: number;
  /** Names the backends serve, from their repository index; null when they have no index to give. */
  private index: { names: Set<string> | null; expires: number } | undefined;
  private indexInflight: Promise<Set<string> | null> | undefined;

  constructor(
    private readonly backends: Forwarder,
    private readonly opts: ModelCatalogOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    // The backend's own default body limit: the gateway never reads more than a backend would accept.
    this.maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
    this.bytesElement = opts.maxBytesElementSize ?? 16 * 1024 * 1024;
    this.indexTtlMs = opts.indexTtlMs ?? 10_000;
    const clock = opts.clock;
    this.entries = new LRUCache({ max: opts.maxEntries ?? 1024, perf: { now: () => clock.now() }, ttlResolution: 0 });
  }

  /** The model, or undefined when the backends do not serve it. Throws 503 when they cannot be asked. */
  get(name: string): Promise<ModelInfo | undefined> {
    const hit = this.entries.get(name);
    if (hit) return Promise.resolve(hit.model);
    let p = this.inflight.get(name);
    if (!p) {
      p = this.fetchModel(name).finally(() => this.inflight.delete(name));
      this.inflight.set(name, p);
    }
    return p;
  }

  /** The cached model if fresh (no backend call). */
  peek(name: string): ModelInfo | undefined {
    return this.entries.get(name)?.model;
  }

  /** Every model the backends serve, from Triton's repository extension (not cached here; /status caches). */
  async repositoryIndex(): Promise<RepositoryEntry[]> {
    const res = await this.backends.forward({ method: 'POST', path: '/v2/repository/index', headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('{}') });
    const parsed = indexSchema.safeParse(await res.json().catch(() => null));
    if (res.status !== 200 || !parsed.success) throw unavailable(`backend repository index answered ${res.status}`, 'backend_error');
    return parsed.data;
  }

  // Names served, per the repository index (one backend request per indexTtlMs whatever names clients try).
  private async servedNames(): Promise<Set<string> | null> {
    if (this.index && this.index.expires > this.opts.clock.now()) return this.index.names;
    this.indexInflight ??= this.repositoryIndex()
      .then((entries) => new Set(entries.map((e) => e.name)), () => null)
      .then((names) => {
        this.index = { names, expires: this.opts.clock.now() + this.indexTtlMs };
        return names;
      })
      .finally(() => (this.indexInflight = undefined));
    return this.indexInflight;
  }

  // Bounded whatever names arrive: past maxEntries the least recently used entry goes.
  private remember(name: string, model: ModelInfo | undefined, ttlMs: number): void {
    this.entries.set(name, { model }, { ttl: ttlMs });
  }

  private async fetchModel(name: string): Promise<ModelInfo | undefined> {
    const served = await this.servedNames();
    // Not in the index: unknown, without a metadata request (an index that could not be read asks per name).
    if (served && !served.has(name)) return undefined;
    const path = `/v2/models/${name}`;
    const metaRes = await this.backends.forward({ method: 'GET', path, headers: {} });
    if (metaRes.status === 404) {
      await metaRes.arrayBuffer();
      this.remember(name, undefined, this.negativeTtlMs);
      return undefined;
    }
    const meta = metadataSchema.safeParse(await metaRes.json().catch(() => null));
    if (metaRes.status !== 200 || !meta.success) throw unavailable(`backend metadata for '${name}' answered ${metaRes.status}`, 'backend_error');
    const cfgRes = await this.backends.forward({ method: 'GET', path: `${path}/config`, headers: {} });
    const cfg = configSchema.safeParse(await cfgRes.json().catch(() => null));
    const model = this.describe(meta.data, cfgRes.status === 200 && cfg.success ? cfg.data : undefined);
    this.remember(name, model, this.ttlMs);
    return model;
  }

  private describe(meta: z.infer<typeof metadataSchema>, config: ConfigLike | undefined): ModelInfo {
    const contract = modelContract(meta, config);
    const maxBatchSize = contract.maxBatchSize;
    const batch = Math.max(1, maxBatchSize);
    let binary = 0;
    let json = 0;
    let unbounded = false;
    for (const input of meta.inputs) {
      const itemDims = maxBatchSize > 0 ? input.shape.slice(1) : input.shape;
      if (itemDims.some((d) => d < 0)) unbounded = true;
      const elements = itemDims.reduce((n, d) => n * Math.max(d, 1), 1);
      const size = input.datatype === 'BYTES' ? this.bytesElement : DATATYPE_SIZE[input.datatype];
      binary += elements * size;
      // BYTES travel in JSON as strings (escaped text); numbers as decimal text.
      json += input.datatype === 'BYTES' ? elements * this.bytesElement * 2 : elements * JSON_CHARS_PER_NUMBER;
    }
    const cap = (perItem: number) => (unbounded ? this.maxBody : Math.min(this.maxBody, HEADER_ALLOWANCE + batch * perItem));
    return {
      name: meta.name,
      versions: meta.versions ?? [],
      platform: meta.platform ?? '',
      inputs: meta.inputs,
      outputs: meta.outputs,
      maxBatchSize,
      contract,
      maxBodyBytes: { json: cap(json), binary: cap(binary) },
    };
  }
}
