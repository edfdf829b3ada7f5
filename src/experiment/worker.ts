/**
 * A worker thread's side of ./parallel.ts: receives one job at a time (a series' columns and some of its
 * sets), runs their walk-forwards and answers the forecasts (the buffers transferred, not copied), by the
 * engine pool's protocol (../engine/panel/workerPool.ts `serveBatches`), for as many jobs and batches as
 * the pool sends until it ends the thread. Bundled as its own entry (dist/experiment-worker.js, see build.mjs).
 */
import { serveBatches } from '../engine/panel/workerPool.js';
import { walkForwardSets } from './walkForward.js';
import type { WorkerRequest } from './parallel.js';

serveBatches<WorkerRequest, Float64Array[]>((request) => {
  const { columns } = request;
  const sets = request.sets.map((set) => ({ features: set.columns.map((c) => columns[c]), featureNames: set.featureNames, regularisation: set.regularisation }));
  const forecasts = walkForwardSets(sets, request.price, request.nextPrice, request.plan);
  return { result: forecasts, transfer: forecasts.map((f) => f.buffer as ArrayBuffer) };
});
