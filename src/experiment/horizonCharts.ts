/**
 * report.html's charts for `--horizon`/`--level` (docs/forecast.md#experiment-at-every-horizon):
 *   - interval coverage and interval score by horizon, per level, for persistence and the best sets
 *     (a dashed rule at each nominal level: coverage should sit on it; a lower score at the same
 *     coverage is the better interval);
 *   - a fan chart of the best set's one-day-ahead intervals over the test period, each origin's
 *     interval from the scores of earlier origins only (src/forecast/conformal.ts), with what happened.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatDay } from '../engine/ingest/dates.js';
import { intervalHistory } from '../forecast/conformal.js';
import { chartedSets, chartRows, renderSvg } from './charts.js';
import type { ForecastTable } from './forecastsParquet.js';
import type { ExperimentResults } from './results.js';
import { PERSISTENCE } from './sets.js';

const WIDTH = 760;
const percentOf = (level: number) => `${Number((level * 100).toFixed(6))}%`;

export function coverageByHorizonSpec(results: ExperimentResults): TopLevelSpec | null {
  const horizons = results.horizons;
  if (!horizons || !horizons[0]?.sets[0]?.intervals) return null;
  const shown = new Set([PERSISTENCE, ...chartedSets(results)]);
  const points = horizons.flatMap((h) =>
    h.sets
      .filter((s) => shown.has(s.name))
      .flatMap((s) => (s.intervals ?? []).map((i) => ({ horizon: h.horizon, set: s.name, level: percentOf(i.level), nominal: i.level, coverage: i.coverage, score: i.score }))),
  );
  const levels = [...new Set(points.map((p) => p.nominal))].map((nominal) => ({ nominal, level: percentOf(nominal) }));
  const line = (field: 'coverage' | 'score', title: string) => ({
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'horizon', type: 'ordinal' as const, title: 'horizon (days ahead)' },
      y: { field, type: 'quantitative' as const, title, scale: { zero: false }, ...(field === 'coverage' ? { axis: { format: '%' } } : {}) },
      color: { field: 'set', type: 'nominal' as const },
      strokeDash: { field: 'level', type: 'nominal' as const, title: 'level' },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Prediction intervals by horizon', subtitle: 'coverage should sit on its level (dashed); at equal coverage, the lower interval score is the better interval' },
    data: { values: points },
    hconcat: [
      {
        width: WIDTH / 2 - 60,
        height: 240,
        layer: [
          line('coverage', 'coverage'),
          { data: { values: levels }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { field: 'nominal', type: 'quantitative' } } },
        ],
      },
      { width: WIDTH / 2 - 60, height: 240, ...line('score', 'interval score / price') },
    ],
  } as TopLevelSpec;
}

export function fanChartSpec(results: ExperimentResults, table: ForecastTable, calibrationWindow?: number): TopLevelSpec | null {
  const levels = results.horizons?.[0]?.sets[0]?.intervals?.map((i) => i.level);
  const best = chartedSets(results)[0];
  const forecast = table.sets.find((s) => s.name === best)?.forecasts;
  if (!levels || levels.length === 0 || forecast === undefined) return null;
  const T = forecast.length;
  const { rows } = chartRows(T);
  const bands = levels.flatMap((level) => {
    const bounds = { lower: new Float64Array(T).fill(NaN), upper: new Float64Array(T).fill(NaN) };
    intervalHistory(forecast, table.nextPrice, table.price, 1, level, calibrationWindow, bounds);
    return rows
      .filter((t) => Number.isFinite(bounds.lower[t]))
      .map((t) => ({ date: formatDay(table.day[t] + 1), level: percentOf(level), lower: bounds.lower[t], upper: bounds.upper[t] }));
  });
  const lines = rows.flatMap((t) => [
    { date: formatDay(table.day[t] + 1), series: 'what happened', value: table.nextPrice[t] },
    { date: formatDay(table.day[t] + 1), series: `${best} forecast`, value: forecast[t] },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `One day ahead: ${best}'s forecasts and their intervals`, subtitle: 'each interval from the errors of earlier test days only (split conformal)' },
    width: WIDTH,
    height: 300,
    layer: [
      {
        data: { values: bands },
        mark: { type: 'area', opacity: 0.25 },
        encoding: {
          x: { field: 'date', type: 'temporal', title: 'date forecast' },
          y: { field: 'lower', type: 'quantitative', title: 'price', scale: { zero: false } },
          y2: { field: 'upper' },
          color: { field: 'level', type: 'nominal', title: 'interval', scale: { scheme: 'blues' } },
        },
      },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: {
          x: { field: 'date', type: 'temporal' },
          y: { field: 'value', type: 'quantitative' },
          strokeDash: { field: 'series', type: 'nominal', title: null },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** The figures' HTML ('' when the experiment had no --horizon or --level). */
export async function horizonFigures(results: ExperimentResults, table: ForecastTable, calibrationWindow?: number): Promise<string> {
  const specs = [coverageByHorizonSpec(results), fanChartSpec(results, table, calibrationWindow)].filter((s): s is TopLevelSpec => s !== null);
  const svgs = await Promise.all(specs.map(renderSvg));
  return svgs.map((svg) => `<figure>${svg}</figure>\n`).join('');
}
