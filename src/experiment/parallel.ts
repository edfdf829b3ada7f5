/**
 * Runs walk-forwards: in this thread, or on a pool of worker threads when the work is large enough to
 * pay for starting them (each worker loads the code and receives a copy of its columns). A job is one
 * set's walk-forward on one series (one asset of a panel); jobs are independent, so a job's forecasts
 * are the same whichever thread computes them, and a panel's assets run in parallel with the same
 * results as one at a time.
 *
 * 'auto' uses workers when the estimated work exceeds PARALLEL_MIN_MS and the machine has more than
 * one core. The pool hands the largest job left to whichever worker finishes first.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { FitOverflowError, type Regularisation } from '../engine/model/wls.js';
import { UsageError } from '../engine/errors.js';
import { startWorker } from '../engine/workerThread.js';
import type { CommonRows } from './rows.js';
import { walkForwardSets, type WalkForwardPlan } from './walkForward.js';

/**
 * Workers start when the walk-forwards are estimated to take longer than this in one thread:
 * below it, starting two workers and copying their columns costs about what they would save.
 */
export const PARALLEL_MIN_MS = 400;

export interface SetJob {
  features: Float64Array[];
  featureNames: string[];
  regularisation?: Regularisation;
}
/** One series' walk-forwards: its plan and columns, and one job per set. */
export interface SeriesWalk {
  plan: WalkForwardPlan;
  price: Float64Array;
  nextPrice: Float64Array;
  sets: SetJob[];
}
/**
 * What a worker receives, one job at a time: some sets of one series (./walkForward.ts
 * `walkForwardSets`), each column sent once however many of the sets hold it.
 */
export interface WorkerRequest {
  id: number;
  plan: WalkForwardPlan;
  price: Float64Array;
  nextPrice: Float64Array;
  columns: Float64Array[];
  /** Per set: its columns as indices into `columns`. */
  sets: { columns: number[]; featureNames: string[]; regularisation?: Regularisation }[];
}
export type WorkerResponse = { id: number; forecasts: Float64Array[] } | { id: number; error: { name: string; message: string } };

/**
 * Estimated single-thread time of one set's walk-forward, in ms: the row pass (k fused multiply-adds and
 * k(k+1)/2 products a row, ~30k + 3k² ns) and the solves (~3 µs plus ~20 ns·(k+1)³ each), fitted to
 * runs on this project's machine (bench/RESULTS.md, "Experiment"). A Cholesky failure (collinear
 * features) makes the solves several times dearer; the estimate ignores that. Sets walked together
 * share their row pass (./expandingFit.ts), so this is an upper bound for them.
 */
export function setWorkMs(plan: WalkForwardPlan, k: number): number {
  const refits = Math.ceil((plan.n - plan.trainCount) / plan.refitEvery);
  return (plan.n * (30 * k + 3 * k * k) + refits * (3000 + 20 * (k + 1) ** 3)) / 1e6;
}

/** Threads 'auto' resolves to for these sets. */
export function chooseThreads(plan: WalkForwardPlan, widths: readonly number[], threads: 'auto' | number): number {
  return threadsFor(widths.map((k) => setWorkMs(plan, k)), threads);
}

/** Threads for jobs of these estimated times (ms): never more than the jobs. */
function threadsFor(work: readonly number[], threads: 'auto' | number): number {
  const limit = Math.min(work.length, threads === 'auto' ? availableParallelism() : threads);
  if (threads !== 'auto') return Math.max(1, limit);
  const total = work.reduce((sum, ms) => sum + ms, 0);
  return total >= PARALLEL_MIN_MS ? Math.max(1, limit) : 1;
}

/**
 * The forecasts of each set (in order) over the test rows.
 * @param regularisations each set's λ and α (docs/regularisation.md); omitted or undefined: unpenalised
 */
export async function forecastSets(
  rows: CommonRows,
  featureNames: readonly string[][],
  plan: WalkForwardPlan,
  threads: 'auto' | number,
  regularisations: readonly (Regularisation | undefined)[] = [],
): Promise<Float64Array[]> {
  const [forecasts] = await forecastSeries([seriesWalk(rows, featureNames, plan, regularisations)], threads);
  return forecasts;
}

/** One series' walk-forward jobs from its common rows. */
export function seriesWalk(
  rows: CommonRows,
  featureNames: readonly string[][],
  plan: WalkForwardPlan,
  regularisations: readonly (Regularisation | undefined)[] = [],
): SeriesWalk {
  return {
    plan,
    price: rows.price,
    nextPrice: rows.nextPrice,
    sets: rows.features.map((features, i) => ({ features, featureNames: [...featureNames[i]], regularisation: regularisations[i] })),
  };
}

/** A job: some sets of one series, walked forward together. */
interface Job {
  s: number;
  sets: number[];
  ms: number;
}

/**
 * The jobs: each series' sets together (their row pass shared), unless there are fewer series than
 * threads, when a series' sets are dealt into one group per thread, largest first to the lightest
 * group, so that one series' sets still keep every thread busy.
 */
