/**
 * `--cluster-id`: steps go to a cluster the tool did not create, so its Python environment is not a
 * given. The spark-submit step runs the job with PYSPARK_PYTHON = the venv pyspark/bootstrap.sh builds
 * from the run's wheelhouse (docs/emr.md#an-existing-cluster); a cluster without that bootstrap action
 * (or with another wheelhouse, or another Spark line) would fail mid-run or, worse, run other library
 * versions. It is checked before anything is staged, from DescribeCluster and ListBootstrapActions,
 * and refused with one line saying what is missing.
 */
import {
  DescribeClusterCommand,
  ListBootstrapActionsCommand,
  type Cluster,
  type Command,
  type EMRClient,
} from '@aws-sdk/client-emr';
import { UsageError } from '../engine/errors.js';
import { SPARK_VERSION_BY_RELEASE } from '../settings.js';
import type { RunLayout } from './plan.js';

/** States in which a cluster accepts steps and runs them. */
export const STEP_READY_STATES: ReadonlySet<string> = new Set(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']);

/** Why the cluster cannot run this plan's steps, or null when it can (pure). */
export function existingClusterProblem(
  cluster: Pick<Cluster, 'Id' | 'ReleaseLabel' | 'Status'>,
  bootstrapActions: Pick<Command, 'ScriptPath' | 'Args'>[],
  want: { releaseLabel: string; wheelhouseUri: string },
): string | null {
  const id = cluster.Id ?? '?';
  const state = cluster.Status?.State ?? '?';
  if (!STEP_READY_STATES.has(state)) return `cluster ${id} is ${state}: it runs no more steps`;
  const line = (release: string | undefined) => {
    const spark = release === undefined ? undefined : SPARK_VERSION_BY_RELEASE[release];
    return spark === undefined ? null : spark.split('.').slice(0, 2).join('.');
  };
  const theirs = line(cluster.ReleaseLabel);
  const ours = line(want.releaseLabel);
  if (theirs === null || theirs !== ours) {
    return `cluster ${id} runs ${cluster.ReleaseLabel ?? 'an unknown release'}${theirs !== null ? ` (Spark ${theirs})` : ''}, not a release with the Spark line of ${want.releaseLabel}${ours !== null ? ` (Spark ${ours})` : ''}`;
  }
  const installs = bootstrapActions.some((a) => (a.Args ?? []).includes(want.wheelhouseUri));
  if (!installs) {
    return `cluster ${id} has no bootstrap action installing this run's Python environment (pyspark/bootstrap.sh with ${want.wheelhouseUri}); create a cluster with 'pricecast emr submit' without --cluster-id, or start yours with that bootstrap action`;
  }
  return null;
}

/** Reads the cluster and refuses it (UsageError, exit 2, nothing staged) when it cannot run the plan. */
export async function checkExistingCluster(
  emr: EMRClient,
  clusterId: string,
  layout: Pick<RunLayout, 'wheelhouseUri'>,
  releaseLabel: string,
): Promise<void> {
  const { Cluster: cluster } = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
  const actions: Command[] = [];
  let marker: string | undefined;
  do {
    const page = await emr.send(new ListBootstrapActionsCommand({ ClusterId: clusterId, Marker: marker }));
    actions.push(...(page.BootstrapActions ?? []));
    marker = page.Marker;
  } while (marker);
  const problem = existingClusterProblem(cluster ?? { Id: clusterId }, actions, { releaseLabel, wheelhouseUri: layout.wheelhouseUri });
  if (problem !== null) throw new UsageError(`--cluster-id: ${problem}`);
}
