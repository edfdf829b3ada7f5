/**
 * A worker thread's side of ./parallel.ts: receives one job at a time (a series' columns and some of its
 * sets), runs their walk-forwards and posts the forecasts back (the buffers transferred, not copied),
 * until the pool terminates it. Bundled as its own entry (dist/experiment-worker.js, see build.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { walkForwardSets } from './walkForward.js';
import type { WorkerRequest, WorkerResponse } from './parallel.js';

parentPort?.on('message', (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const { columns } = request;
    const sets = request.sets.map((set) => ({ features: set.columns.map((c) => columns[c]), featureNames: set.featureNames, regularisation: set.regularisation }));
    const forecasts = walkForwardSets(sets, request.price, request.nextPrice, request.plan);
    response = { id: request.id, forecasts };
    parentPort!.postMessage(response, forecasts.map((f) => f.buffer as ArrayBuffer));
  } catch (error) {
    response = { id: request.id, error: { name: (error as Error).name, message: (error as Error).message } };
    parentPort!.postMessage(response);
  }
});
