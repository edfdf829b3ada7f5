/**
 * The engine's worker pool (src/engine/panel/workerPool.ts): a WorkerPool keeps its threads from one run
 * to the next (no thread starts for later batches), places answers by index whatever the finishing
 * order, rebuilds a worker's error, and after a failed run starts new threads.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { runBatchesInWorkers, WorkerPool } from '../../../src/engine/panel/workerPool.js';

// A worker by the pool's protocol: answers n with n * 2 and its thread id; a negative n is an error.
const ECHO = `
const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', (n) => {
  if (n === null) return parentPort.close();
  if (n < 0) return parentPort.postMessage({ error: { name: 'UsageError', message: 'negative ' + n } });
  const until = Date.now() + (n % 3);
  while (Date.now() < until);
  parentPort.postMessage({ result: { double: n * 2, thread: threadId } });
});`;

let pool: WorkerPool | undefined;
afterEach(async () => pool?.close());

const start = () => new Worker(ECHO, { eval: true });

async function run(p: WorkerPool, values: number[], threads = 2): Promise<{ double: number; thread: number }[]> {
  const out = new Array<{ double: number; thread: number }>(values.length);
  await p.run<number, { double: number; thread: number }>(values.length, (i) => values[i], (i, r) => (out[i] = r), threads);
  return out;
}

describe('WorkerPool', () => {
  it('starts its threads once across runs and places every answer by index', async () => {
    pool = new WorkerPool(start);
    const threads = new Set<number>();
    for (let batch = 0; batch < 5; batch++) {
      const values = Array.from({ length: 7 }, (_, i) => batch * 10 + i);
      const out = await run(pool, values);
      expect(out.map((r) => r.double)).toEqual(values.map((v) => v * 2));
      for (const r of out) threads.add(r.thread);
    }
    expect(pool.threadsStarted).toBe(2);
    expect(threads.size).toBe(2);
    // A run needing more threads starts only the missing ones.
    await run(pool, [1, 2, 3], 3);
    expect(pool.threadsStarted).toBe(3);
  });

  it('rebuilds a worker error, ends its threads, and runs again on new ones', async () => {
    pool = new WorkerPool(start);
    await run(pool, [1, 2]);
    await expect(run(pool, [1, -4, 2])).rejects.toThrow('negative -4');
    expect(pool.threadsStarted).toBe(2);
    expect((await run(pool, [5, 6])).map((r) => r.double)).toEqual([10, 12]);
    expect(pool.threadsStarted).toBe(4);
  });

  it('runBatchesInWorkers runs on a pool of its own and ends it', async () => {
    const out: number[] = [];
    await runBatchesInWorkers<number, { double: number }>(4, (i) => i + 1, start, (i, r) => (out[i] = r.double));
    expect(out).toEqual([2, 4, 6, 8]);
  });
});
