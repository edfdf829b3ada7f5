/**
 * Parity of the experiment (docs/parity.md#the-experiment-job): the reference walk-forward job
 * (`pyspark/walk_forward.py`) and the engine's `runExperiment` (a panel: `runPanelExperiment`) on the same
 * input, sets and settings, their results.json compared number by number.
 *
 *   every metric of every set (and of persistence), per asset on a panel: rmse, mae, mape, r2,
 *   directionalAccuracy, skill, dm.statistic, dm.pValue; the panel test's medianSkill, dm.statistic,
 *   dm.pValue                                                      relative 1e-9 (null only against null)
 *   everything else: the settings, input facts, row counts and test dates, set names, features and
 *   penalties, assets, skipped assets and reasons, panel counts, and the keys of the two files   equal
 *
 * The relative difference is |a − b| / max(|a|, |b|), 0 when a = b. The engine runs without the screening
 * (which the job does not compute) and on one thread. The job runs once per case, or with `batchScript`
 * (test/py/walk_forward_batch.py) every case in one spark-submit, so Spark starts once.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestOptions } from '../engine/ingest/input.js';
import type { ExperimentResults, PanelResults } from '../experiment/results.js';
import { runExperiment, runPanelExperiment, type ExperimentOptions } from '../experiment/run.js';
import { parseSetFlag } from '../experiment/sets.js';
import type { Target } from '../experiment/target.js';
import { PROJECT_ROOT } from './pyenv.js';
import { runSparkJob, type SparkJobResult } from './spark.js';

export const WALK_FORWARD_JOB = join(PROJECT_ROOT, 'pyspark', 'walk_forward.py');

/** Every metric and test statistic: relative (docs/parity.md#the-experiment-job). */
export const EXPERIMENT_TOLERANCE = 1e-9;

export interface ExperimentParityCase {
  /** A label for reports. */
  name: string;
  input: string;
  /** `--set` texts: `NAME=SPEC`, optionally `;regParam=λ` and `;elasticNet=α`. */
  sets: string[];
  trainRatio?: number;
  refitEvery?: number;
  target?: Target;
  /** How the input is read; the job takes the same flags. */
  ingest?: Pick<IngestOptions, 'format' | 'columns' | 'thousands' | 'missing' | 'ohlcCheck'>;
  /** `--assets`: on a panel, only these. */
  assets?: string[];
  /** The input is a panel: the engine's side is `runPanelExperiment`. */
  panel?: boolean;
}

/** The job's flags for a case (after `--input` and `--output`). */
export function walkForwardFlags(c: ExperimentParityCase): string[] {
  const flags = c.sets.flatMap((set) => ['--set', set]);
  flags.push('--train-ratio', String(c.trainRatio ?? 0.7), '--refit-every', String(c.refitEvery ?? 1), '--target', c.target ?? 'price');
  const ingest = c.ingest ?? {};
  if (ingest.format !== undefined && ingest.format !== 'auto') flags.push('--format', ingest.format);
  if (typeof ingest.columns === 'string') flags.push('--columns', ingest.columns);
  else if (ingest.columns != null) flags.push('--columns', Object.entries(ingest.columns).map(([k, v]) => `${k}=${v}`).join(','));
  if (ingest.thousands != null) flags.push('--thousands', ingest.thousands);
  if (ingest.missing !== undefined) flags.push('--missing', ingest.missing);
  if (ingest.ohlcCheck === 'off') flags.push('--ohlc-check', 'off');
  if (c.assets !== undefined && c.assets.length > 0) flags.push('--assets', c.assets.join(','));
  return flags;
}

/** The job's whole command line for a case. */
export function walkForwardArgs(c: ExperimentParityCase, output: string): string[] {
  return ['--input', c.input, '--output', output, ...walkForwardFlags(c)];
}

