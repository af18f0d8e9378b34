/**
 * Copies of a listening socket, each a descriptor of its own, so that each HTTP thread can accept on the backend's
 * port and close its copy without touching the others'. Node cannot dup(2), but a socket sent over an IPC channel
 * arrives as a new descriptor: a short-lived child process (listenerDupChild.mjs) sends the socket it is given back
 * as many times as asked.
 *
 * The copies arrive wrapped in this thread's handles, which must never be closed here (the HTTP threads own those
 * descriptors, and a close here could close a reused number): they are kept in LENT for the process's life.
 */
import { fork } from 'node:child_process';
import type { Server } from 'node:net';

const CHILD = new URL('./listenerDupChild.mjs', import.meta.url);

/** Handles whose descriptors belong to HTTP threads: held, never closed (see above). */
const LENT: unknown[] = [];

/** `count` new descriptors of `server`'s listening socket. */
export async function listenerCopies(server: Server, count: number, timeoutMs = 10_000): Promise<number[]> {
  const handle = (server as unknown as { _handle?: { fd?: number } })._handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0) throw new Error('the server has no listening descriptor to copy');
  const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [], serialization: 'json' });
  try {
    return await new Promise<number[]>((resolve, reject) => {
      const fds: number[] = [];
      const timer = setTimeout(() => reject(new Error(`listener copies: no answer within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (m: { type: string; message?: string }, copy?: { fd?: number }) => {
        if (m.type === 'dup' && copy && typeof copy.fd === 'number') {
          LENT.push(copy);
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
