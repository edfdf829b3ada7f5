/**
 * `pricecast emr submit --serverless`: stage → create the application (unless --application-id) →
 * StartJobRun → wait → check the output folder is whole → write run.json (the commit point) → fetch →
 * compare, as on a cluster.
 *
 * Clean-up is this module's job, as submit.ts's is for clusters: a job run that did not succeed is
 * cancelled (time-out, Ctrl-C/SIGTERM, an API error while waiting), and an application this run created
 * is stopped before it returns, whatever happened (it also stops itself when idle, a backstop). An
 * application given with --application-id is left as it was.
 */
import {
  CancelJobRunCommand,
  CreateApplicationCommand,
  GetJobRunCommand,
  StartJobRunCommand,
  StopApplicationCommand,
  type EMRServerlessClient,
} from '@aws-sdk/client-emr-serverless';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EmrConfig } from './config.js';
import type { CompareOutcome } from './fetch.js';
import type { ExperimentCompareOutcome } from './experimentCompare.js';
import { manifestUpload, parseS3Uri } from './plan.js';
import type { ServerlessPlan } from './serverlessPlan.js';
import { waitForJobRun, type JobRunReader, type JobRunWaitResult } from './serverlessWait.js';
import { checkBucket, stageUploads } from './stage.js';
import { abortExitCode, fetchAndCompare } from './submit.js';
import { realClock, type Clock } from './wait.js';

export interface ServerlessDeps {
  s3: S3Client;
  serverless: EMRServerlessClient;
  /** How the waiter reads the job run; default GetJobRun through `serverless`. */
  reader?: JobRunReader;
  clock?: Clock;
  signal?: AbortSignal;
  log?: (line: string) => void;
  progress?: (line: string) => void;
  backoff?: (n: number) => number;
}

export interface ServerlessOutcome {
  exitCode: number;
  applicationId: string | null;
  createdApplication: boolean;
  /** True when this run stopped the application (it created it). */
  stoppedApplication: boolean;
  jobRunId: string | null;
  /** True when this run cancelled its job run (it had not succeeded). */
  cancelled: boolean;
  wait: JobRunWaitResult | null;
  outputDir: string | null;
  parity: CompareOutcome | null;
  /** With --command experiment: the fetched results.json against the engine's experiment. */
  experiment: ExperimentCompareOutcome | null;
}

const CLEANUP_CALL_TIMEOUT_MS = 60_000;
/** Wait statuses after which the job run may still be going: cancel it. */
const STILL_RUNNING: ReadonlySet<string> = new Set(['timeout', 'aborted', 'api-error', 'credentials-expired']);

export function sdkJobRunReader(client: EMRServerlessClient): JobRunReader {
  return {
    async getJobRun(applicationId, jobRunId) {
      const out = await client.send(new GetJobRunCommand({ applicationId, jobRunId }));
      if (!out.jobRun) throw new Error(`GetJobRun returned no job run for ${jobRunId}`);
      return out.jobRun;
    },
  };
}

