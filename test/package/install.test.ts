/**
 * The package as a user installs it (docs/install.md): `npm pack` builds and packs the project, the
 * tarball is installed into a scratch npm project, and then
 *   - the tarball holds what runs and nothing of the tests, bench, CI or fixture generators;
 *   - an ESM script imports the library as `pricecast` and gets the same model as the sources;
 *   - a TypeScript file type-checks against the shipped declarations, and a wrong call does not;
 *   - the installed CLI runs from an empty folder (--version, predict, features --json, doctor), with
 *     its cache folder outside the package, and fits a large panel on its worker threads.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/engine/pipeline.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';
import { oneAssetText, panelCsvText } from '../helpers/assetPanel.js';
import { ROOT } from '../helpers/cli.js';
import { installTarball, packProject, type Packed } from '../helpers/installedPackage.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('package');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let packed: Packed;
let project: string;
let installed: { packageDir: string; bin: string };

/** Every file under `dir` with its modification time: to show that running wrote nothing there. */
function snapshot(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), statSync(path).mtimeMs);
    }
  };
  walk(dir);
  return files;
}

/** The installed CLI, run as a user would from `cwd`, with no AWS set-up and the cache under the scratch folder. */
function pricecast(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: join(scratch.dir, 'home'), XDG_CACHE_HOME: join(scratch.dir, 'xdg'), AWS_EC2_METADATA_DISABLED: 'true' };
  const run = spawnSync(installed.bin, args, { cwd, env: { ...base, ...env }, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  packed = packProject(scratch.dir);
  project = join(scratch.dir, 'user-project');
  installed = installTarball(packed.tarball, project);
});

describe('npm pack', () => {
  it('ships the built CLI and library, the default data, the reference job and its scripts, the DAG, README and licence', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'bin/pricecast.js',
      'dist/cli.js',
      'dist/index.js',
      'dist/csvscan-worker.js',
      'dist/experiment-worker.js',
      'dist/panel-worker.js',
      'dist/forecast-worker.js',
      'dist/types/index.d.ts',
      'fixtures/algorand.csv',
      'pyspark/price_regression.py',
      'pyspark/log4j2.properties',
      'pyspark/requirements.txt',
      'pyspark/provision.sh',
      'pyspark/bootstrap.sh',
      'pyspark/wheelhouse.sh',
      'pyspark/wheelhouse.txt',
      'airflow/dags/pricecast_emr.py',
      'airflow/requirements.txt',
      'airflow/provision.sh',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      expect(paths).toContain(needed);
    }
  });

  it('leaves out the tests, the bench, CI, the sources, the fixture generators and the source maps', () => {
    const unwanted = packed.files
      .map((f) => f.path)
      .filter((p) => /^(test|bench|src|\.ci|airflow\/tests)\//.test(p) || /^fixtures\/(?!algorand\.csv$)/.test(p) || p.endsWith('.map'));
    expect(unwanted).toEqual([]);
  });
});

describe('the library, imported as pricecast', () => {
  it('runs runPipeline and runExperiment from an ESM script and gets the model the sources get', async () => {
    const script = join(project, 'use.mjs');
    writeFileSync(
      script,
      `import { runPipeline, runExperiment, parseSetFlag, parseFeatureSpec, DEFAULT_INPUT, VERSION } from 'pricecast';
const { report } = await runPipeline({ input: DEFAULT_INPUT });
const { results } = await runExperiment({ input: DEFAULT_INPUT, sets: [parseSetFlag('base=price,volume,marketCap,rsi')], trainRatio: 0.7, refitEvery: 20, target: 'price' });
console.log(JSON.stringify({ version: VERSION, input: DEFAULT_INPUT, model: report.model, sets: results.sets.map((s) => s.name), items: parseFeatureSpec('price,rsi(window=9)').length }));
`,
    );
    const run = spawnSync(process.execPath, [script], { cwd: project, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.version).toBe(VERSION);
    expect(printed.input).toBe(join(installed.packageDir, 'fixtures', 'algorand.csv'));
    expect(printed.model).toEqual((await runPipeline({ input: ALGORAND_CSV })).report.model);
    expect(printed.sets).toContain('base');
    expect(printed.items).toBe(2);
  });

  it('type-checks a TypeScript file against the shipped declarations, and refuses a wrong call', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false,
          types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['use.ts'],
      }),
    );
    const tsc = (source: string) => {
      writeFileSync(join(project, 'use.ts'), source);
      return spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    };
    const good = tsc(`import { runPipeline, runExperiment, parseSetFlag, InputError, type ModelReport, type PipelineOptions, type ExperimentResults } from 'pricecast';
const options: PipelineOptions = { input: 'prices.csv', seed: 7, split: 'time', features: 'price,rsi(window=9)' };
const report: ModelReport = (await runPipeline(options)).report;
const intercept: number = report.model.intercept;
const results: ExperimentResults = (await runExperiment({ input: 'prices.csv', sets: [parseSetFlag('a=price')], trainRatio: 0.7, refitEvery: 1, target: 'return' })).results;
const isInputError = (e: unknown): boolean => e instanceof InputError && e.line > 0;
console.log(intercept, results.sets.length, isInputError);
`);
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    // The declarations are real types, not `any`: a misspelt option and a wrong split are errors.
    const bad = tsc(`import { runPipeline } from 'pricecast';
await runPipeline({ inptu: 'prices.csv' });
await runPipeline({ input: 'prices.csv', split: 'sideways' });
`);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/inptu/);
    expect(bad.stdout).toMatch(/sideways/);
  });
});

