/**
 * A worker thread's side of ./parallel.ts: receives one job at a time (a series' columns and one set's
 * feature columns), runs its walk-forward and posts the forecasts back (the buffer transferred, not
 * copied), until the pool terminates it. Bundled as its own entry (dist/experiment-worker.js, see build.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { walkForward } from './walkForward.js';
import type { WorkerRequest, WorkerResponse } from './parallel.js';

parentPort?.on('message', (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const { job } = request;
    const forecasts = walkForward(job.features, request.price, request.nextPrice, request.plan, { featureNames: job.featureNames, regularisation: job.regularisation });
    response = { id: request.id, forecasts };
    parentPort!.postMessage(response, [forecasts.buffer as ArrayBuffer]);
  } catch (error) {
    response = { id: request.id, error: { name: (error as Error).name, message: (error as Error).message } };
    parentPort!.postMessage(response);
  }
});
