/**
 * Reusable buffers for request bodies on Node. A fresh multi-megabyte buffer per request is external memory
 * to V8, which answers with frequent full GCs: about 1 ms per binary pixel request through the gateway.
 * Bodies come from here and go back once the backend has answered 200 (it had read the whole body by then).
 */
export class BodyBufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly owner = new WeakMap<Uint8Array, ArrayBuffer>();
  private pooledBytes = 0;

  constructor(
    private readonly maxPooledBytes = 256 * 1024 * 1024,
    private readonly minSize = 64 * 1024,
  ) {}

  /** A buffer of exactly `size` bytes; large ones come from the pool. */
  acquire(size: number): Buffer {
    if (size < this.minSize) return Buffer.allocUnsafe(size);
    const cls = 2 ** Math.ceil(Math.log2(size));
    const reused = this.free.get(cls)?.pop();
    if (reused) this.pooledBytes -= cls;
    const backing = reused ?? new ArrayBuffer(cls);
    const view = Buffer.from(backing, 0, size);
    this.owner.set(view, backing);
    return view;
  }

  /** Gives a body back for reuse; anything not from this pool is ignored. */
  release(view: Uint8Array | undefined): void {
    if (!view) return;
    const backing = this.owner.get(view);
    if (!backing) return;
    this.owner.delete(view);
    if (this.pooledBytes + backing.byteLength > this.maxPooledBytes) return;
    const list = this.free.get(backing.byteLength);
    if (list) list.push(backing);
    else this.free.set(backing.byteLength, [backing]);
    this.pooledBytes += backing.byteLength;
  }
}
