/**
 * A HAND-WRITTEN FAKE, and why it has to exist: moto implements the EMR API (clusters, steps,
 * bootstrap actions, tags, termination) but never runs anything: a cluster it creates with steps
 * stays RUNNING, its first step RUNNING and the others PENDING, forever (moto/emr/models.py,
 * Cluster.add_steps), and moto's state manager (moto_api) has no EMR transitions. No other peer can
 * produce a step that FAILS or a cluster that ends TERMINATED_WITH_ERRORS short of a real AWS account.
 *
 * So the waiter's input is scripted here, ON TOP of the real moto cluster: every poll really calls
 * moto's DescribeCluster and ListSteps (ids, names, args, tags, LogUri are moto's answers), and only
 * the Status fields (State, StateChangeReason, FailureDetails) are replaced by the next entry of a
 * script. The scripts follow the lifecycles EMR documents (Management Guide, "Understanding the
 * cluster lifecycle" and the step states): STARTING → BOOTSTRAPPING → RUNNING → WAITING/TERMINATING →
 * TERMINATED or TERMINATED_WITH_ERRORS; steps PENDING → RUNNING → COMPLETED | FAILED | CANCELLED, a
 * FAILED step with ActionOnFailure TERMINATE_CLUSTER cancelling the steps after it.
 *
 * Everything else in the tests (termination, tags, staged objects, the log file) is moto's real state.
 */
import type { ClusterState, StepState } from '@aws-sdk/client-emr';
import type { EmrStatusReader } from '../../src/emr/wait.js';

export interface ScriptedPoll {
  cluster: ClusterState;
  /** One state per step, in the order the steps were submitted. */
  steps: StepState[];
  clusterReason?: { Code: string; Message: string };
  /** FailureDetails of a FAILED step (0-based index in submission order). */
  failure?: { step: number; Reason: string; Message: string; LogFile?: string };
  /**
   * Instead of answering, make a real failing call to moto (DescribeCluster of a cluster id that does
   * not exist): the waiter then sees a genuine SDK error from the server.
   */
  apiError?: true;
}

export interface ScriptedReader extends EmrStatusReader {
  /** How many polls (DescribeCluster calls) have been answered. */
  readonly polls: number;
}

export function scriptedStatusReader(real: EmrStatusReader, script: ScriptedPoll[]): ScriptedReader {
  let polls = 0;
  let current: ScriptedPoll = script[0];
  return {
    get polls() {
      return polls;
    },
    async describeCluster(clusterId) {
      current = script[Math.min(polls, script.length - 1)];
      polls++;
      if (current.apiError) return real.describeCluster('j-NOSUCHCLUSTER0');
      const cluster = await real.describeCluster(clusterId);
      return {
        ...cluster,
        Status: { ...cluster.Status, State: current.cluster, StateChangeReason: current.clusterReason ?? {} },
      };
    },
    async listSteps(clusterId, stepIds) {
      const steps = await real.listSteps(clusterId, stepIds);
      return steps.map((step) => {
        const index = stepIds.indexOf(step.Id ?? '');
        const state = current.steps[index] ?? 'PENDING';
        const failure = current.failure?.step === index ? current.failure : undefined;
        return {
          ...step,
          Status: {
            ...step.Status,
            State: state,
            StateChangeReason: {},
            ...(failure
              ? { FailureDetails: { Reason: failure.Reason, Message: failure.Message, LogFile: failure.LogFile } }
              : {}),
          },
        };
      });
    },
  };
}

/** A clock whose sleep only advances time (no real waiting), and which can abort at a chosen sleep. */
export function fakeClock(options: { onSleep?: (count: number) => void } = {}) {
  let now = 1_700_000_000_000;
  let sleeps = 0;
  return {
    now: () => now,
    async sleep(ms: number) {
      sleeps++;
      now += ms;
      options.onSleep?.(sleeps);
    },
    get sleeps() {
      return sleeps;
    },
  };
}
