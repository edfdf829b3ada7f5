/**
 * A worker thread's side of ./parallel.ts: receives the shared columns and some sets' feature
 * columns, runs their walk-forwards and posts the forecasts back (buffers transferred, not copied).
 * Bundled as its own entry (dist/experiment-worker.js, see build.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { walkForward } from './walkForward.js';
import type { WorkerRequest, WorkerResponse } from './parallel.js';

parentPort?.once('message', (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const forecasts = request.jobs.map((job) =>
      walkForward(job.features, request.price, request.nextPrice, request.plan, { featureNames: job.featureNames, regularisation: job.regularisation }),
    );
    response = { forecasts };
    parentPort!.postMessage(response, forecasts.map((f) => f.buffer as ArrayBuffer));
  } catch (error) {
    response = { error: { name: (error as Error).name, message: (error as Error).message } };
    parentPort!.postMessage(response);
  }
});
