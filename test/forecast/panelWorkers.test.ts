/**
 * A panel large enough for worker threads (src/forecast/forecastWorkers.ts): every asset's forecast,
 * bounds and track record equal a run on that asset's file alone, and the table's rows are those of a
 * run on this thread, in the same order.
 */
import { describe, expect, it } from 'vitest';
import { runForecast, runPanelForecast, type ForecastOptions } from '../../src/forecast/run.js';
import { FORECAST_WORKERS_MIN_ROWS } from '../../src/forecast/forecastWorkers.js';
import { oneAssetText, panelCsvText } from '../helpers/assetPanel.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('forecast-workers');

const base = (input: string): ForecastOptions => ({
  input,
  set: { name: 'features', spec: 'price,volume,marketCap,rsi' },
  target: 'price',
  horizon: 2,
  levels: [0.8],
  trainRatio: 0.7,
  refitEvery: 5,
});

describe('forecast on worker threads', () => {
  it('each asset as its own file gives; the same document as the assets one by one', async () => {
    const assets = Array.from({ length: 51 }, (_, k) => ({ name: `W${String(k).padStart(2, '0')}`, days: 2000 }));
    expect(51 * 2000).toBeGreaterThanOrEqual(FORECAST_WORKERS_MIN_ROWS);
    const text = panelCsvText(assets, 21);
    const input = await scratch.file(text, 'panel.csv');
    const { document } = await runPanelForecast(base(input));
    expect(document.assets).toHaveLength(51);
    for (const name of ['W00', 'W25', 'W50']) {
      const alone = (await runForecast(base(await scratch.file(oneAssetText(text, name), `${name}.csv`)))).document;
      const entry = document.assets.find((a) => a.asset === name)!;
      expect({ lastPrice: entry.lastPrice, rows: entry.rows, horizons: entry.horizons }).toEqual({ lastPrice: alone.lastPrice, rows: alone.rows, horizons: alone.horizons });
    }
    // Below the threshold the same assets run on this thread: a run on the first 40 assets only.
    const some = assets.slice(0, 40).map((a) => a.name);
    const threadless = (await runPanelForecast({ ...base(input), assets: some })).document;
    expect(threadless.assets).toEqual(document.assets.filter((a) => some.includes(a.asset)));
  }, 300_000);
});