/**
 * An argument file for `walk_forward.py --input @FILE --output DIR` (argparse's fromfile_prefix_chars: the
 * file's lines stand where `@FILE` is, one argument a line): the input, then the case's flags.
 */
export function walkForwardArgumentFile(c: ExperimentParityCase): string {
  return `${[c.input, ...walkForwardFlags(c)].join('\n')}\n`;
}

/** The engine's results for a case, as results.json holds them (non-finite numbers null). */
export async function engineExperiment(c: ExperimentParityCase): Promise<ExperimentResults | PanelResults> {
  const options: ExperimentOptions = {
    input: c.input,
    sets: c.sets.map(parseSetFlag),
    trainRatio: c.trainRatio ?? 0.7,
    refitEvery: c.refitEvery ?? 1,
    target: c.target ?? 'price',
    ingest: c.ingest,
    assets: c.assets,
    screen: false,
    threads: 1,
  };
  const results = c.panel ? (await runPanelExperiment(options)).results : (await runExperiment(options)).results;
  return JSON.parse(JSON.stringify(results)) as ExperimentResults | PanelResults;
}

export interface JobRun {
  /** The job's exit code for this case: 0 done, 2 refused (bad input, a bad set or flag). */
  exitCode: number;
  /** Its results.json, when it wrote one. */
  results: ExperimentResults | PanelResults | null;
  output: string;
}

/**
 * Runs the job on every case, each into `workDir/<index>`: with `batchScript`, all in one spark-submit
 * (the script reads a JSON list of command lines and writes their exit codes to `codes.json`); else one
 * spark-submit per case, its flags passed in an argument file (`--input @FILE`).
 */
export async function runWalkForwardJobs(
  cases: readonly ExperimentParityCase[],
  workDir: string,
  options: { batchScript?: string; signal?: AbortSignal } = {},
): Promise<{ runs: JobRun[]; spark: SparkJobResult[] }> {
  await mkdir(workDir, { recursive: true });
  const outputs = cases.map((_, i) => join(workDir, String(i)));
  const spark: SparkJobResult[] = [];
  let codes: number[];
  if (options.batchScript !== undefined) {
    const casesFile = join(workDir, 'cases.json');
    await writeFile(casesFile, JSON.stringify(cases.map((c, i) => walkForwardArgs(c, outputs[i]))));
    const batch = join(workDir, 'batch');
    const run = await runSparkJob({ script: options.batchScript, input: casesFile, output: batch, signal: options.signal });
    spark.push(run);
    if (run.exitCode !== 0) throw new Error(`the batch of walk-forward jobs failed (exit ${run.exitCode}):\n${run.stderr.slice(-3000)}`);
    codes = JSON.parse(await readFile(join(batch, 'codes.json'), 'utf8')) as number[];
  } else {
    codes = [];
    for (const [i, c] of cases.entries()) {
      const argsFile = join(workDir, `${i}.args`);
      await writeFile(argsFile, walkForwardArgumentFile(c));
      const run = await runSparkJob({ script: WALK_FORWARD_JOB, input: `@${argsFile}`, output: outputs[i], signal: options.signal });
      spark.push(run);
      codes.push(run.exitCode);
    }
  }
  const runs = await Promise.all(
    outputs.map(async (output, i): Promise<JobRun> => {
      const results = codes[i] === 0 ? (JSON.parse(await readFile(join(output, 'results.json'), 'utf8')) as ExperimentResults | PanelResults) : null;
      return { exitCode: codes[i], results, output };
    }),
  );
  return { runs, spark };
}

export interface NumberComparison {
  /** Where in results.json, e.g. `assets[BTC].sets[base].metrics.dm.pValue`. */
  path: string;
  engine: number | null;
  spark: number | null;
  relative: number;
  ok: boolean;
}

export interface FactMismatch {
  path: string;
  engine: unknown;
  spark: unknown;
}

