/**
 * `forecast` on a panel (docs/forecast.md#panels), on a seeded panel (test/helpers/forecastPanel.ts):
 * each asset's forecast, bounds, model and track record are bit for bit those of a file holding only
 * its rows (at every horizon, with --as-of too, and with other settings); the run's origin is the
 * newest asset's last usable day, an asset ending earlier and a too-short one are skipped with one
 * line each, and refused when --assets names them; the table (one row per asset and horizon, an asset
 * column, partitionBy("origin_date")) reads back with pyarrow and DuckDB; re-running a day gives the
 * same table byte for byte; bad input is one line, exit 2, nothing written.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runForecast, runPanelForecast, type ForecastOptions, type PanelForecastDocument } from '../../src/forecast/run.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { writeForecastPanel, type GeneratedPanel } from '../helpers/forecastPanel.js';
import { runPython } from '../helpers/python.js';
import { treeHashes } from '../helpers/treeHashes.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('forecast-panel');

/**
 * AAA and BB.B end on the same day (the run's origin); CCC ends two days earlier; TINY has too few
 * rows for three horizons. BB.B starts later and has a dot in its name.
 */
const ASSETS = [
  { name: 'AAA', days: 160, price: 10 },
  { name: 'BB.B', days: 150, startOffset: 10, price: 0.5 },
  { name: 'CCC', days: 158, price: 3000 },
  { name: 'TINY', days: 25, startOffset: 135, price: 1 },
];

let data: GeneratedPanel;
beforeAll(() => {
  data = writeForecastPanel(scratch.dir, 'panel', ASSETS);
});

const base = (input: string, extra: Partial<ForecastOptions> = {}): ForecastOptions => ({
  input,
  set: { name: 'features', spec: 'price,volume,marketCap,rsi' },
  target: 'price',
  horizon: 3,
  levels: [0.8, 0.95],
  trainRatio: 0.7,
  refitEvery: 1,
  ...extra,
});

const snapshot = treeHashes;

/** The panel's entry of each asset equals the document of that asset's rows alone (same settings). */
async function expectEqualToAlone(panel: PanelForecastDocument, extra: Partial<ForecastOptions>): Promise<void> {
  for (const entry of panel.assets) {
    const alone = (await runForecast(base(data.alone[entry.asset], extra))).document;
    expect(alone.originDate, entry.asset).toBe(panel.originDate);
    expect({ lastPrice: entry.lastPrice, rows: entry.rows, horizons: entry.horizons }, entry.asset).toEqual({
      lastPrice: alone.lastPrice,
      rows: alone.rows,
      horizons: alone.horizons,
    });
    expect(alone.set).toEqual(panel.set);
  }
}

