/**
 * The EMR mode against moto in server mode (a real implementation of the S3 and EMR APIs, started on
 * 127.0.0.1 by test/helpers/moto.ts and stopped by PID). What is real here: every S3 object, every
 * cluster, tag, step, bootstrap action and termination. What is scripted: only the cluster and step
 * STATES the waiter sees, because moto never advances them (see test/helpers/emrScript.ts).
 */
import {
  DescribeClusterCommand,
  EMRClient,
  ListBootstrapActionsCommand,
  ListStepsCommand,
  RunJobFlowCommand,
} from '@aws-sdk/client-emr';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEmrConfig, type EmrConfig } from '../../src/emr/config.js';
import { type EmrFlags } from '../../src/settings.js';
import { parseS3Uri, planRun, type EmrPlan } from '../../src/emr/plan.js';
import { PUBLISH_GUARD_SCRIPT } from '../../src/emr/publishGuard.js';
import { localFileFacts, stageUploads } from '../../src/emr/stage.js';
import { submitRun, type SubmitOutcome } from '../../src/emr/submit.js';
import { sdkStatusReader, type EmrStatusReader } from '../../src/emr/wait.js';
import { wheelhouseFiles } from '../../src/emr/wheelhouse.js';
import { ROOT, runCli, startCli, waitFor } from '../helpers/cli.js';
import { fakeClock, scriptedStatusReader, type ScriptedPoll } from '../helpers/emrScript.js';
import { openMotoSession, type MotoServer, type MotoSession } from '../helpers/moto.js';

const BUCKET = 'pricecast-test-bucket';
let session: MotoSession;
let moto: MotoServer;
let s3: S3Client;
let emr: EMRClient;
let work: string;

beforeAll(async () => {
  session = await openMotoSession('emr-moto');
  ({ moto, s3, emr, work } = session);
});

afterAll(async () => {
  await session?.close();
});

beforeEach(async () => {
  await moto.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

/** A small CSV written by the test (the stage tests only need bytes, not a valid job input). */
function writeInput(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, body);
  return file;
}

/**
 * A small stand-in wheelhouse (two tiny files in the real layout): these tests are about staging and
 * the cluster request, and the real one (~70 MB, test/emr/wheelhouse.test.ts) would only slow them.
 */
function tinyWheelhouse(): string {
  const dir = join(work, 'wheelhouse');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'demo-1.0-py3-none-any.whl'), 'not really a wheel');
  writeFileSync(join(dir, 'requirements.txt'), `demo==1.0 --hash=sha256:${createHash('sha256').update('not really a wheel').digest('hex')}\n`);
  return dir;
}

/** moto's STS caller identity (its fixed account and user). */
const MOTO_CALLER = 'arn:aws:sts::123456789012:user/moto';

async function configAndPlan(
  flags: EmrFlags = {},
  runId = 'run-1',
  identity: { attemptId?: string; creatorArn?: string | null } = {},
): Promise<{ config: EmrConfig; plan: EmrPlan }> {
  const input = flags.input ?? writeInput('prices.csv', 'date,price,volume,marketCap\n2024-01-01,1,2,3\n');
  const { config } = loadEmrConfig({ flags: { bucket: BUCKET, pollSeconds: 30, logWaitMinutes: 1, ...flags, input } });
  const files = {
    input: await localFileFacts(config.job.input),
    script: await localFileFacts(config.files.script),
    bootstrap: await localFileFacts(config.files.bootstrap),
    wheelhouse: await wheelhouseFiles(tinyWheelhouse()),
  };
  const attemptId = identity.attemptId ?? 'attempt-1';
  const creatorArn = identity.creatorArn === undefined ? MOTO_CALLER : identity.creatorArn;
  return { config, plan: planRun(config, { runId, attemptId, creatorArn }, files) };
}

const sha256Base64 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('base64');

async function realClusterState(clusterId: string): Promise<string | undefined> {
  const out = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
  return out.Cluster?.Status?.State;
}

