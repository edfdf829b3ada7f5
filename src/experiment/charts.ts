/**
 * The report's charts, described as data (./svg/*.ts draws them as standalone SVG to inline in
 * report.html). Hand-written rather than Vega-Lite: loading and running vega headless was most of a small
 * experiment's start-up (bench/RESULTS.md, the first section); these charts need only lines, bars and cells.
 *
 *   actualVsForecasts  next_price over the test rows, persistence, and the best-ranked sets
 *   cumulativeAdvantage  per set, Σ (e_persistence² − e²) up to each test row: a line that climbs
 *                        is a set beating tomorrow = today there; one that falls is losing to it
 *   skillBySet         skill per set, coloured by whether the DM p-value is below 0.05
 *
 * Line charts with more than MAX_CHART_POINTS test rows plot every m-th row (and the last), so a
 * million-row run still gives a page a browser opens; the chart's subtitle says so.
 */
import type { ForecastTable } from './forecastsParquet.js';
import { forecastErrors } from './metrics.js';
import { rankSets, SIGNIFICANCE_LEVEL, type ExperimentResults } from './results.js';
import { PERSISTENCE } from './sets.js';
import { formatTick } from './svg/axis.js';
import { renderBarChart, type BarChart } from './svg/barChart.js';
import { renderLineChart, type LineChart, type LineSeries } from './svg/lineChart.js';
import { DASHES, PALETTE } from './svg/theme.js';

export const MAX_CHART_POINTS = 1000;
/** Sets drawn in the line charts besides persistence (the best-ranked ones). */
export const MAX_CHART_SETS = 6;
export const ACTUAL_SERIES = 'actual (next_price)';
export const CHART_WIDTH = 760;
const SIGNIFICANT = '#1f77b4';
const NOT_SIGNIFICANT = '#bbbbbb';

export interface ReportCharts {
  actualVsForecasts: LineChart;
  cumulativeAdvantage: LineChart;
  skillBySet: BarChart;
}

/** Rows the line charts plot: every `stride`-th test row and the last one. */
export function chartRows(testRows: number): { rows: number[]; stride: number } {
  const stride = Math.max(1, Math.ceil(testRows / MAX_CHART_POINTS));
  const rows: number[] = [];
  for (let t = 0; t < testRows; t += stride) rows.push(t);
  if (testRows > 0 && rows[rows.length - 1] !== testRows - 1) rows.push(testRows - 1);
  return { rows, stride };
}

/** The sets the line charts draw: the best-ranked ones, persistence excluded. */
export function chartedSets(results: ExperimentResults): string[] {
  return rankSets(results.sets)
    .filter((s) => s.name !== PERSISTENCE)
    .slice(0, MAX_CHART_SETS)
    .map((s) => s.name);
}

/** `values` at `rows`. */
export function pick(values: ArrayLike<number>, rows: readonly number[]): Float64Array {
  return Float64Array.from(rows, (t) => values[t]);
}

