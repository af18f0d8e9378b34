/**
 * Reads a byte stream into one array, counting as it goes: past `limit` bytes it cancels the stream and throws
 * `tooLarge(size)`, so a peer that omits or misstates Content-Length cannot push an unbounded body.
 */
export async function readStreamWithin(stream: ReadableStream<Uint8Array>, limit: number, tooLarge: (size: number) => Error): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(total);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