describe('staging to S3', () => {
  it('uploads every planned file with SSE-S3 and a SHA-256 checksum that matches the local bytes', async () => {
    const { plan } = await configAndPlan();
    const staged = await stageUploads(s3, plan.uploads);
    expect(staged.map((s) => s.action)).toEqual(['uploaded', 'uploaded', 'uploaded', 'uploaded', 'uploaded', 'uploaded', 'uploaded']);

    const wheelhouseKey = createHash('sha256').update(readFileSync(join(work, 'wheelhouse', 'requirements.txt'))).digest('hex').slice(0, 16);
    const expectedKeys = [
      'pricecast/runs/run-1/input/prices.csv',
      'pricecast/runs/run-1/job/price_regression.py',
      'pricecast/runs/run-1/job/bootstrap.sh',
      'pricecast/runs/run-1/job/publish_guard.py',
      `pricecast/wheelhouse/${wheelhouseKey}/demo-1.0-py3-none-any.whl`,
      `pricecast/wheelhouse/${wheelhouseKey}/requirements.txt`,
      'pricecast/runs/run-1/run.json',
    ];
    expect(plan.uploads.map((u) => u.key)).toEqual(expectedKeys);
    const localSources = [
      join(work, 'prices.csv'),
      join(ROOT, 'pyspark', 'price_regression.py'),
      join(ROOT, 'pyspark', 'bootstrap.sh'),
      null, // generated: the guard's script (publishGuard.ts)
      join(work, 'wheelhouse', 'demo-1.0-py3-none-any.whl'),
      join(work, 'wheelhouse', 'requirements.txt'),
    ];
    for (const [i, key] of expectedKeys.entries()) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      expect(head.ServerSideEncryption).toBe('AES256');
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      // The checksum S3 stored is the SHA-256 of what it holds, computed here independently.
      expect(head.ChecksumSHA256).toBe(sha256Base64(bytes));
      const source = localSources[i];
      if (source !== null && source !== undefined) expect(bytes.equals(readFileSync(source))).toBe(true);
      if (source === null) expect(bytes.toString('utf8')).toBe(PUBLISH_GUARD_SCRIPT);
    }
    // The manifest describes the run by S3 URIs (what fetch needs), with the job's settings.
    const manifest = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: expectedKeys[6] }))).Body!.transformToString(),
    );
    expect(manifest).toMatchObject({
      tool: 'pricecast',
      runId: 'run-1',
      attemptId: 'attempt-1',
      input: { name: 'prices.csv', uri: `s3://${BUCKET}/pricecast/runs/run-1/input/prices.csv` },
      job: { seed: 42, split: 'random', trainRatio: 0.7, features: 'price,volume,marketCap,rsi' },
      outputUri: `s3://${BUCKET}/pricecast/runs/run-1/attempts/attempt-1/output/`,
    });
  });

  it('does not upload unchanged files again, and re-uploads exactly the one that changed', async () => {
    const { plan } = await configAndPlan();
    await stageUploads(s3, plan.uploads);
    const before = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: plan.uploads[1].key }));

    const again = await stageUploads(s3, plan.uploads);
    expect(again.map((s) => s.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    const after = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: plan.uploads[1].key }));
    expect(after.ETag).toBe(before.ETag);
    expect(after.LastModified?.getTime()).toBe(before.LastModified?.getTime());

    // Same run id, new data: the input (and the manifest, which records its sha256) change, nothing else.
    const changedInput = writeInput('prices.csv', 'date,price,volume,marketCap\n2024-01-01,1,2,3\n2024-01-02,2,3,4\n');
    const { plan: changed } = await configAndPlan({ input: changedInput });
    const third = await stageUploads(s3, changed.uploads);
    expect(third.map((s) => [s.upload.role, s.action])).toEqual([
      ['input', 'uploaded'],
      ['script', 'unchanged'],
      ['bootstrap', 'unchanged'],
      ['publish-guard', 'unchanged'],
      ['wheel', 'unchanged'],
      ['wheelhouse-requirements', 'unchanged'],
      ['manifest', 'uploaded'],
    ]);
  });

  it('re-uploads an object that has the same key but other bytes (e.g. written by someone else)', async () => {
    const { plan } = await configAndPlan();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: plan.uploads[0].key, Body: 'something else' }));
    const staged = await stageUploads(s3, plan.uploads);
    expect(staged[0].action).toBe('uploaded');
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: plan.uploads[0].key }));
    expect(await object.Body!.transformToString()).toBe(readFileSync(join(work, 'prices.csv'), 'utf8'));
  });
});

function withFirstPollHook(
  reader: EmrStatusReader,
  hook: ((clusterId: string, stepIds: string[]) => Promise<void>) | undefined,
): EmrStatusReader {
  let done = hook === undefined;
  return {
    describeCluster: (id) => reader.describeCluster(id),
    async listSteps(id, stepIds) {
      if (!done) {
        done = true;
        await hook!(id, stepIds);
      }
      return reader.listSteps(id, stepIds);
    },
  };
}