export interface ExperimentParityReport {
  ok: boolean;
  tolerance: number;
  /** Every number compared. */
  numbers: NumberComparison[];
  /** The largest relative difference (0 when every number is equal). */
  worst: NumberComparison | null;
  /** Facts that differ (none when ok). */
  facts: FactMismatch[];
}

/** |a − b| / max(|a|, |b|); 0 when equal; null against null is equal, null against a number is not. */
function relativeDifference(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null || b === null) return Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

const METRICS = ['rmse', 'mae', 'mape', 'r2', 'directionalAccuracy', 'skill'] as const;
const SERIES_FACTS = ['rows', 'trainRows', 'testRows', 'firstTestDate', 'lastTestDate'] as const;
const SETTINGS = ['tool', 'command', 'trainRatio', 'refitEvery', 'target', 'window', 'baseline'] as const;

type Json = Record<string, unknown>;

/** Compares the job's results.json with the engine's (both as parsed JSON). */
export function compareExperimentResults(engine: unknown, spark: unknown, tolerance = EXPERIMENT_TOLERANCE): ExperimentParityReport {
  const numbers: NumberComparison[] = [];
  const facts: FactMismatch[] = [];
  const fact = (path: string, a: unknown, b: unknown) => {
    if (stableJson(a) !== stableJson(b)) facts.push({ path, engine: a, spark: b });
  };
  const number = (path: string, a: unknown, b: unknown) => {
    if ((a !== null && typeof a !== 'number') || (b !== null && typeof b !== 'number')) return fact(path, a, b);
    const relative = relativeDifference(a, b);
    numbers.push({ path, engine: a, spark: b, relative, ok: relative <= tolerance });
  };
  const dm = (path: string, a: Json | null, b: Json | null) => {
    if (a === null || b === null) return fact(path, a, b);
    number(`${path}.statistic`, a.statistic, b.statistic);
    number(`${path}.pValue`, a.pValue, b.pValue);
  };
  const series = (path: string, a: Json, b: Json) => {
    for (const key of SERIES_FACTS) fact(`${path}${key}`, a[key], b[key]);
    const setsA = a.sets as Json[];
    const setsB = (b.sets ?? []) as Json[];
    fact(`${path}sets (names)`, setsA.map((s) => s.name), setsB.map((s) => s.name));
    for (const setA of setsA) {
      const setB = setsB.find((s) => s.name === setA.name);
      if (setB === undefined) continue;
      const at = `${path}sets[${String(setA.name)}]`;
      for (const key of ['features', 'regParam', 'elasticNet']) fact(`${at}.${key}`, setA[key], setB[key]);
      const ma = setA.metrics as Json;
      const mb = setB.metrics as Json;
      for (const key of METRICS) number(`${at}.metrics.${key}`, ma[key], mb[key]);
      dm(`${at}.metrics.dm`, ma.dm as Json | null, mb.dm as Json | null);
    }
  };

  const a = engine as Json;
  const b = spark as Json;
  fact('keys', keyPaths(a), keyPaths(b));
  for (const key of SETTINGS) fact(key, a[key], b[key]);
  fact('input', a.input, b.input);
  if (!('assets' in a)) series('', a, b);
  else {
    const assetsA = a.assets as Json[];
    const assetsB = (b.assets ?? []) as Json[];
    fact('assets (names)', assetsA.map((x) => x.asset), assetsB.map((x) => x.asset));
    for (const assetA of assetsA) {
      const assetB = assetsB.find((x) => x.asset === assetA.asset);
      if (assetB !== undefined) series(`assets[${String(assetA.asset)}].`, assetA, assetB);
    }
    fact('skipped', a.skipped, b.skipped);
    const panelA = a.panel as Json;
    const panelB = (b.panel ?? {}) as Json;
    fact('panel.leftOut', panelA.leftOut, panelB.leftOut);
    const setsA = panelA.sets as Json[];
    const setsB = (panelB.sets ?? []) as Json[];
    fact('panel.sets (names)', setsA.map((s) => s.name), setsB.map((s) => s.name));
    for (const setA of setsA) {
      const setB = setsB.find((s) => s.name === setA.name);
      if (setB === undefined) continue;
      const at = `panel.sets[${String(setA.name)}]`;
      for (const key of ['assets', 'assetsBeatingPersistence']) fact(`${at}.${key}`, setA[key], setB[key]);
      number(`${at}.medianSkill`, setA.medianSkill, setB.medianSkill);
      const dmA = setA.dm as Json;
      const dmB = setB.dm as Json;
      fact(`${at}.dm.dates`, dmA.dates, dmB.dates);
      dm(`${at}.dm`, dmA, dmB);
    }
  }
  const worst = numbers.reduce<NumberComparison | null>((w, d) => (w === null || d.relative > w.relative ? d : w), null);
  return { ok: facts.length === 0 && numbers.every((d) => d.ok), tolerance, numbers, worst, facts };
}

