/**
 * The input series as the engine reads it (docs/input.md): any layout the engine
 * recognises, then sort, dedupe and the missing-value policy (`readDailyInput` + `prepareDaily`, as
 * the pipeline calls them). One function, so a change in the engine's ingest is one change here.
 *
 * A panel (docs/input.md#assets) is read once (`readSeries`) and cut into one ingest per asset
 * (src/engine/panel/assets.ts); each asset's ingest then goes through `prepareSeries` exactly as a
 * file of its own would.
 */
import type { DailyIngest } from '../engine/ingest/csv.js';
import type { DedupedDaily } from '../engine/ingest/days.js';
import { checkFeatureInputs, firstOhlcItem, type FeatureItem } from '../engine/features/spec.js';
import { prepareDaily, readDailyInput, requiredInputs, type IngestOptions } from '../engine/ingest/input.js';

export interface LoadedSeries {
  ingest: DailyIngest;
  sorted: DedupedDaily;
}

/** @param items every feature item of every set: they say which input fields the file must have */
export async function loadSeries(input: string, items: readonly FeatureItem[], options: IngestOptions = {}): Promise<LoadedSeries> {
  const ingest = await readSeries(input, items, options);
  return { ingest, sorted: prepareSeries(input, ingest, items, options) };
}

/** The file read, nothing more: a panel's rows still in file order, every asset together. */
export function readSeries(input: string, items: readonly FeatureItem[], options: IngestOptions = {}): Promise<DailyIngest> {
  return readDailyInput(input, { ...options, required: requiredInputs(items), ohlcFor: firstOhlcItem(items) });
}

/** One series' rows: sorted, deduplicated, missing values treated, checked against the items. */
export function prepareSeries(input: string, ingest: DailyIngest, items: readonly FeatureItem[], options: IngestOptions = {}): DedupedDaily {
  const sorted = prepareDaily(ingest, options.missing).deduped;
  checkFeatureInputs(items, sorted.columns, { file: input, layout: ingest.layout });
  return sorted;
}