/** submitRun against moto with a scripted view of the states; the clock is fake (no real waiting). */
async function submitScripted(
  script: ScriptedPoll[],
  options: {
    flags?: EmrFlags;
    abortAtSleep?: number;
    abortReason?: string;
    /** Runs once, at the first poll, when the cluster and step ids exist (e.g. to place a log file). */
    atFirstPoll?: (clusterId: string, stepIds: string[]) => Promise<void>;
    backoff?: (n: number) => number;
  } = {},
): Promise<{ outcome: SubmitOutcome; plan: EmrPlan; progress: string[]; log: string[] }> {
  const { config, plan } = await configAndPlan(options.flags);
  const progress: string[] = [];
  const log: string[] = [];
  const controller = new AbortController();
  const clock = fakeClock({
    onSleep: (n) => {
      if (n === options.abortAtSleep) controller.abort(options.abortReason ?? 'SIGINT');
    },
  });
  const outcome = await submitRun(
    { config, plan, outputDir: join(work, 'out'), compare: false },
    {
      s3,
      emr,
      status: withFirstPollHook(scriptedStatusReader(sdkStatusReader(emr), script), options.atFirstPoll),
      clock,
      signal: controller.signal,
      log: (line) => log.push(line),
      progress: (line) => progress.push(line),
      failureLogPollMs: 30_000,
      backoff: options.backoff,
    },
  );
  return { outcome, plan, progress, log };
}

