/**
 * Bringing a run's output home and checking it: download the S3 output folder to a local folder
 * (atomically: into a temporary sibling, then renamed into place, so an interrupted download leaves
 * no half folder and an earlier output stays intact), then run the local engine on the same input,
 * seed and split, and compare the two with the parity report.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { UsageError } from '../engine/errors.js';
import { assertReplaceable, commitFolder, exists, SPARK_LAYOUT, type OutputLayout } from '../engine/output/folder.js';
import { EXPERIMENT_LAYOUT } from '../experiment/folder.js';
import { formatFeatureItem } from '../engine/features/spec.js';
import { runPipeline, type PipelineOptions } from '../engine/pipeline.js';
import type { ParityReport } from '../parity/compare.js';
import { compareEngineWithFolder } from '../parity/compareFolder.js';
import { MANIFEST_NAME, parseS3Uri, s3Uri, type RunManifest } from './plan.js';
import { localFileFacts } from './stage.js';
import { listKeys } from './s3List.js';

export interface DownloadResult {
  dir: string;
  /** Relative paths of the files written. */
  files: string[];
}

/** The local folder's layout for a run's output: predict's Spark folder, or the experiment's results.json. */
export function runOutputLayout(manifest: Pick<RunManifest, 'command'> | null): OutputLayout {
  return manifest?.command === 'experiment' ? EXPERIMENT_LAYOUT : SPARK_LAYOUT;
}

/**
 * Downloads every object under `uri` (a folder) into `localDir`, atomically; the folder must hold the
 * layout's completion file (predict's _SUCCESS, the experiment's results.json), and an existing
 * `localDir` is replaced only if it holds an earlier output of that layout.
 */
export async function downloadPrefix(
  s3: S3Client,
  uri: string,
  localDir: string,
  log: (line: string) => void = () => {},
  layout: OutputLayout = SPARK_LAYOUT,
): Promise<DownloadResult> {
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const keys = (await listKeys(s3, bucket, prefix)).filter(
    // Folder markers (S3 console's "x/" and Hadoop's "x_$folder$") are not files.
    (k) => !k.endsWith('/') && !k.endsWith('_$folder$'),
  );
  if (keys.length === 0) throw new UsageError(`no objects under ${s3Uri(bucket, prefix)} (did the run finish?)`);
  const relative = keys.map((k) => k.slice(prefix.length));
  for (const rel of relative) {
    if (rel.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      throw new UsageError(`refusing to download ${s3Uri(bucket, prefix + rel)}: unsafe path`);
    }
  }
  if (!relative.includes(layout.completeFile)) {
    throw new UsageError(`${s3Uri(bucket, prefix)} has no ${layout.completeFile}: the job that wrote it did not finish`);
  }

  const target = resolve(localDir);
  const parent = dirname(target);
  const name = basename(target);
  const replacing = await exists(target);
  if (replacing) await assertReplaceable(target, layout);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.${name}.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  try {
    for (const rel of relative) {
      const file = join(staging, ...rel.split('/'));
      if (!file.startsWith(staging + sep)) throw new UsageError(`refusing to write outside ${staging}: ${rel}`);
      await mkdir(dirname(file), { recursive: true });
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + rel }));
      await pipeline(out.Body as Readable, createWriteStream(file));
      log(`fetch: ${s3Uri(bucket, prefix + rel)}`);
    }
    if (replacing) await assertReplaceable(target, layout); // again: it may have changed during the download
    await commitFolder(staging, target, replacing, layout);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { dir: target, files: relative.sort() };
}

export async function readManifest(s3: S3Client, bucket: string, runKey: string): Promise<RunManifest> {
  const key = `${runKey}/${MANIFEST_NAME}`;
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await out.Body!.transformToString('utf8');
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') {
      throw new UsageError(`no run at ${s3Uri(bucket, key)} (check --run-id, --bucket and --prefix)`);
    }
    throw error;
  }
  const manifest = JSON.parse(text) as RunManifest;
  if (manifest.tool !== 'pricecast') throw new UsageError(`${s3Uri(bucket, key)} was not written by pricecast`);
  return manifest;
}

