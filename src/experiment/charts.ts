/**
 * The report's charts as Vega-Lite specs, rendered to SVG strings in Node (vega's headless View with
 * renderer "none": no browser, no canvas, no network), to be inlined in report.html.
 *
 *   actualVsForecasts  next_price over the test rows, persistence, and the best-ranked sets
 *   cumulativeAdvantage  per set, Σ (e_persistence² − e²) up to each test row: a line that climbs
 *                        is a set beating tomorrow = today there; one that falls is losing to it
 *   skillBySet         skill per set, coloured by whether the DM p-value is below 0.05
 *
 * Line charts with more than MAX_CHART_POINTS test rows plot every m-th row (and the last), so a
 * million-row run still gives a page a browser opens; the chart's subtitle says so.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatDay } from '../engine/ingest/dates.js';
import type { ForecastTable } from './forecastsParquet.js';
import { forecastErrors } from './metrics.js';
import { rankSets, SIGNIFICANCE_LEVEL, type ExperimentResults } from './results.js';
import { PERSISTENCE } from './sets.js';

export const MAX_CHART_POINTS = 1000;
/** Sets drawn in the line charts besides persistence (the best-ranked ones). */
export const MAX_CHART_SETS = 6;
export const ACTUAL_SERIES = 'actual (next_price)';
const WIDTH = 760;
/** Set names are shown whole up to this many pixels (the ladder's are long). */
const LABEL_LIMIT = 360;

export interface ChartSpecs {
  actualVsForecasts: TopLevelSpec;
  cumulativeAdvantage: TopLevelSpec;
  skillBySet: TopLevelSpec;
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

export function chartSpecs(results: ExperimentResults, table: ForecastTable): ChartSpecs {
  const { rows, stride } = chartRows(table.day.length);
  const dates = rows.map((t) => formatDay(table.day[t]));
  const charted = chartedSets(results);
  const forecastsOf = new Map(table.sets.map((s) => [s.name, s.forecasts]));
  const sampled = stride === 1 ? '' : ` (every ${stride}th test row)`;

  const lines: { date: string; series: string; value: number }[] = [];
  const addSeries = (series: string, values: Float64Array) => {
    rows.forEach((t, i) => lines.push({ date: dates[i], series, value: values[t] }));
  };
  addSeries(ACTUAL_SERIES, table.nextPrice);
  addSeries(PERSISTENCE, table.persistence);
  for (const name of charted) addSeries(name, forecastsOf.get(name)!);

  const baselineErrors = forecastErrors(table.persistence, table.nextPrice);
  const cumulative: { date: string; set: string; value: number }[] = [];
  for (const name of charted) {
    const e = forecastErrors(forecastsOf.get(name)!, table.nextPrice);
    let sum = 0;
    let next = 0;
    for (let t = 0; t < e.length; t++) {
      sum += baselineErrors[t] * baselineErrors[t] - e[t] * e[t];
      if (t === rows[next]) cumulative.push({ date: dates[next++], set: name, value: sum });
    }
  }

  const bars = results.sets
    .filter((s) => s.name !== PERSISTENCE)
    .map((s) => ({
      set: s.name,
      skill: s.metrics.skill,
      pValue: s.metrics.dm?.pValue ?? null,
      significance: (s.metrics.dm?.pValue ?? 1) < SIGNIFICANCE_LEVEL ? `p < ${SIGNIFICANCE_LEVEL}` : `p ≥ ${SIGNIFICANCE_LEVEL}`,
    }));
  const seriesOrder = [ACTUAL_SERIES, PERSISTENCE, ...charted];

  return {
    actualVsForecasts: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Next-day price: actual and forecasts over the test rows', subtitle: `date = the day the forecast is made${sampled}` },
      width: WIDTH,
      height: 300,
      data: { values: lines },
      mark: { type: 'line', strokeWidth: 1.2 },
      encoding: {
        x: { field: 'date', type: 'temporal', title: 'date' },
        y: { field: 'value', type: 'quantitative', title: 'price', scale: { zero: false } },
        color: { field: 'series', type: 'nominal', sort: seriesOrder, title: null, legend: { labelLimit: LABEL_LIMIT } },
        strokeDash: { condition: { test: `datum.series === '${PERSISTENCE}'`, value: [4, 3] }, value: [1, 0] },
      },
    },
    cumulativeAdvantage: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: 'Cumulative squared-error advantage over persistence',
        subtitle: `Σ (e_persistence² − e_set²) up to each test row: rising = beating tomorrow = today${sampled}`,
      },
      width: WIDTH,
      height: 280,
      layer: [
        {
          data: { values: cumulative },
          mark: { type: 'line', strokeWidth: 1.2 },
          encoding: {
            x: { field: 'date', type: 'temporal', title: 'date' },
            y: { field: 'value', type: 'quantitative', title: 'cumulative squared-error difference' },
            color: { field: 'set', type: 'nominal', sort: charted, title: null, legend: { labelLimit: LABEL_LIMIT } },
          },
        },
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#888' }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      ],
    },
    skillBySet: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Skill by set', subtitle: '1 − mse/mse(persistence); right of 0 beats tomorrow = today' },
      width: WIDTH - 200,
      height: { step: 18 },
      data: { values: bars },
      mark: 'bar',
      encoding: {
        y: { field: 'set', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: LABEL_LIMIT } },
        x: { field: 'skill', type: 'quantitative', title: 'skill', axis: { format: '%' } },
        color: {
          field: 'significance',
          type: 'nominal',
          scale: { domain: [`p < ${SIGNIFICANCE_LEVEL}`, `p ≥ ${SIGNIFICANCE_LEVEL}`], range: ['#1f77b4', '#bbbbbb'] },
          title: 'Diebold–Mariano',
        },
        tooltip: [{ field: 'set' }, { field: 'skill', format: '.4f' }, { field: 'pValue', format: '.4f' }],
      },
    },
  };
}

/**
 * Forward selection's path (docs/screening.md#forward-selection): the inner MSE of the start set and after
 * each step, on the training rows' inner walk-forward; null when the experiment made no selection.
 */
export function selectionPathSpec(results: ExperimentResults): TopLevelSpec | null {
  const start = results.selectionStart;
  const steps = results.selection;
  if (!start || !steps) return null;
  const points = [
    { step: 0, label: `${start.set}: ${start.features.join(', ')}`, innerMse: start.innerMse },
    ...steps.map((s, i) => ({ step: i + 1, label: `+ ${s.added}`, innerMse: s.innerMse })),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Forward selection: inner mse after each step',
      subtitle: `chosen on the first ${start.innerTrainRows + start.innerTestRows} rows only (${start.innerTestRows} scored by an inner walk-forward); the test rows were not used`,
    },
    width: WIDTH - 200,
    height: 240,
    data: { values: points },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x: { field: 'step', type: 'ordinal', title: 'step' }, y: { field: 'innerMse', type: 'quantitative', title: 'inner mse', scale: { zero: false } } } },
      {
        mark: { type: 'text', align: 'left', dx: 6, dy: -8, fontSize: 11 },
        encoding: { x: { field: 'step', type: 'ordinal' }, y: { field: 'innerMse', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  };
}

/** One Vega-Lite spec as an SVG string, rendered headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
