/**
 * The EMR run's configuration: a JSON file (optional) overlaid with command-line flags, validated into
 * an `EmrConfig`. The default cluster is a single m5.xlarge node (the job runs in one partition, so
 * core nodes would idle; `--core-instance-count 2` gives the original Airflow job's 1+2 shape) with
 * Hadoop, Spark and Livy, PySpark on the bootstrap's venv, and a release whose Spark matches the
 * `pyspark==` pin in pyspark/requirements.txt.
 *
 * Credentials, profile and region are deliberately NOT configuration: they come from the AWS SDK's
 * default chain (environment, ~/.aws/config and credentials, SSO, instance role), so they never end up
 * in a config file or shell history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { DEFAULT_SEED, DEFAULT_TRAIN_RATIO } from '../engine/pipeline.js';
import type { SplitMode } from '../engine/types.js';
import { PROJECT_ROOT } from '../parity/pyenv.js';

/**
 * Spark shipped by each EMR release (AWS, "Spark release history" in the EMR Release Guide,
 * docs.aws.amazon.com/emr/latest/ReleaseGuide/Spark-release-history.html; the `-amzn-N` suffix
 * dropped). Only releases checked against that page are listed; others are accepted with a warning.
 */
export const SPARK_VERSION_BY_RELEASE: Readonly<Record<string, string>> = {
  'emr-7.8.0': '3.5.4',
  'emr-7.9.0': '3.5.5',
  'emr-7.10.0': '3.5.5',
  'emr-7.12.0': '3.5.6',
  'emr-7.13.0': '3.5.6',
};

export const DEFAULT_RELEASE_LABEL = 'emr-7.10.0';
export const DEFAULT_INSTANCE_TYPE = 'm5.xlarge';
export const DEFAULT_CORE_INSTANCE_COUNT = 0;
export const DEFAULT_APPLICATIONS = ['Hadoop', 'Spark', 'Livy'] as const;
export const DEFAULT_SERVICE_ROLE = 'EMR_DefaultRole';
export const DEFAULT_JOB_FLOW_ROLE = 'EMR_EC2_DefaultRole';
export const DEFAULT_PREFIX = 'pricecast';
/** Auto-termination backstop: an idle cluster (no step running) terminates itself after this long. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 3600;
/** EMR's own limits for AutoTerminationPolicy.IdleTimeout. */
export const IDLE_TIMEOUT_RANGE = [60, 604_800] as const;
export const DEFAULT_POLL_SECONDS = 30;
export const DEFAULT_TIMEOUT_MINUTES = 180;
/** The venv pyspark/bootstrap.sh creates on every node from the staged wheelhouse. */
export const PYSPARK_PYTHON = '/opt/pricecast/venv/bin/python3';
/** Every step is wrapped in `timeout` so a hung step ends (and, with TERMINATE_CLUSTER, the cluster). */
export const DEFAULT_STEP_TIMEOUT_MINUTES = 120;
export const DEFAULT_MAX_CONSECUTIVE_ERRORS = 10;
export const DEFAULT_LOG_WAIT_MINUTES = 6;
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
export const SSE_ALGORITHMS = ['AES256', 'aws:kms'] as const;
export type SseAlgorithm = (typeof SSE_ALGORITHMS)[number];

export const DEFAULT_FILES = {
  script: join(PROJECT_ROOT, 'pyspark', 'price_regression.py'),
  bootstrap: join(PROJECT_ROOT, 'pyspark', 'bootstrap.sh'),
  requirements: join(PROJECT_ROOT, 'pyspark', 'requirements.txt'),
  wheelhouseBuilder: join(PROJECT_ROOT, 'pyspark', 'wheelhouse.sh'),
} as const;

export interface EmrJobConfig {
  /** Local CSV to stage and run on. */
  input: string;
  seed: number;
  split: SplitMode;
  trainRatio: number;
}

