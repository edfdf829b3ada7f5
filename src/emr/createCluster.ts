/**
 * RunJobFlow exactly once per attempt. RunJobFlow has no idempotency token: when its answer is lost
 * (a dropped connection, a 5xx after EMR acted, a request time-out), sending it again starts a second
 * cluster writing into the same output. So the call is made without the SDK's own retries (the
 * `single` client, maxAttempts 1), and after any failure the run's cluster is looked for by its name
 * and its pricecast:run / pricecast:attempt tags before the request is sent again
 * (docs/emr.md#one-cluster-per-attempt). A cluster found is adopted: the caller waits on it and
 * cleans it up like one it created.
 */
import {
  DescribeClusterCommand,
  ListClustersCommand,
  RunJobFlowCommand,
  type EMRClient,
  type RunJobFlowCommandInput,
} from '@aws-sdk/client-emr';
import { backoffMs, classifyAwsError } from './awsErrors.js';
import { ATTEMPT_TAG, RUN_TAG } from './plan.js';
import { realClock, type Clock } from './wait.js';

/** States of a cluster that may be this attempt's (just created, or already running its steps). */
const LIVE_STATES = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] as const;
/** RunJobFlow sends at most, counting the first. */
export const RUN_JOB_FLOW_ATTEMPTS = 3;
/** The look-up's own time limit: it also runs after the run's signal fired (to find what to terminate). */
const LOOKUP_TIMEOUT_MS = 60_000;

export interface CreateClusterDeps {
  /** A client without SDK retries, for RunJobFlow only. */
  single: EMRClient;
  /** The ordinary client, for the look-up. */
  emr: EMRClient;
  clock?: Clock;
  backoff?: (n: number) => number;
  log?: (line: string) => void;
}

export interface CreatedCluster {
  clusterId: string;
  /** True when the request's answer was lost and the cluster was found by its tags instead. */
  adopted: boolean;
  /** RunJobFlow requests sent. */
  requests: number;
}

export async function createClusterOnce(
  request: RunJobFlowCommandInput,
  attempt: { runId: string; attemptId: string },
  deps: CreateClusterDeps,
): Promise<CreatedCluster> {
  const clock = deps.clock ?? realClock;
  const log = deps.log ?? (() => {});
  for (let n = 1; ; n++) {
    try {
      const out = await deps.single.send(new RunJobFlowCommand(request));
      if (!out.JobFlowId) throw new Error('RunJobFlow returned no cluster id');
      return { clusterId: out.JobFlowId, adopted: false, requests: n };
    } catch (error) {
      const kind = classifyAwsError(error);
      const found = await findAttemptCluster(deps.emr, request.Name ?? '', attempt).catch(() => null);
      if (found !== null) {
        log(`RunJobFlow's answer was lost (${(error as Error).name}); found the run's cluster ${found} by its tags, not sending it again`);
        return { clusterId: found, adopted: true, requests: n };
      }
      if (kind !== 'transient' || n >= RUN_JOB_FLOW_ATTEMPTS) throw error;
      log(`RunJobFlow failed (${(error as Error).name}); no cluster of this attempt exists, sending it again`);
      await clock.sleep((deps.backoff ?? backoffMs)(n));
    }
  }
}

/** The live cluster named `name` and tagged with this run and attempt, or null. */
export async function findAttemptCluster(
  emr: EMRClient,
  name: string,
  attempt: { runId: string; attemptId: string },
): Promise<string | null> {
  const options = { abortSignal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) };
  let marker: string | undefined;
  do {
    const page = await emr.send(new ListClustersCommand({ ClusterStates: [...LIVE_STATES], Marker: marker }), options);
    for (const summary of page.Clusters ?? []) {
      if (!summary.Id || summary.Name !== name) continue;
      const { Cluster: cluster } = await emr.send(new DescribeClusterCommand({ ClusterId: summary.Id }), options);
      const tags = new Map((cluster?.Tags ?? []).map((t) => [t.Key, t.Value]));
      if (tags.get(RUN_TAG) === attempt.runId && tags.get(ATTEMPT_TAG) === attempt.attemptId) return summary.Id;
    }
    marker = page.Marker;
  } while (marker);
  return null;
}
