/**
 * Why a step failed, from its log. EMR copies a step's stderr to LOG-URI/CLUSTER-ID/steps/STEP-ID/stderr.gz
 * every few minutes and on termination, so right after a failure it is usually not there yet: this waits
 * for it (up to `waitMs`, default 6 minutes, with a progress line), then looks in it for what matters
 * (the job's own one-line error, or a Python traceback) instead of its last lines, which are Spark's
 * shutdown noise. EMR's own pointer to the log it analysed (DescribeStep's FailureDetails.LogFile) is
 * reported too, and read first when it is an S3 object.
 */
import { DescribeStepCommand, type EMRClient } from '@aws-sdk/client-emr';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { parseS3Uri } from './plan.js';
import { formatElapsed, realClock, type Clock } from './wait.js';

export const DEFAULT_LOG_WAIT_MINUTES = 6;
export const LOG_POLL_MS = 15_000;

export interface FoundError {
  kind: 'job-error' | 'traceback';
  text: string;
}

export interface FailureLog {
  /** Where the log was looked for (stderr.gz). */
  uri: string;
  /** DescribeStep's FailureDetails.LogFile, when EMR gave one. */
  logFile: string | null;
  /** The error found in the log, or null (log missing or nothing recognisable in it). */
  error: FoundError | null;
  /** The log's last lines, when it was read (context when no error was recognised). */
  tail: string | null;
  note: string;
}

/** Log4j / Spark log lines ("25/01/02 10:11:12 INFO ...", "2025-01-02T10:11:12 WARN ...") are not the job's. */
const LOG_LINE = /^(\d{2}\/\d{2}\/\d{2}|\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}:\d{2}/;
/** The job's one-line error (docs/input.md#bad-input: file, line, column, what was expected), e.g. `data.csv:3: column price: expected …`. */
const JOB_ERROR = /^[^\s:][^:]*:\d+(?::\d+)?: .*\bexpected\b/;
/** The publish guard's refusal (publishGuard.ts): another cluster's claim, or objects not of this run. */
const GUARD_REFUSAL = /^pricecast publish: refusing /;

/**
 * The job's error in a log (pure): the LAST Python traceback (from "Traceback (most recent call last):"
 * to its exception line, the first unindented line after it), else the job's one-line error (or the
 * publish guard's refusal), else null.
 */
export function findJobError(text: string): FoundError | null {
  const lines = text.split(/\r?\n/);
  let lastTraceback: FoundError | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('Traceback (most recent call last):')) continue;
    let end = i + 1;
    while (end < lines.length && (/^\s/.test(lines[end]) || lines[end] === '')) end++;
    if (end < lines.length) end++; // the exception line itself
    lastTraceback = { kind: 'traceback', text: lines.slice(i, end).join('\n').trimEnd() };
    i = end - 1;
  }
  if (lastTraceback !== null) return lastTraceback;
  const jobLine = lines.find((line) => !LOG_LINE.test(line) && (JOB_ERROR.test(line) || GUARD_REFUSAL.test(line)));
  return jobLine !== undefined ? { kind: 'job-error', text: jobLine } : null;
}

export function stepStderrUri(logUri: string, clusterId: string, stepId: string): string {
  const base = logUri.endsWith('/') ? logUri : `${logUri}/`;
  return `${base}${clusterId}/steps/${stepId}/stderr.gz`.replace(/^s3n:/, 's3:');
}

export interface FailureLogOptions {
  waitMs?: number;
  pollMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** "waiting for the step's log … (1m30s of 6m00s)" */
  onProgress?: (line: string) => void;
  tailLines?: number;
}

export async function readFailureLog(
  clients: { s3: S3Client; emr: EMRClient },
  where: { logUri: string; clusterId: string; stepId: string },
  options: FailureLogOptions = {},
): Promise<FailureLog> {
  const clock = options.clock ?? realClock;
  const waitMs = options.waitMs ?? DEFAULT_LOG_WAIT_MINUTES * 60_000;
  const pollMs = options.pollMs ?? LOG_POLL_MS;
  let logFile: string | null = null;
  try {
    const out = await clients.emr.send(new DescribeStepCommand({ ClusterId: where.clusterId, StepId: where.stepId }));
    logFile = out.Step?.Status?.FailureDetails?.LogFile ?? null;
  } catch {
    // Only a pointer; the conventional location below is still tried.
  }
  const conventional = stepStderrUri(where.logUri, where.clusterId, where.stepId);
  // EMR's LogFile may name the file itself or the step's log folder.
  const fromLogFile = logFile !== null && /^s3n?:\/\//.test(logFile)
    ? (logFile.endsWith('.gz') ? logFile.replace(/^s3n:/, 's3:') : `${logFile.replace(/^s3n:/, 's3:').replace(/\/?$/, '/')}stderr.gz`)
    : null;
  const candidates = [...new Set([fromLogFile, conventional].filter((u): u is string => u !== null))];

  const started = clock.now();
  for (;;) {
    for (const uri of candidates) {
      const text = await readGzipText(clients.s3, uri);
      if (text.kind === 'error') return { uri, logFile, error: null, tail: null, note: `could not read ${uri}: ${text.message}` };
      if (text.kind === 'missing') continue;
      const tail = text.text.replace(/\n+$/, '').split('\n').slice(-(options.tailLines ?? 20)).join('\n');
      const error = findJobError(text.text);
      const note = error !== null ? `the job's error, from ${uri}` : `no Python traceback or job error in ${uri}; its last lines`;
      return { uri, logFile, error, tail, note };
    }
    const elapsed = clock.now() - started;
    if (elapsed >= waitMs || options.signal?.aborted) {
      return {
        uri: conventional,
        logFile,
        error: null,
        tail: null,
        note: `${conventional} was not in S3 after ${formatElapsed(elapsed)} (EMR copies logs every few minutes); look there later`,
      };
    }
    options.onProgress?.(`waiting for EMR to copy the step's log to S3 (${formatElapsed(elapsed)} of ${formatElapsed(waitMs)})…`);
    await clock.sleep(Math.min(pollMs, waitMs - elapsed), options.signal);
  }
}

async function readGzipText(
  s3: S3Client,
  uri: string,
): Promise<{ kind: 'text'; text: string } | { kind: 'missing' } | { kind: 'error'; message: string }> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await out.Body!.transformToByteArray();
    return { kind: 'text', text: gunzipSync(bytes).toString('utf8') };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return { kind: 'missing' };
    return { kind: 'error', message: (error as Error).message };
  }
}
