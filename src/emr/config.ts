/**
 * The EMR run's settings, declared once in the project's settings table (src/settings.ts: flag, type,
 * default, help, config key, validation), and resolved into an `EmrConfig`: flags over the `--config`
 * JSON file over the defaults, then the checks that span settings (a KMS key only with aws:kms, the
 * release's Spark against the pyspark pin). The job's own settings are the shared JOB_SETTINGS, so a
 * setting the job gains reaches the cluster's spark-submit step without a change here (plan.ts).
 *
 * The default cluster is a single m5.xlarge node (the job runs in one partition, so core nodes would
 * idle; `--core-instance-count 2` gives the original Airflow job's 1+2 shape) with Hadoop, Spark and
 * Livy, PySpark on the bootstrap's venv, and a release whose Spark matches the `pyspark==` pin in
 * pyspark/requirements.txt.
 *
 * Credentials, profile and region are deliberately NOT settings: they come from the AWS SDK's default
 * chain (environment, ~/.aws/config and credentials, SSO, instance role), so they never end up in a
 * config file or shell history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { PROJECT_ROOT } from '../parity/pyenv.js';
import {
  CONFIG_SETTING,
  isPositiveIntegerRule,
  isPositiveRule,
  JOB_SETTINGS,
  optionalSetting,
  parseCommand,
  setting,
  type JobSettings,
  type Setting,
  type SettingMap,
  type SettingValues,
} from '../settings.js';

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

const nonEmpty = (what: string) => (v: string) => (v.trim() !== '' ? undefined : what);
const relative = (path: string) => path.slice(PROJECT_ROOT.length + 1);

/** The EMR settings (the job's come from JOB_SETTINGS). Order = order in --help. */
export const EMR_SETTINGS = {
  bucket: optionalSetting({ flag: 'bucket', kind: 'string', configKey: 'bucket', metavar: 'NAME', help: 'S3 bucket for staging, output and logs (required; never created by the tool)' }),
  prefix: setting({ flag: 'prefix', kind: 'string', configKey: 'prefix', metavar: 'P', help: 'key prefix in the bucket', default: DEFAULT_PREFIX }),
  clusterId: optionalSetting({
    flag: 'cluster-id', kind: 'string', configKey: 'clusterId', metavar: 'j-XXX',
    help: 'add the steps to this existing cluster instead of creating one; it is left running, and a failed step only cancels this run\'s steps',
    validate: (v: string) => (/^j-[A-Z0-9]+$/.test(v) ? undefined : 'a cluster id like j-1ABCDEFGHIJKL'),
  }),
  releaseLabel: setting({
    flag: 'release-label', kind: 'string', configKey: 'releaseLabel', metavar: 'L', default: DEFAULT_RELEASE_LABEL,
    help: 'EMR release; its Spark must be the line pyspark/requirements.txt pins',
    validate: (v: string) => (/^emr-\d+\.\d+\.\d+$/.test(v) ? undefined : 'a label like emr-7.10.0'),
  }),
  masterInstanceType: setting({ flag: 'master-instance-type', kind: 'string', configKey: 'masterInstanceType', metavar: 'T', help: 'master node instance type', default: DEFAULT_INSTANCE_TYPE, validate: nonEmpty('an instance type') }),
  coreInstanceType: setting({ flag: 'core-instance-type', kind: 'string', configKey: 'coreInstanceType', metavar: 'T', help: 'core node instance type', default: DEFAULT_INSTANCE_TYPE, validate: nonEmpty('an instance type') }),
  coreInstanceCount: setting({
    flag: 'core-instance-count', kind: 'integer', configKey: 'coreInstanceCount', metavar: 'N', default: DEFAULT_CORE_INSTANCE_COUNT,
    help: 'core nodes; 0 = a single-node cluster (the job runs in one partition, so core nodes would idle); 2 = the original 1+2 shape',
    validate: (v: number) => (Number.isInteger(v) && v >= 0 && v <= 256 ? undefined : 'an integer from 0 to 256'),
  }),
  applications: setting({
    flag: 'application', kind: 'strings', configKey: 'applications', metavar: 'NAME', default: [...DEFAULT_APPLICATIONS] as string[],
    help: 'EMR applications (repeatable); must include Hadoop (s3-dist-cp, HDFS) and Spark',
    validate: (v: string[]) => (v.includes('Spark') && v.includes('Hadoop') ? undefined : 'a list that includes Hadoop and Spark'),
  }),
  serviceRole: setting({ flag: 'service-role', kind: 'string', configKey: 'serviceRole', metavar: 'R', help: 'EMR service role', default: DEFAULT_SERVICE_ROLE, validate: nonEmpty('a role name or ARN') }),
  jobFlowRole: setting({ flag: 'job-flow-role', kind: 'string', configKey: 'jobFlowRole', metavar: 'R', help: 'EC2 instance profile of the nodes', default: DEFAULT_JOB_FLOW_ROLE, validate: nonEmpty('an instance profile name or ARN') }),
  logUri: optionalSetting({
    flag: 'log-uri', kind: 'string', configKey: 'logUri', metavar: 'URI', defaultText: 's3://BUCKET/PREFIX/logs/',
    help: 'where EMR writes cluster and step logs',
    validate: (v: string) => (/^s3n?:\/\/[^/]+\//.test(v) ? undefined : 'an s3:// URI ending in a folder'),
  }),
  idleTimeoutSeconds: setting({
    flag: 'idle-timeout', kind: 'integer', configKey: 'idleTimeoutSeconds', metavar: 'S', default: DEFAULT_IDLE_TIMEOUT_SECONDS,
    help: 'auto-termination: an idle cluster ends itself after S seconds',
    validate: (v: number) => {
      const [min, max] = IDLE_TIMEOUT_RANGE;
      return Number.isInteger(v) && v >= min && v <= max ? undefined : `an integer from ${min} to ${max} (EMR's limits)`;
    },
  }),
  subnetId: optionalSetting({ flag: 'subnet-id', kind: 'string', configKey: 'subnetId', metavar: 'ID', help: 'EC2 subnet of the cluster', validate: nonEmpty('a subnet id') }),
  ec2KeyName: optionalSetting({ flag: 'ec2-key-name', kind: 'string', configKey: 'ec2KeyName', metavar: 'NAME', help: 'EC2 key pair for SSH to the nodes', validate: nonEmpty('a key pair name') }),
  tags: setting({
    flag: 'tag', kind: 'strings', configKey: 'tags', metavar: 'KEY=VALUE', default: [] as string[],
    help: 'an extra cluster tag (repeatable; the tool adds its own pricecast:* tags)',
    validate: (v: string[]) =>
      v.every((t) => /^[^=]+=/.test(t)) ? (v.some((t) => t.startsWith('pricecast:')) ? 'no pricecast:* keys (the tool sets those)' : undefined) : 'KEY=VALUE items',
  }),
  stepTimeoutMinutes: setting({
    flag: 'step-timeout', kind: 'number', configKey: 'stepTimeoutMinutes', metavar: 'M', default: DEFAULT_STEP_TIMEOUT_MINUTES,
    help: 'each step is killed after M minutes (`timeout` on the node), which fails it and ends the cluster even with no client watching',
    // `timeout` gets whole seconds (at least 1); at most a week, like the idle timeout.
    validate: (v: number) => (v * 60 >= 1 && v <= 10_080 ? undefined : 'minutes, at least 1/60 and at most 10080 (a week)'),
  }),
  sseAlgorithm: setting<'string', SseAlgorithm>({
    flag: 'sse', kind: 'string', configKey: 'sseAlgorithm', metavar: 'ALG', default: 'AES256', choices: SSE_ALGORITHMS,
    help: 'server-side encryption of every staged object',
  }),
  kmsKeyId: optionalSetting({ flag: 'kms-key-id', kind: 'string', configKey: 'kmsKeyId', metavar: 'ID', help: 'the KMS key (id, alias or ARN) for --sse aws:kms', validate: nonEmpty('a KMS key id') }),
  expectedBucketOwner: optionalSetting({
    flag: 'expected-bucket-owner', kind: 'string', configKey: 'expectedBucketOwner', metavar: 'ACCOUNT', defaultText: "the caller's own account (STS)",
    help: 'the account that must own the bucket, sent with every S3 call (S3 refuses a bucket of another owner)',
    validate: (v: string) => (/^\d{12}$/.test(v) ? undefined : 'a 12-digit AWS account id'),
  }),
  pollSeconds: setting({ flag: 'poll-seconds', kind: 'number', configKey: 'pollSeconds', metavar: 'S', help: 'how often to poll the cluster', default: DEFAULT_POLL_SECONDS, validate: isPositiveRule }),
  timeoutMinutes: setting({
    flag: 'timeout-minutes', kind: 'number', configKey: 'timeoutMinutes', metavar: 'M', default: DEFAULT_TIMEOUT_MINUTES, validate: isPositiveRule,
    help: 'give up (and terminate the cluster) after M minutes, AWS calls in flight included',
  }),
  maxConsecutiveErrors: setting({
    flag: 'max-api-errors', kind: 'integer', configKey: 'maxConsecutiveErrors', metavar: 'N', default: DEFAULT_MAX_CONSECUTIVE_ERRORS, validate: isPositiveIntegerRule,
    help: 'transient API errors in a row (throttling, 5xx, network, timeouts; each retried with backoff) before giving up',
  }),
  logWaitMinutes: setting({
    flag: 'log-wait-minutes', kind: 'number', configKey: 'logWaitMinutes', metavar: 'M', default: DEFAULT_LOG_WAIT_MINUTES,
    help: 'after a failed step, wait up to M minutes for EMR to copy its log to S3, then print the job\'s error from it',
    validate: (v: number) => (v >= 0 ? undefined : 'minutes, 0 or more'),
  }),
  requestTimeoutSeconds: setting({
    flag: 'request-timeout', kind: 'number', configKey: 'requestTimeoutSeconds', metavar: 'S', default: DEFAULT_REQUEST_TIMEOUT_SECONDS, validate: isPositiveRule,
    help: 'every AWS request fails (and is retried by the SDK) after S seconds without an answer',
  }),
  script: setting({ flag: 'job-script', kind: 'string', configKey: 'files.script', metavar: 'FILE', help: 'the job to stage', default: DEFAULT_FILES.script, defaultText: relative(DEFAULT_FILES.script) }),
  bootstrap: setting({ flag: 'bootstrap-script', kind: 'string', configKey: 'files.bootstrap', metavar: 'FILE', help: 'the bootstrap action to stage', default: DEFAULT_FILES.bootstrap, defaultText: relative(DEFAULT_FILES.bootstrap) }),
  requirements: setting({ flag: 'requirements', kind: 'string', configKey: 'files.requirements', metavar: 'FILE', help: 'the pins whose pyspark line the release must match', default: DEFAULT_FILES.requirements, defaultText: relative(DEFAULT_FILES.requirements) }),
  wheelhouse: optionalSetting({
    flag: 'wheelhouse', kind: 'string', configKey: 'files.wheelhouse', metavar: 'DIR', defaultText: '.cache/wheelhouse, built by pyspark/wheelhouse.sh',
    help: 'the offline wheelhouse the bootstrap installs from (.whl files and a hash-pinned requirements.txt)',
  }),
} satisfies SettingMap;

/** What `plan`, `stage` and `submit` take: the config file, the EMR settings and the job's. */
export const EMR_RUN_SETTINGS = { config: CONFIG_SETTING, ...EMR_SETTINGS, ...JOB_SETTINGS } satisfies SettingMap;
export type EmrRunValues = SettingValues<typeof EMR_RUN_SETTINGS>;
/** Values given in code (tests, library callers), by setting name; the rest come from the file or defaults. */
export type EmrFlags = Partial<Omit<EmrRunValues, 'config'>>;

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
  /** The job and bootstrap (staged), the pins (checked), the wheelhouse (null: built by pyspark/wheelhouse.sh). */
  files: { script: string; bootstrap: string; requirements: string; wheelhouse: string | null };
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
    files: { script: values.script, bootstrap: values.bootstrap, requirements: values.requirements, wheelhouse: values.wheelhouse ?? null },
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
  };
  if (config.sseAlgorithm === 'aws:kms' && config.kmsKeyId === null) {
    throw new UsageError('--kms-key-id: a KMS key id, alias or ARN is required with --sse aws:kms [kmsKeyId]');
  }
  if (config.sseAlgorithm === 'AES256' && config.kmsKeyId !== null) {
    throw new UsageError('--kms-key-id: no key with AES256 (add --sse aws:kms) [kmsKeyId]');
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
