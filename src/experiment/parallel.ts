/**
 * Runs the walk-forward of every set: in this thread, or spread over worker threads when the work is
 * large enough to pay for starting them (each worker loads the code and receives a copy of its
 * columns). Sets are independent, so a set's forecasts are the same whichever thread computes them.
 *
 * 'auto' uses workers when the estimated work exceeds PARALLEL_MIN_MS and the machine has more than
 * one core.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FitOverflowError, type Regularisation } from '../engine/model/wls.js';
import { UsageError } from '../engine/errors.js';
import type { CommonRows } from './rows.js';
import { walkForward, type WalkForwardPlan } from './walkForward.js';

/**
 * Workers start when the sets' walk-forwards are estimated to take longer than this in one thread:
 * below it, starting two workers and copying their columns costs about what they would save.
 */
export const PARALLEL_MIN_MS = 400;

export interface SetJob {
  features: Float64Array[];
  featureNames: string[];
  regularisation?: Regularisation;
}
export interface WorkerRequest {
  plan: WalkForwardPlan;
  price: Float64Array;
  nextPrice: Float64Array;
  jobs: SetJob[];
}
export type WorkerResponse = { forecasts: Float64Array[] } | { error: { name: string; message: string } };

/**
 * Estimated single-thread time of one set's walk-forward, in ms: the row pass (k fused multiply-adds and
 * k(k+1)/2 products a row, ~30k + 3k² ns) and the solves (~3 µs plus ~20 ns·(k+1)³ each), fitted to
 * runs on this project's machine (bench/RESULTS.md, "Experiment"). A Cholesky failure (collinear
 * features) makes the solves several times dearer; the estimate ignores that.
 */
export function setWorkMs(plan: WalkForwardPlan, k: number): number {
  const refits = Math.ceil((plan.n - plan.trainCount) / plan.refitEvery);
  return (plan.n * (30 * k + 3 * k * k) + refits * (3000 + 20 * (k + 1) ** 3)) / 1e6;
}

/** Threads 'auto' resolves to for these sets. */
export function chooseThreads(plan: WalkForwardPlan, widths: readonly number[], threads: 'auto' | number): number {
  const limit = Math.min(widths.length, threads === 'auto' ? availableParallelism() : threads);
  if (threads !== 'auto') return Math.max(1, limit);
  const work = widths.reduce((sum, k) => sum + setWorkMs(plan, k), 0);
  return work >= PARALLEL_MIN_MS ? Math.max(1, limit) : 1;
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
  const count = chooseThreads(plan, rows.features.map((f) => f.length), threads);
  if (count <= 1) {
    return rows.features.map((features, i) =>
      walkForward(features, rows.price, rows.nextPrice, plan, { featureNames: featureNames[i], regularisation: regularisations[i] }),
    );
  }
  // Largest first, each to the least-loaded worker.
  const order = rows.features.map((_, i) => i).sort((a, b) => rows.features[b].length - rows.features[a].length);
  const groups: number[][] = Array.from({ length: count }, () => []);
  const load = new Array<number>(count).fill(0);
  for (const i of order) {
    const w = load.indexOf(Math.min(...load));
    groups[w].push(i);
    load[w] += setWorkMs(plan, rows.features[i].length);
  }
  const results = await Promise.all(
    groups.map((group) =>
      runWorker({
        plan,
        price: rows.price,
        nextPrice: rows.nextPrice,
        jobs: group.map((i) => ({ features: rows.features[i], featureNames: featureNames[i], regularisation: regularisations[i] })),
      }),
    ),
  );
  const forecasts = new Array<Float64Array>(rows.features.length);
  groups.forEach((group, w) => group.forEach((i, j) => (forecasts[i] = results[w][j])));
  return forecasts;
}

/**
 * The worker: from the bundle, dist/experiment-worker.js beside the chunk that holds this code; from
 * source (tsx, vitest), ./worker.ts loaded through tsx's API (a worker does not inherit the parent's
 * loader hooks in Node 20).
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./experiment-worker.js', here));
  const tsxApi = createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs'); // the ESM entry
  const source = new URL('./worker.ts', here).href;
  const boot = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`;
  return new Worker(boot, { eval: true });
}

function runWorker(request: WorkerRequest): Promise<Float64Array[]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker();
    let settled = false;
    worker.once('message', (response: WorkerResponse) => {
      settled = true;
      void worker.terminate();
      if ('forecasts' in response) resolve(response.forecasts);
      else if (response.error.name === 'FitOverflowError') reject(new FitOverflowError(response.error.message));
      else if (response.error.name === 'UsageError') reject(new UsageError(response.error.message));
      else reject(new Error(response.error.message));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`experiment worker exited with code ${code}`));
    });
    worker.postMessage(request);
  });
}