export async function submitServerlessRun(
  options: { config: EmrConfig; plan: ServerlessPlan; outputDir: string; compare?: boolean },
  deps: ServerlessDeps,
): Promise<ServerlessOutcome> {
  const { config, plan } = options;
  const log = deps.log ?? (() => {});
  const outcome: ServerlessOutcome = {
    exitCode: 1, applicationId: plan.startJobRun.applicationId ?? null, createdApplication: false, stoppedApplication: false,
    jobRunId: null, cancelled: false, wait: null, outputDir: null, parity: null, experiment: null,
  };
  const encryption = { algorithm: config.sseAlgorithm, kmsKeyId: config.kmsKeyId };
  await checkBucket(deps.s3, config.bucket);
  await stageUploads(deps.s3, plan.uploads, { encryption, log });
  if (deps.signal?.aborted) return { ...outcome, exitCode: abortExitCode(deps.signal) };

  let succeeded = false;
  try {
    if (plan.createApplication !== null) {
      const created = await deps.serverless.send(new CreateApplicationCommand(plan.createApplication));
      outcome.applicationId = created.applicationId ?? null;
      outcome.createdApplication = true;
      if (outcome.applicationId === null) throw new Error('CreateApplication returned no application id');
      log(`application ${outcome.applicationId} created (${plan.createApplication.name}); it is stopped at the end`);
    }
    const applicationId = outcome.applicationId!;
    // clientToken: the SDK's retries of a lost answer return the same job run, never a second one.
    const started = await deps.serverless.send(new StartJobRunCommand({ ...plan.startJobRun, applicationId }));
    outcome.jobRunId = started.jobRunId ?? null;
    if (outcome.jobRunId === null) throw new Error('StartJobRun returned no job run id');
    log(`job run ${outcome.jobRunId} started on ${applicationId}`);

    const wait = await waitForJobRun(deps.reader ?? sdkJobRunReader(deps.serverless), applicationId, outcome.jobRunId, {
      pollMs: config.pollSeconds * 1000,
      timeoutMs: config.timeoutMinutes * 60_000,
      clock: deps.clock ?? realClock,
      signal: deps.signal,
      onProgress: deps.progress,
      maxConsecutiveErrors: config.maxConsecutiveErrors,
      backoff: deps.backoff,
      onRetry: log,
    });
    outcome.wait = wait;
    if (wait.status !== 'success') {
      log(`run failed: ${wait.message}`);
      outcome.exitCode = wait.status === 'aborted' ? abortExitCode(deps.signal) : 1;
      return outcome;
    }
    await checkOutputWhole(deps.s3, plan.layout.outputUri, plan.manifest.command === 'experiment' ? 'experiment' : 'predict');
    // The commit point: run.json names this attempt's output only now (one PutObject).
    await stageUploads(deps.s3, [manifestUpload(plan.layout, plan.manifest)], { encryption, log });
    succeeded = true;
  } finally {
    await cleanUp(outcome, succeeded, deps, log);
  }

  return fetchAndCompare(outcome, { s3: deps.s3, outputUri: plan.layout.outputUri, manifest: plan.manifest, input: config.job.input }, options, log);
}

/**
 * The job's folder must be whole before run.json points at it: predict's parquet part, _model.json and
 * _SUCCESS; the experiment's results.json (which the walk-forward job writes last, in one piece).
 */
export async function checkOutputWhole(s3: S3Client, outputUri: string, command: 'predict' | 'experiment' = 'predict'): Promise<void> {
  const { bucket, key } = parseS3Uri(outputUri);
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) names.push(object.Key.slice(key.length));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const missing = (command === 'experiment' ? ['results.json'] : ['_SUCCESS', '_model.json']).filter((n) => !names.includes(n));
  if (command === 'predict' && !names.some((n) => /^part-.*\.parquet$/.test(n))) missing.push('a part-*.parquet file');
  if (missing.length > 0) {
    throw new Error(`the job run succeeded but ${outputUri} lacks ${missing.join(', ')}; run.json was not updated, so fetch still shows the previous attempt`);
  }
}

async function cleanUp(outcome: ServerlessOutcome, succeeded: boolean, deps: ServerlessDeps, log: (line: string) => void): Promise<void> {
  const own = { abortSignal: AbortSignal.timeout(CLEANUP_CALL_TIMEOUT_MS) };
  const { applicationId, jobRunId } = outcome;
  if (!succeeded && applicationId !== null && jobRunId !== null && (outcome.wait === null || STILL_RUNNING.has(outcome.wait.status))) {
    try {
      await deps.serverless.send(new CancelJobRunCommand({ applicationId, jobRunId }), own);
      outcome.cancelled = true;
      log(`cancelled job run ${jobRunId}`);
    } catch (error) {
      log(`COULD NOT CANCEL job run ${jobRunId} (${(error as Error).message}): aws emr-serverless cancel-job-run --application-id ${applicationId} --job-run-id ${jobRunId}`);
    }
  }
  if (outcome.createdApplication && applicationId !== null) {
    try {
      await deps.serverless.send(new StopApplicationCommand({ applicationId }), { abortSignal: AbortSignal.timeout(CLEANUP_CALL_TIMEOUT_MS) });
      outcome.stoppedApplication = true;
      log(`stopped application ${applicationId}`);
    } catch (error) {
      log(`could not stop application ${applicationId} (${(error as Error).message}); it stops itself after its idle time-out`);
    }
  }
}
