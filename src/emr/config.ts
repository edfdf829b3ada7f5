/**
 * The EMR run's settings (declared with every other command's in src/settings.ts: flag, type, default,
 * help, config key, validation), resolved into an `EmrConfig`: flags over the `--config`
 * JSON file over the defaults, then the checks that span settings (a KMS key only with aws:kms, the
 * release's Spark against the pyspark pin). The job's own settings are the shared JOB_SETTINGS, so a
 * setting the job gains reaches the cluster's spark-submit step without a change here (plan.ts).
 *
 * The default cluster is a single m5.xlarge node (the job runs in one partition, so core nodes would
 * idle; `--core-instance-count 2` gives the original Airflow job's 1+2 shape) with Hadoop and Spark,
 * PySpark on the bootstrap's venv, x86_64 nodes (the wheelhouse's wheels; Graviton types are refused),
 * and a release whose Spark matches the `pyspark==` pin in pyspark/requirements.txt.
 *
 * Credentials, profile and region are deliberately NOT settings: they come from the AWS SDK's default
 * chain (environment, ~/.aws/config and credentials, SSO, instance role), so they never end up in a
 * config file or shell history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { PROJECT_ROOT } from '../parity/pyenv.js';
import { parseSetFlag } from '../experiment/sets.js';
import type { EmrExperimentSettings } from './experimentArgs.js';
import {
  CLUSTER_PYTHON,
  CLUSTER_PYTHON_FIRST_RELEASE,
  CLUSTER_PYTHON_VERSION,
  DEFAULT_RELEASE_LABEL,
  EMR_RUN_SETTINGS,
  JOB_SETTINGS,
  parseCommand,
  SPARK_VERSION_BY_RELEASE,
  type EmrCommand,
  type EmrFlags,
  type EmrRunValues,
  type JobSettings,
  type Setting,
  type SettingMap,
  type SettingValues,
  type SseAlgorithm,
} from '../settings.js';

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
  serviceRole: string;
  jobFlowRole: string;
  /** Where EMR writes cluster and step logs; default s3://BUCKET/PREFIX/logs/. */
  logUri: string;
  idleTimeoutSeconds: number;
  subnetId: string | null;
  ec2KeyName: string | null;
  /** Extra tags on the cluster (the tool's own pricecast:* tags are always added). */
  tags: Record<string, string>;
  job: JobSettings;
  /** What runs: the job's predict, or the walk-forward experiment (walk_forward.py, results.json). */
  command: EmrCommand;
  /** The experiment's settings (used with command experiment; the train ratio is the job's). */
  experiment: EmrExperimentSettings;
  /**
   * The job and bootstrap (staged), the walk-forward job (staged with command experiment), the pins
   * (checked), the wheelhouse (null: built by pyspark/wheelhouse.sh).
   */
  files: { script: string; experimentScript: string; bootstrap: string; requirements: string; wheelhouse: string | null };
  pollSeconds: number;
  timeoutMinutes: number;
  clusterId: string | null;
  stepTimeoutMinutes: number;
  maxConsecutiveErrors: number;
  logWaitMinutes: number;
  requestTimeoutSeconds: number;
  sseAlgorithm: SseAlgorithm;
  kmsKeyId: string | null;
  expectedBucketOwner: string | null;
  /** EMR Serverless instead of a cluster (serverlessPlan.ts); null when the run is on a cluster. */
  serverless: ServerlessConfig | null;
}

export interface ServerlessConfig {
  /** Reuse this application; null creates one for the run and stops it afterwards. */
  applicationId: string | null;
  executionRoleArn: string;
  /** The packed Python environment (.tar.gz) shipped with spark.archives. */
  pythonArchive: string;
  executors: number;
}

export interface LoadedEmrConfig {
  config: EmrConfig;
  /** Things worth saying that do not stop the run (e.g. a release not in the Spark table). */
  warnings: string[];
}

