/**
 * `pricecast emr submit`: stage → create the cluster with the steps (or add them to an existing
 * cluster) → wait → fetch the output → compare with the local engine.
 *
 * Clean-up is this module's job: a cluster it created is terminated before it returns whenever the
 * run did not succeed: a failed or cancelled step, the cluster ending early, a timeout, an API error
 * while waiting, an exception of our own, or an abort (Ctrl-C / SIGTERM, passed in as an
 * AbortSignal whose reason is the signal's name). A cluster given with --cluster-id is never
 * terminated; only our own unfinished steps on it are cancelled.
 */
import {
  AddJobFlowStepsCommand,
  CancelStepsCommand,
  ListStepsCommand,
  TerminateJobFlowsCommand,
  type EMRClient,
} from '@aws-sdk/client-emr';
import type { S3Client } from '@aws-sdk/client-s3';
import type { EmrConfig } from './config.js';
import { createClusterOnce } from './createCluster.js';
import { checkExistingCluster } from './existingCluster.js';
import { compareRun, downloadPrefix, runOutputLayout, type CompareOutcome } from './fetch.js';
import { compareExperimentRun, type ExperimentCompareOutcome } from './experimentCompare.js';
import type { EmrPlan } from './plan.js';
import { backoffMs, classifyAwsError, describeAwsError } from './awsErrors.js';
import { readFailureLog, type FailureLog } from './failureLog.js';
import { checkBucket, stageUploads } from './stage.js';
import { DEADLINE_REASON, realClock, sdkStatusReader, waitForSteps, type Clock, type EmrStatusReader, type WaitResult } from './wait.js';

export interface SubmitDeps {
  s3: S3Client;
  emr: EMRClient;
  /**
   * EMR without the SDK's retries, for RunJobFlow (createCluster.ts); clients.ts makes one. Without it
   * RunJobFlow goes through `emr`, whose own retries may then start a second cluster.
   */
  emrSingleAttempt?: EMRClient;
  /** How the waiter reads cluster and step state; default: the EMR API through `emr`. */
  status?: EmrStatusReader;
  clock?: Clock;
  signal?: AbortSignal;
  log?: (line: string) => void;
  progress?: (line: string) => void;
  /** How often to look for a failed step's stderr.gz in S3 (the how-long is config.logWaitMinutes). */
  failureLogPollMs?: number;
  /** Wait before retry n of a transient error (default awsErrors.backoffMs). */
  backoff?: (n: number) => number;
}

/** Each termination call's own time limit: it runs after the run's signal fired (Ctrl-C, timeout). */
const CLEANUP_CALL_TIMEOUT_MS = 60_000;
const CLEANUP_ATTEMPTS = 4;

export interface SubmitOptions {
  config: EmrConfig;
  plan: EmrPlan;
  /** Local folder the output is downloaded into. */
  outputDir: string;
  /** Run the local engine on the same input and compare (default true). */
  compare?: boolean;
}

export interface SubmitOutcome {
  /** 0 success (and parity, when compared); 1 a failure; 130/143 interrupted by SIGINT/SIGTERM. */
  exitCode: number;
  clusterId: string | null;
  createdCluster: boolean;
  /** True when this run terminated the cluster (it created it and the run did not succeed). */
  terminated: boolean;
  stepIds: string[];
  wait: WaitResult | null;
  /** A failed step's log: EMR's LogFile pointer, the job's error found in it, or why it is missing. */
  failureLog: FailureLog | null;
  outputDir: string | null;
  parity: CompareOutcome | null;
  /** With --command experiment: the fetched results.json against the engine's experiment. */
  experiment: ExperimentCompareOutcome | null;
}

export const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The exit code of a run its signal ended: 1 for the deadline, else the signal's (130, 143). */
export function abortExitCode(signal: AbortSignal | undefined): number {
  const reason = signal?.reason;
  if (reason === DEADLINE_REASON) return 1;
  return typeof reason === 'string' && reason in SIGNAL_EXIT_CODES ? SIGNAL_EXIT_CODES[reason] : 130;
}

