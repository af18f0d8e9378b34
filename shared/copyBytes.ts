/**
 * Byte copies where one side is shared memory (a SharedArrayBuffer: the backend's body buffers, read in place by
 * other threads). V8 copies to or from shared memory word by word when both sides share their alignment modulo 8,
 * and byte by byte otherwise: 9 MB in 64 KiB socket chunks took 2.5-4.3 ms misaligned against 0.3-0.6 ms aligned
 * on our 2-core machine. Socket chunks start wherever the HTTP parser cut them, so most land misaligned. Those go
 * through a small unshared staging buffer placed at the shared side's alignment (a copy between unshared buffers
 * is fast at any alignment): 0.9 ms for the same 9 MB.
 */

const STAGE_BYTES = 64 * 1024;
// Eight spare bytes, so that the staged bytes can start at any alignment.
const stage = new Uint8Array(STAGE_BYTES + 8);

const isShared = (a: Uint8Array) => typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

/** `dst.set(src, at)`, fast also when one side is shared memory and the two are not aligned alike. */
export function copyBytes(dst: Uint8Array, src: Uint8Array, at: number): void {
  const to = dst.byteOffset + at;
  const sharedSrc = isShared(src);
  if (((src.byteOffset - to) & 7) === 0 || src.length < 256 || !(sharedSrc || isShared(dst))) {
    dst.set(src, at);
    return;
  }
  for (let done = 0; done < src.length; done += STAGE_BYTES) {
    const n = Math.min(STAGE_BYTES, src.length - done);
    // The stage at the shared side's alignment: that copy goes word by word, the other is between unshared memory.
    const k = ((sharedSrc ? src.byteOffset : to) + done - stage.byteOffset) & 7;
    stage.set(src.subarray(done, done + n), k);
    dst.set(stage.subarray(k, k + n), at + done);
  }
}
