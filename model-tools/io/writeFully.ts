import type { FileHandle } from 'node:fs/promises';

/** Writes all of `data` at the current position: FileHandle.write may write less than asked, and at most 2 GiB per call. */
export async function writeFully(handle: FileHandle, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.byteLength) {
    const { bytesWritten } = await handle.write(data, at, Math.min(data.byteLength - at, 1 << 30));
    at += bytesWritten;
  }
}
