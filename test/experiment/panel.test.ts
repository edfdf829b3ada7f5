/**
 * `experiment` on a panel (docs/experiment.md#panels): the panel statistics on a hand-checkable case, then
 * on a seeded panel made by test/helpers/panelData.ts:
 * each asset's results equal a run on a file of its rows alone (worker threads or not); the panel
 * Diebold–Mariano test recomputed here from those one-asset runs' forecasts, and by numpy/scipy from
 * forecasts.parquet and results.json; skipped and left-out assets; the CLI end to end (the panel ranking
 * first, progress on stderr, the report's heat map); bad input (exit 2, one line, nothing written); and
 * the built-in sets on a layout without market cap.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeForecastsParquet } from '../../src/experiment/forecastsParquet.js';
import { runExperiment, runPanelExperiment, type ExperimentOptions, type ExperimentRun, type PanelExperimentRun } from '../../src/experiment/run.js';
import { median, panelSets, pooledDifferentials, persistenceMse, type AssetForecasts } from '../../src/experiment/panelStatistics.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { skillHeatmap, MAX_HEATMAP_ASSETS } from '../../src/experiment/panelCharts.js';
import type { PanelResults } from '../../src/experiment/results.js';
import { runCli } from '../helpers/cli.js';
import { panelCsv, type PanelAssetSpec } from '../helpers/panelData.js';
import { runPython } from '../helpers/python.js';
import { useScratchFolder } from '../helpers/scratch.js';

// Worker threads started, counted (the pool must start them once per run, not once per batch).
const threadStarts = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/engine/workerThread.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/engine/workerThread.js')>();
  return {
    startWorker: (...args: Parameters<typeof actual.startWorker>) => {
      threadStarts.count++;
      return actual.startWorker(...args);
    },
  };
});

const scratch = useScratchFolder('panel');
const ASSETS: PanelAssetSpec[] = [
  { name: 'BTC', days: 260, level: 30000 },
  { name: 'ETH', days: 230, start: 25, level: 2000, momentum: 0.4 },
  { name: 'DOGE', days: 250, start: 8, level: 0.1, momentum: 0.1 },
  { name: 'TINY', days: 12, start: 100, level: 5 },
];
const SETS = ['p=price', 'pv=price,volume,rsi', 'm=price,rsi,macd_diff'];
const BOOTSTRAP = { seed: 42, reps: 300 };
const SCORED = ['BTC', 'DOGE', 'ETH'];

let panelFile = '';
const aloneFile = new Map<string, string>();
let panel: PanelExperimentRun;
const alone = new Map<string, ExperimentRun>();

function options(input: string, extra: Partial<ExperimentOptions> = {}): ExperimentOptions {
  return { input, sets: SETS.map(parseSetFlag), trainRatio: 0.7, refitEvery: 3, target: 'price', bootstrap: BOOTSTRAP, ...extra };
}

beforeAll(async () => {
  const generated = panelCsv(ASSETS);
  panelFile = await scratch.file(generated.csv, 'coins.csv');
  for (const [name, csv] of generated.byAsset) aloneFile.set(name, await scratch.file(csv, `${name}.csv`));
  // Two worker threads for the panel, this thread for each asset alone: the results may not differ.
  panel = await runPanelExperiment(options(panelFile, { threads: 2 }));
  for (const name of SCORED) alone.set(name, await runExperiment(options(aloneFile.get(name)!, { threads: 1 })));
});

/** The panel test as the docs define it, from the one-asset runs' forecast tables. */
function independentPanelDm(set: string, runs: ExperimentRun[]): { statistic: number; pValue: number; dates: number } {
  const byDate = new Map<number, number[]>();
  for (const run of runs) {
    const t = run.forecasts;
    const f = t.sets.find((s) => s.name === set)!.forecasts;
    const ep2 = Array.from(t.persistence, (p, i) => (p - t.nextPrice[i]) ** 2);
    const mse = ep2.reduce((a, b) => a + b, 0) / ep2.length;
    t.day.forEach((day, i) => {
      const d = ((f[i] - t.nextPrice[i]) ** 2 - ep2[i]) / mse;
      byDate.set(day, [...(byDate.get(day) ?? []), d]);
    });
  }
  const dbar = [...byDate.keys()].sort((a, b) => a - b).map((day) => byDate.get(day)!.reduce((a, b) => a + b, 0) / byDate.get(day)!.length);
  const T = dbar.length;
  const mean = dbar.reduce((a, b) => a + b, 0) / T;
  const gamma0 = dbar.reduce((a, d) => a + (d - mean) ** 2, 0) / T;
  const statistic = (mean / Math.sqrt(gamma0 / T)) * Math.sqrt((T - 1) / T);
  return { statistic, pValue: 2 * tCdf(-Math.abs(statistic), T - 1), dates: T };
}

