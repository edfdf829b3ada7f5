/**
 * Waiting for a run's steps, the way Airflow's EMR sensors/waiters do it: poll DescribeCluster and
 * ListSteps, and decide from tables of states (data, not code paths) whether to keep waiting, or
 * whether the run succeeded or failed. The clock and sleep are injected so that tests drive whole
 * state sequences without taking real time, and an AbortSignal (Ctrl-C, SIGTERM) ends the wait.
 *
 * A transient API error (throttling, 5xx, network, timeout: see awsErrors.ts) does not end the wait:
 * it is retried with backoff, and only `maxConsecutiveErrors` failures in a row give up. Expired
 * credentials end it at once with a message naming the cluster to clean up.
 */
import {
  DescribeClusterCommand,
  ListStepsCommand,
  type Cluster,
  type ClusterState,
  type EMRClient,
  type StepState,
  type StepSummary,
} from '@aws-sdk/client-emr';
import { backoffMs, classifyAwsError, describeAwsError } from './awsErrors.js';

/** What a step state means for the run. */
export type StepOutcome = 'waiting' | 'success' | 'failure';
export const STEP_STATE_OUTCOME: Readonly<Record<StepState, StepOutcome>> = {
  PENDING: 'waiting',
  CANCEL_PENDING: 'waiting',
  RUNNING: 'waiting',
  COMPLETED: 'success',
  CANCELLED: 'failure',
  FAILED: 'failure',
  INTERRUPTED: 'failure',
};

/** What a cluster state means: alive (steps may still run), ending, or ended (nothing more will run). */
export type ClusterOutcome = 'alive' | 'ending' | 'ended';
export const CLUSTER_STATE_OUTCOME: Readonly<Record<ClusterState, ClusterOutcome>> = {
  STARTING: 'alive',
  BOOTSTRAPPING: 'alive',
  RUNNING: 'alive',
  WAITING: 'alive',
  TERMINATING: 'ending',
  TERMINATED: 'ended',
  TERMINATED_WITH_ERRORS: 'ended',
};

export type WaitStatus =
  | 'success'
  | 'step-failed'
  | 'step-cancelled'
  | 'cluster-ended'
  | 'timeout'
  | 'api-error'
  | 'credentials-expired'
  | 'aborted';

export interface WaitResult {
  status: WaitStatus;
  /** One line saying what happened. */
  message: string;
  cluster: Cluster | null;
  steps: StepSummary[];
  /** The first FAILED step (for the log tail), when there is one. */
  failedStep: StepSummary | null;
  elapsedMs: number;
  error?: unknown;
}

/** The two reads the waiter makes. The SDK implementation is below; tests may wrap it. */
export interface EmrStatusReader {
  describeCluster(clusterId: string): Promise<Cluster>;
  listSteps(clusterId: string, stepIds: string[]): Promise<StepSummary[]>;
}