describe('the installed CLI, from an empty folder', () => {
  it('prints its version with --version and -V', () => {
    const empty = join(scratch.dir, 'empty-version');
    mkdirSync(empty);
    for (const flag of ['--version', '-V']) {
      const run = pricecast([flag], empty);
      expect(run.stdout).toBe(`${VERSION}\n`);
      expect(run.code).toBe(0);
    }
  });

  it('runs predict on the bundled data, features --json and doctor, writing nothing inside the package', () => {
    const empty = join(scratch.dir, 'empty-run');
    mkdirSync(empty);
    const before = snapshot(installed.packageDir);

    const predict = pricecast(['predict'], empty);
    expect(predict.stderr).toBe('');
    expect(predict.code).toBe(0);
    expect(predict.stdout).toContain('algorand.csv');
    expect(readdirSync(join(empty, 'out', 'predictions'))).toContain('_model.json');

    const features = pricecast(['features', '--json'], empty);
    expect(features.code).toBe(0);
    expect(JSON.parse(features.stdout).functions.length).toBeGreaterThan(30);

    // doctor: the local commands need Node alone (exit 0); the cache folder of an installed package is
    // the per-user one, and a missing environment's fix builds it there.
    const doctor = pricecast(['doctor', '--json'], empty);
    expect(doctor.code).toBe(0);
    const report = JSON.parse(doctor.stdout);
    expect(report.cache).toBe(join(scratch.dir, 'xdg', 'pricecast'));
    expect(report.ready.predict).toBe(true);
    const pyenv = report.pieces.find((p: { name: string }) => p.name === 'pyenv');
    expect(pyenv.status).toBe('missing');
    expect(pyenv.fix).toBe(`PRICECAST_CACHE=${join(scratch.dir, 'xdg', 'pricecast')} bash ${join(installed.packageDir, 'pyspark', 'provision.sh')}`);
    // parity needs that environment: asked about parity, doctor says no.
    expect(pricecast(['doctor', 'parity'], empty).code).toBe(1);

    expect(snapshot(installed.packageDir)).toEqual(before);
  });

  it('predicts a panel large enough for worker threads (dist/panel-worker.js), each asset as its own file gives', () => {
    const dir = join(scratch.dir, 'panel-run');
    mkdirSync(dir);
    const text = panelCsvText(Array.from({ length: 101 }, (_, k) => ({ name: `C${k}`, days: 2000 })), 9);
    writeFileSync(join(dir, 'panel.csv'), text);
    writeFileSync(join(dir, 'C7.csv'), oneAssetText(text, 'C7'));
    const panel = pricecast(['predict', '--input', 'panel.csv', '--output', 'panel-out', '--json'], dir);
    expect(panel.code, panel.stderr).toBe(0);
    const one = pricecast(['predict', '--input', 'C7.csv', '--output', 'one-out', '--json'], dir);
    expect(one.code, one.stderr).toBe(0);
    const report = JSON.parse(panel.stdout);
    expect(report.assets).toHaveLength(101);
    expect(report.assets.find((a: { asset: string }) => a.asset === 'C7').model).toEqual(JSON.parse(one.stdout).model);
    expect(readdirSync(join(dir, 'panel-out')).filter((name) => name.startsWith('asset='))).toHaveLength(101);
  });
});
