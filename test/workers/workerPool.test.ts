import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../gpu-backend/batching/dynamicBatcher';
import { InferenceError } from '../../shared/errors';
import { WorkerPool } from '../../gpu-backend/workers/workerPool';
import { runTaskInline } from '../../gpu-backend/workers/runTaskInline';
import { TASKS as TEST_TASKS } from './fixtures/testTasks';

const TEST_TASKS_MODULE = new URL('./fixtures/testTasks.ts', import.meta.url);
const pools: WorkerPool<any>[] = [];

/** A pool of the test tasks, once its threads are ready. */
async function testPool(options: { size?: number; maxQueue?: number } = {}): Promise<WorkerPool<typeof TEST_TASKS>> {
  const pool = new WorkerPool<typeof TEST_TASKS>({ size: 1, ...options, tasksModule: TEST_TASKS_MODULE });
  pools.push(pool);
  await pool.ready;
  return pool;
}

async function rejection(p: Promise<unknown>): Promise<InferenceError> {
  const err = await p.then(
    () => { throw new Error('expected the task to fail'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InferenceError);
  return err as InferenceError;
}

/** A shared cell that holds a worker in `holdUntilReleased` until `release()`. */
function gate() {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return { cell, release: () => { Atomics.store(cell, 0, 1); Atomics.notify(cell, 0); } };
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerPool', () => {
  it('runs tasks in worker threads, not on the caller', async () => {
    const pool = await testPool({ size: 2 });
    const ids = await Promise.all([pool.run('threadId', undefined), pool.run('threadId', undefined)]);
    for (const id of ids) expect(id).not.toBe(threadId);
  });

  it('sizes itself to the machine by default', async () => {
    const { availableParallelism } = await import('node:os');
    const pool = new WorkerPool();
    pools.push(pool);
    expect(pool.size).toBe(availableParallelism());
  });

  it('transfers buffers without copying, both ways', async () => {
    const pool = await testPool();
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    const reply = pool.run('echoBuffer', buffer, [buffer]);
    expect(buffer.byteLength).toBe(0); // detached: it now belongs to the worker
    const { received, buffer: back } = await reply;
    expect(received).toBe(4);
    expect([...new Uint8Array(back)]).toEqual([1, 2, 3, 4]);
  });

  it('decodes a JSON infer request in a worker, moving the body in and the typed arrays out', async () => {
    const pool = new WorkerPool({ size: 1 });
    pools.push(pool);
    await pool.ready;
    const body = new TextEncoder().encode('{"id":"r","inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[0.1,2]}]}');
    const decoded = pool.run('decodeJsonInferRequest', body, [body.buffer]);
    expect(body.byteLength).toBe(0);
    const { header, tensors } = await decoded;
    expect(header).toEqual({ id: 'r', inputs: [{ name: 'x', shape: [2], datatype: 'FP32' }] });
    expect(tensors[0].data).toEqual(new Float32Array([0.1, 2]));
  });

  it('returns an InferenceError thrown by a task with its code and message', async () => {
    const pool = await testPool();
    const e = await rejection(pool.run('fail', { code: 'NOT_FOUND', message: 'no such thing' }));
    expect([e.code, e.message]).toEqual(['NOT_FOUND', 'no such thing']);
    const plain = await rejection(pool.run('failPlain', 'oops'));
    expect([plain.code, plain.message]).toEqual(['INTERNAL', "task 'failPlain' failed: oops"]);
    const decoding = new WorkerPool({ size: 1 });
    pools.push(decoding);
    const malformed = await rejection(decoding.run('decodeJsonInferRequest', new TextEncoder().encode('{"inputs":[')));
    expect([malformed.code, malformed.message]).toEqual(['INVALID_ARGUMENT', 'malformed JSON at byte 11: unexpected end of input']);
  });

  it.each(['crash', 'exit'] as const)('rejects the task of a worker that dies (%s) and replaces the worker', async (kind) => {
    const pool = await testPool();
    const before = await pool.run('threadId', undefined);
    const e = await rejection(kind === 'crash' ? pool.run('crash', undefined) : pool.run('exit', 3));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toMatch(new RegExp(`^worker crashed while running task '${kind}': ${kind === 'crash' ? 'boom' : 'exit code 3'}`));
    const after = await pool.run('threadId', undefined);
    expect(after).not.toBe(before);
    expect(await pool.run('echoBuffer', new ArrayBuffer(2))).toMatchObject({ received: 2 });
  });

  it('queues tasks while every worker is busy and answers UNAVAILABLE past maxQueue', async () => {
    const pool = await testPool({ size: 1, maxQueue: 1 });
    const { cell, release } = gate();
    const held = pool.run('holdUntilReleased', cell);
    const waiting = pool.run('threadId', undefined);
    expect(pool.queued).toBe(1);
    const full = await rejection(pool.run('threadId', undefined));
    expect([full.code, full.reason]).toEqual(['UNAVAILABLE', 'queue_full']);
    release();
    expect(await held).toBe('released');
    expect(typeof (await waiting)).toBe('number');
  });

  it('close() rejects queued tasks, lets the running one finish, then refuses new ones', async () => {
    const pool = await testPool({ size: 1 });
    const { cell, release } = gate();
    const running = pool.run('holdUntilReleased', cell);
    const queued = pool.run('threadId', undefined);
    const closing = pool.close();
    const e = await rejection(queued);
    expect([e.code, e.message]).toEqual(['UNAVAILABLE', 'worker pool is closed']);
    release();
    expect(await running).toBe('released');
    await closing;
    expect((await rejection(pool.run('threadId', undefined))).code).toBe('UNAVAILABLE');
  });
});

describe('WorkerPool: one primitive for the decode pool and the model instance threads', () => {
  it("runs the tasks module's init once per thread before any task, and resolves `ready` with its result", async () => {
    const pool = new WorkerPool<typeof TEST_TASKS>({ size: 2, tasksModule: TEST_TASKS_MODULE, init: { value: 'model-a' } });
    pools.push(pool);
    // A task sent before the threads are ready waits for them.
    const early = pool.run('initData', undefined);
    expect(await pool.ready).toMatch(/^init model-a on thread \d+$/);
    expect(await early).toMatchObject({ data: { value: 'model-a' }, inits: 1 });
    expect(pool.healthy).toBe(true);
  });

  it('rejects `ready` with the init error, in the error shape of tasks', async () => {
    const pool = new WorkerPool<typeof TEST_TASKS>({ size: 1, tasksModule: TEST_TASKS_MODULE, init: { fail: 'no such model file' } });
    pools.push(pool);
    await expect(pool.ready).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'no such model file' });
    expect(pool.healthy).toBe(false);
  });

  it('replaces a thread that dies, runs its init again, reports both, and is not healthy meanwhile', async () => {
    const events: string[] = [];
    const pool = new WorkerPool<typeof TEST_TASKS>({
      size: 1,
      tasksModule: TEST_TASKS_MODULE,
      init: { value: 'model-b' },
      onCrash: (m) => events.push(`crash: ${m}`),
      onRestored: () => events.push('restored'),
    });
    pools.push(pool);
    await pool.ready;
    const before = await pool.run('initData', undefined);
    await pool.kill(0);
    await vi.waitFor(() => expect(events).toContain('restored'), { timeout: 20_000 });
    expect(events[0]).toMatch(/^crash: worker thread died/);
    expect(pool.healthy).toBe(true);
    const after = await pool.run('initData', undefined);
    expect(after).toMatchObject({ data: { value: 'model-b' }, inits: 1 });
    expect(after.thread).not.toBe(before.thread);
  });

  it("serves groups in turn: one group's many waiting tasks do not hold back another group's one", async () => {
    const pool = await testPool({ size: 1 });
    const { cell, release } = gate();
    const held = pool.run('holdUntilReleased', cell);
    const order: string[] = [];
    const heavy = {};
    const light = {};
    const tasks = [
      ...[1, 2, 3].map((i) => pool.run('threadId', undefined, [], { group: heavy }).then(() => order.push(`heavy ${i}`))),
      pool.run('threadId', undefined, [], { group: light }).then(() => order.push('light')),
    ];
    release();
    await held;
    await Promise.all(tasks);
    expect(order).toEqual(['heavy 1', 'light', 'heavy 2', 'heavy 3']);
  });

  it('drops a waiting task whose signal aborts (CancelledError), and lets a running one finish', async () => {
    const pool = await testPool({ size: 1 });
    const { cell, release } = gate();
    const gone = new AbortController();
    const running = pool.run('holdUntilReleased', cell, [], { signal: gone.signal });
    const waiting = pool.run('threadId', undefined, [], { signal: gone.signal });
    const startedBefore = pool.started;
    gone.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    release();
    expect(await running).toBe('released');
    expect(pool.started).toBe(startedBefore);
    expect(pool.queued).toBe(0);
  });
});

