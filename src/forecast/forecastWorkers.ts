/**
 * A panel's assets forecast on worker threads (docs/forecast.md#panels): each asset's sorted series is
 * sent in batches (the engine's worker pool, engine/panel/workerPool.ts) and forecast there exactly as
 * in this thread (`forecastAsset`), so the table does not depend on the thread that made a row.
 */
import type { DailyColumns } from '../engine/types.js';
import { batchesOf } from '../engine/panel/panelWorkers.js';
import { runBatchesInWorkers } from '../engine/panel/workerPool.js';
import { startWorker } from '../engine/workerThread.js';
import { forecastRows, type HorizonForecast, type Plan } from './assetForecast.js';
import { cutAt, usableRows } from './rows.js';
import type { ForecastRow } from './table.js';

/** Below this many rows in the assets to forecast, they are forecast in this thread. */
export const FORECAST_WORKERS_MIN_ROWS = 100_000;
/** Rows sent to a worker at a time. */
const BATCH_ROWS = 20_000;

/** One asset's forecast: every horizon, its rows of the table, its last price and usable row count. */
export interface AssetForecastResult {
  horizons: HorizonForecast[];
  tableRows: ForecastRow[];
  lastPrice: number;
  rows: number;
}

export interface ForecastBatch {
  plan: Plan;
  series: DailyColumns[];
}

/** The forecast of one asset from its sorted series: cut at --as-of, usable rows, every horizon. */
export function forecastAsset(series: DailyColumns, plan: Plan): AssetForecastResult {
  const rows = usableRows(cutAt(series, plan.asOf), plan.items);
  const { horizons, tableRows } = forecastRows(rows, plan);
  return { horizons, tableRows, lastPrice: rows.price[rows.day.length - 1], rows: rows.day.length };
}

/** Every asset's forecast, in the order given; `series(k)` makes asset k's sorted series when it is sent. */
export async function forecastAssetsInWorkers(
  assets: readonly { rows: number; series: () => DailyColumns }[],
  plan: Plan,
  advance: () => void,
): Promise<AssetForecastResult[]> {
  const batches = batchesOf(assets, BATCH_ROWS);
  const results = new Array<AssetForecastResult>(assets.length);
  await runBatchesInWorkers<ForecastBatch, AssetForecastResult[]>(
    batches.length,
    (b) => ({ plan, series: batches[b].map((k) => assets[k].series()) }),
    () => startWorker(import.meta.url, './forecastWorker.ts', 'forecast-worker.js'),
    (b, result) =>
      result.forEach((one, j) => {
        results[batches[b][j]] = one;
        advance();
      }),
  );
  return results;
}