/**
 * For library callers and tests: the config file (when given) under `flags` (values by setting name),
 * over the defaults, resolved and checked like the command line. `requireBucket: false` lets
 * `list`/`cleanup`/`fetch --output-uri` run without one.
 */
export function loadEmrConfig(
  options: { configFile?: string; flags?: EmrFlags; requireBucket?: boolean; defaultInput?: string } = {},
): LoadedEmrConfig {
  const fromFile = parseCommand(options.configFile !== undefined ? ['--config', options.configFile] : [], EMR_RUN_SETTINGS);
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined)) as EmrFlags;
  for (const [name, value] of Object.entries(flags)) checkSetting(name, value);
  const values = { ...fromFile.values, ...(options.defaultInput !== undefined && !fromFile.given.has('input') ? { input: options.defaultInput } : {}), ...flags };
  return resolveEmrConfig(values, { requireBucket: options.requireBucket });
}

/** A value given in code gets the same checks as one from a flag or the file. */
function checkSetting(name: string, value: unknown): void {
  const s = (EMR_RUN_SETTINGS as SettingMap)[name] as Setting<any> | undefined;
  if (s === undefined) throw new UsageError(`unknown setting ${name}`);
  const problem = s.choices && !s.choices.includes(value as string)
    ? s.choices.map((c) => `"${c}"`).join(' or ')
    : s.validate?.(value);
  if (problem) throw new UsageError(`${s.configKey ?? name} (--${s.flag}): expected ${problem}, got ${JSON.stringify(value)}`);
}

/** Parsed values → EmrConfig, with the checks that span settings. */
export function resolveEmrConfig(values: EmrRunValues, options: { requireBucket?: boolean } = {}): LoadedEmrConfig {
  const bucket = values.bucket ?? '';
  if (options.requireBucket !== false) checkBucketName(bucket);
  const prefix = normalisePrefix(values.prefix);
  const job = Object.fromEntries(Object.keys(JOB_SETTINGS).map((name) => [name, values[name as keyof EmrRunValues]])) as JobSettings;
  const config: EmrConfig = {
    bucket,
    prefix,
    releaseLabel: values.releaseLabel,
    masterInstanceType: values.masterInstanceType,
    coreInstanceType: values.coreInstanceType,
    coreInstanceCount: values.coreInstanceCount,
    applications: values.applications,
    serviceRole: values.serviceRole,
    jobFlowRole: values.jobFlowRole,
    logUri: values.logUri ?? (bucket ? `s3://${bucket}/${joinKey(prefix, 'logs')}/` : ''),
    idleTimeoutSeconds: values.idleTimeoutSeconds,
    subnetId: values.subnetId ?? null,
    ec2KeyName: values.ec2KeyName ?? null,
    tags: Object.fromEntries(values.tags.map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)])),
    job,
    command: values.command,
    experiment: { sets: values.experimentSets, trainRatio: job.trainRatio, refitEvery: values.refitEvery, target: values.target },
    files: {
      script: values.script,
      experimentScript: values.experimentScript,
      bootstrap: values.bootstrap,
      requirements: values.requirements,
      wheelhouse: values.wheelhouse ?? null,
    },
    pollSeconds: values.pollSeconds,
    timeoutMinutes: values.timeoutMinutes,
    clusterId: values.clusterId ?? null,
    stepTimeoutMinutes: values.stepTimeoutMinutes,
    maxConsecutiveErrors: values.maxConsecutiveErrors,
    logWaitMinutes: values.logWaitMinutes,
    requestTimeoutSeconds: values.requestTimeoutSeconds,
    sseAlgorithm: values.sseAlgorithm,
    kmsKeyId: values.kmsKeyId ?? null,
    expectedBucketOwner: values.expectedBucketOwner ?? null,
    serverless: values.serverless ? serverlessConfig(values) : null,
  };
  if (config.sseAlgorithm === 'aws:kms' && config.kmsKeyId === null) {
    throw new UsageError('--kms-key-id: a KMS key id, alias or ARN is required with --sse aws:kms [kmsKeyId]');
  }
  if (config.sseAlgorithm === 'AES256' && config.kmsKeyId !== null) {
    throw new UsageError('--kms-key-id: no key with AES256 (add --sse aws:kms) [kmsKeyId]');
  }

  for (const [flag, type, used] of [
    ['master-instance-type', config.masterInstanceType, true],
    ['core-instance-type', config.coreInstanceType, config.coreInstanceCount > 0],
  ] as const) {
    if (used && isGravitonType(type)) {
      throw new UsageError(
        `--${flag}: ${type} is a Graviton (arm64) type, but the wheelhouse holds x86_64 wheels (pyspark/wheelhouse.sh); pick an x86_64 type such as m5.xlarge or m7i.xlarge`,
      );
    }
  }

  if (config.command === 'experiment') {
    if (config.experiment.sets.length === 0) {
      throw new UsageError('--set: --command experiment needs at least one feature set, NAME=SPEC (the walk-forward job has no built-in ladder) [experiment.sets]');
    }
    for (const set of config.experiment.sets) parseSetFlag(set);
  }
  if (config.serverless === null) {
    const problem = clusterPythonProblem(config.releaseLabel);
    if (problem !== null) throw new UsageError(`--release-label: ${problem}`);
  }

  const warnings: string[] = [];
  let requirements: string | null = null;
  try {
    requirements = readFileSync(config.files.requirements, 'utf8');
  } catch {
    // Only `plan`/`submit` stage files; they check the ones they read. Here, nothing to compare.
  }
  if (requirements !== null) {
    const check = checkSparkLine(config.releaseLabel, pinnedPysparkVersion(requirements));
    if (check.level === 'error') throw new UsageError(`releaseLabel: ${check.message}`);
    if (check.level === 'warning') warnings.push(check.message);
  }
  return { config, warnings };
}

