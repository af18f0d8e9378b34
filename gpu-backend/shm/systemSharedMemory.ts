/**
 * Triton's system shared-memory extension: a same-host client creates a POSIX shared-memory object
 * (shm_open, a file under /dev/shm), registers a region of it by name, and then passes tensors by region,
 * offset and size instead of sending their bytes. Node cannot mmap, so the object is kept open and read or
 * written with positioned I/O (a memcpy on tmpfs, done on libuv's thread pool, off the event loop).
 *
 * Every access is checked: a request reaches only regions registered by name, never past a region's end,
 * and a region never reaches past its object's end when registered. Objects are opened without following
 * symlinks and must be regular files directly under the shared-memory directory.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceError, invalidArgument } from '../../shared/errors';
import type { SharedMemoryRef } from '../../shared/contract/sharedMemoryRef';

/** A registered region, as the status endpoints report it. */
export interface RegionStatus {
  name: string;
  key: string;
  offset: number;
  byte_size: number;
}

interface Region extends RegionStatus {
  file: FileHandle;
  /** Reads and writes under way; the file closes when the last one ends after unregister. */
  busy: number;
  unregistered: boolean;
}

/** Settings of the extension. */
export interface SharedMemoryOptions {
  /** Whether clients may register regions (`--allow-client-shm`; on by default only when bound to loopback). */
  enabled: boolean;
  /** Where POSIX shared-memory objects live. */
  root?: string;
  /** At most this many regions at once. */
  maxRegions?: number;
}

const KEY = /^\/?([^/\0]{1,255})$/;
const NAME = /^[^\0]{1,256}$/;

const forbidden = () =>
  new InferenceError('FORBIDDEN', 'shared memory is turned off on this backend; start it with --allow-client-shm (same-host clients only), or send tensors in the request');

export class SystemSharedMemory {
  private readonly regions = new Map<string, Region>();
  private readonly root: string;
  private readonly maxRegions: number;

  constructor(private readonly options: SharedMemoryOptions) {
    this.root = options.root ?? '/dev/shm';
    this.maxRegions = options.maxRegions ?? 256;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Registers `byteSize` bytes at `offset` of the object `key` (e.g. "/input_data") as region `name`. */
  async register(name: string, key: string, offset: number, byteSize: number): Promise<void> {
    if (!this.options.enabled) throw forbidden();
    if (typeof name !== 'string' || !NAME.test(name)) throw invalidArgument('region name must be 1 to 256 characters');
    const m = typeof key === 'string' ? KEY.exec(key) : null;
    if (!m || m[1] === '.' || m[1] === '..') throw invalidArgument(`key '${String(key)}' is not a shared-memory object name: give the name passed to shm_open, such as "/input_data"`);
    for (const [field, v] of [['offset', offset], ['byte_size', byteSize]] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidArgument(`${field} must be a non-negative integer`);
    }
    if (byteSize === 0) throw invalidArgument('byte_size must be at least 1');
    if (this.regions.has(name)) throw invalidArgument(`shared memory region '${name}' is already registered; unregister it first`);
    if (this.regions.size >= this.maxRegions) throw invalidArgument(`at most ${this.maxRegions} shared memory regions can be registered; unregister some first`);
    let file: FileHandle;
    try {
      file = await open(join(this.root, m[1]), constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such object; create it with shm_open first' : code === 'ELOOP' ? 'it is a symbolic link' : code === 'EACCES' ? 'permission denied' : code;
      throw invalidArgument(`Unable to open shared memory region: '${key}' (${why})`);
    }
    try {
      const stat = await file.stat();
      if (!stat.isFile()) throw invalidArgument(`Unable to open shared memory region: '${key}' (not a shared-memory object)`);
      if (offset + byteSize > stat.size) {
        throw invalidArgument(`region '${name}' (offset ${offset} + byte_size ${byteSize}) runs past the end of '${key}', which has ${stat.size} bytes`);
      }
      // Checked again after the await: two registrations of one name may race.
      if (this.regions.has(name)) throw invalidArgument(`shared memory region '${name}' is already registered; unregister it first`);
    } catch (err) {
      await file.close();
      throw err;
    }
    this.regions.set(name, { name, key, offset, byte_size: byteSize, file, busy: 0, unregistered: false });
  }

  /** Unregisters region `name`, or every region when `name` is undefined (an unknown name is not an error, as in Triton). */
  async unregister(name?: string): Promise<void> {
    if (!this.options.enabled) throw forbidden();
    const names = name === undefined ? [...this.regions.keys()] : [name];
    for (const n of names) {
      const r = this.regions.get(n);
      if (!r) continue;
      this.regions.delete(n);
      r.unregistered = true;
      if (r.busy === 0) await r.file.close();
    }
  }

  /** Status of region `name`, or of every region. */
  status(name?: string): RegionStatus[] {
    if (!this.options.enabled) throw forbidden();
    const list = name === undefined ? [...this.regions.values()] : [this.lookup(name)];
    return list.map(({ name: n, key, offset, byte_size }) => ({ name: n, key, offset, byte_size }));
  }

  /** Reads a tensor's bytes from its region (`label` names the tensor in errors). */
  async read(ref: SharedMemoryRef, label: string): Promise<Uint8Array> {
    const region = this.within(ref, label);
    const bytes = new Uint8Array(ref.byteSize);
    await this.use(region, async () => {
      const { bytesRead } = await region.file.read(bytes, 0, ref.byteSize, region.offset + ref.offset);
      if (bytesRead !== ref.byteSize) throw invalidArgument(`${label}: shared memory region '${ref.region}' is shorter than when it was registered (its object was truncated)`);
    });
    return bytes;
  }

  /** Writes an output's bytes into its region; the region must have room for them. */
  async write(ref: SharedMemoryRef, bytes: Uint8Array, label: string): Promise<void> {
    if (bytes.byteLength > ref.byteSize) {
      throw invalidArgument(`${label}: shared memory size specified with the request (${ref.byteSize} bytes) should be at least ${bytes.byteLength} bytes to hold the results`);
    }
    const region = this.within(ref, label);
    await this.use(region, async () => {
      await region.file.write(bytes, 0, bytes.byteLength, region.offset + ref.offset);
    });
  }

  /** Checks a tensor's region exists and that the tensor lies inside it; done before the request is queued. */
  check(ref: SharedMemoryRef, label: string): void {
    this.within(ref, label);
  }

  /** Closes every region (at shutdown). */
  async close(): Promise<void> {
    if (this.options.enabled) await this.unregister();
  }

  private lookup(name: string): Region {
    const r = this.regions.get(name);
    if (!r) throw invalidArgument(`Unable to find system shared memory region: '${name}'`);
    return r;
  }

  private within(ref: SharedMemoryRef, label: string): Region {
    if (!this.options.enabled) throw forbidden();
    const r = this.regions.get(ref.region);
    if (!r) throw invalidArgument(`${label}: unknown shared memory region '${ref.region}'; register it first`);
    if (ref.offset + ref.byteSize > r.byte_size) {
      throw invalidArgument(`${label}: shared_memory_offset ${ref.offset} + shared_memory_byte_size ${ref.byteSize} runs past the end of region '${ref.region}' (${r.byte_size} bytes)`);
    }
    return r;
  }

  private async use(r: Region, io: () => Promise<void>): Promise<void> {
    r.busy++;
    try {
      await io();
    } finally {
      if (--r.busy === 0 && r.unregistered) await r.file.close();
    }
  }
}