describe('submit: the cluster request, read back from moto', () => {
  it('creates the cluster with the planned release, roles, tags, bootstrap action and four steps', async () => {
    // A run interrupted at once: enough to create the cluster, and it must be terminated.
    const { outcome, plan } = await submitScripted([{ cluster: 'STARTING', steps: ['PENDING', 'PENDING', 'PENDING', 'PENDING'] }], {
      abortAtSleep: 1,
    });
    const clusterId = outcome.clusterId!;
    const { Cluster: cluster } = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
    expect(cluster?.Name).toBe('pricecast run-1');
    expect(cluster?.ReleaseLabel).toBe('emr-7.10.0');
    expect(cluster?.ServiceRole).toBe('EMR_DefaultRole');
    expect(cluster?.Ec2InstanceAttributes?.IamInstanceProfile).toBe('EMR_EC2_DefaultRole');
    expect(cluster?.LogUri).toBe(`s3://${BUCKET}/pricecast/logs/`);
    // AutoTerminate is how DescribeCluster reports KeepJobFlowAliveWhenNoSteps=false.
    expect(cluster?.AutoTerminate).toBe(true);
    expect(cluster?.TerminationProtected).toBe(false);
    expect(Object.fromEntries((cluster?.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      'pricecast:managed': 'true',
      'pricecast:run': 'run-1',
      'pricecast:attempt': 'attempt-1',
      'pricecast:creator': MOTO_CALLER,
      'for-use-with-amazon-emr-managed-policies': 'true',
    });

    const { Steps: listed } = await emr.send(new ListStepsCommand({ ClusterId: clusterId }));
    const steps = [...(listed ?? [])].reverse(); // ListSteps lists newest first
    expect(steps.map((s) => s.ActionOnFailure)).toEqual(['TERMINATE_CLUSTER', 'TERMINATE_CLUSTER', 'TERMINATE_CLUSTER', 'TERMINATE_CLUSTER']);
    expect(steps.map((s) => s.Config?.Jar)).toEqual(['command-runner.jar', 'command-runner.jar', 'command-runner.jar', 'command-runner.jar']);
    const bounded = ['timeout', '--signal=TERM', '--kill-after=60', '7200s'];
    expect(steps[0].Config?.Args).toEqual([
      ...bounded,
      's3-dist-cp',
      `--src=s3://${BUCKET}/pricecast/runs/run-1/input/`,
      '--dest=hdfs:///pricecast/run-1/attempt-1/input/',
    ]);
    expect(steps[1].Config?.Args).toEqual([
      ...bounded,
      'spark-submit', '--deploy-mode', 'client', '--master', 'yarn',
      `s3://${BUCKET}/pricecast/runs/run-1/job/price_regression.py`,
      '--input', 'hdfs:///pricecast/run-1/attempt-1/input/prices.csv',
      '--output', 'hdfs:///pricecast/run-1/attempt-1/output',
      '--seed', '42', '--split', 'random', '--train-ratio', '0.7',
      '--features', 'price,volume,marketCap,rsi', '--format', 'auto', '--missing', 'error', '--ohlc-check', 'on',
    ]);
    expect(steps[2].Config?.Args).toEqual([
      ...bounded,
      'spark-submit', '--deploy-mode', 'client', '--master', 'local[1]',
      `s3://${BUCKET}/pricecast/runs/run-1/job/publish_guard.py`,
      '--dest', `s3://${BUCKET}/pricecast/runs/run-1/attempts/attempt-1/output/`,
      '--claim', `s3://${BUCKET}/pricecast/runs/run-1/attempts/attempt-1/publisher.json`,
      '--sse', 'AES256',
    ]);
    expect(steps[3].Config?.Args).toEqual([
      ...bounded,
      's3-dist-cp',
      '--src=hdfs:///pricecast/run-1/attempt-1/output',
      `--dest=s3://${BUCKET}/pricecast/runs/run-1/attempts/attempt-1/output/`,
    ]);
    expect(outcome.stepIds).toEqual(steps.map((s) => s.Id));

    const { BootstrapActions: actions } = await emr.send(new ListBootstrapActionsCommand({ ClusterId: clusterId }));
    expect(actions).toHaveLength(1);
    expect(actions?.[0].ScriptPath).toBe(`s3://${BUCKET}/pricecast/runs/run-1/job/bootstrap.sh`);
    expect(actions?.[0].Args).toEqual([plan.layout.wheelhouseUri]);
    // The bootstrap action and the job refer to objects that were really staged.
    for (const key of ['job/bootstrap.sh', 'job/price_regression.py', 'job/publish_guard.py', 'input/prices.csv']) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `pricecast/runs/run-1/${key}` }))).resolves.toBeTruthy();
    }
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${parseS3Uri(plan.layout.wheelhouseUri).key}requirements.txt` })),
    ).resolves.toBeTruthy();
    expect(plan.runJobFlow?.AutoTerminationPolicy).toEqual({ IdleTimeout: 3600 });
  });
});

describe('submit: every failure path terminates the cluster it created', () => {
  it('a FAILED step: reason, the job\'s error found in a log that reaches S3 late, cluster terminated, exit 1', async () => {
    const script: ScriptedPoll[] = [
      { cluster: 'STARTING', steps: ['PENDING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'BOOTSTRAPPING', steps: ['PENDING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'RUNNING', steps: ['COMPLETED', 'RUNNING', 'PENDING', 'PENDING'] },
      // EMR: the failed step with TERMINATE_CLUSTER cancels the rest and the cluster starts terminating.
      {
        cluster: 'TERMINATING',
        clusterReason: { Code: 'STEP_FAILURE', Message: 'Shut down as step failed' },
        steps: ['COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLED'],
        failure: { step: 1, Reason: 'Unknown Error.', Message: 'spark-submit exited with code 2' },
      },
    ];
    // What EMR would copy to the log location: Spark's log lines, the job's one-line error, then 25
    // lines of shutdown noise (the old "last 20 lines" would have missed the error).
    const jobError = 'prices.csv:3: column price: expected a finite decimal number (got "abc")';
    const noise = (n: number) => Array.from({ length: n }, (_, i) => `25/01/02 10:11:${String(i % 60).padStart(2, '0')} INFO ShutdownHookManager: Deleting directory /tmp/spark-${i}`);
    const stderrText = [...noise(10), jobError, ...noise(25)].join('\n');
    const logKeyFor = (clusterId: string, stepId: string) => `pricecast/logs/${clusterId}/steps/${stepId}/stderr.gz`;

    // The log appears only after the failure was seen, 3 log polls (of 30 s) later.
    let ids: { clusterId: string; stepIds: string[] } | null = null;
    let sleepsAtFailure: number | null = null;
    const { config, plan } = await configAndPlan({ logWaitMinutes: 3 });
    const progress: string[] = [];
    const clock = fakeClock();
    const reader = scriptedStatusReader(sdkStatusReader(emr), script);
    const outcome = await submitRun(
      { config, plan, outputDir: join(work, 'out'), compare: false },
      {
        s3,
        emr,
        status: withFirstPollHook(reader, async (clusterId, stepIds) => {
          ids = { clusterId, stepIds };
        }),
        clock: {
          now: clock.now,
          async sleep(ms: number) {
            await clock.sleep(ms);
            if (reader.polls === script.length) sleepsAtFailure ??= clock.sleeps;
            if (sleepsAtFailure !== null && clock.sleeps === sleepsAtFailure + 3) {
              await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: logKeyFor(ids!.clusterId, ids!.stepIds[1]), Body: gzipSync(stderrText) }));
            }
          },
        },
        failureLogPollMs: 30_000,
        log: () => {},
        progress: (line) => progress.push(line),
      },
    );
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('step-failed');
    expect(outcome.wait?.failedStep?.Id).toBe(outcome.stepIds[1]);
    expect(outcome.wait?.message).toContain('spark-submit price_regression.py');
    expect(outcome.wait?.message).toContain('spark-submit exited with code 2');
    expect(outcome.terminated).toBe(true);
    expect(await realClusterState(outcome.clusterId!)).toBe('TERMINATED');
    expect(outcome.failureLog?.uri).toBe(`s3://${BUCKET}/${logKeyFor(outcome.clusterId!, outcome.stepIds[1])}`);
    expect(outcome.failureLog?.error).toEqual({ kind: 'job-error', text: jobError });
    // It waited for the log, saying so: one progress line per log poll before the log arrived.
    const waiting = progress.filter((line) => line.startsWith('waiting for EMR to copy the step\'s log'));
    expect(waiting.length).toBeGreaterThanOrEqual(3);
    expect(waiting.length).toBeLessThan(6); // it stopped waiting once the log was there
    expect(waiting[1]).toContain('(0m30s of 3m00s)');
    // One progress line per cluster poll, each with the cluster state and every step's state.
    const polls = progress.filter((line) => line.includes(' cluster j-'));
    expect(polls).toHaveLength(script.length);
    expect(polls[0]).toMatch(/cluster j-\w+ STARTING .*PENDING.*PENDING.*PENDING/);
    expect(polls[3]).toContain(
      'RUNNING [1/4 s3-dist-cp input into HDFS: COMPLETED] [2/4 spark-submit price_regression.py: RUNNING] [3/4 claim the S3 output folder: PENDING] [4/4 s3-dist-cp output to S3: PENDING]',
    );
    expect(polls[4]).toMatch(/^2m00s /);
  });

  it('a FAILED step whose log never reaches S3 within --log-wait-minutes: says where it will be, still terminates', async () => {
    const { outcome } = await submitScripted([
      { cluster: 'RUNNING', steps: ['FAILED', 'CANCELLED', 'CANCELLED', 'CANCELLED'], failure: { step: 0, Reason: 'r', Message: 'm' } },
    ]);
    expect(outcome.wait?.status).toBe('step-failed');
    expect(outcome.failureLog?.error).toBeNull();
    expect(outcome.failureLog?.note).toContain(`pricecast/logs/${outcome.clusterId}/steps/${outcome.stepIds[0]}/stderr.gz`);
    expect(outcome.failureLog?.note).toContain('after 1m00s');
    expect(outcome.terminated).toBe(true);
  });

  it('CANCELLED steps on a cluster still WAITING: failure, cluster terminated', async () => {
    const { outcome } = await submitScripted([
      { cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'WAITING', steps: ['COMPLETED', 'CANCELLED', 'PENDING', 'PENDING'] },
      { cluster: 'WAITING', steps: ['COMPLETED', 'CANCELLED', 'CANCELLED', 'CANCELLED'] },
    ]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('step-cancelled');
    expect(outcome.wait?.message).toContain('CANCELLED');
    // Judged only when every step had finished (poll 3), not at the first CANCELLED (poll 2).
    expect(outcome.wait?.elapsedMs).toBe(2 * 30_000);
    expect(outcome.terminated).toBe(true);
    expect(await realClusterState(outcome.clusterId!)).toBe('TERMINATED');
  });

  it('TERMINATED_WITH_ERRORS (bootstrap failure): the cluster\'s reason is reported, exit 1', async () => {
    const { outcome } = await submitScripted([
      { cluster: 'STARTING', steps: ['PENDING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'BOOTSTRAPPING', steps: ['PENDING', 'PENDING', 'PENDING', 'PENDING'] },
      {
        cluster: 'TERMINATED_WITH_ERRORS',
        clusterReason: { Code: 'BOOTSTRAP_FAILURE', Message: 'On the master instance, bootstrap action 1 returned a non-zero return code' },
        steps: ['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED'],
      },
    ]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('cluster-ended');
    expect(outcome.wait?.message).toContain('TERMINATED_WITH_ERRORS');
    expect(outcome.wait?.message).toContain('BOOTSTRAP_FAILURE');
    expect(outcome.terminated).toBe(true);
    expect(await realClusterState(outcome.clusterId!)).toBe('TERMINATED');
  });

  it('an API error while waiting (a real error answer from moto): cluster terminated, exit 1', async () => {
    const { outcome } = await submitScripted([
      { cluster: 'STARTING', steps: ['PENDING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] },
      { cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'], apiError: true },
    ]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('api-error');
    expect(outcome.wait?.message).toMatch(/EMR API error while waiting/);
    expect(outcome.terminated).toBe(true);
    expect(await realClusterState(outcome.clusterId!)).toBe('TERMINATED');
  });

  it('a timeout: cluster terminated, exit 1', async () => {
    const { outcome } = await submitScripted([{ cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] }], {
      flags: { timeoutMinutes: 2 },
    });
    expect(outcome.wait?.status).toBe('timeout');
    expect(outcome.wait?.elapsedMs).toBe(120_000);
    expect(outcome.terminated).toBe(true);
    expect(await realClusterState(outcome.clusterId!)).toBe('TERMINATED');
  });

  it('an abort (SIGTERM reaches submit as an AbortSignal): cluster terminated, exit 143', async () => {
    const { outcome, log } = await submitScripted([{ cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] }], {
      abortAtSleep: 2,
      abortReason: 'SIGTERM',
    });
    expect(outcome.wait?.status).toBe('aborted');
    expect(outcome.exitCode).toBe(143);
    expect(outcome.terminated).toBe(true);
    expect(await realClusterState(outcome.clusterId!)).toBe('TERMINATED');
    expect(log.some((line) => line.includes(`terminated cluster ${outcome.clusterId}`))).toBe(true);
  });

  it('success: all steps COMPLETED and the cluster ends itself; the tool does not terminate it', async () => {
    const { config, plan } = await configAndPlan();
    // The output the last step would have written (a _SUCCESS marker is what fetch requires).
    const outputKey = parseS3Uri(plan.layout.outputUri).key;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${outputKey}_SUCCESS`, Body: '', ContentLength: 0 }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${outputKey}_model.json`, Body: '{"tool":"pricecast"}' }));
    const outcome = await submitRun(
      { config, plan, outputDir: join(work, 'fetched-success'), compare: false },
      {
        s3,
        emr,
        status: scriptedStatusReader(sdkStatusReader(emr), [
          { cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] },
          { cluster: 'RUNNING', steps: ['COMPLETED', 'COMPLETED', 'COMPLETED', 'RUNNING'] },
          { cluster: 'TERMINATING', clusterReason: { Code: 'ALL_STEPS_COMPLETED', Message: 'Steps completed' }, steps: ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED'] },
        ]),
        clock: fakeClock(),
      },
    );
    expect(outcome.exitCode).toBe(0);
    expect(outcome.wait?.status).toBe('success');
    expect(outcome.terminated).toBe(false);
    expect(readFileSync(join(work, 'fetched-success', '_model.json'), 'utf8')).toBe('{"tool":"pricecast"}');
  });
});

describe('submit --cluster-id: an existing cluster is left running', () => {
  /** A team's cluster started with the tool's bootstrap action for the run's wheelhouse (or without). */
  async function existingCluster(options: { bootstrap?: boolean; releaseLabel?: string } = {}): Promise<string> {
    const { plan } = await configAndPlan();
    const out = await emr.send(
      new RunJobFlowCommand({
        Name: 'shared team cluster',
        ReleaseLabel: options.releaseLabel ?? 'emr-7.10.0',
        ...(options.bootstrap === false
          ? {}
          : { BootstrapActions: [{ Name: 'pricecast venv', ScriptBootstrapAction: { Path: plan.layout.bootstrapUri, Args: [plan.layout.wheelhouseUri] } }] }),
        Instances: {
          InstanceGroups: [{ InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1, Market: 'ON_DEMAND' }],
          KeepJobFlowAliveWhenNoSteps: true,
        },
        JobFlowRole: 'EMR_EC2_DefaultRole',
        ServiceRole: 'EMR_DefaultRole',
      }),
    );
    return out.JobFlowId!;
  }

  it('adds the steps with CANCEL_AND_WAIT and does not terminate the cluster when a step fails', async () => {
    const clusterId = await existingCluster();
    expect(await realClusterState(clusterId)).toBe('WAITING');
    const { outcome, plan } = await submitScripted(
      [
        { cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] },
        { cluster: 'WAITING', steps: ['COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLED'], failure: { step: 1, Reason: 'x', Message: 'exit 1' } },
      ],
      { flags: { clusterId } },
    );
    expect(plan.runJobFlow).toBeNull();
    expect(outcome.clusterId).toBe(clusterId);
    expect(outcome.createdCluster).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('step-failed');
    expect(outcome.terminated).toBe(false);
    // moto's real state: our steps were added (so the cluster is RUNNING them), not terminated.
    expect(await realClusterState(clusterId)).toBe('RUNNING');
    const { Steps: steps } = await emr.send(new ListStepsCommand({ ClusterId: clusterId }));
    expect(steps?.map((s) => s.ActionOnFailure)).toEqual(['CANCEL_AND_WAIT', 'CANCEL_AND_WAIT', 'CANCEL_AND_WAIT', 'CANCEL_AND_WAIT']);
  });

  it('a cluster without the run\'s Python environment, or on another Spark line, is refused before anything is staged', async () => {
    for (const [options, reason] of [
      [{ bootstrap: false }, /has no bootstrap action installing this run's Python environment/],
      [{ releaseLabel: 'emr-6.15.0' }, /runs emr-6\.15\.0, not a release with the Spark line of emr-7\.10\.0/],
    ] as const) {
      const clusterId = await existingCluster(options);
      const { config, plan } = await configAndPlan({ clusterId });
      await expect(submitRun({ config, plan, outputDir: join(work, 'never') }, { s3, emr })).rejects.toThrow(reason);
      const { Steps: steps } = await emr.send(new ListStepsCommand({ ClusterId: clusterId }));
      expect(steps ?? []).toHaveLength(0);
      await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: parseS3Uri(plan.layout.manifestUri).key }))).rejects.toThrow();
    }
  });

  it('an interrupt leaves it running too', async () => {
    const clusterId = await existingCluster();
    const { outcome } = await submitScripted([{ cluster: 'RUNNING', steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] }], {
      flags: { clusterId },
      abortAtSleep: 1,
      abortReason: 'SIGINT',
    });
    expect(outcome.exitCode).toBe(130);
    expect(outcome.terminated).toBe(false);
    expect(await realClusterState(clusterId)).toBe('RUNNING');
  });
});