describe('each asset as if alone', () => {
  it('the origin is the newest last day; an asset ending earlier and a too-short one are skipped; the rest equal their own files bit for bit', async () => {
    const { document, partitionDir } = await runPanelForecast(base(data.panel));
    expect(partitionDir).toBeNull();
    expect(document.originDate).toBe(data.lastDay.AAA);
    expect(data.lastDay['BB.B']).toBe(data.lastDay.AAA);
    expect(document.assets.map((a) => a.asset)).toEqual(['AAA', 'BB.B']);
    expect(document.assets.every((a) => a.horizons.length === 3)).toBe(true);
    expect(document.skipped).toEqual([
      { asset: 'CCC', reason: expect.stringMatching(new RegExp(`^too few rows: expected rows up to the run's origin date ${data.lastDay.AAA} .*its last usable day is ${data.lastDay.CCC}: --as-of ${data.lastDay.CCC}`)) },
      { asset: 'TINY', reason: expect.stringMatching(/^too few rows: expected at least 6 fitting rows for 4 features at horizon \d/) },
    ]);
    expect(document.input).toMatchObject({ file: 'panel.csv', assetColumn: 'asset', assetsInFile: 4 });
    await expectEqualToAlone(document, {});
  });

  it('--as-of the earlier day: every asset from there, each as its own file cut at that day', async () => {
    const asOf = data.lastDay.CCC;
    const { document } = await runPanelForecast(base(data.panel, { asOf }));
    expect(document.originDate).toBe(asOf);
    expect(document.assets.map((a) => a.asset)).toEqual(['AAA', 'BB.B', 'CCC']);
    expect(document.skipped.map((s) => s.asset)).toEqual(['TINY']);
    await expectEqualToAlone(document, { asOf });
  });

  it('other settings (another set, return target, refits every 3 days, a calibration window, one horizon) keep the equality', async () => {
    const extra: Partial<ForecastOptions> = {
      set: { name: 'small', spec: 'price,rsi(window=9)' },
      target: 'return',
      horizon: 1,
      refitEvery: 3,
      calibrationWindow: 30,
      levels: [0.9],
    };
    const { document } = await runPanelForecast(base(data.panel, extra));
    expect(document.assets.map((a) => a.asset)).toEqual(['AAA', 'BB.B']);
    expect(document.skipped).toEqual([
      { asset: 'CCC', reason: expect.stringMatching(/^too few rows: expected rows up to the run's origin date/) },
      { asset: 'TINY', reason: expect.stringMatching(/^too few rows: expected a history long enough for a 0\.9 interval at horizon 1: 9 walk-forward scores are needed, \d are available \(--calibration-window 30\)$/) },
    ]);
    await expectEqualToAlone(document, extra);
  });

  it('--assets chooses some; naming a skipped one is bad input', async () => {
    const chosen = await runPanelForecast(base(data.panel, { assets: ['BB.B'] }));
    expect(chosen.document.assets.map((a) => a.asset)).toEqual(['BB.B']);
    expect(chosen.document.skipped).toEqual([]);
    await expect(runPanelForecast(base(data.panel, { assets: ['AAA', 'TINY'] }))).rejects.toThrow(/column asset: expected at least 6 fitting rows .* \(got "TINY"\)/);
    await expect(runPanelForecast(base(data.panel, { assets: ['AAA', 'CCC'] }))).rejects.toThrow(/expected rows up to the run's origin date .* \(got "CCC"\)/);
    // CCC alone is its own newest asset: nothing lags behind it
    expect((await runPanelForecast(base(data.panel, { assets: ['CCC'] }))).document.originDate).toBe(data.lastDay.CCC);
  });

  it('one series and a panel are told apart: runForecast refuses a panel, runPanelForecast a file without an asset column', async () => {
    await expect(runForecast(base(data.panel))).rejects.toThrow(/its asset column names 4 assets/);
    await expect(runPanelForecast(base(DEFAULT_CSV))).rejects.toThrow(/an asset column for a panel forecast/);
  });
});

describe('the table', () => {
  it('one row per asset and horizon with an asset column, read back by pyarrow and DuckDB; re-running a day gives the same table', async () => {
    const dir = join(scratch.dir, 'lake');
    const latest = await runPanelForecast(base(data.panel, { output: dir }));
    const earlier = await runPanelForecast(base(data.panel, { output: dir, asOf: data.lastDay.CCC }));
    expect(latest.partitionDir).toBe(join(dir, `origin_date=${data.lastDay.AAA}`));
    const first = await snapshot(dir);
    expect(Object.keys(first).sort()).toEqual([
      '_SUCCESS',
      `origin_date=${data.lastDay.CCC}/_forecast.json`,
      expect.stringMatching(new RegExp(`^origin_date=${data.lastDay.CCC}/part-00000-[0-9a-f-]{36}\\.snappy\\.parquet$`)),
      `origin_date=${data.lastDay.AAA}/_forecast.json`,
      expect.stringMatching(new RegExp(`^origin_date=${data.lastDay.AAA}/part-00000-[0-9a-f-]{36}\\.snappy\\.parquet$`)),
    ]);
    const json = JSON.parse(await readFile(join(dir, `origin_date=${data.lastDay.AAA}`, '_forecast.json'), 'utf8'));
    expect(json).toMatchObject({ tool: 'pricecast', command: 'forecast', originDate: data.lastDay.AAA, skipped: [{ asset: 'CCC' }, { asset: 'TINY' }] });
    expect(json.assets.map((a: { asset: string }) => a.asset)).toEqual(['AAA', 'BB.B']);
    expect(Object.keys(json.assets[0].horizons[0])).toEqual(['horizon', 'targetDate', 'forecast', 'bounds', 'model', 'trackRecord']);

    await runPanelForecast(base(data.panel, { output: dir }));
    expect(await snapshot(dir)).toEqual(first);

    // each asset alone, written to its own table: the panel's rows of that asset are its rows
    const alone = join(scratch.dir, 'alone');
    for (const asset of ['AAA', 'BB.B']) await runForecast(base(data.alone[asset], { output: join(alone, asset) }));

    const env = await ensurePythonEnv();
    const script = await scratch.file(
      `
import json, sys
import pyarrow.parquet as pq, duckdb
d, alone = sys.argv[1], sys.argv[2:]
t = pq.read_table(d)
q = duckdb.sql(f"select * from read_parquet('{d}/*/*.parquet', hive_partitioning=true)").df()
def rows(frame):
    frame = frame.sort_values(["origin_date", "asset", "horizon"])
    return [[str(r["origin_date"])[:10], r["asset"], int(r["horizon"]), str(r["target_date"])[:10], float(r["last_price"]), float(r["forecast"]),
             float(r["lower_80"]), float(r["upper_95"]), r["set"]] for _, r in frame.iterrows()]
def alone_rows(path):
    frame = pq.read_table(path).to_pandas().sort_values("horizon")
    return [[int(r["horizon"]), str(r["target_date"])[:10], float(r["forecast"]), float(r["lower_80"]), float(r["upper_95"])] for _, r in frame.iterrows()]
print(json.dumps({"pyarrow": rows(t.to_pandas()), "duckdb": rows(q), "columns": t.column_names,
                  "types": [str(f.type) for f in t.schema], "alone": [alone_rows(a) for a in alone]}))
`,
      'readers.py',
    );
    const read = JSON.parse(await runPython(env, [script, dir, join(alone, 'AAA'), join(alone, 'BB.B')])) as {
      pyarrow: (string | number)[][];
      duckdb: (string | number)[][];
      columns: string[];
      types: string[];
      alone: (string | number)[][][];
    };
    expect(read.columns).toEqual(['asset', 'horizon', 'target_date', 'last_price', 'forecast', 'lower_80', 'upper_80', 'lower_95', 'upper_95', 'set', 'origin_date']);
    expect(read.types.slice(0, 3)).toEqual(['string', 'int32', 'date32[day]']);
    expect(read.duckdb).toEqual(read.pyarrow);
    // 3 assets × 3 horizons as of the earlier day, 2 × 3 on the latest
    expect(read.pyarrow).toHaveLength(15);
    const expected = [earlier.document, latest.document].flatMap((doc) =>
      doc.assets.flatMap((a) =>
        a.horizons.map((h) => [doc.originDate, a.asset, h.horizon, h.targetDate, a.lastPrice, h.forecast, h.bounds[0].lower, h.bounds[1].upper, 'features']),
      ),
    );
    expect(read.pyarrow).toEqual(expected);
    const latestRows = (asset: string) => read.pyarrow.filter((r) => r[0] === data.lastDay.AAA && r[1] === asset).map((r) => [r[2], r[3], r[5], r[6], r[7]]);
    expect(read.alone).toEqual([latestRows('AAA'), latestRows('BB.B')]);
  }, 120_000);
});

describe('pricecast forecast on a panel', () => {
  it('prints a table per asset and the track record per asset and for all; one stderr line per skipped asset; --json is _forecast.json', async () => {
    const out = join(scratch.dir, 'cli');
    const run = await runCli(['forecast', '--input', data.panel, '--horizon', '2', '--output', out]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      `pricecast forecast: features (price, volume, marketCap, rsi(window=14); target price) for 2 assets from ${data.lastDay.AAA}; 2 skipped (CCC, TINY)`,
    );
    expect(run.stdout).toMatch(/\nasset +h +target date +last price +forecast +80% interval +95% interval\n/);
    expect(run.stdout).toMatch(/\nAAA +1 +\d{4}-\d\d-\d\d +\d+\.\d+ +\d+\.\d+ +\d+\.\d+ … \d+\.\d+ /);
    expect(run.stdout).toMatch(/\nBB\.B +2 +\d{4}-\d\d-\d\d /);
    expect(run.stdout).toMatch(/\n {2}BB\.B h=2: on this history \(\d+ days\) this set's forecasts were \d+% (better|worse) than in 2 days = today/);
    expect(run.stdout).toMatch(/\n {2}2 assets at h=1: \d beat tomorrow = today \(\d significantly, DM p < 0\.05; \d significantly worse\); median skill \d+% (better|worse); median 80% coverage \d+%, median 95% coverage \d+%\n/);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^skipped asset CCC: too few rows: expected rows up to the run's origin date ${data.lastDay.AAA}`)),
      'skipped asset TINY: too few rows: expected a history long enough for a 0.95 interval at horizon 1: 19 walk-forward scores are needed, 4 are available',
    ]);

    const json = await runCli(['forecast', '--input', data.panel, '--horizon', '2', '--output', out, '--json', '--progress']);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.assets).toHaveLength(2);
    expect(JSON.parse(await readFile(join(out, `origin_date=${data.lastDay.AAA}`, '_forecast.json'), 'utf8'))).toEqual(doc);
    expect(doc.settings.forecast).toMatchObject({ horizon: 2 });
    // progress only when asked (stderr is not a terminal here), and never on stdout
    expect(json.stderr).toMatch(/^assets 2\/2$/m);
    expect(run.stderr).not.toMatch(/^assets /m);
  }, 60_000);

  it('lists the first assets and counts the rest', async () => {
    const many = writeForecastPanel(
      scratch.dir,
      'many',
      Array.from({ length: 12 }, (_, i) => ({ name: `C${String(i).padStart(2, '0')}`, days: 70, price: 1 + i })),
      11,
    );
    const run = await runCli(['forecast', '--input', many.panel, '--level', '0.8']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^pricecast forecast: .* for 12 assets from /);
    expect(run.stdout).toMatch(/\nC09 +1 /);
    expect(run.stdout).not.toMatch(/\nC10 +1 /);
    expect(run.stdout).toContain('… and 2 more assets (every one in _forecast.json and the table)');
    expect(run.stdout).toMatch(/\n {2}12 assets at h=1: /);
  }, 60_000);

  const bad: [string, () => string[], RegExp][] = [
    ['an unknown asset', () => ['--input', data.panel, '--assets', 'AAA,NOPE'], /column asset: expected --assets to name assets of this file; this one is not in it \(found 4: AAA, BB\.B, CCC, TINY\) \(got "NOPE"\)/],
    ['--assets naming a too-short asset', () => ['--input', data.panel, '--assets', 'TINY,AAA', '--horizon', '3'], /column asset: expected at least 6 fitting rows for 4 features at horizon 3: .* \(got "TINY"\)/],
    ['--assets naming an asset that ends earlier', () => ['--input', data.panel, '--assets', 'AAA,CCC'], /expected rows up to the run's origin date .*--as-of \d{4}-\d\d-\d\d forecasts it from there \(got "CCC"\)/],
    ['no asset left', () => ['--input', data.panel, '--as-of', '2023-01-20'], /expected at least one asset with enough rows to forecast; all 4 were skipped \(AAA: /],
    ['--assets on a file without an asset column', () => ['--input', DEFAULT_CSV, '--assets', 'AAA'], /expected an asset column for --assets to choose from/],
  ];
  it.each(bad)('%s: one line, exit 2, nothing written', async (_label, args, message) => {
    const out = join(scratch.dir, 'refused');
    const run = await runCli(['forecast', ...args(), '--output', out]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