describe('the panel statistics by hand', () => {
  const asset = (name: string, day: number[], actual: number[], persistence: number[], f: number[]): AssetForecasts => ({
    asset: name,
    day: Int32Array.from(day),
    actual: Float64Array.from(actual),
    persistence: Float64Array.from(persistence),
    sets: [{ name: 'f', forecasts: Float64Array.from(f) }],
    skill: new Map([['f', 0.5]]),
  });
  // A: ep² = 1, 1 (mse 1), e² = 0.25, 0: d = −0.75, −1. B: ep² = 4, 4 (mse 4), e² = 1, 0: d = −0.75, −1.
  const a = asset('A', [1, 2], [10, 10], [11, 9], [10.5, 10]);
  const b = asset('B', [2, 3], [100, 100], [102, 98], [101, 100]);
  const flat = asset('C', [1, 2, 3], [5, 5, 5], [5, 5, 5], [5.1, 4.9, 5]);

  it('scales each asset by its persistence mse and averages per date, over the assets that have the date', () => {
    expect([persistenceMse(a), persistenceMse(b)]).toEqual([1, 4]);
    // Day 1: A only; day 2: A and B; day 3: B only.
    expect(pooledDifferentials([a, b], [1, 4], 'f')).toEqual(Float64Array.of(-0.75, -0.875, -1));
    const { sets, leftOut } = panelSets([a, b, flat]);
    expect(leftOut).toEqual(['C']);
    // dbar = −0.75, −0.875, −1: mean −0.875, γ0 = 2·0.125²/3, √(γ0/3) = √2/24; DM = −0.875·24/√2·√(2/3) = −7√3.
    expect(sets[0].dm.statistic).toBeCloseTo(-7 * Math.sqrt(3), 12);
    expect(sets[0].dm.dates).toBe(3);
    expect(sets[0]).toMatchObject({ name: 'f', assets: 3, assetsBeatingPersistence: 3, medianSkill: 0.5 });
  });
});

describe('the heat map of skill', () => {
  it('shows every asset × set of a small panel in ranking order; of a large one, the best and worst by median skill', () => {
    const dm = (statistic: number) => ({ statistic, pValue: 0.5, dates: 10 });
    const metrics = (skill: number) => ({ rmse: 1, mae: 1, mape: 1, r2: 0, directionalAccuracy: 0.5, skill, dm: { statistic: 0, pValue: 0.5 } });
    const results = (count: number) =>
      ({
        assets: Array.from({ length: count }, (_, i) => ({
          asset: `A${String(i).padStart(3, '0')}`,
          sets: [
            { name: 'persistence', features: [], metrics: { ...metrics(0), dm: null } },
            { name: 'x', features: ['price'], metrics: metrics((i - count / 2) / count) },
            { name: 'y', features: ['price'], metrics: metrics(0.01) },
          ],
        })),
        panel: { leftOut: [], sets: [{ name: 'x', assets: count, assetsBeatingPersistence: 0, medianSkill: 0, dm: dm(1) }, { name: 'y', assets: count, assetsBeatingPersistence: count, medianSkill: 0.01, dm: dm(-2) }] },
      }) as unknown as PanelResults;
    const small = skillHeatmap(results(4));
    expect(small.cells).toHaveLength(8);
    expect(small.columns).toEqual(['y', 'x']);
    expect(small.rows).toEqual(['A000', 'A001', 'A002', 'A003']);
    // Each cell at its asset's row and its set's column, with its skill.
    const x2 = small.cells.find((c) => c.row === 2 && c.column === 1)!;
    expect(x2.value).toBe(0);
    expect(x2.aria).toBe('asset: A002; set: x; skill: 0%; DM p: 0.5');
    const large = skillHeatmap(results(250));
    const shown = [...new Set(large.cells.map((c) => large.rows[c.row]))];
    expect(shown).toHaveLength(MAX_HEATMAP_ASSETS);
    expect(large.rows).toHaveLength(MAX_HEATMAP_ASSETS);
    // Median skill over x and y: the 50 assets in the middle of x's range (A100 … A149) are left out.
    expect(shown).not.toContain('A125');
    expect(shown).toContain('A000');
    expect(shown).toContain('A249');
    expect(large.subtitle).toMatch(/the 100 assets with the highest and the 100 with the lowest median skill of 250/);
  });
});

