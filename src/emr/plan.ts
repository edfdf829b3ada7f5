/**
 * The run as data (pure: no I/O, no clock): configuration + run id + facts about the local files →
 * the exact S3 uploads and the exact EMR request. `pricecast emr plan` prints it; `submit` carries
 * it out. It replaces the original Airflow DAG's chain (upload data and script, create the cluster
 * with a bootstrap action, add the steps, wait, terminate).
 *
 * Layout of one run in the bucket:
 *
 *   s3://BUCKET/PREFIX/runs/RUN-ID/run.json                   this plan's facts, latest attempt (fetch reads it)
 *   s3://BUCKET/PREFIX/runs/RUN-ID/input/<file>.csv          the data
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/price_regression.py   the job
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/walk_forward.py       the experiment's job (--command experiment)
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/bootstrap.sh          the bootstrap action
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/publish_guard.py      the publish guard (publishGuard.ts)
 *   s3://BUCKET/PREFIX/runs/RUN-ID/attempts/ATTEMPT/publisher.json  the cluster that claimed the output
 *   s3://BUCKET/PREFIX/runs/RUN-ID/attempts/ATTEMPT/output/  written by the last step of one attempt
 *   s3://BUCKET/PREFIX/wheelhouse/KEY/*.whl, requirements.txt  the offline wheelhouse bootstrap.sh installs
 *                                                            (KEY: its requirements.txt's sha256, so
 *                                                            runs with the same pins share it)
 *   s3://BUCKET/PREFIX/logs/CLUSTER-ID/steps/STEP-ID/stderr.gz   EMR's own log layout under LogUri
 *
 * Each attempt (each `submit` or `stage`, even with a reused run id) writes its own output folder:
 * s3-dist-cp never deletes, so a shared folder would mix part files of two attempts.
 *
 * The steps, as in the original DAG: s3-dist-cp the data into HDFS, spark-submit the staged job
 * reading and writing HDFS, s3-dist-cp the output back to S3; each wrapped in `timeout`. Before the
 * last one, the publish guard claims the output folder for this cluster and refuses a folder that
 * holds objects not of this run (publishGuard.ts, docs/emr.md#one-cluster-per-attempt).
 */
import type { AddJobFlowStepsCommandInput, RunJobFlowCommandInput, StepConfig } from '@aws-sdk/client-emr';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { JOB_SETTINGS, type EmrCommand, type JobSettings } from '../settings.js';
import { experimentJobArgs, type EmrExperimentSettings } from './experimentArgs.js';
import { joinKey, type EmrConfig } from './config.js';
import { PYSPARK_PYTHON } from '../settings.js';
import { estimateHourlyCost, type CostEstimate } from './cost.js';
import { CLAIM_NAME, GUARD_SCRIPT_NAME, PUBLISH_GUARD_SCRIPT } from './publishGuard.js';

/** Tags that mark a cluster as this tool's (`list` and `cleanup` look for MANAGED_TAG=true). */
export const MANAGED_TAG = 'pricecast:managed';
export const RUN_TAG = 'pricecast:run';
/** The attempt (each submit or stage): with RUN_TAG, what finds a cluster whose RunJobFlow answer was lost. */
export const ATTEMPT_TAG = 'pricecast:attempt';
/** The tag the `EMR_DefaultRole_V2` service role's managed policy requires on every cluster it manages. */
export const EMR_MANAGED_POLICY_TAG = 'for-use-with-amazon-emr-managed-policies';
/** The STS caller ARN of whoever created the cluster (`cleanup` terminates only the caller's own). */
export const CREATOR_TAG = 'pricecast:creator';
export const MANIFEST_NAME = 'run.json';
/** Every cluster the tool creates is named `pricecast RUN-ID`: `list` describes only those (clusters.ts). */
export const CLUSTER_NAME_PREFIX = 'pricecast ';

export interface LocalFileFacts {
  path: string;
  /** sha256 of the bytes, hex. */
  sha256: string;
  size: number;
}

export interface RunFiles {
  input: LocalFileFacts;
  script: LocalFileFacts;
  /** The walk-forward job: required with --command experiment, staged beside the script it imports. */
  experimentScript?: LocalFileFacts;
  bootstrap: LocalFileFacts;
  /** Every file of the wheelhouse folder: the wheels and its requirements.txt. */
  wheelhouse: LocalFileFacts[];
}

