/**
 * A panel's experiment after its assets are scored (docs/experiment.md#panels): the panel statistics of
 * every set at horizon 1 and at each `--horizon`, the screening on the panel's losses, and the one
 * forecast table of every asset's test rows.
 */
import { InputError } from '../engine/errors.js';
import type { ForecastTable } from './forecastsParquet.js';
import { panelLosses, panelSets, type AssetForecasts } from './panelStatistics.js';
import type { AssetResult, PanelResults, SetResult } from './results.js';
import { screen, ScreeningInputError } from './screening/screen.js';
import type { ScoredSeries, SeriesSettings } from './seriesExperiment.js';

const skillsOf = (sets: readonly Pick<SetResult, 'name' | 'metrics'>[]) => new Map(sets.map((set) => [set.name, set.metrics.skill]));

/** @param assets and `scored`: the same assets, in name order */
export function panelSummary(input: string, assets: readonly AssetResult[], scored: readonly ScoredSeries[], settings: SeriesSettings): PanelResults['panel'] {
  const dayOne: AssetForecasts[] = scored.map(({ table }, a) => ({
    asset: assets[a].asset,
    day: table.day,
    actual: table.nextPrice,
    persistence: table.persistence,
    sets: table.sets,
    skill: skillsOf(assets[a].sets),
  }));
  const { sets, leftOut } = panelSets(dayOne, 1);
  const panel: PanelResults['panel'] = { leftOut, sets };
  const horizons = scored[0].horizonForecasts.length;
  if (horizons > 0) {
    panel.horizons = [];
    for (let h = 0; h < horizons; h++) {
      const atH: AssetForecasts[] = scored.map(({ horizonForecasts }, a) => ({
        asset: assets[a].asset,
        day: horizonForecasts[h].day,
        actual: horizonForecasts[h].actual,
        persistence: horizonForecasts[h].persistence,
        sets: horizonForecasts[h].sets,
        skill: skillsOf(assets[a].horizons![h].sets),
      }));
      const horizon = scored[0].horizonForecasts[h].horizon;
      const { sets: atHSets, leftOut: atHLeftOut } = panelSets(atH, horizon);
      panel.horizons.push({ horizon, leftOut: atHLeftOut, sets: atHSets });
    }
  }
  const { benchmark, candidates } = panelLosses(dayOne);
  if (settings.screen === true || (settings.screen === 'auto' && candidates.length >= 2)) {
    try {
      panel.screening = screen(benchmark, candidates, settings.bootstrap);
    } catch (error) {
      if (error instanceof ScreeningInputError) throw new InputError(input, 0, null, null, `${error.message} (the panel's losses)`);
      throw error;
    }
  }
  return panel;
}

/**
 * Every asset's forecast table, one after another, with `assetIndex`; a set an asset does not have
 * (forward selection stops at different steps) is NaN on its rows.
 *
 * The tables are moved in: each one's arrays are replaced by views of its rows in the panel table
 * (the same values), so the per-asset copies (about as large as the panel table) can be freed before
 * the file is encoded (the 10,000-asset panel's peak memory, bench/RESULTS.md).
 */
export function panelForecastTable(tables: ForecastTable[]): ForecastTable {
  const names: string[] = [];
  for (const table of tables) for (const set of table.sets) if (!names.includes(set.name)) names.push(set.name);
  const total = tables.reduce((sum, table) => sum + table.day.length, 0);
  const out: ForecastTable = {
    assetIndex: new Float64Array(total),
    day: new Int32Array(total),
    price: new Float64Array(total),
    nextPrice: new Float64Array(total),
    persistence: new Float64Array(total),
    sets: names.map((name) => ({ name, forecasts: new Float64Array(total).fill(NaN) })),
  };
  let at = 0;
  tables.forEach((table, a) => {
    const end = at + table.day.length;
    const move = <T extends Float64Array | Int32Array>(from: T, to: T): T => {
      to.set(from, at);
      return to.subarray(at, end) as T;
    };
    out.assetIndex!.fill(a, at, end);
    table.day = move(table.day, out.day);
    table.price = move(table.price, out.price);
    table.nextPrice = move(table.nextPrice, out.nextPrice);
    table.persistence = move(table.persistence, out.persistence);
    for (const set of table.sets) set.forecasts = move(set.forecasts, out.sets[names.indexOf(set.name)].forecasts);
    at = end;
  });
  return out;
}