export interface EmrConfig {
  /** The S3 bucket for staging, output and logs. Must exist; the tool never creates buckets. */
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash). Runs go under PREFIX/runs/RUN-ID/. */
  prefix: string;
  releaseLabel: string;
  masterInstanceType: string;
  coreInstanceType: string;
  /** 0 makes a single-node cluster (HDFS on the master). */
  coreInstanceCount: number;
  applications: string[];
  /** The EMR service role (RunJobFlow ServiceRole). */
  serviceRole: string;
  /** The EC2 instance profile of the nodes (RunJobFlow JobFlowRole). */
  jobFlowRole: string;
  /** Where EMR writes cluster and step logs; default s3://BUCKET/PREFIX/logs/. */
  logUri: string;
  idleTimeoutSeconds: number;
  subnetId: string | null;
  ec2KeyName: string | null;
  /** Extra tags on the cluster (the tool's own pricecast:* tags are always added). */
  tags: Record<string, string>;
  job: EmrJobConfig;
  /**
   * The job and the bootstrap script (staged), the requirements (checked against the release's Spark),
   * and the wheelhouse folder the bootstrap installs from (null: built by pyspark/wheelhouse.sh).
   */
  files: { script: string; bootstrap: string; requirements: string; wheelhouse: string | null };
  /** Each step is killed after this long (`timeout` around it), failing it and ending the cluster. */
  stepTimeoutMinutes: number;
  /** Transient API errors in a row (throttling, 5xx, network) before the wait gives up. */
  maxConsecutiveErrors: number;
  /** How long to wait for a failed step's log to reach S3. */
  logWaitMinutes: number;
  /** Every AWS request gives up (and is retried) after this long without an answer. */
  requestTimeoutSeconds: number;
  /** Server-side encryption of every object the tool writes. */
  sseAlgorithm: SseAlgorithm;
  /** The KMS key for aws:kms (id, alias or ARN); null with AES256. */
  kmsKeyId: string | null;
  /** The account that must own the bucket (ExpectedBucketOwner); null = the caller's own account. */
  expectedBucketOwner: string | null;
  pollSeconds: number;
  /** Waiting longer than this counts as a failure (and terminates a cluster the tool created). */
  timeoutMinutes: number;
  /** Run the steps on this existing cluster instead of creating one (it is left running). */
  clusterId: string | null;
}

/** What the command line may set (all optional; undefined = take the file's value or the default). */
export interface EmrFlags {
  bucket?: string;
  prefix?: string;
  releaseLabel?: string;
  masterInstanceType?: string;
  coreInstanceType?: string;
  coreInstanceCount?: number;
  logUri?: string;
  idleTimeoutSeconds?: number;
  subnetId?: string;
  ec2KeyName?: string;
  serviceRole?: string;
  jobFlowRole?: string;
  input?: string;
  seed?: number;
  split?: SplitMode;
  trainRatio?: number;
  pollSeconds?: number;
  timeoutMinutes?: number;
  clusterId?: string;
  stepTimeoutMinutes?: number;
  maxConsecutiveErrors?: number;
  logWaitMinutes?: number;
  requestTimeoutSeconds?: number;
  sseAlgorithm?: SseAlgorithm;
  kmsKeyId?: string;
  expectedBucketOwner?: string;
}

export interface LoadedEmrConfig {
  config: EmrConfig;
  /** Things worth saying that do not stop the run (e.g. a release not in the Spark table). */
  warnings: string[];
}

/** Keys a config file may hold: EmrConfig's, with `job` and `files` as nested objects. */
const FILE_KEYS = new Set([
  'bucket', 'prefix', 'releaseLabel', 'masterInstanceType', 'coreInstanceType', 'coreInstanceCount',
  'applications', 'serviceRole', 'jobFlowRole', 'logUri', 'idleTimeoutSeconds', 'subnetId', 'ec2KeyName',
  'tags', 'job', 'files', 'pollSeconds', 'timeoutMinutes', 'clusterId', 'stepTimeoutMinutes',
  'maxConsecutiveErrors', 'logWaitMinutes', 'requestTimeoutSeconds', 'sseAlgorithm', 'kmsKeyId',
  'expectedBucketOwner',
]);
const JOB_KEYS = new Set(['input', 'seed', 'split', 'trainRatio']);
const FILES_KEYS = new Set(['script', 'bootstrap', 'requirements', 'wheelhouse']);

