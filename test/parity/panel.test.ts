/**
 * Panels (docs/parity.md#panels): the reference job runs a file of several assets as one grouped map
 * (`groupBy("asset").applyInPandas`), replaying Spark's split and Spark ML's fit inside each group.
 *
 * 1. The grouped path equals Spark ML's own `randomSplit` and `LinearRegression` on one-asset files:
 *    the job's hidden `--as-panel NAME` sends a one-asset file through the grouped map; its asset must
 *    match the ordinary run (Spark ML) on the same file: the same split rows, the fit within the parity
 *    tolerances (Cholesky, the L-BFGS fallback, ridge, the elastic net's OWL-QN, a time split, indicator
 *    features).
 * 2. Parity on panels: the engine's and the job's partitioned outputs compared asset by asset
 *    (src/parity/run.ts comparePanelOutputs): a seeded panel (fixtures/panel.ts) under several settings,
 *    --assets, a fallback asset, and two vendor layouts of several assets (CoinMarketCap's Currency
 *    layout, CryptoDataDownload's symbols); and the refusals both halves word the same.
 *
 * Every run of the job shares one spark-submit (test/py/job_batch.py), as test/parity/inputs.test.ts does.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptodatadownloadPanelCsv, PANEL_ASSET_NAMES, pricecastPanelCsv } from '../../fixtures/panel.js';
import { InputError } from '../../src/engine/errors.js';
import { ingestOptionsOf, type IngestOptions } from '../../src/engine/ingest/input.js';
import { runPredict } from '../../src/engine/panel/panelPipeline.js';
import { compareOutputs, formatParityReport } from '../../src/parity/compare.js';
import { compareEngineWithFolder } from '../../src/parity/compareFolder.js';
import { assetOutput, readPanelOutput } from '../../src/parity/panelFolder.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { comparePanelOutputs } from '../../src/parity/run.js';
import { runSparkJob, SPARK_JOB, sparkSubmitArgs, type SparkJobOptions } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';
import { affineCsv, ALGORAND_CSV, DEFAULT_CSV } from '../helpers/datasets.js';

let work: string;

// ---- the job's runs, all in one spark-submit (test/py/job_batch.py) ---------------------------------------

interface BatchedJob {
  name: string;
  args: () => string[];
}
const JOBS: BatchedJob[] = [];
const batch = { codes: [] as number[], parts: [] as string[] };
const STDERR_MARKER = /^job_batch: case (\d+) ended, exit code -?\d+$/;

const jobOutput = (name: string) => join(work, `job-${name}`);
const file = (name: string) => join(work, name);

/** Registers one run of the job (the flags runSparkJob would pass) and returns its output folder's name. */
function batchJob(name: string, options: Omit<SparkJobOptions, 'output' | 'input'> & { input: () => string; extra?: string[] }): string {
  if (JOBS.some((j) => j.name === name)) throw new Error(`two batched jobs named ${name}`);
  JOBS.push({
    name,
    args: () => {
      const args = sparkSubmitArgs({ ...options, input: options.input(), output: jobOutput(name) });
      return [...args.slice(args.indexOf(SPARK_JOB) + 1), ...(options.extra ?? [])];
    },
  });
  return name;
}

function jobResult(name: string): { code: number; stderr: string } {
  const index = JOBS.findIndex((j) => j.name === name);
  return { code: batch.codes[index], stderr: batch.parts[index] ?? '' };
}

/** The inputs the cases read, written before the batch runs. */
async function writeInputs(): Promise<void> {
  await writeFile(file('panel.csv'), pricecastPanelCsv(1));
  await writeFile(file('cdd-panel.csv'), cryptodatadownloadPanelCsv(2));
  // A panel with a singular asset (a constant volume, marketCap affine in price: Spark's fallback) beside a normal one.
  const affine = (await readFile(affineCsv(work, 'affine.csv', 300, 5), 'utf8'))
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/^([^,]*,[^,]*),[^,]*,/, '$1,1000,'));
  const normal = pricecastPanelCsv(3).trimEnd().split('\n').slice(1).filter((line) => line.endsWith(',BTC'));
  await writeFile(file('fallback-panel.csv'), `date,price,volume,marketCap,asset\n${[...affine.map((l) => `${l},flat`), ...normal].join('\n')}\n`);
  // A bad asset name on line 5.
  const lines = pricecastPanelCsv(1).split('\n');
  lines[4] = lines[4].replace(/,[^,]*$/, ',BT$C');
  await writeFile(file('bad-name.csv'), lines.join('\n'));
}

beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-panel-parity-'));
  await writeInputs();
  const casesFile = join(work, 'batch-cases.json');
  await writeFile(casesFile, JSON.stringify({ cases: JOBS.map((j) => j.args()), stderrMarkers: true }));
  const spark = await runSparkJob({ script: join(ROOT, 'test', 'py', 'job_batch.py'), input: casesFile, output: join(work, 'batch') });
  if (spark.exitCode !== 0) throw new Error(`the batch of jobs failed (exit ${spark.exitCode}):\n${spark.stderr.slice(-3000)}`);
  batch.codes = JSON.parse(await readFile(join(work, 'batch', 'codes.json'), 'utf8')) as number[];
  let part: string[] = [];
  for (const line of spark.stderr.split('\n')) {
    const marker = STDERR_MARKER.exec(line.trim());
    if (marker === null) {
      part.push(line);
      continue;
    }
    batch.parts[Number(marker[1])] = part.join('\n');
    part = [];
  }
  if (batch.codes.length !== JOBS.length) throw new Error(`the batch ran ${batch.codes.length} of ${JOBS.length} jobs:\n${spark.stderr.slice(-3000)}`);
}, 2_700_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Settings = IngestOptions & {
  seed?: number;
  split?: 'random' | 'time';
  trainRatio?: number;
  features?: string;
  regParam?: number;
  elasticNet?: number;
  assets?: string[];
};

/** The engine with the settings a case gave the job (runPredict: one series or a panel, as the input is). */
function engine(input: string, settings: Settings, output?: string) {
  return runPredict({
    input,
    seed: settings.seed,
    split: settings.split,
    trainRatio: settings.trainRatio,
    features: settings.features,
    regParam: settings.regParam,
    elasticNet: settings.elasticNet,
    assets: settings.assets,
    ...ingestOptionsOf(settings),
    output,
  });
}

// ---- 1. the grouped map against Spark ML's own split and fit, on one-asset files --------------------------

describe('the grouped path equals Spark ML on one-asset files', () => {
  const cases: Array<{ name: string; input: () => string; settings: Settings; solver: string }> = [
    { name: 'default', input: () => DEFAULT_CSV, settings: {}, solver: 'cholesky' },
    { name: 'algorand-seed-7-indicators', input: () => ALGORAND_CSV, settings: { seed: 7, features: 'price,volume,rsi(window=9),macd_diff,bollinger_pband' }, solver: 'cholesky' },
    { name: 'affine-fallback', input: () => file('affine.csv'), settings: { seed: 3 }, solver: 'fallback' },
    { name: 'ridge-time-split', input: () => DEFAULT_CSV, settings: { split: 'time', trainRatio: 0.6, regParam: 0.05, elasticNet: 0 }, solver: 'cholesky' },
    { name: 'elastic-net', input: () => ALGORAND_CSV, settings: { regParam: 0.1, elasticNet: 0.5 }, solver: 'owlqn' },
  ];
  for (const c of cases) {
    const options = { input: c.input, ...c.settings };
    batchJob(`sparkml-${c.name}`, options);
    batchJob(`grouped-${c.name}`, { ...options, extra: ['--as-panel', 'one'] });
  }

  it.each(cases.map((c) => [c.name, c] as const))('%s: the same split rows, the fit within the parity tolerances', async (name, c) => {
    for (const job of [`sparkml-${name}`, `grouped-${name}`]) expect(jobResult(job).code, jobResult(job).stderr).toBe(0);
    const grouped = await readPanelOutput(jobOutput(`grouped-${name}`));
    expect(grouped.report.assets.map((a) => a.asset)).toEqual(['one']);
    const { report, reference } = await compareEngineWithFolder(jobOutput(`sparkml-${name}`), assetOutput(grouped, 'one')!);
    const text = formatParityReport(report);
    expect(report.sameTestRows, text).toBe(true);
    expect(report.ok, text).toBe(true);
    expect(reference.report.model.solver).toBe(c.solver);
  });
});

// ---- 2. parity on panels ----------------------------------------------------------------------------------

/** Registers the job's run of a panel case; the check runs the engine likewise and compares the two folders. */
function panelCase(name: string, input: () => string, settings: Settings = {}) {
  batchJob(name, { input, ...settings });
  return async () => {
    const { code, stderr } = jobResult(name);
    expect(code, stderr).toBe(0);
    const out = join(work, `engine-${name}`);
    const result = await engine(input(), settings, out);
    expect(result.kind).toBe('panel');
    const outputs = { engine: await readPanelOutput(out), spark: await readPanelOutput(jobOutput(name)) };
    const report = comparePanelOutputs(outputs.engine, outputs.spark);
    const text = formatParityReport(report);
    expect(report.sameTestRows, text).toBe(true);
    expect(report.ok, text).toBe(true);
    return { report, outputs, stderr };
  };
}

/** Both refuse with exit 2 and the same line (the last of the job's stderr, the engine's InputError). */
function refusalCase(name: string, input: () => string, settings: Settings = {}) {
  batchJob(name, { input, ...settings });
  return async (): Promise<string> => {
    const refused = await engine(input(), settings).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(InputError);
    const { code, stderr } = jobResult(name);
    expect(code, stderr).toBe(2);
    const line = stderr.trim().split('\n').filter((l) => l.trim() !== '').pop();
    expect(line).toBe((refused as InputError).message);
    return line!;
  };
}

