/**
 * The report's SVG writer (src/experiment/svg/): "nice" axis ticks, calendar ticks, tick labels, and
 * text escaping: a user-provided name holding XML's special characters comes out as character
 * references, and every chart stays well-formed XML.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatDay, parseDay } from '../../src/engine/ingest/dates.js';
import { renderReportCharts } from '../../src/experiment/charts.js';
import type { ForecastTable } from '../../src/experiment/forecastsParquet.js';
import { renderSkillHeatmap } from '../../src/experiment/panelCharts.js';
import type { ExperimentResults, PanelResults } from '../../src/experiment/results.js';
import { dayTicks, formatTick, niceStep, niceTicks } from '../../src/experiment/svg/axis.js';
import { escapeXml } from '../../src/experiment/svg/escape.js';

describe('nice ticks', () => {
  it('steps of 1, 2 or 5 × 10^k, about as many as asked', () => {
    expect(niceStep(1, 5)).toBe(0.2);
    expect(niceStep(2.1, 5)).toBe(0.5);
    expect(niceStep(0.1003, 5)).toBe(0.02);
    expect(niceStep(7300, 8)).toBe(1000);
    expect(niceStep(0, 5)).toBe(1);
  });

  it('covers the range with whole steps, without binary noise', () => {
    expect(niceTicks(0, 1)).toEqual({ min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(0.63, 2.71, 5).ticks).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(niceTicks(0, 0.3, 3).ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(-0.1003, 0, 5).ticks).toEqual([-0.12, -0.1, -0.08, -0.06, -0.04, -0.02, 0]);
    expect(niceTicks(0.0046811, 0.0046842, 6).ticks).toEqual([0.004681, 0.0046815, 0.004682, 0.0046825, 0.004683, 0.0046835, 0.004684, 0.0046845]);
    expect(niceTicks(1234, 98765, 4).ticks).toEqual([0, 20000, 40000, 60000, 80000, 100000]);
    // Squared errors of a coin priced in millionths.
    expect(niceTicks(-2.2e-12, 2.9e-12, 5).ticks).toEqual([-3e-12, -2e-12, -1e-12, 0, 1e-12, 2e-12, 3e-12]);
  });

  it('widens an empty or undefined range', () => {
    expect(niceTicks(5, 5).ticks).toEqual([4.7, 4.8, 4.9, 5, 5.1, 5.2, 5.3]);
    expect(niceTicks(0, 0).ticks).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(NaN, Infinity).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('labels with the decimals the step needs, a true minus, grouped thousands, percent', () => {
    expect(formatTick(0.25, 0.05)).toBe('0.25');
    expect(formatTick(2, 0.5)).toBe('2.0');
    expect(formatTick(-0.1, 0.02, true)).toBe('−10%');
    expect(formatTick(0.005, 0.005, true)).toBe('0.5%');
    expect(formatTick(0.0125, 0.0005, true)).toBe('1.25%');
    expect(formatTick(-1234567, 1000)).toBe('−1,234,567');
    expect(formatTick(-0.0000001, 0.01)).toBe('0.00');
    expect(formatTick(0, 1e-12)).toBe('0');
    expect(formatTick(-1.5e-12, 5e-13)).toBe('−1.5e−12');
    expect(formatTick(3e-12, 1e-12)).toBe('3e−12');
    expect(formatTick(2e15, 1e15)).toBe('2e+15');
  });
});

describe('calendar ticks', () => {
  const day = (text: string) => parseDay(text);
  it('every day (YYYY-MM-DD) over a short range', () => {
    const { ticks, format } = dayTicks(day('2021-04-24'), day('2021-04-28'), 9);
    expect(ticks.map(format)).toEqual(['2021-04-24', '2021-04-25', '2021-04-26', '2021-04-27', '2021-04-28']);
  });

  it('weeks, then the first of every 1, 2, 3 or 6 months, then years: the finest that fits', () => {
    const weeks = dayTicks(day('2021-04-01'), day('2021-05-20'), 9);
    expect(weeks.ticks.length).toBeLessThanOrEqual(9);
    expect(new Set(weeks.ticks.slice(1).map((t, i) => t - weeks.ticks[i]))).toEqual(new Set([7]));
    expect(weeks.format(weeks.ticks[0])).toMatch(/^2021-04-\d\d$/);
    const months = dayTicks(day('2021-04-24'), day('2022-02-01'), 9.5);
    expect(months.ticks.map(months.format)).toEqual(['May 2021', 'Jul 2021', 'Sep 2021', 'Nov 2021', 'Jan 2022']);
    expect(months.ticks.map(formatDay)).toEqual(['2021-05-01', '2021-07-01', '2021-09-01', '2021-11-01', '2022-01-01']);
    const years = dayTicks(day('2013-04-28'), day('2024-06-30'), 9.5);
    expect(years.ticks.map(years.format)).toEqual(['2014', '2016', '2018', '2020', '2022', '2024']);
  });
});

/** Which SVGs python's xml.etree.ElementTree refuses (index: error). */
function notWellFormed(svgs: readonly string[]): string[] {
  const script = 'import json, sys, xml.etree.ElementTree as ET\nbad = []\nfor i, s in enumerate(json.load(sys.stdin)):\n    try:\n        ET.fromstring(s)\n    except ET.ParseError as e:\n        bad.append(f"{i}: {e}")\nprint(json.dumps(bad))';
  const python = spawnSync('python3', ['-c', script], { input: JSON.stringify(svgs), encoding: 'utf8' });
  if (python.status !== 0) throw new Error(`python3 failed: ${python.stderr}`);
  return JSON.parse(python.stdout) as string[];
}