/** JSON with object keys sorted, so that key order never counts as a difference. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  ) ?? 'undefined';
}

/** Every key path of a JSON value, array elements as `[]`, sorted: what "the same keys" means. */
export function keyPaths(value: unknown, prefix = ''): string[] {
  const paths = new Set<string>();
  const visit = (v: unknown, at: string) => {
    if (Array.isArray(v)) v.forEach((item) => visit(item, `${at}[]`));
    else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        paths.add(`${at}.${key}`);
        visit(child, `${at}.${key}`);
      }
    }
  };
  visit(value, prefix);
  return [...paths].sort();
}

/** The report as text: the verdict, the worst difference, every failure. */
export function formatExperimentParity(report: ExperimentParityReport): string {
  const lines = [
    `${report.ok ? 'parity holds' : 'PARITY FAILS'}: ${report.numbers.length} numbers within ${report.tolerance} relative` +
      (report.worst ? ` (worst ${report.worst.relative.toExponential(2)} at ${report.worst.path})` : ''),
  ];
  for (const d of report.numbers.filter((n) => !n.ok)) lines.push(`  ✗ ${d.path}: engine ${d.engine}, job ${d.spark} (relative ${d.relative})`);
  for (const f of report.facts) lines.push(`  ✗ ${f.path}: engine ${JSON.stringify(f.engine)}, job ${JSON.stringify(f.spark)}`);
  return lines.join('\n');
}

export interface ExperimentParityOutcome {
  case: ExperimentParityCase;
  job: JobRun;
  /** The engine's results (null when the job refused the case: nothing to compare). */
  engine: ExperimentResults | PanelResults | null;
  report: ExperimentParityReport | null;
}

/**
 * The job on every case (see runWalkForwardJobs), then the engine on each case the job ran, and the
 * comparison; `spark` holds the spark-submit runs (their stderr has the job's refusal lines). With
 * `workDir` the job's folders stay there; without, they go to a temporary folder, removed at the end.
 */
export async function runExperimentParity(
  cases: readonly ExperimentParityCase[],
  options: { batchScript?: string; signal?: AbortSignal; workDir?: string; tolerance?: number } = {},
): Promise<{ outcomes: ExperimentParityOutcome[]; spark: SparkJobResult[] }> {
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'pricecast-experiment-parity-')));
  try {
    const { runs, spark } = await runWalkForwardJobs(cases, workDir, options);
    const outcomes: ExperimentParityOutcome[] = [];
    for (const [i, c] of cases.entries()) {
      const job = runs[i];
      if (job.results === null) {
        outcomes.push({ case: c, job, engine: null, report: null });
        continue;
      }
      const engine = await engineExperiment(c);
      outcomes.push({ case: c, job, engine, report: compareExperimentResults(engine, job.results, options.tolerance) });
    }
    return { outcomes, spark };
  } finally {
    if (options.workDir === undefined) await rm(workDir, { recursive: true, force: true });
  }
}
