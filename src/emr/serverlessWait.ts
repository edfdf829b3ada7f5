/**
 * Waiting for an EMR Serverless job run, like wait.ts waits for steps: poll GetJobRun and decide from a
 * table of states. Transient API errors are retried with backoff (awsErrors.ts); the deadline and
 * Ctrl-C/SIGTERM end the wait through the AbortSignal, and the caller cancels the run.
 */
import type { JobRun, JobRunState } from '@aws-sdk/client-emr-serverless';
import { backoffMs, classifyAwsError, describeAwsError } from './awsErrors.js';
import { DEADLINE_REASON, DEFAULT_MAX_CONSECUTIVE_ERRORS, formatElapsed, realClock, type Clock } from './wait.js';

export type JobRunOutcome = 'waiting' | 'success' | 'failure';

/** What a job run state means for the run (QUEUED: waiting for the application's capacity). */
export const JOB_RUN_STATE_OUTCOME: Readonly<Record<JobRunState, JobRunOutcome>> = {
  SUBMITTED: 'waiting',
  PENDING: 'waiting',
  SCHEDULED: 'waiting',
  QUEUED: 'waiting',
  RUNNING: 'waiting',
  CANCELLING: 'waiting',
  SUCCESS: 'success',
  FAILED: 'failure',
  CANCELLED: 'failure',
};

export interface JobRunReader {
  getJobRun(applicationId: string, jobRunId: string): Promise<JobRun>;
}

export type JobRunWaitStatus = 'success' | 'failed' | 'cancelled' | 'timeout' | 'aborted' | 'api-error' | 'credentials-expired';

export interface JobRunWaitResult {
  status: JobRunWaitStatus;
  message: string;
  jobRun: JobRun | null;
  elapsedMs: number;
}

export interface JobRunWaitOptions {
  pollMs: number;
  timeoutMs: number;
  clock?: Clock;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  maxConsecutiveErrors?: number;
  backoff?: (n: number) => number;
  onRetry?: (line: string) => void;
}

export async function waitForJobRun(
  reader: JobRunReader,
  applicationId: string,
  jobRunId: string,
  options: JobRunWaitOptions,
): Promise<JobRunWaitResult> {
  const clock = options.clock ?? realClock;
  const started = clock.now();
  let jobRun: JobRun | null = null;
  const result = (status: JobRunWaitStatus, message: string): JobRunWaitResult => ({ status, message, jobRun, elapsedMs: clock.now() - started });
  const aborted = () =>
    options.signal?.reason === DEADLINE_REASON
      ? result('timeout', `gave up waiting after ${formatElapsed(clock.now() - started)} (timeout)`)
      : result('aborted', 'interrupted while waiting');
  const maxErrors = options.maxConsecutiveErrors ?? DEFAULT_MAX_CONSECUTIVE_ERRORS;
  let errors = 0;
  for (;;) {
    if (options.signal?.aborted) return aborted();
    try {
      jobRun = await reader.getJobRun(applicationId, jobRunId);
      errors = 0;
    } catch (error) {
      const kind = classifyAwsError(error, options.signal);
      if (kind === 'aborted') return aborted();
      if (kind === 'credentials') return result('credentials-expired', `AWS credentials stopped working while waiting (${describeAwsError(error)}); job run ${jobRunId} on ${applicationId} may still be running`);
      if (kind === 'fatal' || ++errors >= maxErrors) return result('api-error', `EMR Serverless API error while waiting: ${describeAwsError(error)}`);
      const pause = (options.backoff ?? backoffMs)(errors);
      options.onRetry?.(`transient error ${errors}/${maxErrors} while waiting (${describeAwsError(error)}); retrying in ${formatElapsed(pause)}`);
      await clock.sleep(pause, options.signal);
      continue;
    }
    const state = (jobRun.state ?? 'PENDING') as JobRunState;
    options.onProgress?.(`${formatElapsed(clock.now() - started)} job run ${jobRunId} ${state}`);
    const outcome = JOB_RUN_STATE_OUTCOME[state] ?? 'waiting';
    if (outcome === 'success') return result('success', `job run ${jobRunId} succeeded`);
    if (outcome === 'failure') {
      const why = jobRun.stateDetails ? `: ${jobRun.stateDetails}` : '';
      return result(state === 'CANCELLED' ? 'cancelled' : 'failed', `job run ${jobRunId} ${state}${why}`);
    }
    if (clock.now() - started >= options.timeoutMs) return result('timeout', `gave up waiting after ${formatElapsed(clock.now() - started)} (timeout)`);
    await clock.sleep(options.pollMs, options.signal);
  }
}