/** Name of the wheelhouse's hash-pinned list of wheels (pyspark/wheelhouse.sh writes it). */
export const WHEELHOUSE_REQUIREMENTS = 'requirements.txt';

export type UploadRole =
  | 'manifest' | 'input' | 'script' | 'experiment-script' | 'bootstrap' | 'publish-guard' | 'wheel' | 'wheelhouse-requirements'
  | 'python-archive';

export interface PlannedUpload {
  role: UploadRole;
  bucket: string;
  key: string;
  uri: string;
  /** The local file to upload, or null when `body` is the content (the manifest, the publish guard). */
  localPath: string | null;
  body: string | null;
  sha256: string;
  size: number;
  contentType: string;
}

/** Where a run's things are, in S3 and in the cluster's HDFS. */
export interface RunLayout {
  runId: string;
  bucket: string;
  /** Key prefix of the run, no trailing slash. */
  runKey: string;
  manifestUri: string;
  inputUri: string;
  scriptUri: string;
  /** The walk-forward job (staged with --command experiment). */
  experimentScriptUri: string;
  bootstrapUri: string;
  /** The publish guard's script, and the object it claims the output with (publishGuard.ts). */
  guardUri: string;
  claimUri: string;
  /** The wheelhouse folder (ends in /). */
  wheelhouseUri: string;
  attemptId: string;
  /** Output folder in S3 of this attempt (ends in /). */
  outputUri: string;
  logUri: string;
  hdfsInputDir: string;
  hdfsInput: string;
  hdfsOutput: string;
}

/** run.json: what `fetch` needs to find and check a run's output without the original flags. */
export interface RunManifest {
  tool: 'pricecast';
  runId: string;
  /** The attempt whose output `outputUri` is (the latest one staged under this run id). */
  attemptId: string;
  input: { name: string; sha256: string; size: number; uri: string };
  /** What ran (older run.json files have none: predict). */
  command?: EmrCommand;
  job: Omit<JobSettings, 'input'>;
  /** With command experiment: its settings (fetch --compare runs the engine's experiment with them). */
  experiment?: EmrExperimentSettings;
  outputUri: string;
  releaseLabel: string;
}

export interface EmrPlan {
  runId: string;
  layout: RunLayout;
  manifest: RunManifest;
  uploads: PlannedUpload[];
  steps: StepConfig[];
  /** The cluster to create, or null when the steps go to an existing cluster (`clusterId`). */
  runJobFlow: RunJobFlowCommandInput | null;
  /** The steps for an existing cluster, or null when a cluster is created. */
  addJobFlowSteps: AddJobFlowStepsCommandInput | null;
  /** Hourly cost estimate of the cluster to create (null with an existing cluster). */
  cost: CostEstimate | null;
}