/** Downloads one object to a file (the staged input, for --compare without a local copy). */
export async function downloadObject(s3: S3Client, uri: string, file: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(out.Body as Readable, createWriteStream(file));
}

export interface CompareOutcome {
  report: ParityReport;
  /** The settings the cluster's _model.json recorded, used for the local run. */
  seed: number;
  split: string;
  trainRatio: number;
}

/**
 * How the run's job read its input (layout, column map, thousands separator, missing values, the
 * open/high/low check), from run.json: _model.json records the model's settings but not these, and
 * without them the local side would read the same bytes differently (or refuse them).
 */
export type InputReading = Pick<PipelineOptions, 'format' | 'columns' | 'thousands' | 'missing' | 'ohlcCheck'>;

export function inputReading(job: Partial<RunManifest['job']> | null): InputReading {
  if (job === null) return {};
  const reading: InputReading = {};
  if (job.format != null) reading.format = job.format;
  if (job.columns != null) reading.columns = job.columns;
  if (job.thousands != null) reading.thousands = job.thousands;
  if (job.missing != null) reading.missing = job.missing;
  if (job.ohlcCheck != null) reading.ohlcCheck = job.ohlcCheck;
  return reading;
}

/**
 * Runs the local engine on `input` with the seed, split and ratio recorded in the fetched output's
 * _model.json and the input reading of the run's manifest (`reading`), and compares. Refuses when
 * `input` is not the file the cluster ran on (sha256 differs).
 */
export async function compareWithEngine(outputDir: string, input: string, reading: InputReading = {}): Promise<CompareOutcome> {
  const inputSha = (await localFileFacts(input)).sha256;
  let settings = { seed: 0, split: '', trainRatio: 0 };
  const { report } = await compareEngineWithFolder(outputDir, async (cluster) => {
    if (cluster.input.sha256 !== inputSha) {
      throw new UsageError(
        `${input} is not the file the cluster ran on (sha256 ${inputSha.slice(0, 12)}…, the output says ${cluster.input.sha256.slice(0, 12)}…)`,
      );
    }
    settings = { seed: cluster.seed, split: cluster.split, trainRatio: cluster.trainRatio };
    // The feature spec the cluster ran with, when its _model.json records one (older outputs: the default).
    const features = cluster.featureSpecs?.map(formatFeatureItem).join(',');
    // λ and α as recorded (older outputs have none: the unpenalised fit).
    const { regParam, elasticNetParam: elasticNet } = cluster.model;
    const engine = await runPipeline({ ...reading, input, seed: cluster.seed, split: cluster.split, trainRatio: cluster.trainRatio, features, regParam, elasticNet });
    return { predictions: engine.predictions, report: engine.report };
  });
  return { report, ...settings };
}

/**
 * compareWithEngine, with the input taken from `localInput` or, when that is null, downloaded from
 * the run's staged copy into a temporary folder (removed afterwards).
 */
export async function compareRun(
  s3: S3Client,
  outputDir: string,
  manifest: RunManifest | null,
  localInput: string | null,
): Promise<CompareOutcome> {
  const reading = inputReading(manifest?.job ?? null);
  return withRunInput(s3, manifest, localInput, (input) => compareWithEngine(outputDir, input, reading));
}

/** Calls `use` with `localInput`, or with the run's staged input downloaded into a temporary folder. */
export async function withRunInput<T>(s3: S3Client, manifest: RunManifest | null, localInput: string | null, use: (input: string) => Promise<T>): Promise<T> {
  if (localInput !== null) return use(localInput);
  if (manifest === null) throw new UsageError('--compare needs --input FILE when the run has no run.json');
  const work = await mkdtemp(join(tmpdir(), 'pricecast-emr-input-'));
  try {
    const file = join(work, manifest.input.name);
    await downloadObject(s3, manifest.input.uri, file);
    return await use(file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
