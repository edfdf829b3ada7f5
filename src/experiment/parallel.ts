/**
 * Runs walk-forwards: in this thread, or on a pool of worker threads when the work is large enough to
 * pay for starting them (each worker loads the code and receives a copy of its columns). A job is one
 * set's walk-forward on one series (one asset of a panel); jobs are independent, so a job's forecasts
 * are the same whichever thread computes them, and a panel's assets run in parallel with the same
 * results as one at a time.
 *
 * 'auto' uses workers when the estimated work exceeds PARALLEL_MIN_MS and the machine has more than
 * one core. The pool hands the largest job left to whichever worker finishes first. A panel passes one
 * pool (`experimentPool`) to every batch, so its threads start once per run, not once per batch.
 */
import { availableParallelism } from 'node:os';
import { FitOverflowError, type Regularisation } from '../engine/model/wls.js';
import { WorkerPool } from '../engine/panel/workerPool.js';
import { startWorker } from '../engine/workerThread.js';
import type { CommonRows } from './rows.js';
import { distinctColumns, walkForwardSets, type WalkForwardPlan } from './walkForward.js';

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
 * `walkForwardSets`), each column sent once however many of the sets hold it. It answers the sets'
 * forecasts, in order.
 */
export interface WorkerRequest {
  plan: WalkForwardPlan;
  price: Float64Array;
  nextPrice: Float64Array;
  columns: Float64Array[];
  /** Per set: its columns as indices into `columns`. */
  sets: { columns: number[]; featureNames: string[]; regularisation?: Regularisation }[];
}

/**
 * The experiment's worker threads (../engine/panel/workerPool.ts), kept across calls of forecastSeries
 * until `close()`. Threads start when a call first needs them.
 */
export function experimentPool(): WorkerPool {
  return new WorkerPool(
    () => startWorker(import.meta.url, './worker.ts', 'experiment-worker.js'),
    (error) => (error.name === 'FitOverflowError' ? new FitOverflowError(error.message) : undefined),
  );
}

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
 * done (in completion order: progress, not results); `onShare(share)` with the estimated share of all
 * the walk-forward work done (progress only: in this thread as rows go, on workers as jobs finish).
 * @param pool worker threads to use and keep (`experimentPool`); omitted: threads of this call alone
 */
export async function forecastSeries(
  series: readonly SeriesWalk[],
  threads: 'auto' | number,
  onSeriesDone?: (index: number) => void,
  pool?: WorkerPool,
  onShare?: (share: number) => void,
): Promise<Float64Array[][]> {
  const count = threadsFor(series.flatMap((walk) => walk.sets.map((job) => setWorkMs(walk.plan, job.features.length))), threads);
  const jobs = jobsOf(series, count);
  const forecasts = series.map((walk) => new Array<Float64Array>(walk.sets.length));
  const left = series.map((walk) => walk.sets.length);
  const totalMs = jobs.reduce((sum, job) => sum + job.ms, 0) || 1;
  let doneMs = 0;
  const finished = (job: Job, results: Float64Array[]) => {
    job.sets.forEach((j, i) => (forecasts[job.s][j] = results[i]));
    left[job.s] -= job.sets.length;
    doneMs += job.ms;
    onShare?.(doneMs / totalMs);
    if (left[job.s] === 0) onSeriesDone?.(job.s);
  };
  series.forEach((walk, s) => walk.sets.length === 0 && onSeriesDone?.(s));
  if (count <= 1) {
    for (const job of jobs) {
      const walk = series[job.s];
      const share = onShare && ((rows: number) => onShare((doneMs + rows * job.ms) / totalMs));
      finished(job, walkForwardSets(jobSets(walk, job), walk.price, walk.nextPrice, walk.plan, undefined, share));
    }
    return forecasts;
  }
  // Largest first, each to the first worker free.
  const queue = jobs.map((job, id) => ({ ...job, id })).sort((a, b) => b.ms - a.ms || a.id - b.id);
  const workers = pool ?? experimentPool();
  try {
    await workers.run<WorkerRequest, Float64Array[]>(
      queue.length,
      (i) => workerRequest(series[queue[i].s], queue[i]),
      (i, results) => finished(queue[i], results),
      count,
    );
  } finally {
    if (!pool) await workers.close();
  }
  return forecasts;
}

/** A job as a worker's request: the sets' distinct columns once each. */
function workerRequest(walk: SeriesWalk, job: Job): WorkerRequest {
  const chosen = jobSets(walk, job);
  const { columns, layouts } = distinctColumns(chosen.map((set) => set.features));
  const sets = chosen.map(({ featureNames, regularisation }, i) => ({ columns: layouts[i], featureNames, regularisation }));
  return { plan: walk.plan, price: walk.price, nextPrice: walk.nextPrice, columns, sets };
}
