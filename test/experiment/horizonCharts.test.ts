/**
 * report.html with `--horizon`/`--level` (src/experiment/horizonCharts.ts): coverage and interval score by
 * horizon (a line per set and level, a rule per nominal level) and the fan chart of the best set's
 * one-day intervals, each band point being the interval the conformal rule gave that origin; neither
 * chart without the flags.
 */
import { describe, expect, it } from 'vitest';
import { intervalHistory } from '../../src/forecast/conformal.js';
import { chartedSets } from '../../src/experiment/charts.js';
import { coverageByHorizonChart, fanChart } from '../../src/experiment/horizonCharts.js';
import { renderReport } from '../../src/experiment/report.js';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';

const sets = ['base=price,volume,marketCap,rsi', 'p=price'].map(parseSetFlag);

describe('horizon charts in report.html', () => {
  it('draws coverage and score by horizon and the fan chart only when asked', async () => {
    const run = await runExperiment({ input: DEFAULT_CSV, sets, trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1, screen: false, horizon: 3, levels: [0.8, 0.95], calibrationWindow: 150 });
    const coverage = coverageByHorizonChart(run.results)!;
    // Coverage, then interval score: a line per set (persistence and both sets) and level (2), a point per
    // horizon (3); the values are results.json's.
    const [coveragePanel, scorePanel] = coverage.panels;
    expect(coveragePanel.series.map((s) => s.name)).toEqual(['persistence', ...chartedSets(run.results)].flatMap((set) => [`${set}, 80%`, `${set}, 95%`]));
    expect(coveragePanel.series.map((s) => s.y.length)).toEqual(Array(6).fill(3));
    const p95 = coveragePanel.series.find((s) => s.name === 'p, 95%')!;
    const intervals = (h: number) => run.results.horizons![h].sets.find((s) => s.name === 'p')!.intervals!;
    expect(p95.y[1]).toBe(intervals(1)[1].coverage);
    expect(scorePanel.series.find((s) => s.name === 'p, 95%')!.y[2]).toBe(intervals(2)[1].score);
    expect(coveragePanel.rules).toEqual([{ y: 0.8, dash: expect.any(String) }, { y: 0.95, dash: expect.any(String) }]);

    const fan = fanChart(run.results, run.forecasts, 150)!;
    const best = run.results.sets.filter((s) => s.name !== 'persistence').sort((a, b) => b.metrics.skill - a.metrics.skill)[0].name;
    const forecasts = run.forecasts.sets.find((s) => s.name === best)!.forecasts;
    const T = forecasts.length;
    const bounds = { lower: new Float64Array(T).fill(NaN), upper: new Float64Array(T).fill(NaN) };
    intervalHistory(forecasts, run.forecasts.nextPrice, run.forecasts.price, 1, 0.8, 150, bounds);
    const band80 = fan.panels[0].bands!.find((b) => b.name === '80%')!;
    expect(Array.from(band80.upper).filter(Number.isFinite).length).toBeGreaterThan(100);
    // T is under MAX_CHART_POINTS: every origin is drawn, its interval the conformal rule's.
    expect(Array.from(band80.upper)).toEqual(Array.from(bounds.upper));
    expect(Array.from(band80.lower)).toEqual(Array.from(bounds.lower));
    expect(band80.x[0]).toBe(run.forecasts.day[0] + 1);

    const html = await renderReport(run.results, run.forecasts);
    expect(html).toContain('Prediction intervals by horizon');
    expect(html).toContain(`One day ahead: ${best}&#39;s forecasts and their intervals`);
    // Two more SVG charts, the fan chart's bands drawn.
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html.match(/<path class="band" /g)).toHaveLength(2);

    const plain = await runExperiment({ input: DEFAULT_CSV, sets, trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1, screen: false });
    const plainHtml = await renderReport(plain.results, plain.forecasts);
    expect(plainHtml).not.toContain('Prediction intervals by horizon');
    expect(plainHtml).not.toContain('One day ahead');
  }, 60_000);
});