export function sdkStatusReader(emr: EMRClient): EmrStatusReader {
  return {
    async describeCluster(clusterId) {
      const out = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
      if (!out.Cluster) throw new Error(`DescribeCluster ${clusterId} returned no cluster`);
      return out.Cluster;
    },
    async listSteps(clusterId, stepIds) {
      // At most 10 ids per call (the API's limit); the run has 3.
      const steps: StepSummary[] = [];
      for (let i = 0; i < stepIds.length; i += 10) {
        const out = await emr.send(new ListStepsCommand({ ClusterId: clusterId, StepIds: stepIds.slice(i, i + 10) }));
        steps.push(...(out.Steps ?? []));
      }
      return steps;
    },
  };
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * The verdict on one poll (pure), in this order: every step COMPLETED is success; a FAILED step is a
 * step failure once the steps have all finished or the cluster has ended; a cluster that ended
 * (TERMINATED, TERMINATED_WITH_ERRORS) before the steps finished is reported with the cluster's own
 * reason (a bootstrap failure leaves every step CANCELLED, and the reason is the cluster's); finished
 * steps with one CANCELLED or INTERRUPTED are a cancelled run. A cancelled step is judged only once
 * every step has finished, because EMR may show the later steps CANCELLED a poll before it shows the
 * earlier step FAILED.
 */
export function judge(
  cluster: Cluster,
  steps: StepSummary[],
  expectedSteps: number,
): { status: 'waiting' | 'success' | 'step-failed' | 'step-cancelled' | 'cluster-ended'; failedStep: StepSummary | null; message: string } {
  const outcomes = steps.map((s) => STEP_STATE_OUTCOME[(s.Status?.State ?? 'PENDING') as StepState] ?? 'waiting');
  const allSeen = steps.length >= expectedSteps;
  const failedStep = steps.find((s) => s.Status?.State === 'FAILED') ?? null;
  const allDone = allSeen && outcomes.every((o) => o !== 'waiting');
  const clusterState = (cluster.Status?.State ?? 'STARTING') as ClusterState;
  const clusterOutcome = CLUSTER_STATE_OUTCOME[clusterState] ?? 'alive';

  if (allSeen && outcomes.every((o) => o === 'success')) {
    return { status: 'success', failedStep: null, message: `all ${steps.length} steps completed` };
  }
  if (failedStep !== null && (allDone || clusterOutcome === 'ended')) {
    return { status: 'step-failed', failedStep, message: `step "${shortName(failedStep)}" FAILED${failureReason(failedStep)}` };
  }
  if (clusterOutcome === 'ended') {
    const reason = cluster.Status?.StateChangeReason;
    const why = [reason?.Code, reason?.Message].filter(Boolean).join(': ');
    return {
      status: 'cluster-ended',
      failedStep: failedStep,
      message: `cluster ${cluster.Id} ${clusterState} before the steps finished${why ? ` (${why})` : ''}`,
    };
  }
  if (allDone) {
    const cancelled = steps.find((s) => STEP_STATE_OUTCOME[s.Status?.State as StepState] === 'failure') ?? steps[0];
    return {
      status: 'step-cancelled',
      failedStep: null,
      message: `step "${shortName(cancelled)}" ${cancelled.Status?.State}${stateReason(cancelled.Status?.StateChangeReason?.Message)}`,
    };
  }
  return { status: 'waiting', failedStep: null, message: '' };
}

function stateReason(message: string | undefined): string {
  return message ? ` (${message})` : '';
}

function failureReason(step: StepSummary): string {
  const details = step.Status?.FailureDetails;
  const why = [details?.Reason, details?.Message].filter(Boolean).join(': ');
  return why ? `: ${why}` : stateReason(step.Status?.StateChangeReason?.Message);
}

/** A step's name without the "pricecast RUN-ID: " the plan puts in front. */
export function shortName(step: StepSummary): string {
  return (step.Name ?? step.Id ?? '?').replace(/^pricecast [^:]+: /, '');
}

export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${two(m)}m${two(s)}s` : `${m}m${two(s)}s`;
}

/** The live progress line: elapsed, cluster state, each step's state. */
export function formatProgress(elapsedMs: number, cluster: Cluster, steps: StepSummary[]): string {
  const stepText = steps.map((s, i) => `[${i + 1}/${steps.length} ${shortName(s)}: ${s.Status?.State ?? '?'}]`).join(' ');
  return `${formatElapsed(elapsedMs)} cluster ${cluster.Id} ${cluster.Status?.State ?? '?'} ${stepText}`;
}

export interface WaitOptions {
  pollMs: number;
  timeoutMs: number;
  clock?: Clock;
  signal?: AbortSignal;
  onProgress?: (line: string, cluster: Cluster, steps: StepSummary[]) => void;
  /** Transient errors in a row before giving up (default DEFAULT_MAX_CONSECUTIVE_ERRORS). */
  maxConsecutiveErrors?: number;
  /** Wait before retry n (1-based); default awsErrors.backoffMs. */
  backoff?: (n: number) => number;
  /** Told about each retried error. */
  onRetry?: (line: string) => void;
}

export const DEFAULT_MAX_CONSECUTIVE_ERRORS = 10;

/** The abort reason of the --timeout-minutes deadline (Ctrl-C and SIGTERM abort with the signal's name). */
export const DEADLINE_REASON = 'timeout';

/** Polls until the steps finish, the cluster ends, the time runs out, an API call fails or the signal aborts. */
export async function waitForSteps(
  reader: EmrStatusReader,
  clusterId: string,
  stepIds: string[],
  options: WaitOptions,
): Promise<WaitResult> {
  const clock = options.clock ?? realClock;
  const started = clock.now();
  let cluster: Cluster | null = null;
  let steps: StepSummary[] = [];
  const result = (status: WaitStatus, message: string, extra: Partial<WaitResult> = {}): WaitResult => ({
    status,
    message,
    cluster,
    steps,
    failedStep: null,
    elapsedMs: clock.now() - started,
    ...extra,
  });

  const maxErrors = options.maxConsecutiveErrors ?? DEFAULT_MAX_CONSECUTIVE_ERRORS;
  const backoff = options.backoff ?? ((n: number) => backoffMs(n));
  let consecutiveErrors = 0;
  const aborted = () =>
    options.signal?.reason === DEADLINE_REASON
      ? result('timeout', `gave up waiting after ${formatElapsed(clock.now() - started)} (timeout)`)
      : result('aborted', 'interrupted while waiting');
  for (;;) {
    if (options.signal?.aborted) return aborted();
    try {
      cluster = await reader.describeCluster(clusterId);
      const listed = await reader.listSteps(clusterId, stepIds);
      // ListSteps returns newest first; show and judge them in the order they were submitted.
      const byId = new Map(listed.map((s) => [s.Id, s]));
      steps = stepIds.map((id) => byId.get(id)).filter((s): s is StepSummary => s !== undefined);
      consecutiveErrors = 0;
    } catch (error) {
      const kind = classifyAwsError(error, options.signal);
      const what = describeAwsError(error);
      if (kind === 'aborted') return aborted();
      if (kind === 'credentials') {
        return result(
          'credentials-expired',
          `AWS credentials stopped working while waiting (${what}); cluster ${clusterId} may still be running: ` +
            `renew the credentials, then run 'pricecast emr cleanup' or 'aws emr terminate-clusters --cluster-ids ${clusterId}'`,
          { error },
        );
      }
      if (kind === 'fatal') return result('api-error', `EMR API error while waiting: ${what}`, { error });
      consecutiveErrors++;
      if (consecutiveErrors >= maxErrors) {
        return result('api-error', `EMR API error while waiting: gave up after ${consecutiveErrors} transient errors in a row, the last: ${what}`, { error });
      }
      if (clock.now() - started >= options.timeoutMs) {
        return result('timeout', `gave up waiting after ${formatElapsed(clock.now() - started)} (timeout; last error: ${what})`);
      }
      const pause = backoff(consecutiveErrors);
      options.onRetry?.(`transient error ${consecutiveErrors}/${maxErrors} while waiting (${what}); retrying in ${formatElapsed(pause)}`);
      await clock.sleep(pause, options.signal);
      continue;
    }
    options.onProgress?.(formatProgress(clock.now() - started, cluster, steps), cluster, steps);
    const verdict = judge(cluster, steps, stepIds.length);
    if (verdict.status !== 'waiting') return result(verdict.status, verdict.message, { failedStep: verdict.failedStep });
    if (clock.now() - started >= options.timeoutMs) {
      return result('timeout', `gave up waiting after ${formatElapsed(clock.now() - started)} (timeout)`);
    }
    await clock.sleep(options.pollMs, options.signal);
  }
}
