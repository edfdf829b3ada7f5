/**
 * The run as data (pure: no I/O, no clock): configuration + run id + facts about the local files →
 * the exact S3 uploads and the exact EMR request. `pricecast emr plan` prints it; `submit` carries
 * it out. It replaces the original Airflow DAG's chain (upload data and script, create the cluster
 * with a bootstrap action, add three steps, wait, terminate).
 *
 * Layout of one run in the bucket:
 *
 *   s3://BUCKET/PREFIX/runs/RUN-ID/run.json                   this plan's facts (fetch reads it)
 *   s3://BUCKET/PREFIX/runs/RUN-ID/input/<file>.csv          the data
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/price_regression.py   the job
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/bootstrap.sh          the bootstrap action
 *   s3://BUCKET/PREFIX/runs/RUN-ID/job/requirements.txt      the pins bootstrap.sh installs
 *   s3://BUCKET/PREFIX/runs/RUN-ID/output/                   written by the last step
 *   s3://BUCKET/PREFIX/logs/CLUSTER-ID/steps/STEP-ID/stderr.gz   EMR's own log layout under LogUri
 *
 * The three steps, as in the original DAG: s3-dist-cp the data into HDFS, spark-submit the staged
 * job reading and writing HDFS, s3-dist-cp the output back to S3.
 */
import type { AddJobFlowStepsCommandInput, RunJobFlowCommandInput, StepConfig } from '@aws-sdk/client-emr';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { SplitMode } from '../engine/types.js';
import { joinKey, PYSPARK_PYTHON, type EmrConfig } from './config.js';

/** Tags that mark a cluster as this tool's (`list` and `cleanup` look for MANAGED_TAG=true). */
export const MANAGED_TAG = 'pricecast:managed';
export const RUN_TAG = 'pricecast:run';
export const MANIFEST_NAME = 'run.json';

export interface LocalFileFacts {
  path: string;
  /** sha256 of the bytes, hex. */
  sha256: string;
  size: number;
}

export interface RunFiles {
  input: LocalFileFacts;
  script: LocalFileFacts;
  bootstrap: LocalFileFacts;
  requirements: LocalFileFacts;
}

export type UploadRole = 'manifest' | 'input' | 'script' | 'bootstrap' | 'requirements';

