/**
 * Work in batches on worker threads, for a panel's assets (docs/input.md#panels): one worker per core
 * (at most one per batch), each sent one batch at a time and the next when it answers, so at most one
 * batch per worker is in flight and what is cut for a batch never piles up. Results come back in any
 * order and are placed by batch index, so the order in which workers finish changes nothing.
 *
 * The protocol: the main thread posts a batch's message (null ends a worker; the pool terminates them);
 * the worker (`serveBatches`) answers `{ result }` or `{ error }`. A worker's error is rebuilt as the
 * class the main thread's error reporter knows (bad input stays exit 2).
 */
import { availableParallelism } from 'node:os';
import { parentPort, type Worker } from 'node:worker_threads';
import { InputError, UsageError } from '../errors.js';

export type WorkerError = { name: string; message: string; file?: unknown; line?: unknown; column?: unknown; value?: unknown; expected?: unknown };
type Answer<R> = { result: R } | { error: WorkerError };

/** Runs `count` batches on a pool of its own: `make(i)` is posted to a free worker, `onResult(i, result)` takes its answer. */
export async function runBatchesInWorkers<M, R>(
  count: number,
  make: (index: number) => M,
  start: () => Worker,
  onResult: (index: number, result: R) => void,
): Promise<void> {
  const pool = new WorkerPool(start);
  try {
    await pool.run(count, make, onResult);
  } finally {
    await pool.close();
  }
}

/**
 * Worker threads kept from one `run` to the next, so a caller that works in many small batches (the
 * experiment's panels, docs/experiment.md#panels) starts each thread once, not once per batch. A run
 * starts the threads it needs beyond those it has; between runs they wait, unreferenced (an idle pool
 * keeps no process alive), until `close`. A failed run ends every thread, and the next run starts new ones.
 */
export class WorkerPool {
  private workers: Worker[] = [];
  private starts = 0;
  private running = false;

  /** @param rebuild a worker's error as the class the caller throws; undefined: the default (InputError, UsageError, Error) */
  constructor(
    private readonly start: () => Worker,
    private readonly rebuild: (error: WorkerError) => Error | undefined = () => undefined,
  ) {}

  /** Threads started so far (for tests: smaller batches must not start more). */
  get threadsStarted(): number {
    return this.starts;
  }

  /** Runs `count` batches on up to `threads` workers (never more than the batches), each sent the next when it answers. */
  async run<M, R>(count: number, make: (index: number) => M, onResult: (index: number, result: R) => void, threads = availableParallelism()): Promise<void> {
    if (this.running) throw new Error('WorkerPool.run: a run is already under way');
    if (count === 0) return;
    this.running = true;
    const used = Math.max(1, Math.min(threads, count));
    while (this.workers.length < used) this.workers.push(this.startOne());
    const workers = this.workers.slice(0, used);
    let next = 0;
    let answered = 0;
    const detach: (() => void)[] = [];
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              let current = -1;
              const send = () => {
                if (next >= count) {
                  current = -1;
                  resolve();
                  return;
                }
                current = next++;
                worker.postMessage(make(current));
              };
              const onMessage = (answer: Answer<R>) => {
                if ('error' in answer) {
                  reject(this.rebuild(answer.error) ?? rebuildError(answer.error));
                  return;
                }
                onResult(current, answer.result);
                answered++;
                send();
              };
              const onExit = (code: number) => {
                if (current !== -1) reject(new Error(`a worker thread exited with code ${code} before answering`));
              };
              worker.on('message', onMessage);
              worker.on('error', reject);
              worker.on('exit', onExit);
              detach.push(() => {
                worker.off('message', onMessage);
                worker.off('error', reject);
                worker.off('exit', onExit);
              });
              worker.ref();
              send();
            }),
        ),
      );
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      for (const off of detach) off();
      for (const worker of this.workers) worker.unref();
      this.running = false;
    }
    if (answered !== count) throw new Error(`worker threads answered ${answered} of ${count} batches`);
  }

  /** Ends every thread; the pool can still run again (it starts new ones). */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private startOne(): Worker {
    const worker = this.start();
    this.starts++;
    // A thread that ends between runs leaves the pool (a run then starts another); its error, if any,
    // is a run's to report (an idle thread's would otherwise be uncaught).
    worker.on('error', () => {});
    worker.once('exit', () => {
      this.workers = this.workers.filter((w) => w !== worker);
    });
    return worker;
  }
}

/** The worker's side: answers each batch with `handle`'s result (its `transfer` buffers moved, not copied). */
export function serveBatches<M, R>(handle: (message: M) => { result: R; transfer?: ArrayBuffer[] }): void {
  parentPort?.on('message', (message: M | null) => {
    if (message === null) {
      parentPort!.close();
      return;
    }
    try {
      const { result, transfer } = handle(message);
      parentPort!.postMessage({ result } satisfies Answer<R>, transfer ?? []);
    } catch (error) {
      const e = error as Error & Partial<Record<'file' | 'line' | 'column' | 'value' | 'expected', unknown>>;
      parentPort!.postMessage({ error: { name: e.name, message: e.message, file: e.file, line: e.line, column: e.column, value: e.value, expected: e.expected } } satisfies Answer<R>);
    }
  });
}

function rebuildError(error: WorkerError): Error {
  if (error.name === 'InputError') {
    return new InputError(String(error.file), Number(error.line), (error.column as string | null) ?? null, (error.value as string | null) ?? null, String(error.expected));
  }
  if (error.name === 'UsageError') return new UsageError(error.message);
  return new Error(error.message);
}