describe('escaping', () => {
  const NAME = 'a<&">\'b';
  const ESCAPED = 'a&#60;&#38;&#34;&#62;&#39;b';

  it("writes XML's five special characters as references and replaces the control characters XML forbids", () => {
    expect(escapeXml(NAME)).toBe(ESCAPED);
    expect(escapeXml('tab\tok\u0001')).toBe('tab\tok\uFFFD');
  });

  it('escapes set and asset names in every chart, which stay well-formed XML', () => {
    const T = 30;
    const table: ForecastTable = {
      day: Int32Array.from({ length: T }, (_, t) => 18_700 + t),
      price: Float64Array.from({ length: T }, (_, t) => 1 + t / 100),
      nextPrice: Float64Array.from({ length: T }, (_, t) => 1 + (t + 1) / 100),
      persistence: Float64Array.from({ length: T }, (_, t) => 1 + t / 100),
      sets: [{ name: NAME, forecasts: Float64Array.from({ length: T }, (_, t) => 1 + (t + 0.5) / 100) }],
    };
    const metrics = (skill: number, pValue: number | null) => ({ rmse: 1, mae: 1, mape: 1, r2: 0, directionalAccuracy: 0.5, skill, dm: pValue === null ? null : { statistic: -3, pValue } });
    const results = { sets: [{ name: 'persistence', features: [], metrics: metrics(0, null) }, { name: NAME, features: ['price'], metrics: metrics(0.75, 0.001) }] } as unknown as ExperimentResults;
    const charts = Object.values(renderReportCharts(results, table));
    const panel = {
      assets: [NAME, 'BTC'].map((asset) => ({ asset, sets: [{ name: 'persistence', metrics: metrics(0, null) }, { name: NAME, metrics: metrics(-0.2, 0.3) }] })),
      panel: { leftOut: [], sets: [{ name: NAME, assets: 2, assetsBeatingPersistence: 0, medianSkill: -0.2, dm: { statistic: 1, pValue: 0.3, dates: 30 } }] },
    } as unknown as PanelResults;
    const heatmap = renderSkillHeatmap(panel);
    for (const svg of [...charts, heatmap]) {
      expect(svg).toContain(ESCAPED);
      expect(svg).not.toContain(NAME);
      expect(svg).not.toMatch(/NaN|undefined/);
    }
    expect(notWellFormed([...charts, heatmap])).toEqual([]);
    // The bar's tooltip and the heat map's cells' tooltips.
    expect(charts[2]).toContain(`<title>${ESCAPED}\nskill: 75.00%\nDM p-value: 0.0010</title>`);
    expect(heatmap).toContain(`<title>${ESCAPED}, ${ESCAPED}\nskill: −20.00%\nDM p: 0.3000</title>`);
  });
});