describe('experiment on a panel', () => {
  it("gives each asset exactly the results of a file holding only that asset's rows", () => {
    expect(panel.results.assets.map((a) => a.asset)).toEqual(SCORED);
    panel.results.assets.forEach((asset, a) => {
      const one = alone.get(asset.asset)!;
      const { asset: _name, ...rest } = asset;
      const { rows, trainRows, testRows, firstTestDate, lastTestDate, sets, screening } = one.results;
      expect(rest).toEqual({ rows, trainRows, testRows, firstTestDate, lastTestDate, sets, screening });
      // The forecasts bit for bit: the panel table holds the asset's rows, tagged with its index.
      const mine = [...panel.forecasts.assetIndex!.keys()].filter((i) => panel.forecasts.assetIndex![i] === a);
      expect(Int32Array.from(mine, (i) => panel.forecasts.day[i])).toEqual(one.forecasts.day);
      for (const set of one.forecasts.sets) {
        expect(Float64Array.from(mine, (i) => panel.forecasts.sets.find((s) => s.name === set.name)!.forecasts[i])).toEqual(set.forecasts);
      }
    });
    expect(panel.results.skipped).toEqual([{ asset: 'TINY', reason: expect.stringMatching(/^too few rows: expected enough rows for a walk-forward: 5 training rows .* 0 rows have every feature/) }]);
  });

  it('computes the panel Diebold–Mariano test as defined, from the per-asset forecasts', () => {
    const runs = SCORED.map((name) => alone.get(name)!);
    for (const set of panel.results.panel.sets) {
      const expected = independentPanelDm(set.name, runs);
      expect(set.dm.dates).toBe(expected.dates);
      expect(set.dm.statistic).toBeCloseTo(expected.statistic, 12);
      expect(set.dm.pValue).toBeCloseTo(expected.pValue, 12);
      const skills = runs.map((run) => run.results.sets.find((s) => s.name === set.name)!.metrics.skill);
      expect(set.assets).toBe(3);
      expect(set.assetsBeatingPersistence).toBe(skills.filter((s) => s > 0).length);
      expect(set.medianSkill).toBe([...skills].sort((x, y) => x - y)[1]);
    }
    // The dates are the union of the assets' test dates (they overlap only in part).
    const union = new Set(runs.flatMap((run) => [...run.forecasts.day]));
    expect(panel.results.panel.sets[0].dm.dates).toBe(union.size);
    expect(union.size).toBeLessThan(runs.reduce((n, run) => n + run.results.testRows, 0));
    expect(panel.results.panel.leftOut).toEqual([]);
    expect(panel.results.panel.screening?.spa.pvalues.consistent).toBeGreaterThanOrEqual(0);
  });

  it('numpy and scipy agree, from forecasts.parquet and results.json', async () => {
    const env = await ensurePythonEnv();
    const out = join(scratch.dir, 'for-python');
    await runPanelExperiment(options(panelFile, { output: out, threads: 1 }));
    const script = `
import json, sys
import numpy as np, pyarrow.parquet as pq
from scipy import stats
out = sys.argv[1]
results = json.load(open(out + '/results.json'))
table = pq.read_table(out + '/forecasts.parquet').to_pandas()
found = {}
for s in results['panel']['sets']:
    diffs = {}
    for a, asset in enumerate(results['assets']):
        rows = table[table['asset_index'] == a]
        y = rows['next_price'].to_numpy()
        ep2 = (rows['persistence'].to_numpy() - y) ** 2
        d = ((rows[s['name']].to_numpy() - y) ** 2 - ep2) / ep2.mean()
        for day, v in zip(rows['date'], d):
            diffs.setdefault(day, []).append(v)
    dbar = np.array([np.mean(diffs[k]) for k in sorted(diffs)])
    T = len(dbar)
    stat = dbar.mean() / np.sqrt(np.mean((dbar - dbar.mean()) ** 2) / T) * np.sqrt((T - 1) / T)
    found[s['name']] = {'statistic': stat, 'pValue': 2 * stats.t.cdf(-abs(stat), T - 1), 'dates': T}
print(json.dumps({'columns': list(table.columns), 'found': found}))
`;
    const python = JSON.parse(await runPython(env, ['-c', script, out])) as { columns: string[]; found: Record<string, { statistic: number; pValue: number; dates: number }> };
    expect(python.columns).toEqual(['asset_index', 'date', 'price', 'next_price', 'persistence', 'p', 'pv', 'm']);
    for (const set of panel.results.panel.sets) {
      const theirs = python.found[set.name];
      expect(set.dm.dates).toBe(theirs.dates);
      expect(Math.abs(set.dm.statistic - theirs.statistic)).toBeLessThan(1e-10 * Math.max(1, Math.abs(theirs.statistic)));
      expect(Math.abs(set.dm.pValue - theirs.pValue)).toBeLessThan(1e-10);
    }
  });

  it('gives the same results when the assets run in batches of one (bounded memory) and in this thread', async () => {
    const progress: string[] = [];
    const batched = await runPanelExperiment(options(panelFile, { threads: 1, batchValues: 1, onProgress: (done, total) => progress.push(`${done}/${total}`) }));
    expect(batched.results).toEqual(panel.results);
    expect(batched.forecasts).toEqual(panel.forecasts);
    expect(progress).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });

  it('starts its worker threads once for all batches, and batches of one on workers give the same bytes as one batch', async () => {
    threadStarts.count = 0;
    const batched = await runPanelExperiment(options(panelFile, { threads: 2, batchValues: 1 }));
    // Three assets, three batches, each one asset's sets dealt to two workers: two threads in all.
    expect(threadStarts.count).toBe(2);
    expect(batched.results).toEqual(panel.results);
    expect(batched.forecasts).toEqual(panel.forecasts);
    expect(Buffer.from(encodeForecastsParquet(batched.forecasts)).equals(Buffer.from(encodeForecastsParquet(panel.forecasts)))).toBe(true);
  });

  it('runExperiment (one series) refuses a panel before any work or output; runPanelExperiment takes a one-asset file as a panel of one', async () => {
    const out = join(scratch.dir, 'never-library');
    await expect(runExperiment(options(panelFile, { output: out }))).rejects.toThrow(/the input is a panel .*call runPanelExperiment/);
    expect(existsSync(out)).toBe(false);
    const one = await runPanelExperiment(options(aloneFile.get('ETH')!, { threads: 1 }));
    expect(one.results.assets.map((a) => a.asset)).toEqual(['ETH']);
    expect(one.results.assets[0].sets).toEqual(alone.get('ETH')!.results.sets);
  });

  it('leaves an asset whose persistence mse is 0 out of the panel test, and lists it', async () => {
    const flat = panelCsv([...ASSETS.slice(0, 3), { name: 'STABLE', days: 200, start: 40, level: 1, flat: true }]);
    const run = await runPanelExperiment(options(await scratch.file(flat.csv, 'flat.csv'), { threads: 1, screen: false }));
    expect(run.results.assets.map((a) => a.asset)).toEqual(['BTC', 'DOGE', 'ETH', 'STABLE']);
    expect(run.results.panel.leftOut).toEqual(['STABLE']);
    for (const set of run.results.panel.sets) {
      const without = panel.results.panel.sets.find((s) => s.name === set.name)!;
      expect(set.dm).toEqual(without.dm);
      expect(set.assets).toBe(4);
    }
  });

  it('--horizon: the panel test at every horizon, at h = 1 the same as the experiment', async () => {
    const run = await runPanelExperiment(options(panelFile, { threads: 1, horizon: 3, screen: false, assets: ['BTC', 'ETH'] }));
    expect(run.results.assets.map((a) => a.asset)).toEqual(['BTC', 'ETH']);
    const horizons = run.results.panel.horizons!;
    expect(horizons.map((h) => h.horizon)).toEqual([1, 2, 3]);
    expect(horizons[0].sets.map((s) => s.dm)).toEqual(run.results.panel.sets.map((s) => s.dm));
    // At h = 3: each asset's h-step skills, and the test on the union of their origin dates.
    for (const set of horizons[2].sets) {
      const skills = run.results.assets.map((asset) => asset.horizons![2].sets.find((s) => s.name === set.name)!.metrics.skill);
      expect(set.medianSkill).toBe(median(skills));
      expect(set.dm.dates).toBeGreaterThanOrEqual(Math.max(...run.results.assets.map((asset) => asset.horizons![2].testRows)));
      expect(Number.isFinite(set.dm.statistic)).toBe(true);
    }
  });
});

