/**
 * What `forecast` reads (docs/forecast.md#panels): the input once, then one series per asset. A file
 * with one series (no asset column, or one whose values are all equal) is read exactly as
 * `loadSeries` reads it; a panel (an asset column naming several assets) is cut into one ingest per
 * asset first (engine/panel/assets.ts), and each is then sorted, de-duplicated and given its
 * `--missing` treatment on its own, as a file holding only that asset's rows would be. Nothing of one
 * asset reaches another's series.
 */
import type { DailyIngest } from '../engine/ingest/csv.js';
import type { DedupedDaily } from '../engine/ingest/days.js';
import { InputError } from '../engine/errors.js';
import { checkFeatureInputs, firstOhlcItem, type FeatureItem } from '../engine/features/spec.js';
import { prepareDaily, readDailyInput, requiredInputs, type IngestOptions } from '../engine/ingest/input.js';
import { isPanel, splitAssets } from '../engine/panel/assets.js';

export interface AssetSeries {
  /** The asset's name as written (trimmed); null for a file without an asset column. */
  asset: string | null;
  /** Rows the asset has in the file (before sorting and dedupe): how much work it is. */
  rows: number;
  /**
   * Its rows sorted, de-duplicated and with their missing values treated, made when asked (a panel's
   * assets are taken one at a time, so a large panel never holds every asset's series at once).
   */
  sorted(): DedupedDaily;
}

/** What the caller takes: one series only, a panel only (one asset makes a panel of one), or either. */
export type InputShape = 'series' | 'panel' | 'any';

export interface ForecastInput {
  ingest: DailyIngest;
  /** Several assets: the output gets an `asset` column and `_forecast.json` a list of assets. */
  panel: boolean;
  /** One series per asset, in the order of their names (one entry for a file of one series). */
  series: AssetSeries[];
}

/**
 * @param items the set's feature items: they say which input fields the file must have
 * @param wanted `--assets`: only these (each must be in the file)
 */
export async function loadForecastInput(
  input: string,
  items: readonly FeatureItem[],
  options: IngestOptions = {},
  wanted?: readonly string[],
  shape: InputShape = 'any',
): Promise<ForecastInput> {
  const ingest = await readDailyInput(input, { ...options, required: requiredInputs(items), ohlcFor: firstOhlcItem(items) });
  const panel = shape === 'panel' || (shape === 'any' && isPanel(ingest));
  if (shape === 'series' && isPanel(ingest)) {
    throw new InputError(input, 0, ingest.assetColumn ?? 'asset', null, `one series; its asset column names ${ingest.assetNames!.length} assets (a panel: runPanelForecast forecasts it)`);
  }
  if (panel && ingest.assetNames === undefined) {
    throw new InputError(input, 0, null, null, 'an asset column for a panel forecast (name it with --columns asset=COL)');
  }
  const parts = panel || (wanted !== undefined && wanted.length > 0) ? splitAssets(ingest, wanted) : [{ asset: ingest.asset ?? '', rows: ingest.rowsRead, ingest }];
  const series = parts.map((part) => ({
    asset: panel ? part.asset : (ingest.asset ?? null),
    rows: part.rows,
    sorted(): DedupedDaily {
      const sorted = prepareDaily(part.ingest, options.missing).deduped;
      checkFeatureInputs(items, sorted.columns, { file: input, layout: ingest.layout });
      return sorted;
    },
  }));
  return { ingest, panel, series };
}
