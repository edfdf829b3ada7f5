/**
 * A worker thread's side of forecastWorkers.ts: forecasts each batch of assets it is sent. Bundled as
 * its own entry (dist/forecast-worker.js, build.mjs).
 */
import { serveBatches } from '../engine/panel/workerPool.js';
import { forecastAsset, type AssetForecastResult, type ForecastBatch } from './forecastWorkers.js';

serveBatches<ForecastBatch, AssetForecastResult[]>((batch) => ({ result: batch.series.map((series) => forecastAsset(series, batch.plan)) }));
