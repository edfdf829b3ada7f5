/**
 * A panel's assets fitted on worker threads (docs/output.md#panels), in batches of about BATCH_ROWS
 * rows cut from the panel as they are sent (workerPool.ts); each asset comes back as its report entry
 * and compressed Parquet bytes.
 */
import type { DailyIngest } from '../ingest/csv.js';
import type { PipelinePlan } from '../pipeline.js';
import { startWorker } from '../workerThread.js';
import type { AssetIngest } from './assets.js';
import type { AssetOutcome } from './fitAsset.js';
import { runBatchesInWorkers } from './workerPool.js';

/** Below this many rows, starting workers costs about what they save: the assets run in this thread. */
export const PANEL_WORKERS_MIN_ROWS = 200_000;
/** Rows sent to a worker at a time (a batch ends at the asset that reaches it). */
const BATCH_ROWS = 100_000;

export interface PanelBatch {
  plan: PipelinePlan;
  file: string;
  assets: { asset: string; ingest: DailyIngest }[];
}

/** Consecutive runs of items whose `rows` add up to about `batchRows` each, as index lists. */
export function batchesOf(items: readonly { rows: number }[], batchRows: number): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let rows = 0;
  items.forEach((item, k) => {
    current.push(k);
    rows += item.rows;
    if (rows >= batchRows) {
      batches.push(current);
      current = [];
      rows = 0;
    }
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Every asset's outcome, in the order of `assets`; `advance` is called once per asset done. */
export async function fitAssetsInWorkers(
  assets: readonly AssetIngest[],
  plan: PipelinePlan,
  file: string,
  advance: () => void,
): Promise<AssetOutcome[]> {
  const batches = batchesOf(assets, BATCH_ROWS);
  const outcomes = new Array<AssetOutcome>(assets.length);
  await runBatchesInWorkers<PanelBatch, AssetOutcome[]>(
    batches.length,
    (b) => ({ plan, file, assets: batches[b].map((k) => ({ asset: assets[k].asset, ingest: assets[k].ingest })) }),
    () => startWorker(import.meta.url, './panelWorker.ts', 'panel-worker.js'),
    (b, result) =>
      result.forEach((outcome, j) => {
        outcomes[batches[b][j]] = outcome;
        advance();
      }),
  );
  return outcomes;
}