/**
 * Reads the config file (when given), overlays the flags, fills in defaults and validates. Every
 * problem is a UsageError naming the setting. `requireBucket: false` lets `list`/`cleanup` run
 * without one.
 */
export function loadEmrConfig(
  options: { configFile?: string; flags?: EmrFlags; requireBucket?: boolean; defaultInput?: string } = {},
): LoadedEmrConfig {
  const file = options.configFile ? readConfigFile(options.configFile) : {};
  const flags = options.flags ?? {};
  const fileJob = (file.job ?? {}) as Record<string, unknown>;
  const fileFiles = (file.files ?? {}) as Record<string, unknown>;
  const where = options.configFile ? `config ${options.configFile}` : 'config';
  const warnings: string[] = [];

  const pick = <T>(flag: T | undefined, key: string, fallback: T, from: Record<string, unknown> = file): T =>
    flag !== undefined ? flag : from[key] !== undefined ? (from[key] as T) : fallback;

  const bucket = pick(flags.bucket, 'bucket', '');
  if (options.requireBucket !== false) checkBucketName(bucket);
  const prefix = normalisePrefix(pick(flags.prefix, 'prefix', DEFAULT_PREFIX));

  const config: EmrConfig = {
    bucket,
    prefix,
    releaseLabel: pick(flags.releaseLabel, 'releaseLabel', DEFAULT_RELEASE_LABEL),
    masterInstanceType: pick(flags.masterInstanceType, 'masterInstanceType', DEFAULT_INSTANCE_TYPE),
    coreInstanceType: pick(flags.coreInstanceType, 'coreInstanceType', DEFAULT_INSTANCE_TYPE),
    coreInstanceCount: pick(flags.coreInstanceCount, 'coreInstanceCount', DEFAULT_CORE_INSTANCE_COUNT),
    applications: pick(undefined, 'applications', [...DEFAULT_APPLICATIONS]),
    serviceRole: pick(flags.serviceRole, 'serviceRole', DEFAULT_SERVICE_ROLE),
    jobFlowRole: pick(flags.jobFlowRole, 'jobFlowRole', DEFAULT_JOB_FLOW_ROLE),
    logUri: pick(flags.logUri, 'logUri', bucket ? `s3://${bucket}/${joinKey(prefix, 'logs')}/` : ''),
    idleTimeoutSeconds: pick(flags.idleTimeoutSeconds, 'idleTimeoutSeconds', DEFAULT_IDLE_TIMEOUT_SECONDS),
    subnetId: pick<string | null>(flags.subnetId, 'subnetId', null),
    ec2KeyName: pick<string | null>(flags.ec2KeyName, 'ec2KeyName', null),
    tags: pick(undefined, 'tags', {}),
    job: {
      input: pick(flags.input, 'input', options.defaultInput ?? '', fileJob),
      seed: pick(flags.seed, 'seed', DEFAULT_SEED, fileJob),
      split: pick<SplitMode>(flags.split, 'split', 'random', fileJob),
      trainRatio: pick(flags.trainRatio, 'trainRatio', DEFAULT_TRAIN_RATIO, fileJob),
    },
    files: {
      script: pick(undefined, 'script', DEFAULT_FILES.script, fileFiles),
      bootstrap: pick(undefined, 'bootstrap', DEFAULT_FILES.bootstrap, fileFiles),
      requirements: pick(undefined, 'requirements', DEFAULT_FILES.requirements, fileFiles),
      wheelhouse: pick<string | null>(undefined, 'wheelhouse', null, fileFiles),
    },
    stepTimeoutMinutes: pick(flags.stepTimeoutMinutes, 'stepTimeoutMinutes', DEFAULT_STEP_TIMEOUT_MINUTES),
    maxConsecutiveErrors: pick(flags.maxConsecutiveErrors, 'maxConsecutiveErrors', DEFAULT_MAX_CONSECUTIVE_ERRORS),
    logWaitMinutes: pick(flags.logWaitMinutes, 'logWaitMinutes', DEFAULT_LOG_WAIT_MINUTES),
    requestTimeoutSeconds: pick(flags.requestTimeoutSeconds, 'requestTimeoutSeconds', DEFAULT_REQUEST_TIMEOUT_SECONDS),
    sseAlgorithm: pick<SseAlgorithm>(flags.sseAlgorithm, 'sseAlgorithm', 'AES256'),
    kmsKeyId: pick<string | null>(flags.kmsKeyId, 'kmsKeyId', null),
    expectedBucketOwner: pick<string | null>(flags.expectedBucketOwner, 'expectedBucketOwner', null),
    pollSeconds: pick(flags.pollSeconds, 'pollSeconds', DEFAULT_POLL_SECONDS),
    timeoutMinutes: pick(flags.timeoutMinutes, 'timeoutMinutes', DEFAULT_TIMEOUT_MINUTES),
    clusterId: pick<string | null>(flags.clusterId, 'clusterId', null),
  };
  validate(config, where);

  let requirements: string | null = null;
  try {
    requirements = readFileSync(config.files.requirements, 'utf8');
  } catch {
    // Only `plan`/`submit` stage the file; they check it exists (plan's file facts). Here, nothing to compare.
  }
  if (requirements !== null) {
    const check = checkSparkLine(config.releaseLabel, pinnedPysparkVersion(requirements));
    if (check.level === 'error') throw new UsageError(`releaseLabel: ${check.message}`);
    if (check.level === 'warning') warnings.push(check.message);
  }
  return { config, warnings };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--config: ${path} must hold a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  // Unknown keys are refused, so a typo ("coreInstanceCont") is not silently ignored.
  const unknown = (keys: string[], allowed: Set<string>, path: string) => {
    const bad = keys.filter((k) => !allowed.has(k));
    if (bad.length > 0) throw new UsageError(`--config: unknown setting ${path}${bad[0]} (known: ${[...allowed].join(', ')})`);
  };
  unknown(Object.keys(record), FILE_KEYS, '');
  for (const [key, allowed] of [['job', JOB_KEYS], ['files', FILES_KEYS]] as const) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`--config: ${key} must be an object`);
    }
    unknown(Object.keys(value), allowed, `${key}.`);
  }
  return record;
}

