/**
 * report.html with `--horizon`/`--level` (src/experiment/horizonCharts.ts): coverage and interval score by
 * horizon (a line per set and level, a rule per nominal level) and the fan chart of the best set's
 * one-day intervals, each band point being the interval the conformal rule gave that origin; neither
 * chart without the flags.
 */
import { describe, expect, it } from 'vitest';
import { intervalHistory } from '../../src/forecast/conformal.js';
import { coverageByHorizonSpec, fanChartSpec } from '../../src/experiment/horizonCharts.js';
import { renderReport } from '../../src/experiment/report.js';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';

const sets = ['base=price,volume,marketCap,rsi', 'p=price'].map(parseSetFlag);

describe('horizon charts in report.html', () => {
  it('draws coverage and score by horizon and the fan chart only when asked', async () => {
    const run = await runExperiment({ input: DEFAULT_CSV, sets, trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1, screen: false, horizon: 3, levels: [0.8, 0.95], calibrationWindow: 150 });
    const coverage = coverageByHorizonSpec(run.results) as unknown as { data: { values: { horizon: number; set: string; level: string; coverage: number }[] } };
    // persistence and both sets, 3 horizons, 2 levels; the values are results.json's.
    expect(coverage.data.values).toHaveLength(3 * 3 * 2);
    const p2 = coverage.data.values.find((v) => v.horizon === 2 && v.set === 'p' && v.level === '95%')!;
    expect(p2.coverage).toBe(run.results.horizons![1].sets.find((s) => s.name === 'p')!.intervals![1].coverage);

    const fan = fanChartSpec(run.results, run.forecasts, 150) as unknown as { layer: { data: { values: { date: string; level: string; lower: number; upper: number }[] } }[] };
    const best = run.results.sets.filter((s) => s.name !== 'persistence').sort((a, b) => b.metrics.skill - a.metrics.skill)[0].name;
    const forecasts = run.forecasts.sets.find((s) => s.name === best)!.forecasts;
    const T = forecasts.length;
    const bounds = { lower: new Float64Array(T).fill(NaN), upper: new Float64Array(T).fill(NaN) };
    intervalHistory(forecasts, run.forecasts.nextPrice, run.forecasts.price, 1, 0.8, 150, bounds);
    const band80 = fan.layer[0].data.values.filter((v) => v.level === '80%');
    expect(band80.length).toBeGreaterThan(100);
    expect(band80[band80.length - 1].upper).toBe(bounds.upper[T - 1]);

    const html = await renderReport(run.results, run.forecasts);
    expect(html).toContain('Prediction intervals by horizon');
    expect(html).toContain(`One day ahead: ${best}'s forecasts and their intervals`);

    const plain = await runExperiment({ input: DEFAULT_CSV, sets, trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1, screen: false });
    const plainHtml = await renderReport(plain.results, plain.forecasts);
    expect(plainHtml).not.toContain('Prediction intervals by horizon');
    expect(plainHtml).not.toContain('One day ahead');
  }, 60_000);
});