/**
 * Why a release's nodes cannot run the job's Python, or null when they can: the bootstrap builds the venv
 * with python3.11, the package Amazon Linux 2023 ships, and only EMR 7.x and later run on Amazon Linux
 * 2023 (EMR 6.x runs on Amazon Linux 2) (docs/emr.md#node-types-and-python).
 */
export function clusterPythonProblem(releaseLabel: string): string | null {
  const major = Number(/^emr-(\d+)\./.exec(releaseLabel)?.[1] ?? NaN);
  if (!Number.isFinite(major) || major >= CLUSTER_PYTHON_FIRST_RELEASE) return null;
  return `${releaseLabel} cannot run the job's Python ${CLUSTER_PYTHON_VERSION}: its nodes run Amazon Linux 2, which has no ${CLUSTER_PYTHON} package (EMR ${CLUSTER_PYTHON_FIRST_RELEASE}.x and later have it); pick emr-${CLUSTER_PYTHON_FIRST_RELEASE}.0.0 or later, such as ${DEFAULT_RELEASE_LABEL}`;
}

/**
 * Graviton (arm64) EC2 types: a1, and every family with a `g` right after its generation digit
 * (m6g, m7gd, c6gn, r8g, t4g, x2gd, im4gn, is4gen, hpc7g). GPU families (g4dn, g5) start with g instead.
 */
export function isGravitonType(instanceType: string): boolean {
  return /^(a1|[a-z]+\d+g[a-z]*)\./.test(instanceType);
}

function serverlessConfig(values: EmrRunValues): ServerlessConfig {
  if (values.executionRoleArn === undefined) throw new UsageError('--execution-role-arn: the role the job runs as is required with --serverless [serverless.executionRoleArn]');
  if (values.pythonArchive === undefined) throw new UsageError('--python-archive: the packed Python environment (.tar.gz) is required with --serverless [serverless.pythonArchive]');
  if (values.clusterId !== undefined) throw new UsageError('--cluster-id: not with --serverless (use --application-id to reuse an application)');
  return {
    applicationId: values.applicationId ?? null,
    executionRoleArn: values.executionRoleArn,
    pythonArchive: values.pythonArchive,
    executors: values.serverlessExecutors,
  };
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
