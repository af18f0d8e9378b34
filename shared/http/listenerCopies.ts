/**
 * Copies of a listening socket, each a descriptor of its own, so that each HTTP thread can accept on the backend's
 * port and close its copy without touching the others'. Node cannot dup(2), but a socket sent over an IPC channel
 * arrives as a new descriptor: a short-lived child process (listenerDupChild.mjs) sends the socket it is given back
 * as many times as asked.
 *
 * The copies arrive wrapped in this thread's handles. A copy handed to an HTTP thread must never be closed here (the
 * thread owns that descriptor, and a close here could close a reused number): its handle is kept in LENT for the
 * process's life. Copies never handed over (spares) are closed with `closeUnused` at shutdown, or the port would
 * go on taking connections into a backlog that nobody accepts.
 */
import { fork } from 'node:child_process';
import type { Server } from 'node:net';

const CHILD = new URL('./listenerDupChild.mjs', import.meta.url);

/** Handles whose descriptors belong to HTTP threads: held, never closed (see above). */
const LENT: unknown[] = [];

/** New descriptors of a listening socket. */
export interface ListenerCopies {
  /** The descriptors not yet handed out: take one with `shift()` for each thread. */
  fds: number[];
  /** Closes the copies still in `fds` (never handed to a thread). */
  closeUnused(): void;
}

interface CopyHandle {
  fd?: number;
  close?(): void;
}

/** `count` new descriptors of `server`'s listening socket. */
export async function listenerCopies(server: Server, count: number, timeoutMs = 10_000): Promise<ListenerCopies> {
  const handles = new Map<number, CopyHandle>();
  const fds = await copies(server, count, timeoutMs, handles);
  return {
    fds,
    closeUnused() {
      for (const fd of fds.splice(0)) {
        const h = handles.get(fd);
        // (indexOf's -1 would make splice drop the last handle, a thread's.)
        const at = LENT.indexOf(h);
        if (at >= 0) LENT.splice(at, 1);
        h?.close?.();
      }
    },
  };
}

async function copies(server: Server, count: number, timeoutMs: number, handles: Map<number, CopyHandle>): Promise<number[]> {
  const handle = (server as unknown as { _handle?: { fd?: number } })._handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0) throw new Error('the server has no listening descriptor to copy');
  const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [], serialization: 'json' });
  try {
    return await new Promise<number[]>((resolve, reject) => {
      const fds: number[] = [];
      const timer = setTimeout(() => reject(new Error(`listener copies: no answer within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (m: { type: string; message?: string }, copy?: CopyHandle) => {
        if (m.type === 'dup' && copy && typeof copy.fd === 'number') {
          LENT.push(copy);
          handles.set(copy.fd, copy);
          fds.push(copy.fd);
        } else if (m.type === 'done') {
          clearTimeout(timer);
          resolve(fds);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`listener copies: ${m.message}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`listener copies: the helper process exited with ${code}`));
      });
      child.send({ again: count }, handle as never);
    });
  } finally {
    if (child.connected) child.disconnect();
  }
}