export async function submitRun(options: SubmitOptions, deps: SubmitDeps): Promise<SubmitOutcome> {
  const { config, plan } = options;
  const log = deps.log ?? (() => {});
  const clock = deps.clock ?? realClock;
  const outcome: SubmitOutcome = {
    exitCode: 1,
    clusterId: null,
    createdCluster: false,
    terminated: false,
    stepIds: [],
    wait: null,
    failureLog: null,
    outputDir: null,
    parity: null,
    experiment: null,
  };

  await checkBucket(deps.s3, config.bucket);
  // Before anything is staged: a cluster the tool did not prepare is refused, not found out mid-run.
  if (plan.addJobFlowSteps !== null) await checkExistingCluster(deps.emr, plan.addJobFlowSteps.JobFlowId!, plan.layout, config.releaseLabel);
  await stageUploads(deps.s3, plan.uploads, { encryption: { algorithm: config.sseAlgorithm, kmsKeyId: config.kmsKeyId }, log });
  if (deps.signal?.aborted) {
    log('interrupted before any cluster was created; nothing to clean up');
    return { ...outcome, exitCode: abortExitCode(deps.signal) };
  }

  // From here on a cluster may exist: every way out goes through cleanUp unless the run succeeded.
  let succeeded = false;
  let cleaned = false;
  try {
    if (plan.runJobFlow !== null) {
      const created = await createClusterOnce(plan.runJobFlow, { runId: plan.runId, attemptId: plan.layout.attemptId }, {
        single: deps.emrSingleAttempt ?? deps.emr,
        emr: deps.emr,
        clock,
        backoff: deps.backoff,
        log,
      });
      outcome.clusterId = created.clusterId;
      outcome.createdCluster = true;
      log(`cluster ${created.clusterId} requested (${plan.runJobFlow.Name}); it terminates itself after the last step`);
      outcome.stepIds = await stepIdsByName(deps.emr, created.clusterId, plan);
    } else {
      const added = await deps.emr.send(new AddJobFlowStepsCommand(plan.addJobFlowSteps!));
      outcome.clusterId = plan.addJobFlowSteps!.JobFlowId!;
      outcome.stepIds = added.StepIds ?? [];
      log(`added ${outcome.stepIds.length} steps to the existing cluster ${outcome.clusterId} (it stays running)`);
    }
    if (outcome.stepIds.length !== plan.steps.length) {
      throw new Error(`expected ${plan.steps.length} step ids on ${outcome.clusterId}, found ${outcome.stepIds.length}`);
    }

    const wait = await waitForSteps(deps.status ?? sdkStatusReader(deps.emr), outcome.clusterId, outcome.stepIds, {
      pollMs: config.pollSeconds * 1000,
      timeoutMs: config.timeoutMinutes * 60_000,
      clock,
      signal: deps.signal,
      onProgress: (line) => deps.progress?.(line),
      maxConsecutiveErrors: config.maxConsecutiveErrors,
      backoff: deps.backoff,
      onRetry: log,
    });
    outcome.wait = wait;
    if (wait.status !== 'success') {
      log(`run failed: ${wait.message}`);
      cleaned = true;
      await cleanUp(outcome, deps, log);
      if (wait.failedStep?.Id && !deps.signal?.aborted) {
        outcome.failureLog = await readFailureLog(
          { s3: deps.s3, emr: deps.emr },
          { logUri: wait.cluster?.LogUri ?? config.logUri, clusterId: outcome.clusterId, stepId: wait.failedStep.Id },
          {
            waitMs: config.logWaitMinutes * 60_000,
            pollMs: deps.failureLogPollMs,
            clock,
            signal: deps.signal,
            onProgress: (line) => deps.progress?.(line),
          },
        );
      }
      outcome.exitCode = wait.status === 'aborted' ? abortExitCode(deps.signal) : 1;
      return outcome;
    }
    succeeded = true;
  } finally {
    if (!succeeded && !cleaned) await cleanUp(outcome, deps, log);
  }

  log(`steps completed on ${outcome.clusterId}; fetching ${plan.layout.outputUri}`);
  return fetchAndCompare(outcome, { s3: deps.s3, outputUri: plan.layout.outputUri, manifest: plan.manifest, input: config.job.input }, options, log);
}