export interface PlannedUpload {
  role: UploadRole;
  bucket: string;
  key: string;
  uri: string;
  /** The local file to upload, or null when `body` is the content (the manifest). */
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
  bootstrapUri: string;
  requirementsUri: string;
  /** Output folder in S3 (ends in /). */
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
  input: { name: string; sha256: string; size: number; uri: string };
  job: { seed: number; split: SplitMode; trainRatio: number };
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

export function runLayout(config: EmrConfig, runId: string, inputName: string): RunLayout {
  const runKey = joinKey(config.prefix, 'runs', runId);
  const uri = (...parts: string[]) => s3Uri(config.bucket, joinKey(runKey, ...parts));
  // HDFS paths carry the run id too: a shared cluster (--cluster-id) may hold other runs' folders.
  const hdfsRun = `hdfs:///pricecast/${runId}`;
  return {
    runId,
    bucket: config.bucket,
    runKey,
    manifestUri: uri(MANIFEST_NAME),
    inputUri: uri('input', inputName),
    scriptUri: uri('job', 'price_regression.py'),
    bootstrapUri: uri('job', 'bootstrap.sh'),
    requirementsUri: uri('job', 'requirements.txt'),
    outputUri: `${uri('output')}/`,
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
 * The three steps. On a cluster the tool creates, a failed step terminates it (TERMINATE_CLUSTER);
 * on someone's existing cluster it only cancels the remaining steps and leaves the cluster running
 * (CANCEL_AND_WAIT).
 */
export function planSteps(config: EmrConfig, layout: RunLayout): StepConfig[] {
  const actionOnFailure = config.clusterId === null ? 'TERMINATE_CLUSTER' : 'CANCEL_AND_WAIT';
  const commandRunner = (args: string[]) => ({ Jar: 'command-runner.jar', Args: args });
  const job = config.job;
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
      Name: `pricecast ${layout.runId}: spark-submit price_regression.py`,
      ActionOnFailure: actionOnFailure,
      HadoopJarStep: commandRunner([
        'spark-submit',
        // Client mode: the driver runs in the step's own process, so the job's one-line error (bad
        // input) lands in the step's stderr.gz, which `submit` prints when the step fails.
        '--deploy-mode', 'client',
        '--master', 'yarn',
        layout.scriptUri,
        '--input', layout.hdfsInput,
        '--output', layout.hdfsOutput,
        '--seed', String(job.seed),
        '--split', job.split,
        '--train-ratio', String(job.trainRatio),
      ]),
    },
    {
      Name: `pricecast ${layout.runId}: s3-dist-cp output to S3`,
      ActionOnFailure: actionOnFailure,
      HadoopJarStep: commandRunner(['s3-dist-cp', `--src=${layout.hdfsOutput}`, `--dest=${layout.outputUri}`]),
    },
  ];
}

/** The folder holding a file URI (s3-dist-cp copies folders). */
function dirUri(fileUri: string): string {
  return fileUri.slice(0, fileUri.lastIndexOf('/') + 1);
}

export function planRun(config: EmrConfig, runId: string, files: RunFiles): EmrPlan {
  const inputName = basename(files.input.path);
  const layout = runLayout(config, runId, inputName);
  const manifest: RunManifest = {
    tool: 'pricecast',
    runId,
    input: { name: inputName, sha256: files.input.sha256, size: files.input.size, uri: layout.inputUri },
    // The local input path stays out: the run is described by S3 URIs only.
    job: { seed: config.job.seed, split: config.job.split, trainRatio: config.job.trainRatio },
    outputUri: layout.outputUri,
    releaseLabel: config.releaseLabel,
  };
  const manifestBody = `${JSON.stringify(manifest, null, 2)}\n`;

  const upload = (role: UploadRole, uri: string, file: LocalFileFacts, contentType: string): PlannedUpload => ({
    role,
    bucket: config.bucket,
    key: parseS3Uri(uri).key,
    uri,
    localPath: file.path,
    body: null,
    sha256: file.sha256,
    size: file.size,
    contentType,
  });
  const uploads: PlannedUpload[] = [
    upload('input', layout.inputUri, files.input, 'text/csv'),
    upload('script', layout.scriptUri, files.script, 'text/x-python'),
    upload('bootstrap', layout.bootstrapUri, files.bootstrap, 'text/x-shellscript'),
    upload('requirements', layout.requirementsUri, files.requirements, 'text/plain'),
    {
      role: 'manifest',
      bucket: config.bucket,
      key: parseS3Uri(layout.manifestUri).key,
      uri: layout.manifestUri,
      localPath: null,
      body: manifestBody,
      sha256: sha256Hex(manifestBody),
      size: Buffer.byteLength(manifestBody),
      contentType: 'application/json',
    },
  ];

  const steps = planSteps(config, layout);
  if (config.clusterId !== null) {
    return {
      runId,
      layout,
      manifest,
      uploads,
      steps,
      runJobFlow: null,
      addJobFlowSteps: { JobFlowId: config.clusterId, Steps: steps },
    };
  }

  const tags = [
    ...Object.entries(config.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: MANAGED_TAG, Value: 'true' },
    { Key: RUN_TAG, Value: runId },
  ];
  const runJobFlow: RunJobFlowCommandInput = {
    Name: `pricecast ${runId}`,
    ReleaseLabel: config.releaseLabel,
    LogUri: config.logUri,
    Applications: config.applications.map((Name) => ({ Name })),
    Configurations: [
      {
        Classification: 'spark-env',
        Configurations: [{ Classification: 'export', Properties: { PYSPARK_PYTHON } }],
      },
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
        Name: 'install the job\'s Python requirements',
        ScriptBootstrapAction: { Path: layout.bootstrapUri, Args: [layout.requirementsUri] },
      },
    ],
    Steps: steps,
    ServiceRole: config.serviceRole,
    JobFlowRole: config.jobFlowRole,
    VisibleToAllUsers: true,
    Tags: tags,
  };
  return { runId, layout, manifest, uploads, steps, runJobFlow, addJobFlowSteps: null };
}