describe('parity on a seeded panel (fixtures/panel.ts)', () => {
  const panel = () => file('panel.csv');
  const byDefault = panelCase('panel-default', panel);
  const otherSettings = panelCase('panel-settings', panel, {
    seed: 7,
    split: 'time',
    trainRatio: 0.6,
    features: 'price,volume,rsi(window=9),macd_diff',
    regParam: 0.02,
    elasticNet: 0.5,
    assets: ['SOL 2', 'doge-x_1', 'BTC'],
  });
  const fallback = panelCase('panel-fallback', () => file('fallback-panel.csv'));

  it('every asset as its own series, the short one skipped with the same reason, one line on stderr', async () => {
    const { report, outputs, stderr } = await byDefault();
    const fitted = PANEL_ASSET_NAMES.filter((name) => name !== 'tiny').sort();
    expect(report.assets!.map((a) => a.asset)).toEqual(fitted);
    expect(outputs.spark.report.skipped).toEqual(outputs.engine.report.skipped);
    expect(outputs.spark.report.skipped.map((s) => s.asset)).toEqual(['tiny']);
    expect(stderr).toContain(`skipped asset tiny: ${outputs.spark.report.skipped[0].reason}`);
    // Spark's partitionBy layout: one folder per fitted asset, one part file in each.
    const folders = (await readdir(jobOutput('panel-default'))).filter((n) => n.startsWith('asset=')).sort();
    expect(folders).toEqual(fitted.map((a) => `asset=${a}`).sort());
    // The report's shape is the engine's, key for key.
    const keys = (o: object) => Object.keys(o).sort();
    expect(keys(outputs.spark.report)).toEqual(keys(outputs.engine.report));
    expect(keys(outputs.spark.report.input)).toEqual(keys(outputs.engine.report.input));
    expect(keys(outputs.spark.report.assets[0])).toEqual(keys(outputs.engine.report.assets[0]));
    expect(keys(outputs.spark.report.assets[0].input)).toEqual(keys(outputs.engine.report.assets[0].input));
    expect(outputs.spark.report.engine).toBe('pyspark');
  });

  it('--assets chooses assets; another seed, a time split, indicator features and the elastic net (OWL-QN)', async () => {
    const { report, outputs } = await otherSettings();
    expect(report.assets!.map((a) => a.asset)).toEqual(['BTC', 'SOL 2', 'doge-x_1']);
    expect(outputs.spark.report.assets.map((a) => a.model.solver)).toEqual(['owlqn', 'owlqn', 'owlqn']);
  });

  it("a singular asset takes Spark's L-BFGS fallback in both, its neighbour Cholesky", async () => {
    const { outputs } = await fallback();
    const solvers = Object.fromEntries(outputs.spark.report.assets.map((a) => [a.asset, a.model.solver]));
    expect(solvers).toEqual({ BTC: 'cholesky', flat: 'fallback' });
    const flat = compareOutputs(assetOutput(outputs.engine, 'flat')!, assetOutput(outputs.spark, 'flat')!);
    expect(flat.ok, formatParityReport(flat)).toBe(true);
  });
});

describe('parity on vendor files of several assets', () => {
  const tenCoins = () => join(ROOT, 'fixtures', 'vendors', 'coinmarketcap-multi-ten-coins.csv');
  const coinmarketcap = panelCase('vendor-coinmarketcap-multi', tenCoins, { missing: 'drop' });
  const cryptodatadownload = panelCase('vendor-cryptodatadownload', () => file('cdd-panel.csv'));

  it("CoinMarketCap's Currency layout, ten coins, --missing drop", async () => {
    const { report, outputs } = await coinmarketcap();
    expect(report.assets!.length).toBe(10);
    expect(outputs.spark.report.input.layout).toBe('coinmarketcap-multi');
  });

  it("CryptoDataDownload's export of three symbols: each symbol's repeated day collapsed on its own", async () => {
    const { report, outputs } = await cryptodatadownload();
    expect(report.assets!.map((a) => a.asset)).toEqual(['BTCUSDT', 'ETHUSDT', 'XRPUSDT']);
    for (const entry of outputs.spark.report.assets) expect(entry.input.duplicateDatesCollapsed.count).toBe(1);
  });
});

describe('refusals both halves word the same', () => {
  const panel = () => file('panel.csv');
  const unknown = refusalCase('refuse-unknown-asset', panel, { assets: ['BTC', 'ADA'] });
  const namedShort = refusalCase('refuse-named-short', panel, { assets: ['BTC', 'tiny'] });
  const badName = refusalCase('refuse-bad-name', () => file('bad-name.csv'));
  const missing = refusalCase('refuse-missing', () => join(ROOT, 'fixtures', 'vendors', 'coinmarketcap-multi-ten-coins.csv'));

  it('an --assets name not in the file, listing the names found', async () => {
    expect(await unknown()).toContain('ADA');
  });
  it('an asset --assets named that has too few rows', async () => {
    expect(await namedShort()).toContain('tiny');
  });
  it('an asset name outside [A-Za-z0-9._ -], naming its line', async () => {
    expect(await badName()).toMatch(/bad-name\.csv:5: column asset: expected an asset name/);
  });
  it('a missing value (--missing error), naming its line', async () => {
    expect(await missing()).toContain('--missing');
  });
});
