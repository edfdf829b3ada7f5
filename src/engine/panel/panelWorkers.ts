/**
 * The assets of a panel fitted on worker threads (docs/output.md#panels). Each worker is sent a batch
 * of assets at a time (their rows only, cut from the panel as it is sent) and the next batch when it
 * answers, so at most one batch per worker is in flight: the per-asset copies never pile up, and the
 * results come back as each asset's report entry and compressed Parquet bytes.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { InputError, UsageError } from '../errors.js';
import type { DailyIngest } from '../ingest/csv.js';
import type { PipelinePlan } from '../pipeline.js';
import { startWorker } from '../workerThread.js';
import type { AssetIngest } from './assets.js';
import type { AssetOutcome } from './fitAsset.js';

/** Below this many rows, starting workers costs about what they save: the assets run in this thread. */
export const PANEL_WORKERS_MIN_ROWS = 200_000;
/** Rows sent to a worker at a time (a batch ends at the asset that reaches it). */
const BATCH_ROWS = 100_000;

export interface PanelBatch {
  plan: PipelinePlan;
  file: string;
  assets: { asset: string; ingest: DailyIngest }[];
}
export type PanelBatchResult =
  | { outcomes: AssetOutcome[] }
  | { error: { name: string; message: string; file?: unknown; line?: unknown; column?: unknown; value?: unknown; expected?: unknown } };

/** Every asset's outcome, in the order of `assets`; `advance` is called once per asset done. */
export async function fitAssetsInWorkers(
  assets: readonly AssetIngest[],
  plan: PipelinePlan,
  file: string,
  advance: () => void,
): Promise<AssetOutcome[]> {
  const batches: number[][] = [];
  let current: number[] = [];
  let rows = 0;
  assets.forEach((entry, k) => {
    current.push(k);
    rows += entry.rows;
    if (rows >= BATCH_ROWS) {
      batches.push(current);
      current = [];
      rows = 0;
    }
  });
  if (current.length > 0) batches.push(current);

  const outcomes = new Array<AssetOutcome>(assets.length);
  const count = Math.max(1, Math.min(availableParallelism(), batches.length));
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, () => {
        const worker = startWorker(import.meta.url, './panelWorker.ts', 'panel-worker.js');
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          let batch: number[] = [];
          const send = () => {
            if (next >= batches.length) {
              worker.postMessage(null);
              resolve();
              return;
            }
            batch = batches[next++];
            const message: PanelBatch = { plan, file, assets: batch.map((k) => ({ asset: assets[k].asset, ingest: assets[k].ingest })) };
            worker.postMessage(message);
          };
          worker.on('message', (result: PanelBatchResult) => {
            if ('error' in result) {
              reject(rebuildError(result.error));
              return;
            }
            result.outcomes.forEach((outcome, j) => {
              outcomes[batch[j]] = outcome;
              advance();
            });
            send();
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (next < batches.length || outcomes.some((o) => o === undefined)) reject(new Error(`panel worker exited with code ${code}`));
          });
          send();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return outcomes;
}

/** A worker's error as the class the main thread's reporter knows (bad input stays exit 2). */
function rebuildError(error: Extract<PanelBatchResult, { error: unknown }>['error']): Error {
  if (error.name === 'InputError') {
    return new InputError(String(error.file), Number(error.line), (error.column as string | null) ?? null, (error.value as string | null) ?? null, String(error.expected));
  }
  if (error.name === 'UsageError') return new UsageError(error.message);
  return new Error(error.message);
}