function validate(c: EmrConfig, where: string): void {
  const fail = (setting: string, expected: string, got: unknown): never => {
    throw new UsageError(`${where}: ${setting}: expected ${expected}, got ${JSON.stringify(got)}`);
  };
  const isString = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!/^emr-\d+\.\d+\.\d+$/.test(String(c.releaseLabel))) fail('releaseLabel', 'a label like emr-7.10.0', c.releaseLabel);
  if (!isString(c.masterInstanceType)) fail('masterInstanceType', 'an instance type', c.masterInstanceType);
  if (!isString(c.coreInstanceType)) fail('coreInstanceType', 'an instance type', c.coreInstanceType);
  if (!Number.isInteger(c.coreInstanceCount) || c.coreInstanceCount < 0 || c.coreInstanceCount > 256) {
    fail('coreInstanceCount', 'an integer from 0 to 256', c.coreInstanceCount);
  }
  if (!Array.isArray(c.applications) || !c.applications.every(isString)) fail('applications', 'a list of names', c.applications);
  if (!c.applications.includes('Spark')) fail('applications', 'a list that includes Spark', c.applications);
  if (!c.applications.includes('Hadoop')) fail('applications', 'a list that includes Hadoop (s3-dist-cp and HDFS)', c.applications);
  if (!isString(c.serviceRole)) fail('serviceRole', 'a role name or ARN', c.serviceRole);
  if (!isString(c.jobFlowRole)) fail('jobFlowRole', 'an instance profile name or ARN', c.jobFlowRole);
  if (c.logUri !== '' && !/^s3n?:\/\/[^/]+\//.test(c.logUri)) fail('logUri', 'an s3:// URI ending in a folder', c.logUri);
  const [minIdle, maxIdle] = IDLE_TIMEOUT_RANGE;
  if (!Number.isInteger(c.idleTimeoutSeconds) || c.idleTimeoutSeconds < minIdle || c.idleTimeoutSeconds > maxIdle) {
    fail('idleTimeoutSeconds', `an integer from ${minIdle} to ${maxIdle} (EMR's limits)`, c.idleTimeoutSeconds);
  }
  if (c.subnetId !== null && !isString(c.subnetId)) fail('subnetId', 'a subnet id', c.subnetId);
  if (c.ec2KeyName !== null && !isString(c.ec2KeyName)) fail('ec2KeyName', 'a key pair name', c.ec2KeyName);
  if (typeof c.tags !== 'object' || c.tags === null || Array.isArray(c.tags) || !Object.values(c.tags).every((v) => typeof v === 'string')) {
    fail('tags', 'an object of string values', c.tags);
  }
  if (Object.keys(c.tags).some((k) => k.startsWith('pricecast:'))) fail('tags', 'no pricecast:* keys (the tool sets those)', c.tags);
  if (typeof c.job.input !== 'string') fail('job.input', 'a file path', c.job.input);
  if (!Number.isSafeInteger(c.job.seed)) fail('job.seed', 'an integer', c.job.seed);
  if (c.job.split !== 'random' && c.job.split !== 'time') fail('job.split', '"random" or "time"', c.job.split);
  if (!(typeof c.job.trainRatio === 'number' && c.job.trainRatio > 0 && c.job.trainRatio < 1)) {
    fail('job.trainRatio', 'a number strictly between 0 and 1', c.job.trainRatio);
  }
  for (const key of ['script', 'bootstrap', 'requirements'] as const) {
    if (!isString(c.files[key])) fail(`files.${key}`, 'a file path', c.files[key]);
  }
  if (!(typeof c.pollSeconds === 'number' && c.pollSeconds > 0)) fail('pollSeconds', 'a positive number', c.pollSeconds);
  if (!(typeof c.timeoutMinutes === 'number' && c.timeoutMinutes > 0)) fail('timeoutMinutes', 'a positive number', c.timeoutMinutes);
  if (c.clusterId !== null && !/^j-[A-Z0-9]+$/.test(String(c.clusterId))) fail('clusterId', 'a cluster id like j-1ABCDEFGHIJKL', c.clusterId);
  if (c.files.wheelhouse !== null && !isString(c.files.wheelhouse)) fail('files.wheelhouse', 'a folder path', c.files.wheelhouse);
  // `timeout` gets whole seconds (at least 1); at most a week, like the idle timeout.
  if (!(typeof c.stepTimeoutMinutes === 'number' && c.stepTimeoutMinutes * 60 >= 1 && c.stepTimeoutMinutes <= 10_080)) {
    fail('stepTimeoutMinutes', 'minutes, at least 1/60 and at most 10080 (a week)', c.stepTimeoutMinutes);
  }
  if (!(Number.isInteger(c.maxConsecutiveErrors) && c.maxConsecutiveErrors >= 1)) {
    fail('maxConsecutiveErrors', 'a positive integer', c.maxConsecutiveErrors);
  }
  if (!(typeof c.logWaitMinutes === 'number' && c.logWaitMinutes >= 0)) fail('logWaitMinutes', 'a number of minutes, 0 or more', c.logWaitMinutes);
  if (!(typeof c.requestTimeoutSeconds === 'number' && c.requestTimeoutSeconds > 0)) {
    fail('requestTimeoutSeconds', 'a positive number of seconds', c.requestTimeoutSeconds);
  }
  if (!SSE_ALGORITHMS.includes(c.sseAlgorithm)) fail('sseAlgorithm', '"AES256" or "aws:kms"', c.sseAlgorithm);
  if (c.sseAlgorithm === 'aws:kms' && !isString(c.kmsKeyId)) fail('kmsKeyId', 'a KMS key id, alias or ARN (required with aws:kms)', c.kmsKeyId);
  if (c.sseAlgorithm === 'AES256' && c.kmsKeyId !== null) fail('kmsKeyId', 'no key with AES256 (use --sse aws:kms)', c.kmsKeyId);
  if (c.expectedBucketOwner !== null && !/^\d{12}$/.test(String(c.expectedBucketOwner))) {
    fail('expectedBucketOwner', 'a 12-digit AWS account id', c.expectedBucketOwner);
  }
}

