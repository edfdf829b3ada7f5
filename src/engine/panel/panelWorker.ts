/**
 * A worker thread's side of panelWorkers.ts: fits each batch of assets it is sent through the
 * one-series chain (fitAsset.ts) and posts back each asset's report entry and Parquet
 * bytes (transferred, not copied). Bundled as its own entry (dist/panel-worker.js, build.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { fitAsset } from './fitAsset.js';
import type { PanelBatch, PanelBatchResult } from './panelWorkers.js';
import type { StageName } from '../pipeline.js';

parentPort?.on('message', (batch: PanelBatch | null) => {
  if (batch === null) {
    parentPort!.close();
    return;
  }
  let result: PanelBatchResult;
  try {
    const timings = {} as Record<StageName, number>;
    const outcomes = batch.assets.map(({ asset, ingest }) => fitAsset(asset, ingest, batch.plan, batch.file, timings));
    result = { outcomes };
    const buffers = outcomes.flatMap((outcome) => (outcome.fitted ? [outcome.fitted.parquet.buffer as ArrayBuffer] : []));
    parentPort!.postMessage(result, buffers);
  } catch (error) {
    const e = error as Error & Partial<Record<'file' | 'line' | 'column' | 'value' | 'expected', unknown>>;
    result = { error: { name: e.name, message: e.message, file: e.file, line: e.line, column: e.column, value: e.value, expected: e.expected } };
    parentPort!.postMessage(result);
  }
});
