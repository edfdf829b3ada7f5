/**
 * report.html's charts for `--horizon`/`--level` (docs/forecast.md#experiment-at-every-horizon):
 *   - interval coverage and interval score by horizon, per level, for persistence and the best sets
 *     (a dashed rule at each nominal level: coverage should sit on it; a lower score at the same
 *     coverage is the better interval);
 *   - a fan chart of the best set's one-day-ahead intervals over the test period, each origin's
 *     interval from the scores of earlier origins only (src/forecast/conformal.ts), with what happened.
 */
import { intervalHistory } from '../forecast/conformal.js';
import { CHART_WIDTH, chartedSets, chartRows, pick } from './charts.js';
import type { ForecastTable } from './forecastsParquet.js';
import type { ExperimentResults } from './results.js';
import { PERSISTENCE } from './sets.js';
import { renderLineChart, type Band, type LineChart, type LineSeries } from './svg/lineChart.js';
import { BLUES, DASHES, PALETTE, TEXT } from './svg/theme.js';

const percentOf = (level: number) => `${Number((level * 100).toFixed(6))}%`;
const LEVEL_RULE = '4 4';

/** Two panels, coverage and interval score by horizon: a line per set (colour) and level (dash). */
export function coverageByHorizonChart(results: ExperimentResults): LineChart | null {
  const horizons = results.horizons;
  if (!horizons || !horizons[0]?.sets[0]?.intervals) return null;
  const sets = [PERSISTENCE, ...chartedSets(results)];
  const levels = horizons[0].sets[0].intervals.map((i) => i.level);
  const lines = (field: 'coverage' | 'score'): LineSeries[] =>
    sets.flatMap((set, s) =>
      levels.map((level, l) => ({
        name: `${set}, ${percentOf(level)}`,
        x: horizons.map((_, h) => h),
        y: horizons.map((h) => h.sets.find((r) => r.name === set)?.intervals?.find((i) => i.level === level)?.[field] ?? NaN),
        colour: PALETTE[s % PALETTE.length],
        dash: DASHES[l % DASHES.length],
        points: true,
      })),
    );
  const x = { kind: 'ordinal' as const, title: 'horizon (days ahead)', categories: horizons.map((h) => String(h.horizon)) };
  return {
    title: 'Prediction intervals by horizon',
    subtitle: 'coverage should sit on its level (dashed); at equal coverage, the lower interval score is the better interval',
    panels: [
      { width: CHART_WIDTH / 2 - 60, height: 240, x, y: { title: 'coverage', zero: false, percent: true }, series: lines('coverage'), rules: levels.map((level) => ({ y: level, dash: LEVEL_RULE })) },
      { width: CHART_WIDTH / 2 - 60, height: 240, x, y: { title: 'interval score / price', zero: false }, series: lines('score') },
    ],
    legend: [
      { entries: sets.map((set, s) => ({ label: set, colour: PALETTE[s % PALETTE.length], kind: 'line' as const })) },
      { title: 'level', entries: levels.map((level, l) => ({ label: percentOf(level), colour: TEXT, kind: 'line' as const, dash: DASHES[l % DASHES.length] })) },
    ],
  };
}

/** The best set's one-day forecasts, what happened, and a band per level (each origin's interval). */
export function fanChart(results: ExperimentResults, table: ForecastTable, calibrationWindow?: number): LineChart | null {
  const levels = results.horizons?.[0]?.sets[0]?.intervals?.map((i) => i.level);
  const best = chartedSets(results)[0];
  const forecast = table.sets.find((s) => s.name === best)?.forecasts;
  if (!levels || levels.length === 0 || forecast === undefined) return null;
  const T = forecast.length;
  const { rows } = chartRows(T);
  // Plotted at the day forecast: the day after the origin.
  const days = Float64Array.from(rows, (t) => table.day[t] + 1);
  // Widest level first, so that the narrower bands are drawn over it.
  const bands: Band[] = [...levels].sort((a, b) => b - a).map((level, i, all) => {
    const bounds = { lower: new Float64Array(T).fill(NaN), upper: new Float64Array(T).fill(NaN) };
    intervalHistory(forecast, table.nextPrice, table.price, 1, level, calibrationWindow, bounds);
    return { name: percentOf(level), x: days, lower: pick(bounds.lower, rows), upper: pick(bounds.upper, rows), colour: BLUES[Math.min(BLUES.length - 1, all.length - 1 - i)], opacity: 0.35 };
  });
  const lines: LineSeries[] = [
    { name: 'what happened', x: days, y: pick(table.nextPrice, rows), colour: TEXT },
    { name: `${best} forecast`, x: days, y: pick(forecast, rows), colour: PALETTE[1], dash: DASHES[1] },
  ];
  return {
    title: `One day ahead: ${best}'s forecasts and their intervals`,
    subtitle: 'each interval from the errors of earlier test days only (split conformal)',
    panels: [{ width: CHART_WIDTH, height: 300, x: { kind: 'day', title: 'date forecast' }, y: { title: 'price', zero: false }, series: lines, bands }],
    legend: [
      { entries: lines.map((l) => ({ label: l.name, colour: l.colour, kind: 'line' as const, dash: l.dash })) },
      { title: 'interval', entries: [...bands].reverse().map((b) => ({ label: b.name, colour: b.colour, kind: 'swatch' as const, opacity: b.opacity })) },
    ],
  };
}

/** The figures' HTML ('' when the experiment had no --horizon or --level). */
export function horizonFigures(results: ExperimentResults, table: ForecastTable, calibrationWindow?: number): string {
  return [coverageByHorizonChart(results), fanChart(results, table, calibrationWindow)]
    .filter((c): c is LineChart => c !== null)
    .map((chart) => `<figure>${renderLineChart(chart)}</figure>\n`)
    .join('');
}