describe('pricecast experiment on a panel (CLI)', () => {
  it('prints the panel ranking first, then the best and worst assets; writes the heat map; progress on stderr', async () => {
    const out = join(scratch.dir, 'cli');
    const run = await runCli(['experiment', '--input', panelFile, ...SETS.flatMap((s) => ['--set', s]), '--refit-every', '3', '--bootstrap-reps', '300', '--output', out, '--progress']);
    expect(run.code, run.stderr).toBe(0);
    // The rows read come first (docs/output.md#progress), then the assets.
    const lines0 = run.stderr.trimEnd().split('\n');
    const reading = lines0.findIndex((l) => !l.startsWith('reading '));
    expect(reading).toBeGreaterThan(0);
    for (const l of lines0.slice(0, reading)) expect(l).toMatch(/^reading [\d,]+ rows \(\d+%\)$/);
    const stderr = lines0.slice(reading);
    expect(stderr.slice(0, 4)).toEqual(['assets 1/4', 'assets 2/4', 'assets 3/4', 'assets 4/4']);
    expect(stderr[4]).toMatch(/^skipped asset TINY: too few rows: expected enough rows for a walk-forward: 5 training rows/);
    expect(stderr).toHaveLength(5);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('coins.csv: a panel of 3 assets (1 skipped: TINY), each walked forward on its own rows (train ratio 0.7)');
    const ranking = lines.indexOf(lines.find((l) => l.startsWith('Panel ranking'))!);
    const best = lines.findIndex((l) => l.startsWith('Best and worst assets for '));
    expect(ranking).toBeGreaterThan(0);
    expect(best).toBeGreaterThan(ranking);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.panel.sets.map((s: { dm: { statistic: number } }) => s.dm.statistic)).toEqual(panel.results.panel.sets.map((s) => s.dm.statistic));
    const rankedNames = lines.slice(ranking + 2, ranking + 5).map((l) => l.trim().split(/\s+/)[1]);
    const byStatistic = [...panel.results.panel.sets].sort((a, b) => a.dm.statistic - b.dm.statistic).map((s) => s.name);
    expect(rankedNames).toEqual(byStatistic);
    expect(lines[best]).toBe(`Best and worst assets for ${byStatistic[0]} (the top-ranked set):`);
    const report = await readFile(join(out, 'report.html'), 'utf8');
    expect(report).toMatch(/Skill by asset and set/);
    // The heat map: a cell per scored asset and set, each with its tooltip.
    expect(report.match(/<rect class="cell" role="graphics-symbol" aria-label="asset: [^"]*"[^>]*><title>/g)).toHaveLength(3 * SETS.length);
    expect(report).toMatch(/<h2>Sets ranked by the panel test<\/h2>/);
    expect(report.indexOf(`<td>1</td><td>${byStatistic[0]}</td>`)).toBeGreaterThan(0);
    expect(report).not.toMatch(/<script/);
    // Without --progress and with no terminal: no progress.
    const quiet = await runCli(['experiment', '--input', panelFile, '--set', 'p=price,rsi', '--refit-every', '5', '--json']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(quiet.stdout).skipped.map((s: { asset: string }) => s.asset)).toEqual(['TINY']);
  });

  function expectRefused(run: { code: number; stderr: string }, out: string, pattern: RegExp): void {
    expect(run.code, run.stderr).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
  }

  it('refuses an unknown --assets name, listing the assets found', async () => {
    const out = join(scratch.dir, 'never-unknown');
    const run = await runCli(['experiment', '--input', panelFile, '--set', 'p=price', '--assets', 'BTC,XRP', '--output', out]);
    expectRefused(run, out, /^pricecast: .*coins\.csv: column asset: expected --assets to name assets of this file; this one is not in it \(found 4: BTC, DOGE, ETH, TINY\) \(got "XRP"\)$/);
  });

  it('refuses an asset --assets named that has too few rows', async () => {
    const out = join(scratch.dir, 'never-named');
    const run = await runCli(['experiment', '--input', panelFile, '--set', 'pv=price,volume,rsi', '--assets', 'BTC,TINY', '--output', out]);
    expectRefused(run, out, /column asset: expected enough rows for a walk-forward: .* for asset TINY, named by --assets \(got "TINY"\)$/);
  });

  it('refuses a bad asset name in the file, naming the line', async () => {
    const lines = panelCsv(ASSETS.slice(0, 2)).csv.split('\n');
    lines[5] = lines[5].replace(',ETH,', ',ET$H,').replace(',BTC,', ',BT$C,');
    const file = await scratch.file(lines.join('\n'), 'bad-name.csv');
    const out = join(scratch.dir, 'never-name');
    const run = await runCli(['experiment', '--input', file, '--set', 'p=price', '--output', out]);
    expectRefused(run, out, /bad-name\.csv:6: column asset: expected .*\(got "(BT\$C|ET\$H)"\)$/);
  });

  it('refuses a panel where no asset can be fitted: exit 2, nothing written', async () => {
    const tiny = panelCsv([{ name: 'A', days: 10 }, { name: 'B', days: 12, start: 3 }]);
    const file = await scratch.file(tiny.csv, 'tiny.csv');
    const out = join(scratch.dir, 'never-tiny');
    const run = await runCli(['experiment', '--input', file, '--set', 'p=price,rsi', '--output', out]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/tiny\.csv: column asset: expected at least one asset with enough rows for a walk-forward; all 2 were skipped \(A: too few rows: expected/);
    expect(lines).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('runs the built-in sets without marketCap on a layout that has none, as predict does', async () => {
    const lines = panelCsv([{ name: 'X', days: 300 }]).csv.trimEnd().split('\n');
    const noCap = ['date,price,volume', ...lines.slice(1).map((l) => l.split(',').filter((_, c) => c !== 1 && c !== 4).join(','))].join('\n') + '\n';
    const file = await scratch.file(noCap, 'no-cap.csv');
    await writeFile(file, noCap);
    const run = await runCli(['experiment', '--input', file, '--columns', 'date=date,price=price,volume=volume', '--refit-every', '40', '--bootstrap-reps', '100', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout);
    expect(results.withoutMarketCap).toBe(true);
    expect(results.sets[1]).toMatchObject({ name: 'base', features: ['price', 'volume', 'rsi(window=14)'] });
    expect(results.sets.every((s: { features: string[] }) => !s.features.includes('marketCap'))).toBe(true);
    const table = await runCli(['experiment', '--input', file, '--columns', 'date=date,price=price,volume=volume', '--refit-every', '40', '--bootstrap-reps', '100']);
    expect(table.stdout).toMatch(/\nno market cap in this layout: the built-in sets leave marketCap out \(base = price, volume, rsi\)\n/);
  });
});
