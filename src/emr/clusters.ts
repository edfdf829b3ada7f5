/**
 * The tool's own clusters: those tagged pricecast:managed=true (plan.ts puts the tag on every
 * cluster it creates, with the creator's STS ARN in pricecast:creator). `pricecast emr list` shows
 * them; `pricecast emr cleanup` terminates the caller's own that are still alive (a colleague's only
 * with --all). Clusters without the tag are never touched.
 */
import {
  DescribeClusterCommand,
  ListClustersCommand,
  TerminateJobFlowsCommand,
  type ClusterState,
  type EMRClient,
} from '@aws-sdk/client-emr';
import { CLUSTER_NAME_PREFIX, CREATOR_TAG, MANAGED_TAG, RUN_TAG } from './plan.js';

/** States in which a cluster still runs (and costs money). */
export const ACTIVE_CLUSTER_STATES: ClusterState[] = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING', 'TERMINATING'];
/** States `cleanup` terminates (TERMINATING is already on its way). */
export const TERMINABLE_CLUSTER_STATES: ClusterState[] = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'];

export interface ManagedCluster {
  id: string;
  name: string;
  state: string;
  runId: string | null;
  /** The STS ARN that created it (pricecast:creator), or null for clusters tagged before the creator tag. */
  creator: string | null;
  created: string | null;
  normalizedInstanceHours: number | null;
}

export async function listManagedClusters(
  emr: EMRClient,
  options: { states?: ClusterState[] } = {},
): Promise<ManagedCluster[]> {
  const found: ManagedCluster[] = [];
  let marker: string | undefined;
  do {
    const page = await emr.send(new ListClustersCommand({ ClusterStates: options.states, Marker: marker }));
    for (const summary of page.Clusters ?? []) {
      if (!summary.Id) continue;
      // ListClusters carries no tags; DescribeCluster does. Only clusters named like the tool's are
      // described: an account's other clusters (hundreds with --all) cost no call each.
      if (!(summary.Name ?? '').startsWith(CLUSTER_NAME_PREFIX)) continue;
      const { Cluster: cluster } = await emr.send(new DescribeClusterCommand({ ClusterId: summary.Id }));
      const tags = new Map((cluster?.Tags ?? []).map((t) => [t.Key, t.Value]));
      if (tags.get(MANAGED_TAG) !== 'true') continue;
      found.push({
        id: summary.Id,
        name: summary.Name ?? '',
        state: summary.Status?.State ?? '?',
        runId: tags.get(RUN_TAG) ?? null,
        creator: tags.get(CREATOR_TAG) ?? null,
        created: summary.Status?.Timeline?.CreationDateTime?.toISOString() ?? null,
        normalizedInstanceHours: summary.NormalizedInstanceHours ?? null,
      });
    }
    marker = page.Marker;
  } while (marker);
  return found;
}

/** Terminates the given clusters, 10 ids per TerminateJobFlows call. */
export async function terminateClusters(emr: EMRClient, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 10) {
    await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: ids.slice(i, i + 10) }));
  }
}

/** The clusters `cleanup` may terminate: the caller's own, or all of the tool's with `all`. */
export function cleanupTargets(clusters: ManagedCluster[], callerArn: string, all: boolean): ManagedCluster[] {
  if (all) return clusters;
  const caller = principalOf(callerArn);
  return clusters.filter((c) => c.creator !== null && principalOf(c.creator) === caller);
}

/**
 * Who an STS caller ARN stands for: an assumed role's ARN ends in a session name that changes with
 * every sign-in (SSO, `aws sts assume-role`), so it is compared without it:
 * arn:aws:sts::123456789012:assumed-role/Dev/alice-1700000000 → arn:aws:sts::123456789012:assumed-role/Dev.
 * Users and roots are their own ARN.
 */
export function principalOf(arn: string): string {
  const match = /^(arn:[^:]+:sts::\d+:assumed-role\/[^/]+)\/.+$/.exec(arn);
  return match ? match[1] : arn;
}
