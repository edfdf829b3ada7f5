/**
 * predict on a panel (docs/output.md#panels): each asset fitted exactly as a file of its own rows would
 * be (bit for bit, on this thread and on worker threads), Spark's partitionBy("asset") layout read as
 * one table by Spark, pyarrow, pandas and DuckDB, and the panel's bad input refused with one line,
 * exit 2 and nothing written.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../../src/engine/pipeline.js';
import { runPredict, type PanelModelReport } from '../../../src/engine/panel/panelPipeline.js';
import { InputError } from '../../../src/engine/errors.js';
import { ensurePythonEnv, type PythonEnv } from '../../../src/parity/pyenv.js';
import { CRYPTODATADOWNLOAD_SYMBOLS, cryptodatadownloadPanelCsv } from '../../../fixtures/panel.js';
import { oneAssetText, panelCsvText, type PanelAsset } from '../../helpers/assetPanel.js';
import { runCli } from '../../helpers/cli.js';
import { runPython } from '../../helpers/python.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('panel-predict');

const ASSETS: PanelAsset[] = [
  { name: 'AAA', days: 300 },
  { name: 'B b', days: 200, start: 50 },
  { name: 'c.x-1_', days: 120, start: 10 },
  { name: 'tiny', days: 15 },
];

async function partFile(dir: string): Promise<Buffer> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.parquet'));
  expect(names).toHaveLength(1);
  return readFile(join(dir, names[0]));
}

describe('a panel is N one-asset runs', () => {
  it('each asset: the same model, metrics and Parquet bytes as its own file; too-short assets skipped', async () => {
    const text = panelCsvText(ASSETS, 11);
    const input = await scratch.file(text, 'panel.csv');
    const output = join(scratch.dir, 'panel-out');
    const result = await runPredict({ input, output });
    expect(result.kind).toBe('panel');
    if (result.kind !== 'panel') return;
    const report = JSON.parse(await readFile(join(output, '_model.json'), 'utf8')) as PanelModelReport;
    expect(report.assets.map((a) => a.asset)).toEqual(['AAA', 'B b', 'c.x-1_']);
    expect(report.skipped).toEqual([{ asset: 'tiny', reason: expect.stringMatching(/^too few rows: expected .*found 15/) }]);
    expect((await readdir(output)).sort()).toEqual(['_SUCCESS', '_model.json', 'asset=AAA', 'asset=B b', 'asset=c.x-1_']);
    for (const entry of report.assets) {
      const own = await scratch.file(oneAssetText(text, entry.asset), `${entry.asset}.csv`);
      const single = await runPipeline({ input: own, output: join(scratch.dir, `one-${entry.asset}`) });
      expect(entry.model).toEqual(single.report.model);
      expect(entry.training).toEqual(single.report.training);
      expect(entry.test).toEqual(single.report.test);
      expect(entry.rows).toEqual(single.report.rows);
      expect(await partFile(join(output, `asset=${entry.asset}`))).toEqual(await partFile(join(scratch.dir, `one-${entry.asset}`)));
    }
  });

  it('on worker threads (a panel of 220,000 rows): the same entries as one-asset runs', async () => {
    const many: PanelAsset[] = Array.from({ length: 110 }, (_, k) => ({ name: `A${String(k).padStart(3, '0')}`, days: 2000 }));
    const text = panelCsvText(many, 5);
    const input = await scratch.file(text, 'big.csv');
    const result = await runPredict({ input });
    if (result.kind !== 'panel') throw new Error('not a panel');
    expect(result.report.assets).toHaveLength(110);
    for (const name of ['A000', 'A057', 'A109']) {
      const single = await runPipeline({ input: await scratch.file(oneAssetText(text, name), `${name}.csv`) });
      const entry = result.report.assets.find((a) => a.asset === name)!;
      expect(entry.model).toEqual(single.report.model);
      expect(entry.test).toEqual(single.report.test);
    }
  }, 120_000);

  it('a CryptoDataDownload file of several symbols: each symbol as a file of its own lines gives', async () => {
    const text = cryptodatadownloadPanelCsv(3);
    const input = await scratch.file(text, 'cdd-panel.csv');
    const result = await runPredict({ input });
    if (result.kind !== 'panel') throw new Error('not a panel');
    expect(result.report.input.layout).toBe('cryptodatadownload');
    expect(result.report.assets.map((a) => a.asset)).toEqual([...CRYPTODATADOWNLOAD_SYMBOLS].sort());
    const [banner, header, ...rows] = text.trimEnd().split('\n');
    for (const symbol of CRYPTODATADOWNLOAD_SYMBOLS) {
      const own = await scratch.file(`${[banner, header, ...rows.filter((row) => row.split(',')[2] === symbol)].join('\n')}\n`, `cdd-${symbol}.csv`);
      const single = await runPipeline({ input: own });
      const entry = result.report.assets.find((a) => a.asset === symbol)!;
      expect(entry.model).toEqual(single.report.model);
      expect(entry.rows).toEqual(single.report.rows);
    }
  });

  it('open/high/low under --ohlc-check off: each asset counts its own inconsistent rows', async () => {
    const [header, ...rows] = panelCsvText(ASSETS.slice(0, 2), 13).trimEnd().split('\n');
    let bad = 0;
    const lines = rows.map((row) => {
      const cells = row.split(',');
      const price = Number(cells[1]);
      const broken = cells[4] === 'AAA' && bad < 3 && Number(cells[0].slice(-2)) % 7 === 0 && ++bad > 0;
      return `${row},${price},${broken ? price * 0.5 : price * 1.01},${price * 0.99}`;
    });
    const text = `${[`${header},open,high,low`, ...lines].join('\n')}\n`;
    const input = await scratch.file(text, 'ohlc-panel.csv');
    const result = await runPredict({ input, ohlcCheck: 'off' });
    if (result.kind !== 'panel') throw new Error('not a panel');
    const counts = Object.fromEntries(result.report.assets.map((a) => [a.asset, a.input.ohlcInconsistentRows]));
    expect(counts).toEqual({ AAA: 3, 'B b': 0 });
    const own = await runPipeline({ input: await scratch.file(oneAssetText(text, 'AAA'), 'ohlc-aaa.csv'), ohlcCheck: 'off' });
    expect(own.report.input.ohlcInconsistentRows).toBe(3);
  });

  it('runPipeline refuses a panel (one model across assets would be silently wrong), and takes one asset it is told', async () => {
    const text = panelCsvText(ASSETS, 11);
    const input = await scratch.file(text, 'refused.csv');
    await expect(runPipeline({ input })).rejects.toBeInstanceOf(InputError);
    const chosen = await runPipeline({ input, assets: ['B b'] });
    const own = await runPipeline({ input: await scratch.file(oneAssetText(text, 'B b'), 'bb.csv') });
    expect(chosen.report.model).toEqual(own.report.model);
  });
});

describe('the CLI on a panel', () => {
  let input = '';
  beforeAll(async () => {
    input = await scratch.file(panelCsvText(ASSETS, 11), 'cli.csv');
  });

  it('--assets picks assets; --progress reports assets done on stderr; the summary lists the assets', async () => {
    const output = join(scratch.dir, 'cli-some');
    const run = await runCli(['predict', '--input', input, '--output', output, '--assets', 'c.x-1_,AAA', '--progress']);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(output)).sort()).toEqual(['_SUCCESS', '_model.json', 'asset=AAA', 'asset=c.x-1_']);
    expect(run.stderr).toMatch(/^assets 2\/2$/m);
    expect(run.stdout).toMatch(/2 fitted, 0 skipped, of 4 in the file/);
    expect(run.stdout).toMatch(/^ {2}AAA /m);
  });

  it.each([
    ['an unknown --assets name, listing the names found', ['--assets', 'AAA,ZZZ'], /cli\.csv: column asset: expected --assets to name assets of this file; this one is not in it \(found 4: AAA, B b, c\.x-1_, tiny\) \(got "ZZZ"\)/],
    ['an asset --assets names that is too short', ['--assets', 'tiny'], /column asset: expected at least .*found 15 \(got "tiny"\)/],
  ])('%s: exit 2, one line, nothing written', async (_what, args, message) => {
    const output = join(scratch.dir, `refused-${args[1]}`);
    const run = await runCli(['predict', '--input', input, '--output', output, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(existsSync(output)).toBe(false);
  });

  it('a bad asset name is refused naming its line; a panel with no asset to fit is refused', async () => {
    const text = panelCsvText(ASSETS, 11).replace(/,tiny\n/, ',ti/ny\n');
    const line = text.split('\n').findIndex((row) => row.endsWith('ti/ny')) + 1;
    const bad = await scratch.file(text, 'badname.csv');
    const output = join(scratch.dir, 'badname-out');
    const run = await runCli(['predict', '--input', bad, '--output', output]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `pricecast: ${bad}:${line}: column asset: expected an asset name of letters, digits, dots, underscores, hyphens or spaces ([A-Za-z0-9._ -]+) (got "ti/ny")`,
    );
    const short = await scratch.file(panelCsvText([{ name: 'x', days: 12 }, { name: 'y', days: 20 }], 3), 'short.csv');
    const none = await runCli(['predict', '--input', short, '--output', output]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toMatch(/expected at least one asset with enough rows to fit and test; all 2 were skipped/);
    expect(existsSync(output)).toBe(false);
  });

  it('a panel output replaces a one-asset output and back; a partition holding a foreign file is refused and left alone', async () => {
    const output = join(scratch.dir, 'swap');
    const single = await scratch.file(oneAssetText(panelCsvText(ASSETS, 11), 'AAA'), 'single.csv');
    expect((await runCli(['predict', '--input', single, '--output', output])).code).toBe(0);
    expect((await runCli(['predict', '--input', input, '--output', output])).code).toBe(0);
    expect(await readdir(output)).toContain('asset=AAA');
    expect((await runCli(['predict', '--input', single, '--output', output])).code).toBe(0);
    expect((await readdir(output)).filter((name) => name.startsWith('asset='))).toEqual([]);
    expect((await runCli(['predict', '--input', input, '--output', output])).code).toBe(0);
    await writeFile(join(output, 'asset=AAA', 'notes.txt'), 'mine');
    const refused = await runCli(['predict', '--input', input, '--output', output]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not a pricecast output \(it also holds asset=AAA\/notes\.txt\)/);
    expect(await readFile(join(output, 'asset=AAA', 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('the panel output as readers see it', () => {
  let env: PythonEnv;
  beforeAll(async () => {
    env = await ensurePythonEnv();
  });

  it('Spark, pyarrow, pandas and DuckDB read one table with an asset column', async () => {
    const input = await scratch.file(panelCsvText(ASSETS, 11), 'readers.csv');
    const output = join(scratch.dir, 'readers-out');
    await mkdir(scratch.dir, { recursive: true });
    const result = await runPredict({ input, output });
    if (result.kind !== 'panel') throw new Error('not a panel');
    const script = `
import json, sys
import pyarrow.parquet as pq, pandas as pd, duckdb
from pyspark.sql import SparkSession
d = sys.argv[1]
t = pq.read_table(d).to_pandas()
p = pd.read_parquet(d)
q = duckdb.sql(f"select * from read_parquet('{d}/*/*.parquet', hive_partitioning=true)").df()
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
s = spark.read.parquet(d).toPandas()
spark.stop()
def rows(frame):
    frame = frame.assign(asset=frame["asset"].astype(str), date=frame["date"].astype(str).str[:10]).sort_values(["asset", "date"])
    return [[r["asset"], r["date"], float(r["next_price"]), float(r["prediction"])] for _, r in frame.iterrows()]
print(json.dumps({"pyarrow": rows(t), "pandas": rows(p), "duckdb": rows(q), "spark": rows(s)}))
`;
    const file = await scratch.file(script, 'readers.py');
    const read = JSON.parse(await runPython(env, [file, output])) as Record<string, [string, string, number, number][]>;
    const testRows = result.report.assets.reduce((sum, a) => sum + a.rows.test, 0);
    expect(read.pyarrow).toHaveLength(testRows);
    expect(new Set(read.pyarrow.map((r) => r[0]))).toEqual(new Set(['AAA', 'B b', 'c.x-1_']));
    for (const reader of ['pandas', 'duckdb', 'spark']) expect(read[reader], reader).toEqual(read.pyarrow);
  }, 240_000);
});