export function reportCharts(results: ExperimentResults, table: ForecastTable): ReportCharts {
  const { rows, stride } = chartRows(table.day.length);
  const days = pick(table.day, rows);
  const charted = chartedSets(results);
  const forecastsOf = new Map(table.sets.map((s) => [s.name, s.forecasts]));
  const sampled = stride === 1 ? '' : ` (every ${stride}th test row)`;

  // Colours in series order: actual, persistence, then the sets (the cumulative chart's sets start again).
  const lines: LineSeries[] = [
    { name: ACTUAL_SERIES, x: days, y: pick(table.nextPrice, rows), colour: PALETTE[0] },
    { name: PERSISTENCE, x: days, y: pick(table.persistence, rows), colour: PALETTE[1], dash: DASHES[1] },
    ...charted.map((name, i) => ({ name, x: days, y: pick(forecastsOf.get(name)!, rows), colour: PALETTE[(i + 2) % PALETTE.length] })),
  ];

  const baselineErrors = forecastErrors(table.persistence, table.nextPrice);
  const cumulative: LineSeries[] = charted.map((name, i) => {
    const e = forecastErrors(forecastsOf.get(name)!, table.nextPrice);
    const values = new Float64Array(rows.length);
    let sum = 0;
    let next = 0;
    for (let t = 0; t < e.length; t++) {
      sum += baselineErrors[t] * baselineErrors[t] - e[t] * e[t];
      if (t === rows[next]) values[next++] = sum;
    }
    return { name, x: days, y: values, colour: PALETTE[i % PALETTE.length] };
  });

  const significance = (p: number | undefined) => (p ?? 1) < SIGNIFICANCE_LEVEL;
  // Best first: the ranking's order.
  const bars = rankSets(results.sets)
    .filter((s) => s.name !== PERSISTENCE)
    .map((s) => {
      const p = s.metrics.dm?.pValue;
      return {
        label: s.name,
        value: s.metrics.skill,
        colour: significance(p) ? SIGNIFICANT : NOT_SIGNIFICANT,
        aria: `set: ${s.name}; skill: ${s.metrics.skill * 100}%; p-value: ${p ?? 'none'}`,
        tooltip: `${s.name}\nskill: ${formatTick(s.metrics.skill, 1e-4, true)}\nDM p-value: ${p === undefined ? '–' : p.toFixed(4)}`,
      };
    });
  const legendOf = (series: readonly LineSeries[]) => [{ entries: series.map((s) => ({ label: s.name, colour: s.colour, kind: 'line' as const, dash: s.dash })) }];

  return {
    actualVsForecasts: {
      title: 'Next-day price: actual and forecasts over the test rows',
      subtitle: `date = the day the forecast is made${sampled}`,
      panels: [{ width: CHART_WIDTH, height: 300, x: { kind: 'day', title: 'date' }, y: { title: 'price', zero: false }, series: lines }],
      legend: legendOf(lines),
    },
    cumulativeAdvantage: {
      title: 'Cumulative squared-error advantage over persistence',
      subtitle: `Σ (e_persistence² − e_set²) up to each test row: rising = beating tomorrow = today${sampled}`,
      panels: [{ width: CHART_WIDTH, height: 280, x: { kind: 'day', title: 'date' }, y: { title: 'cumulative squared-error difference', zero: true }, series: cumulative, rules: [{ y: 0 }] }],
      legend: legendOf(cumulative),
    },
    skillBySet: {
      title: 'Skill by set',
      subtitle: '1 − mse/mse(persistence); right of 0 beats tomorrow = today',
      width: CHART_WIDTH - 200,
      axisTitle: 'skill',
      percent: true,
      bars,
      legend: [{ title: 'Diebold–Mariano', entries: [
        { label: `p < ${SIGNIFICANCE_LEVEL}`, colour: SIGNIFICANT, kind: 'swatch' },
        { label: `p ≥ ${SIGNIFICANCE_LEVEL}`, colour: NOT_SIGNIFICANT, kind: 'swatch' },
      ] }],
    },
  };
}

/** The three charts as SVG. */
export function renderReportCharts(results: ExperimentResults, table: ForecastTable): { actualVsForecasts: string; cumulativeAdvantage: string; skillBySet: string } {
  const charts = reportCharts(results, table);
  return {
    actualVsForecasts: renderLineChart(charts.actualVsForecasts),
    cumulativeAdvantage: renderLineChart(charts.cumulativeAdvantage),
    skillBySet: renderBarChart(charts.skillBySet),
  };
}

/**
 * Forward selection's path (docs/screening.md#forward-selection): the inner MSE of the start set and after
 * each step, on the training rows' inner walk-forward; null when the experiment made no selection.
 */
export function selectionPathChart(results: ExperimentResults): LineChart | null {
  const start = results.selectionStart;
  const steps = results.selection;
  if (!start || !steps) return null;
  const labels = [`${start.set}: ${start.features.join(', ')}`, ...steps.map((s) => `+ ${s.added}`)];
  const innerMse = [start.innerMse, ...steps.map((s) => s.innerMse)];
  return {
    title: 'Forward selection: inner mse after each step',
    subtitle: `chosen on the first ${start.innerTrainRows + start.innerTestRows} rows only (${start.innerTestRows} scored by an inner walk-forward); the test rows were not used`,
    panels: [{
      width: CHART_WIDTH - 200,
      height: 240,
      x: { kind: 'ordinal', title: 'step', categories: labels.map((_, i) => String(i)) },
      y: { title: 'inner mse', zero: false },
      series: [{ name: 'inner mse', x: labels.map((_, i) => i), y: innerMse, colour: PALETTE[0], points: true, labels }],
    }],
    legend: [],
  };
}