/** The CLI pointed at moto by the SDK's own env variables. */
function spawnCli(args: string[]) {
  return startCli(args, { env: moto.env });
}

/** A config file pointing files.wheelhouse at the tiny stand-in (the CLI tests need no real wheels). */
function tinyWheelhouseConfig(): string {
  const file = join(work, 'tiny-wheelhouse.json');
  writeFileSync(file, JSON.stringify({ files: { wheelhouse: tinyWheelhouse() } }));
  return file;
}


describe('signals: the real CLI terminates its cluster on Ctrl-C and SIGTERM', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal}: exit ${code}, cluster TERMINATED in moto`, async () => {
      const input = writeInput('signal.csv', 'date,price,volume,marketCap\n2024-01-01,1,2,3\n');
      // moto keeps the steps RUNNING forever: the CLI waits until the signal arrives.
      const run = spawnCli(['emr', 'submit', '--config', tinyWheelhouseConfig(), '--bucket', BUCKET, '--input', input, '--run-id', `sig-${code}`, '--poll-seconds', '0.2']);
      await waitFor(() => /cluster j-\w+ \w+ \[1\/4/.test(run.output().stderr), 'the first progress line');
      run.child.kill(signal);
      const exitCode = await run.exited;
      const { stderr } = run.output();
      expect(exitCode).toBe(code);
      const clusterId = /cluster (j-\w+)/.exec(stderr)?.[1];
      expect(clusterId).toBeDefined();
      expect(stderr).toContain(`terminated cluster ${clusterId}`);
      expect(await realClusterState(clusterId!)).toBe('TERMINATED');
    });
  }
});

describe('list and cleanup: only the tool\'s tagged clusters, cleanup only the caller\'s own unless --all', () => {
  it('lists tagged clusters with their creator; cleanup asks (or needs --yes), terminates only yours, --all includes colleagues\'', async () => {
    const { plan: planA } = await configAndPlan({}, 'run-a');
    const { plan: planB } = await configAndPlan({}, 'run-b');
    const { plan: planC } = await configAndPlan({}, 'run-c');
    const colleagueArn = 'arn:aws:sts::123456789012:assumed-role/Analyst/bob';
    const { plan: planD } = await configAndPlan({}, 'run-d', { creatorArn: colleagueArn });
    const a = (await emr.send(new RunJobFlowCommand(planA.runJobFlow!))).JobFlowId!;
    const b = (await emr.send(new RunJobFlowCommand(planB.runJobFlow!))).JobFlowId!;
    const c = (await emr.send(new RunJobFlowCommand(planC.runJobFlow!))).JobFlowId!;
    const d = (await emr.send(new RunJobFlowCommand(planD.runJobFlow!))).JobFlowId!;
    await emr.send(new (await import('@aws-sdk/client-emr')).TerminateJobFlowsCommand({ JobFlowIds: [c] }));
    // Someone else's cluster, not tagged: must never be listed or touched.
    const other = (
      await emr.send(
        new RunJobFlowCommand({
          Name: 'not ours',
          ReleaseLabel: 'emr-7.10.0',
          Instances: { InstanceGroups: [{ InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1 }], KeepJobFlowAliveWhenNoSteps: true },
          JobFlowRole: 'EMR_EC2_DefaultRole',
          ServiceRole: 'EMR_DefaultRole',
          Tags: [{ Key: 'team', Value: 'data' }],
        }),
      )
    ).JobFlowId!;

    const env = moto.env;
    const listed = await runCli(['emr', 'list', '--json'], { env });
    expect(listed.code).toBe(0);
    const active = JSON.parse(listed.stdout) as Array<{ id: string; runId: string; creator: string }>;
    expect(active.map((x) => x.id).sort()).toEqual([a, b, d].sort());
    expect(active.map((x) => x.runId).sort()).toEqual(['run-a', 'run-b', 'run-d']);
    expect(active.find((x) => x.id === d)?.creator).toBe(colleagueArn);

    const all = JSON.parse((await runCli(['emr', 'list', '--all', '--json'], { env })).stdout) as Array<{ id: string; state: string }>;
    expect(all.map((x) => x.id).sort()).toEqual([a, b, c, d].sort());
    expect(all.find((x) => x.id === c)?.state).toBe('TERMINATED');

    const table = await runCli(['emr', 'list'], { env });
    expect(table.stdout).toContain(a);
    expect(table.stdout).not.toContain(other);

    const dry = await runCli(['emr', 'cleanup', '--dry-run', '--json'], { env });
    expect(JSON.parse(dry.stdout)).toMatchObject({ caller: MOTO_CALLER, othersSkipped: 1 });
    expect(JSON.parse(dry.stdout).clusters.sort()).toEqual([a, b].sort());
    expect(await realClusterState(a)).not.toBe('TERMINATED');

    // No terminal to ask on and no --yes: refused, nothing terminated.
    const refused = await runCli(['emr', 'cleanup'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no terminal to ask on: add --yes/);
    expect(await realClusterState(a)).not.toBe('TERMINATED');

    // Asked on a terminal and answered no: nothing terminated (in-process, with the question injected).
    const { runEmrCommand } = await import('../../src/emr/commands.js');
    const questions: string[] = [];
    const out = { text: '', write(t: string) { this.text += t; } };
    const answeredNo = await runEmrCommand(['cleanup'], {
      stdout: out,
      stderr: { write: () => {} },
      confirm: async (q) => (questions.push(q), false),
    });
    expect(answeredNo).toBe(1);
    expect(questions).toEqual(['terminate these 2 cluster(s)? [y/N] ']);
    expect(await realClusterState(a)).not.toBe('TERMINATED');

    const cleaned = await runCli(['emr', 'cleanup', '--yes'], { env });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toContain(`terminated ${a}`);
    expect(await realClusterState(a)).toBe('TERMINATED');
    expect(await realClusterState(b)).toBe('TERMINATED');
    expect(await realClusterState(d)).not.toBe('TERMINATED'); // the colleague's
    expect(await realClusterState(other)).toBe('WAITING');

    const after = await runCli(['emr', 'cleanup', '--yes'], { env });
    expect(after.stdout).toContain('nothing to terminate');

    const everyone = await runCli(['emr', 'cleanup', '--all', '--yes', '--json'], { env });
    expect(JSON.parse(everyone.stdout).terminated).toEqual([d]);
    expect(await realClusterState(d)).toBe('TERMINATED');
    expect(await realClusterState(other)).toBe('WAITING');
  });
});