function jobsOf(series: readonly SeriesWalk[], threads: number): Job[] {
  return series.flatMap((walk, s) => {
    const ms = walk.sets.map((job) => setWorkMs(walk.plan, job.features.length));
    const groups = series.length >= threads ? 1 : Math.min(threads, walk.sets.length);
    const jobs: Job[] = Array.from({ length: groups }, () => ({ s, sets: [], ms: 0 }));
    const order = ms.map((_, j) => j).sort((a, b) => ms[b] - ms[a] || a - b);
    for (const j of order) {
      const lightest = jobs.reduce((best, job) => (job.ms < best.ms ? job : best));
      lightest.sets.push(j);
      lightest.ms += ms[j];
    }
    for (const job of jobs) job.sets.sort((a, b) => a - b);
    return jobs.filter((job) => job.sets.length > 0);
  });
}

/** A job's sets as walkForwardSets takes them. */
function jobSets(walk: SeriesWalk, job: Job): SetJob[] {
  return job.sets.map((j) => walk.sets[j]);
}

/**
 * Every series' forecasts, per set in order. `onSeriesDone(i)` is called once series i's sets are all
 * done (in completion order: progress, not results).
 */
export async function forecastSeries(
  series: readonly SeriesWalk[],
  threads: 'auto' | number,
  onSeriesDone?: (index: number) => void,
): Promise<Float64Array[][]> {
  const count = threadsFor(series.flatMap((walk) => walk.sets.map((job) => setWorkMs(walk.plan, job.features.length))), threads);
  const jobs = jobsOf(series, count);
  const forecasts = series.map((walk) => new Array<Float64Array>(walk.sets.length));
  const left = series.map((walk) => walk.sets.length);
  const finished = (job: Job, results: Float64Array[]) => {
    job.sets.forEach((j, i) => (forecasts[job.s][j] = results[i]));
    left[job.s] -= job.sets.length;
    if (left[job.s] === 0) onSeriesDone?.(job.s);
  };
  series.forEach((walk, s) => walk.sets.length === 0 && onSeriesDone?.(s));
  if (count <= 1) {
    for (const job of jobs) {
      const walk = series[job.s];
      finished(job, walkForwardSets(jobSets(walk, job), walk.price, walk.nextPrice, walk.plan));
    }
    return forecasts;
  }
  // Largest first, each to the first worker free.
  const queue = jobs.map((job, id) => ({ ...job, id })).sort((a, b) => b.ms - a.ms || a.id - b.id);
  await runPool(Math.min(count, queue.length), queue, (job) => workerRequest(job.id, series[job.s], job), finished);
  return forecasts;
}

/** A job as a worker's request: the sets' distinct columns once each. */
function workerRequest(id: number, walk: SeriesWalk, job: Job): WorkerRequest {
  const columns: Float64Array[] = [];
  const indexOf = new Map<Float64Array, number>();
  const sets = jobSets(walk, job).map(({ features, featureNames, regularisation }) => ({
    columns: features.map((column) => {
      let c = indexOf.get(column);
      if (c === undefined) {
        c = columns.length;
        indexOf.set(column, c);
        columns.push(column);
      }
      return c;
    }),
    featureNames,
    regularisation,
  }));
  return { id, plan: walk.plan, price: walk.price, nextPrice: walk.nextPrice, columns, sets };
}

/** `count` workers take requests from the queue until it is empty; the first error stops them all. */
function runPool<T extends { id: number }>(
  count: number,
  queue: T[],
  request: (item: T) => WorkerRequest,
  done: (item: T, forecasts: Float64Array[]) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    const byId = new Map(queue.map((item) => [item.id, item]));
    let next = 0;
    let pending = queue.length;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(error);
    };
    const busy = new Set<Worker>();
    const feed = (worker: Worker) => {
      if (next < queue.length) {
        busy.add(worker);
        worker.postMessage(request(queue[next++]));
      } else void worker.terminate();
    };
    for (let w = 0; w < count; w++) {
      const worker = startWorker(import.meta.url, './worker.ts', 'experiment-worker.js');
      workers.push(worker);
      worker.on('message', (response: WorkerResponse) => {
        busy.delete(worker);
        if (failed) return;
        if ('error' in response) return fail(workerError(response.error));
        done(byId.get(response.id)!, response.forecasts);
        if (--pending === 0) {
          for (const other of workers) void other.terminate();
          resolve();
        } else feed(worker);
      });
      worker.once('error', fail);
      worker.once('exit', (code) => {
        if (busy.has(worker)) fail(new Error(`experiment worker exited with code ${code}`));
      });
      feed(worker);
    }
  });
}

function workerError(error: { name: string; message: string }): Error {
  if (error.name === 'FitOverflowError') return new FitOverflowError(error.message);
  if (error.name === 'UsageError') return new UsageError(error.message);
  return new Error(error.message);
}
