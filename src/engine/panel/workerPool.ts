/**
 * Work in batches on worker threads, for a panel's assets (docs/input.md#panels): one worker per core
 * (at most one per batch), each sent one batch at a time and the next when it answers, so at most one
 * batch per worker is in flight and what is cut for a batch never piles up. Results come back in any
 * order and are placed by batch index, so the order in which workers finish changes nothing.
 *
 * The protocol: the main thread posts a batch's message, or null to end; the worker (`serveBatches`)
 * answers `{ result }` or `{ error }`. A worker's error is rebuilt as the class the main thread's error
 * reporter knows (bad input stays exit 2).
 */
import { availableParallelism } from 'node:os';
import { parentPort, type Worker } from 'node:worker_threads';
import { InputError, UsageError } from '../errors.js';

type WorkerError = { name: string; message: string; file?: unknown; line?: unknown; column?: unknown; value?: unknown; expected?: unknown };
type Answer<R> = { result: R } | { error: WorkerError };

/** Runs `count` batches: `make(i)` is posted to a free worker, `onResult(i, result)` takes its answer. */
export async function runBatchesInWorkers<M, R>(
  count: number,
  make: (index: number) => M,
  start: () => Worker,
  onResult: (index: number, result: R) => void,
): Promise<void> {
  const threads = Math.max(1, Math.min(availableParallelism(), count));
  let next = 0;
  let answered = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: threads }, () => {
        const worker = start();
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          let current = -1;
          const send = () => {
            if (next >= count) {
              current = -1;
              worker.postMessage(null);
              resolve();
              return;
            }
            current = next++;
            worker.postMessage(make(current));
          };
          worker.on('message', (answer: Answer<R>) => {
            if ('error' in answer) {
              reject(rebuildError(answer.error));
              return;
            }
            onResult(current, answer.result);
            answered++;
            send();
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (current !== -1) reject(new Error(`a worker thread exited with code ${code} before answering`));
          });
          send();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  if (answered !== count) throw new Error(`worker threads answered ${answered} of ${count} batches`);
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
