/**
 * `--command experiment` on EMR: the reference walk-forward job (pyspark/walk_forward.py, with
 * price_regression.py beside it through `--py-files`) writes results.json; this module checks what comes
 * back with the parity suite's own pieces (src/parity/experimentParity.ts, docs/parity.md#the-experiment-job):
 * the engine's experiment on the same input and settings, and the comparison of the two results.json
 * (every metric and test statistic within 1e-9 relative, every fact equal). What the job is given is
 * experimentArgs.ts (light: the plan needs it, and must not pull in the engine's experiment).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { RESULTS_FILE } from '../experiment/folder.js';
import { compareExperimentResults, engineExperiment, type ExperimentParityCase, type ExperimentParityReport } from '../parity/experimentParity.js';
import type { EmrExperimentSettings, ExperimentInputSettings } from './experimentArgs.js';
import { withRunInput } from './fetch.js';
import type { RunManifest } from './plan.js';
import { localFileFacts } from './stage.js';

/** The parity case of a run: its input (a local file), its experiment settings and its input reading. */
export function experimentCase(input: string, experiment: EmrExperimentSettings, job: ExperimentInputSettings): ExperimentParityCase {
  const ingest: ExperimentParityCase['ingest'] = {};
  if (job.format != null) ingest.format = job.format as never;
  if (job.columns != null) ingest.columns = job.columns as never;
  if (job.thousands != null) ingest.thousands = job.thousands as never;
  if (job.missing != null) ingest.missing = job.missing as never;
  if (job.ohlcCheck != null) ingest.ohlcCheck = job.ohlcCheck as never;
  return {
    name: 'emr',
    input,
    sets: experiment.sets,
    trainRatio: experiment.trainRatio,
    refitEvery: experiment.refitEvery,
    target: experiment.target,
    ingest,
    ...(job.assets != null && job.assets.length > 0 ? { assets: [...job.assets] } : {}),
  };
}

export interface ExperimentCompareOutcome {
  report: ExperimentParityReport;
  /** Whether the job's results.json was a panel's (one entry per asset). */
  panel: boolean;
}

/**
 * Runs the engine's experiment on `input` with the run's settings and compares it with the fetched
 * results.json. Refuses when `input` is not the file the job read (its sha256 differs).
 */
export async function compareExperimentWithEngine(
  outputDir: string,
  input: string,
  experiment: EmrExperimentSettings,
  job: ExperimentInputSettings,
): Promise<ExperimentCompareOutcome> {
  const spark = JSON.parse(await readFile(join(outputDir, RESULTS_FILE), 'utf8')) as {
    input?: { sha256?: string };
    assets?: unknown;
  };
  const sha = (await localFileFacts(input)).sha256;
  if (spark.input?.sha256 !== undefined && spark.input.sha256 !== sha) {
    throw new UsageError(
      `${input} is not the file the job ran on (sha256 ${sha.slice(0, 12)}…, results.json says ${spark.input.sha256.slice(0, 12)}…)`,
    );
  }
  // A panel's results.json lists its assets (docs/experiment.md#what-a-panel-writes).
  const panel = Array.isArray(spark.assets);
  const engine = await engineExperiment({ ...experimentCase(input, experiment, job), panel });
  return { report: compareExperimentResults(engine, spark), panel };
}

/**
 * The run's comparison: the engine's experiment with the settings run.json records, on `localInput` or
 * the run's staged copy, against the fetched results.json.
 */
export async function compareExperimentRun(
  s3: S3Client,
  outputDir: string,
  manifest: RunManifest,
  localInput: string | null,
): Promise<ExperimentCompareOutcome> {
  const experiment = manifest.experiment;
  if (experiment === undefined) throw new UsageError(`run ${manifest.runId}'s run.json records no experiment settings`);
  return withRunInput(s3, manifest, localInput, (input) => compareExperimentWithEngine(outputDir, input, experiment, manifest.job));
}
