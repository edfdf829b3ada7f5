/**
 * An EMR Serverless run as data (pure, like plan.ts): configuration + run id + facts about the local
 * files → the S3 uploads, the CreateApplication request (when no --application-id is given), the
 * StartJobRun request and a cost estimate. `pricecast emr plan --serverless` prints it;
 * `submit --serverless` carries it out (serverlessSubmit.ts).
 *
 * The run's bucket layout is the cluster's (plan.ts), less the bootstrap and wheelhouse, plus the
 * packed Python environment, content-addressed so that runs with the same environment share it:
 *
 *   s3://BUCKET/PREFIX/runs/RUN-ID/input/<file>.csv, job/price_regression.py    as on a cluster
 *   s3://BUCKET/PREFIX/pyenv/KEY/pyenv.tar.gz                                    KEY: its sha256 (16 hex)
 *   s3://BUCKET/PREFIX/runs/RUN-ID/attempts/ATTEMPT/output/                      written by the job itself
 *   s3://BUCKET/PREFIX/runs/RUN-ID/run.json                                      written LAST (see below)
 *
 * There is no HDFS: the job writes its output folder to S3 itself. The folder is the attempt's own (the
 * clientToken makes StartJobRun idempotent, so a retried request starts no second run, and the run's
 * retry policy allows one attempt, so no restarted driver writes into it), and run.json, the pointer
 * `fetch` follows, is not among the uploads: submit writes it after the job run SUCCEEDED and the folder
 * was found whole (docs/emr.md#all-or-nothing-without-hdfs).
 */
import type { CreateApplicationCommandInput, StartJobRunCommandInput } from '@aws-sdk/client-emr-serverless';
import { basename } from 'node:path';
import type { EmrConfig, ServerlessConfig } from './config.js';
import { joinKey } from './config.js';
import { estimateServerlessCost, type ServerlessCostEstimate } from './cost.js';
import {
  ATTEMPT_TAG,
  CLUSTER_NAME_PREFIX,
  CREATOR_TAG,
  commandManifest,
  experimentScriptUpload,
  fileUpload,
  jobManifest,
  jobSubmit,
  MANAGED_TAG,
  RUN_TAG,
  runLayout,
  s3Uri,
  type LocalFileFacts,
  type PlannedUpload,
  type RunIdentity,
  type RunLayout,
  type RunManifest,
} from './plan.js';

export interface ServerlessFiles {
  input: LocalFileFacts;
  script: LocalFileFacts;
  /** The walk-forward job, with --command experiment. */
  experimentScript?: LocalFileFacts;
  pythonArchive: LocalFileFacts;
}

/** Where the archive is unpacked in each worker's working folder (`spark.archives` URI#NAME). */
export const ARCHIVE_ALIAS = 'environment';
export const ARCHIVE_PYTHON = `./${ARCHIVE_ALIAS}/bin/python`;
/** Driver and executors are the same size: 4 vCPU, 14 GB heap + EMR Serverless's 10% overhead → 16 GB workers. */
export const SERVERLESS_WORKER = { vcpu: 4, memoryGb: 16, sparkMemory: '14g' } as const;
/** A new application stops itself after this long idle (a backstop: submit stops it at the end). */
export const APPLICATION_IDLE_STOP_MINUTES = 15;

export interface ServerlessPlan {
  runId: string;
  layout: RunLayout;
  /** run.json: uploaded by submit after the job run succeeded (not in `uploads`). */
  manifest: RunManifest;
  uploads: PlannedUpload[];
  pythonArchiveUri: string;
  /** The application to create, or null with --application-id. */
  createApplication: CreateApplicationCommandInput | null;
  /** The job run; `applicationId` is the given one, or filled in by submit after CreateApplication. */
  startJobRun: StartJobRunCommandInput;
  cost: ServerlessCostEstimate;
}