/**
 * After a run succeeded (cluster or serverless): download its output and, unless told not to, compare
 * it with the engine: predict's folder with the engine's pipeline, the experiment's results.json with
 * the engine's experiment.
 */
export async function fetchAndCompare<O extends Pick<SubmitOutcome, 'exitCode' | 'outputDir' | 'parity' | 'experiment'>>(
  outcome: O,
  run: { s3: S3Client; outputUri: string; manifest: EmrPlan['manifest']; input: string },
  options: Pick<SubmitOptions, 'outputDir' | 'compare'>,
  log: (line: string) => void,
): Promise<O> {
  const downloaded = await downloadPrefix(run.s3, run.outputUri, options.outputDir, () => {}, runOutputLayout(run.manifest));
  outcome.outputDir = downloaded.dir;
  log(`output in ${downloaded.dir} (${downloaded.files.join(', ')})`);
  if (options.compare === false) {
    outcome.exitCode = 0;
    return outcome;
  }
  if (run.manifest.command === 'experiment') {
    log('compare: running the engine\'s experiment on the same input and settings…');
    outcome.experiment = await compareExperimentRun(run.s3, downloaded.dir, run.manifest, run.input);
    outcome.exitCode = outcome.experiment.report.ok ? 0 : 1;
    return outcome;
  }
  outcome.parity = await compareRun(run.s3, downloaded.dir, run.manifest, run.input);
  outcome.exitCode = outcome.parity.report.ok ? 0 : 1;
  return outcome;
}

/**
 * RunJobFlow does not return step ids; the plan's step names carry the run id, so they identify
 * the steps (ListSteps lists newest first; the result is in the plan's order).
 */
async function stepIdsByName(emr: EMRClient, clusterId: string, plan: EmrPlan): Promise<string[]> {
  const byName = new Map<string, string>();
  let marker: string | undefined;
  do {
    const page = await emr.send(new ListStepsCommand({ ClusterId: clusterId, Marker: marker }));
    for (const step of page.Steps ?? []) if (step.Name && step.Id) byName.set(step.Name, step.Id);
    marker = page.Marker;
  } while (marker);
  return plan.steps.map((s) => byName.get(s.Name!)).filter((id): id is string => id !== undefined);
}

/** Terminates a cluster this run created; on someone else's cluster, cancels our unfinished steps. */
async function cleanUp(outcome: SubmitOutcome, deps: SubmitDeps, log: (line: string) => void): Promise<void> {
  const clusterId = outcome.clusterId;
  if (clusterId === null) return;
  if (outcome.createdCluster) {
    // Its own signal: the run's may have fired already (that is often why we are here). Transient errors
    // are retried a few times: a throttled TerminateJobFlows must not leave a cluster running.
    const clock = deps.clock ?? realClock;
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [clusterId] }), {
          abortSignal: AbortSignal.timeout(CLEANUP_CALL_TIMEOUT_MS),
        });
        outcome.terminated = true;
        log(`terminated cluster ${clusterId}`);
        return;
      } catch (error) {
        const kind = classifyAwsError(error);
        if ((kind === 'transient' || kind === 'aborted') && attempt < CLEANUP_ATTEMPTS) {
          await clock.sleep((deps.backoff ?? backoffMs)(attempt));
          continue;
        }
        log(
          `COULD NOT TERMINATE cluster ${clusterId}: ${describeAwsError(error)}\n` +
            `  it may still be running and costing money: aws emr terminate-clusters --cluster-ids ${clusterId}` +
            ` (or pricecast emr cleanup)`,
        );
        return;
      }
    }
  }
  if (outcome.stepIds.length === 0) return;
  try {
    await deps.emr.send(new CancelStepsCommand({ ClusterId: clusterId, StepIds: outcome.stepIds }), {
      abortSignal: AbortSignal.timeout(CLEANUP_CALL_TIMEOUT_MS),
    });
    log(`cancelled this run's unfinished steps on ${clusterId}; the cluster was left running`);
  } catch (error) {
    log(`could not cancel this run's steps on ${clusterId} (${(error as Error).message}); the cluster was left running`);
  }
}