/** S3's bucket naming rules (general purpose buckets), so a typo fails here and not mid-run. */
export function checkBucketName(bucket: string): void {
  if (bucket === '') throw new UsageError('--bucket: an S3 bucket is required (flag or "bucket" in the config file)');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new UsageError(`--bucket: "${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
  }
}

function normalisePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new UsageError(`prefix: expected a key prefix, got ${JSON.stringify(prefix)}`);
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** Joins S3 key parts with single slashes, skipping empty parts (an empty prefix is allowed). */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** The `pyspark==X.Y.Z` pin of a requirements file, or null when there is none. */
export function pinnedPysparkVersion(requirementsText: string): string | null {
  for (const raw of requirementsText.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^pyspark\s*(?:\[[^\]]*\])?\s*==\s*([0-9][0-9A-Za-z.]*)\s*$/i.exec(line);
    if (match) return match[1];
  }
  return null;
}

export interface SparkLineCheck {
  level: 'ok' | 'warning' | 'error';
  message: string;
  clusterSpark: string | null;
}

/**
 * The cluster must run the Spark line the job is developed and checked against locally: a different
 * minor version (3.4 vs 3.5) is refused, a different patch release only warned about.
 */
export function checkSparkLine(releaseLabel: string, pinned: string | null): SparkLineCheck {
  const clusterSpark = SPARK_VERSION_BY_RELEASE[releaseLabel] ?? null;
  if (pinned === null) {
    return { level: 'warning', message: 'pyspark/requirements.txt pins no pyspark==X.Y.Z; cannot check the cluster\'s Spark', clusterSpark };
  }
  if (clusterSpark === null) {
    return {
      level: 'warning',
      message: `${releaseLabel} is not in the tool's table of EMR releases and their Spark; check yourself that it ships Spark ${pinned}`,
      clusterSpark,
    };
  }
  const line = (v: string) => v.split('.').slice(0, 2).join('.');
  if (line(clusterSpark) !== line(pinned)) {
    return {
      level: 'error',
      message: `${releaseLabel} ships Spark ${clusterSpark}, but the job is pinned to pyspark==${pinned} (a different Spark line); pick a release with Spark ${line(pinned)}.x`,
      clusterSpark,
    };
  }
  if (clusterSpark !== pinned) {
    return { level: 'warning', message: `${releaseLabel} ships Spark ${clusterSpark}; the job is pinned to pyspark==${pinned}`, clusterSpark };
  }
  return { level: 'ok', message: `${releaseLabel} ships Spark ${clusterSpark}, as pinned`, clusterSpark };
}

/** A run id: UTC time to the second plus 4 random hex digits, e.g. 20250301-142501-9f3a. */
export function newRunId(now: Date, randomHex: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomHex.slice(0, 4)}`;
}

export function checkRunId(runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(runId)) {
    throw new UsageError(`--run-id: "${runId}" must be 1-64 letters, digits, dots, hyphens or underscores`);
  }
  return runId;
}
