/**
 * A worker thread's side of panelWorkers.ts: fits each batch of assets it is sent through the
 * one-series chain (fitAsset.ts) and answers each asset's report entry and Parquet bytes (transferred,
 * not copied). Bundled as its own entry (dist/panel-worker.js, build.mjs).
 */
import type { StageName } from '../pipeline.js';
import { fitAsset, type AssetOutcome } from './fitAsset.js';
import type { PanelBatch } from './panelWorkers.js';
import { serveBatches } from './workerPool.js';

serveBatches<PanelBatch, AssetOutcome[]>((batch) => {
  const timings = {} as Record<StageName, number>;
  const result = batch.assets.map(({ asset, ingest }) => fitAsset(asset, ingest, batch.plan, batch.file, timings));
  return { result, transfer: result.flatMap((outcome) => (outcome.fitted ? [outcome.fitted.parquet.buffer as ArrayBuffer] : [])) };
});