export function planServerlessRun(config: EmrConfig, identity: RunIdentity, files: ServerlessFiles): ServerlessPlan {
  const serverless = config.serverless;
  if (serverless === null) throw new Error('planServerlessRun needs a --serverless configuration');
  const { runId, attemptId } = identity;
  const inputName = basename(files.input.path);
  const layout = runLayout(config, identity, inputName, '');
  const pythonArchiveUri = s3Uri(config.bucket, joinKey(config.prefix, 'pyenv', files.pythonArchive.sha256.slice(0, 16), 'pyenv.tar.gz'));
  const manifest: RunManifest = {
    tool: 'pricecast',
    runId,
    attemptId,
    input: { name: inputName, sha256: files.input.sha256, size: files.input.size, uri: layout.inputUri },
    ...commandManifest(config),
    job: jobManifest(config.job),
    outputUri: layout.outputUri,
    releaseLabel: config.releaseLabel,
  };
  const uploads = [
    fileUpload('input', layout.inputUri, files.input, 'text/csv'),
    fileUpload('script', layout.scriptUri, files.script, 'text/x-python'),
    ...experimentScriptUpload(config, layout, files.experimentScript),
    fileUpload('python-archive', pythonArchiveUri, files.pythonArchive, 'application/gzip'),
  ];
  const tags: Record<string, string> = {
    ...config.tags,
    [MANAGED_TAG]: 'true',
    [RUN_TAG]: runId,
    [ATTEMPT_TAG]: attemptId,
    ...(identity.creatorArn !== null ? { [CREATOR_TAG]: identity.creatorArn } : {}),
  };
  const createApplication: CreateApplicationCommandInput | null = serverless.applicationId !== null
    ? null
    : {
        name: `${CLUSTER_NAME_PREFIX}${runId}`,
        releaseLabel: config.releaseLabel,
        type: 'SPARK',
        architecture: 'X86_64',
        // Idempotent: a retried CreateApplication of this attempt returns the same application.
        clientToken: `${runId}-${attemptId}`,
        autoStartConfiguration: { enabled: true },
        autoStopConfiguration: { enabled: true, idleTimeoutMinutes: APPLICATION_IDLE_STOP_MINUTES },
        // A ceiling on what the run can hold (and bill): the planned workers, nothing more.
        maximumCapacity: maximumCapacity(serverless),
        tags,
      };
  const startJobRun: StartJobRunCommandInput = {
    applicationId: serverless.applicationId ?? undefined,
    clientToken: `${runId}-${attemptId}`,
    executionRoleArn: serverless.executionRoleArn,
    name: `${CLUSTER_NAME_PREFIX}${runId} ${attemptId}`,
    jobDriver: {
      sparkSubmit: jobDriver(config, layout, sparkSubmitParameters(serverless, pythonArchiveUri)),
    },
    configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: config.logUri } } },
    // The run's own time limit, enforced by EMR Serverless even when no client is watching.
    executionTimeoutMinutes: Math.max(5, Math.ceil(config.stepTimeoutMinutes)),
    retryPolicy: { maxAttempts: 1 },
    tags,
  };
  const cost = estimateServerlessCost([
    { role: 'driver', count: 1, vcpu: SERVERLESS_WORKER.vcpu, memoryGb: SERVERLESS_WORKER.memoryGb },
    { role: 'executor', count: serverless.executors, vcpu: SERVERLESS_WORKER.vcpu, memoryGb: SERVERLESS_WORKER.memoryGb },
  ]);
  return { runId, layout, manifest, uploads, pythonArchiveUri, createApplication, startJobRun, cost };
}

/**
 * The job run's spark-submit: the same job and flags as the cluster's step (plan.ts jobSubmit), with
 * s3:// input and output; spark-submit's own options (with experiment, `--py-files`) in the parameters.
 */
function jobDriver(config: EmrConfig, layout: RunLayout, parameters: string[]): { entryPoint: string; entryPointArguments: string[]; sparkSubmitParameters: string } {
  const [entryPoint, ...rest] = jobSubmit(config, layout, layout.inputUri, layout.outputUri.replace(/\/$/, ''));
  if (entryPoint === '--py-files') {
    const [pyFiles, script, ...args] = rest;
    return { entryPoint: script, entryPointArguments: args, sparkSubmitParameters: [...parameters, '--py-files', pyFiles].join(' ') };
  }
  return { entryPoint, entryPointArguments: rest, sparkSubmitParameters: parameters.join(' ') };
}

/** `--conf` pairs of the job: the packed environment as every worker's Python, fixed worker sizes. */
export function sparkSubmitParameters(serverless: ServerlessConfig, pythonArchiveUri: string): string[] {
  const conf: Array<[string, string]> = [
    ['spark.archives', `${pythonArchiveUri}#${ARCHIVE_ALIAS}`],
    ['spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON', ARCHIVE_PYTHON],
    ['spark.emr-serverless.driverEnv.PYSPARK_PYTHON', ARCHIVE_PYTHON],
    ['spark.executorEnv.PYSPARK_PYTHON', ARCHIVE_PYTHON],
    ['spark.driver.cores', String(SERVERLESS_WORKER.vcpu)],
    ['spark.driver.memory', SERVERLESS_WORKER.sparkMemory],
    ['spark.executor.cores', String(SERVERLESS_WORKER.vcpu)],
    ['spark.executor.memory', SERVERLESS_WORKER.sparkMemory],
    ['spark.executor.instances', String(serverless.executors)],
    // A fixed number of executors: the estimate and the application's maximum capacity hold.
    ['spark.dynamicAllocation.enabled', 'false'],
  ];
  return conf.flatMap(([key, value]) => ['--conf', `${key}=${value}`]);
}

function maximumCapacity(serverless: ServerlessConfig): { cpu: string; memory: string } {
  const workers = 1 + serverless.executors;
  return { cpu: `${workers * SERVERLESS_WORKER.vcpu} vCPU`, memory: `${workers * SERVERLESS_WORKER.memoryGb} GB` };
}
