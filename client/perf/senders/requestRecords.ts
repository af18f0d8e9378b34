// Completed requests travel from sender threads as one flat Float64Array (transferred, not copied):
// [startNs, endNs, sendNs, recvNs, delayed] per request.
import type { RequestRecord } from '../measure/perfStatus';

/** Numbers per request in a record buffer. */
const RECORD_FIELDS = 5;

/** A growable buffer of request records, handed over and emptied by take(). */
export class RecordBuffer {
  private buf = new Float64Array(RECORD_FIELDS * 1024);
  private n = 0;

  /** Appends one completed request. */
  push(startNs: number, endNs: number, sendNs: number, recvNs: number, delayed: boolean): void {
    if ((this.n + 1) * RECORD_FIELDS > this.buf.length) {
      const grown = new Float64Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    const o = this.n * RECORD_FIELDS;
    this.buf[o] = startNs;
    this.buf[o + 1] = endNs;
    this.buf[o + 2] = sendNs;
    this.buf[o + 3] = recvNs;
    this.buf[o + 4] = delayed ? 1 : 0;
    this.n++;
  }

  /** Requests held. */
  get length(): number {
    return this.n;
  }

  /** The records so far, as a new exactly-sized array; the buffer starts empty again. */
  take(): Float64Array {
    const out = this.buf.slice(0, this.n * RECORD_FIELDS);
    this.n = 0;
    return out;
  }
}

/** Unpacks a record buffer. */
export function unpackRecords(buf: Float64Array, into: RequestRecord[] = []): RequestRecord[] {
  for (let o = 0; o + RECORD_FIELDS <= buf.length; o += RECORD_FIELDS) {
    into.push({ startNs: buf[o], endNs: buf[o + 1], sendNs: buf[o + 2], recvNs: buf[o + 3], delayed: buf[o + 4] === 1 });
  }
  return into;
}