/** What identifies this attempt and who makes it (not configuration: made fresh each time). */
export interface RunIdentity {
  runId: string;
  attemptId: string;
  /** STS caller ARN, tagged as the creator; null when unknown (`plan` makes no AWS calls). */
  creatorArn: string | null;
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Parses s3://bucket/key (also EMR's s3n:// spelling of LogUri). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

export function runLayout(
  config: EmrConfig,
  identity: { runId: string; attemptId: string },
  inputName: string,
  wheelhouseKey: string,
): RunLayout {
  const { runId, attemptId } = identity;
  const runKey = joinKey(config.prefix, 'runs', runId);
  const uri = (...parts: string[]) => s3Uri(config.bucket, joinKey(runKey, ...parts));
  // HDFS paths carry the run and attempt too: a shared cluster (--cluster-id) may hold other runs' folders.
  const hdfsRun = `hdfs:///pricecast/${runId}/${attemptId}`;
  return {
    runId,
    bucket: config.bucket,
    runKey,
    manifestUri: uri(MANIFEST_NAME),
    inputUri: uri('input', inputName),
    scriptUri: uri('job', 'price_regression.py'),
    experimentScriptUri: uri('job', 'walk_forward.py'),
    bootstrapUri: uri('job', 'bootstrap.sh'),
    guardUri: uri('job', GUARD_SCRIPT_NAME),
    claimUri: uri('attempts', attemptId, CLAIM_NAME),
    wheelhouseUri: `${s3Uri(config.bucket, joinKey(config.prefix, 'wheelhouse', wheelhouseKey))}/`,
    attemptId,
    outputUri: `${uri('attempts', attemptId, 'output')}/`,
    logUri: config.logUri,
    hdfsInputDir: `${hdfsRun}/input/`,
    hdfsInput: `${hdfsRun}/input/${inputName}`,
    hdfsOutput: `${hdfsRun}/output`,
  };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The four steps. On a cluster the tool creates, a failed step terminates it (TERMINATE_CLUSTER);
 * on someone's existing cluster it only cancels the remaining steps and leaves the cluster running
 * (CANCEL_AND_WAIT).
 */
export function planSteps(config: EmrConfig, layout: RunLayout): StepConfig[] {
  const actionOnFailure = config.clusterId === null ? 'TERMINATE_CLUSTER' : 'CANCEL_AND_WAIT';
  // command-runner runs the command on the master node; coreutils' `timeout` ends a hung step (exit
  // 124, the step FAILS, TERMINATE_CLUSTER ends the cluster) even when no client is watching.
  const commandRunner = (args: string[]) => ({ Jar: 'command-runner.jar', Args: [...stepTimeoutArgs(config), ...args] });
  return [
    {
      Name: `pricecast ${layout.runId}: s3-dist-cp input into HDFS`,
      ActionOnFailure: actionOnFailure,
      HadoopJarStep: commandRunner([
        's3-dist-cp',
        `--src=${dirUri(layout.inputUri)}`,
        `--dest=${layout.hdfsInputDir}`,
      ]),
    },
    {
      Name: `pricecast ${layout.runId}: spark-submit ${config.command === 'experiment' ? 'walk_forward.py' : 'price_regression.py'}`,
      ActionOnFailure: actionOnFailure,
      HadoopJarStep: commandRunner([
        'spark-submit',
        // Client mode: the driver runs in the step's own process, so the job's one-line error (bad
        // input) lands in the step's stderr.gz, which `submit` prints when the step fails.
        '--deploy-mode', 'client',
        '--master', 'yarn',
        ...jobSubmit(config, layout, layout.hdfsInput, layout.hdfsOutput),
      ]),
    },
    {
      // The publish guard: claim the output folder for this cluster, refuse one holding objects not of
      // this run (publishGuard.ts). spark-submit fetches the staged script and runs it with the venv.
      Name: `pricecast ${layout.runId}: claim the S3 output folder`,
      ActionOnFailure: actionOnFailure,
      HadoopJarStep: commandRunner([
        'spark-submit',
        '--deploy-mode', 'client',
        '--master', 'local[1]',
        layout.guardUri,
        '--dest', layout.outputUri,
        '--claim', layout.claimUri,
        '--sse', config.sseAlgorithm,
        ...(config.kmsKeyId !== null ? ['--kms-key-id', config.kmsKeyId] : []),
      ]),
    },
    {
      Name: `pricecast ${layout.runId}: s3-dist-cp output to S3`,
      ActionOnFailure: actionOnFailure,
      HadoopJarStep: commandRunner(['s3-dist-cp', `--src=${layout.hdfsOutput}`, `--dest=${layout.outputUri}`]),
    },
  ];
}

/**
 * What spark-submit runs after its own options, for the run's command: predict, the job with its flags;
 * experiment, walk_forward.py with price_regression.py on the path of the driver and the executors
 * (`--py-files`: it imports the job's stages) and the experiment's flags (the parity suite's, docs/emr.md#the-experiment-on-emr).
 */
export function jobSubmit(config: EmrConfig, layout: RunLayout, input: string, output: string): string[] {
  if (config.command === 'experiment') {
    return ['--py-files', layout.scriptUri, layout.experimentScriptUri, '--input', input, '--output', output, ...experimentJobArgs(config.experiment, config.job)];
  }
  return [layout.scriptUri, '--input', input, '--output', output, ...jobArgs(config.job)];
}

/** The manifest's record of what ran: the command, and with experiment its settings. */
export function commandManifest(config: EmrConfig): Pick<RunManifest, 'command' | 'experiment'> {
  return config.command === 'experiment' ? { command: 'experiment', experiment: config.experiment } : { command: 'predict' };
}

/** `timeout` in front of a step's command: TERM at the limit, KILL a minute later if it ignores TERM. */
export function stepTimeoutArgs(config: EmrConfig): string[] {
  return ['timeout', '--signal=TERM', '--kill-after=60', `${Math.round(config.stepTimeoutMinutes * 60)}s`];
}

/**
 * The job's settings as its flags, every one of JOB_SETTINGS but the input (the run's HDFS path, added
 * by the caller): the reference job takes the same flags, so a setting added to the table reaches the
 * cluster without a change here. Unset optional settings are left out.
 */
export function jobArgs(job: JobSettings): string[] {
  const args: string[] = [];
  for (const [name, s] of Object.entries(JOB_SETTINGS)) {
    if (name === 'input') continue;
    const value = (job as Record<string, unknown>)[name];
    if (value === undefined || value === null) continue;
    args.push(`--${s.flag}`, String(value));
  }
  return args;
}

/** The job's settings as recorded in run.json (the input is described by its S3 copy instead). */
export function jobManifest(job: JobSettings): Omit<JobSettings, 'input'> {
  const { input: _input, ...rest } = job;
  return rest;
}

/** The folder holding a file URI (s3-dist-cp copies folders). */
function dirUri(fileUri: string): string {
  return fileUri.slice(0, fileUri.lastIndexOf('/') + 1);
}

/** A local file to upload to `uri`. */
export function fileUpload(role: UploadRole, uri: string, file: LocalFileFacts, contentType: string): PlannedUpload {
  const { bucket, key } = parseS3Uri(uri);
  return { role, bucket, key, uri, localPath: file.path, body: null, sha256: file.sha256, size: file.size, contentType };
}

/** The walk-forward job's upload with --command experiment (none otherwise). */
export function experimentScriptUpload(config: EmrConfig, layout: RunLayout, file: LocalFileFacts | undefined): PlannedUpload[] {
  if (config.command !== 'experiment') return [];
  if (file === undefined) throw new Error('--command experiment: the plan needs the walk-forward job\'s file facts');
  return [fileUpload('experiment-script', layout.experimentScriptUri, file, 'text/x-python')];
}

/** A generated file as an upload (its body is the content). */
export function bodyUpload(role: UploadRole, uri: string, body: string, contentType: string): PlannedUpload {
  const { bucket, key } = parseS3Uri(uri);
  return { role, bucket, key, uri, localPath: null, body, sha256: sha256Hex(body), size: Buffer.byteLength(body), contentType };
}

/** run.json as an upload (its body is the manifest). */
export function manifestUpload(layout: RunLayout, manifest: RunManifest): PlannedUpload {
  const body = `${JSON.stringify(manifest, null, 2)}\n`;
  const { bucket, key } = parseS3Uri(layout.manifestUri);
  return {
    role: 'manifest', bucket, key, uri: layout.manifestUri, localPath: null, body,
    sha256: sha256Hex(body), size: Buffer.byteLength(body), contentType: 'application/json',
  };
}

export function planRun(config: EmrConfig, identity: RunIdentity, files: RunFiles): EmrPlan {
  const { runId, attemptId } = identity;
  const inputName = basename(files.input.path);
  const wheelhouseRequirements = files.wheelhouse.find((f) => basename(f.path) === WHEELHOUSE_REQUIREMENTS);
  if (wheelhouseRequirements === undefined) {
    throw new Error(`the wheelhouse has no ${WHEELHOUSE_REQUIREMENTS} (build it with pyspark/wheelhouse.sh)`);
  }
  // Its requirements.txt pins every wheel by sha256, so its hash names the whole wheelhouse.
  const layout = runLayout(config, identity, inputName, wheelhouseRequirements.sha256.slice(0, 16));
  const manifest: RunManifest = {
    tool: 'pricecast',
    runId,
    attemptId,
    input: { name: inputName, sha256: files.input.sha256, size: files.input.size, uri: layout.inputUri },
    // The local input path stays out: the run is described by S3 URIs only.
    ...commandManifest(config),
    job: jobManifest(config.job),
    outputUri: layout.outputUri,
    releaseLabel: config.releaseLabel,
  };
  const upload = (role: UploadRole, uri: string, file: LocalFileFacts, contentType: string) => fileUpload(role, uri, file, contentType);
  const wheelhouseUploads = [...files.wheelhouse]
    .sort((a, b) => basename(a.path).localeCompare(basename(b.path)))
    .map((file) => {
      const name = basename(file.path);
      return name === WHEELHOUSE_REQUIREMENTS
        ? upload('wheelhouse-requirements', `${layout.wheelhouseUri}${name}`, file, 'text/plain')
        : upload('wheel', `${layout.wheelhouseUri}${name}`, file, 'application/zip');
    });
  const uploads: PlannedUpload[] = [
    upload('input', layout.inputUri, files.input, 'text/csv'),
    upload('script', layout.scriptUri, files.script, 'text/x-python'),
    ...experimentScriptUpload(config, layout, files.experimentScript),
    upload('bootstrap', layout.bootstrapUri, files.bootstrap, 'text/x-shellscript'),
    bodyUpload('publish-guard', layout.guardUri, PUBLISH_GUARD_SCRIPT, 'text/x-python'),
    ...wheelhouseUploads,
    manifestUpload(layout, manifest),
  ];

  const steps = planSteps(config, layout);
  const base = { runId, layout, manifest, uploads, steps };
  if (config.clusterId !== null) {
    return { ...base, runJobFlow: null, addJobFlowSteps: { JobFlowId: config.clusterId, Steps: steps }, cost: null };
  }

  const tags = [
    ...Object.entries(config.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: MANAGED_TAG, Value: 'true' },
    { Key: RUN_TAG, Value: runId },
    { Key: ATTEMPT_TAG, Value: attemptId },
    ...(identity.creatorArn !== null ? [{ Key: CREATOR_TAG, Value: identity.creatorArn }] : []),
    // The _V2 service role's managed policy (AmazonEMRServicePolicy_v2) acts only on resources with this
    // tag; on a cluster under the older role it is inert (docs/emr.md#permissions).
    { Key: EMR_MANAGED_POLICY_TAG, Value: 'true' },
  ];
  const runJobFlow: RunJobFlowCommandInput = {
    Name: `${CLUSTER_NAME_PREFIX}${runId}`,
    ReleaseLabel: config.releaseLabel,
    LogUri: config.logUri,
    Applications: config.applications.map((Name) => ({ Name })),
    // The bootstrap's venv (Python 3.11) for the driver and every executor: spark-env's PYSPARK_PYTHON,
    // and spark.pyspark.python, which Spark reads first (docs/emr.md#node-types-and-python).
    Configurations: [
      {
        Classification: 'spark-env',
        Configurations: [{ Classification: 'export', Properties: { PYSPARK_PYTHON } }],
      },
      { Classification: 'spark-defaults', Properties: { 'spark.pyspark.python': PYSPARK_PYTHON } },
    ],
    Instances: {
      InstanceGroups: [
        { Name: 'master', InstanceRole: 'MASTER', Market: 'ON_DEMAND', InstanceType: config.masterInstanceType, InstanceCount: 1 },
        ...(config.coreInstanceCount > 0
          ? [{ Name: 'core', InstanceRole: 'CORE' as const, Market: 'ON_DEMAND' as const, InstanceType: config.coreInstanceType, InstanceCount: config.coreInstanceCount }]
          : []),
      ],
      // Cost safety: the cluster ends when the last step ends, and a failed step ends it (see planSteps).
      KeepJobFlowAliveWhenNoSteps: false,
      TerminationProtected: false,
      ...(config.subnetId !== null ? { Ec2SubnetId: config.subnetId } : {}),
      ...(config.ec2KeyName !== null ? { Ec2KeyName: config.ec2KeyName } : {}),
    },
    // Backstop if something keeps it alive anyway (e.g. a step added by hand): terminate when idle.
    AutoTerminationPolicy: { IdleTimeout: config.idleTimeoutSeconds },
    BootstrapActions: [
      {
        Name: 'install the job\'s Python packages offline from the wheelhouse',
        ScriptBootstrapAction: { Path: layout.bootstrapUri, Args: [layout.wheelhouseUri] },
      },
    ],
    Steps: steps,
    ServiceRole: config.serviceRole,
    JobFlowRole: config.jobFlowRole,
    VisibleToAllUsers: true,
    Tags: tags,
  };
  return { ...base, runJobFlow, addJobFlowSteps: null, cost: estimateHourlyCost(config) };
}
