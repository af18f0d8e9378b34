/**
 * Reusable buffers for request bodies on Node (gateway and backend). A fresh multi-megabyte buffer per
 * request is external memory to V8, which answers with frequent full GCs: about 1 ms per binary pixel request
 * through the gateway, and a mark-compact every ~8 requests in the backend. Bodies come from here and go back
 * once nothing reads them any more (the gateway: the backend answered 200; the backend: the batch holding
 * the request has run).
 */
export class BodyBufferPool {
  private readonly free = new Map<number, ArrayBufferLike[]>();
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private pooledBytes = 0;

  constructor(
    private readonly maxPooledBytes = 256 * 1024 * 1024,
    private readonly minSize = 64 * 1024,
    /**
     * SharedArrayBuffers instead of ArrayBuffers (the backend): worker threads (the JSON decoder, ONNX Runtime's)
     * then read a body in place, with neither a copy nor a transfer, and it stays here to be reused.
     */
    private readonly shared = false,
  ) {}

  /** A buffer of exactly `size` bytes (from `offset` into its backing memory); large ones come from the pool. */
  acquire(size: number, offset = 0): Uint8Array {
    // Plain Uint8Arrays, not Buffers: Buffer#slice is a view, and a caller copying with slice() before a
    // transfer would hand over (and detach) the pooled memory.
    if (offset + size < this.minSize) return new Uint8Array(offset + size).subarray(offset);
    const cls = sizeClass(offset + size);
    // Its own class, else the next one up (bodies of one kind differ a little in size).
    const reused = this.free.get(cls)?.pop() ?? this.free.get(sizeClass(cls + 1))?.pop();
    if (reused) this.pooledBytes -= reused.byteLength;
    const backing = reused ?? (this.shared ? new SharedArrayBuffer(cls) : new ArrayBuffer(cls));
    this.lent.add(backing);
    return new Uint8Array(backing, offset, size);
  }

  /** Gives a body (or any view of it) back for reuse; anything not lent out by this pool is ignored. */
  release(view: Uint8Array | undefined): void {
    if (!view) return;
    const backing = view.buffer;
    if (!this.lent.has(backing)) return;
    this.lent.delete(backing);
    // A transferred (detached) buffer has no memory left to reuse.
    if (backing.byteLength === 0 || this.pooledBytes + backing.byteLength > this.maxPooledBytes) return;
    const list = this.free.get(backing.byteLength);
    if (list) list.push(backing);
    else this.free.set(backing.byteLength, [backing]);
    this.pooledBytes += backing.byteLength;
  }
}

/**
 * The size class a buffer of `n` bytes comes from: `n` rounded up to 1/8 of its power of two (9.0 MB → 10 MB, not
 * 16 MB), so that a pool of similar bodies wastes at most an eighth.
 */
export function sizeClass(n: number): number {
  const step = 2 ** Math.max(0, Math.ceil(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}