describe('runTaskInline', () => {
  it('gives the same result as the pool, on the calling thread', async () => {
    expect(await runTaskInline('threadId', undefined, TEST_TASKS)).toBe(threadId);
    const body = new TextEncoder().encode('{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[9007199254740993]}]}');
    const decoded = await runTaskInline('decodeJsonInferRequest', body);
    expect(decoded.tensors[0].data).toEqual(new BigInt64Array([9007199254740993n]));
  });

  it('gives the same errors as the pool', async () => {
    const e = await rejection(runTaskInline('fail', { code: 'NOT_FOUND', message: 'no such thing' }, TEST_TASKS));
    expect([e.code, e.message]).toEqual(['NOT_FOUND', 'no such thing']);
    const plain = await rejection(runTaskInline('failPlain', 'oops', TEST_TASKS));
    expect([plain.code, plain.message]).toEqual(['INTERNAL', "task 'failPlain' failed: oops"]);
    const unknown = await rejection(runTaskInline('nope' as 'threadId', undefined, TEST_TASKS));
    expect(unknown.message).toBe("unknown task kind 'nope'");
  });
});

describe('WorkerPool outside vitest', () => {
  it('works in a plain node process that registers tsx first, as bin/siglip.js does', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `
      import { register } from 'tsx/esm/api';
      register();
      const { WorkerPool } = await import('./gpu-backend/workers/workerPool.ts');
      const pool = new WorkerPool({ size: 1 });
      const body = new TextEncoder().encode('{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1.5]}]}');
      const { tensors } = await pool.run('decodeJsonInferRequest', body, [body.buffer]);
      await pool.close();
      console.log(tensors[0].data.constructor.name, tensors[0].data[0]);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(stdout.trim()).toBe('Float32Array 1.5');
  });
});
