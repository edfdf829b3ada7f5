/**
 * The EMR mode under the faults a real account produces, injected at the network (test/helpers/emrFaults.ts)
 * in front of a real moto server: an endpoint that accepts and never answers, throttling, 5xx, dropped
 * connections, expired credentials, S3's wrong-owner refusal. Plus the pieces that need a real process
 * (`timeout` ending a hung step) or real S3 objects (SSE-KMS, one attempt per fetch, the failure log).
 */
import { DescribeClusterCommand, EMRClient } from '@aws-sdk/client-emr';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../src/emr/awsErrors.js';
import { loadEmrConfig } from '../../src/emr/config.js';
import { type EmrFlags } from '../../src/settings.js';
import { findJobError, readFailureLog } from '../../src/emr/failureLog.js';
import { parseS3Uri, planRun, type EmrPlan } from '../../src/emr/plan.js';
import { localFileFacts, stageUploads } from '../../src/emr/stage.js';
import { submitRun } from '../../src/emr/submit.js';
import { sdkStatusReader } from '../../src/emr/wait.js';
import { wheelhouseFiles } from '../../src/emr/wheelhouse.js';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { awsJsonError, faultProxy, hangingListener, s3XmlError, type FaultProxy } from '../helpers/emrFaults.js';
import { fakeClock, scriptedStatusReader } from '../helpers/emrScript.js';
import { openMotoSession, type MotoServer, type MotoSession } from '../helpers/moto.js';

const BUCKET = 'pricecast-faults';
const MOTO_ACCOUNT = '123456789012';
let session: MotoSession;
let moto: MotoServer;
let proxy: FaultProxy;
let s3: S3Client;
let emr: EMRClient;
let work: string;

beforeAll(async () => {
  session = await openMotoSession('emr-faults');
  ({ moto, s3, emr, work } = session);
  proxy = await faultProxy(moto.endpoint);
});

afterAll(async () => {
  await proxy?.close();
  await session?.close();
});

beforeEach(async () => {
  proxy.clear();
  proxy.requests.length = 0;
  await moto.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

function tinyWheelhouse(): string {
  const dir = join(work, 'wheelhouse');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'demo-1.0-py3-none-any.whl'), 'demo');
  writeFileSync(join(dir, 'requirements.txt'), `demo==1.0 --hash=sha256:${createHash('sha256').update('demo').digest('hex')}\n`);
  return dir;
}

function configFile(extra: Record<string, unknown> = {}): string {
  const file = join(work, `emr-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ bucket: BUCKET, files: { wheelhouse: tinyWheelhouse() }, ...extra }));
  return file;
}

async function plan(flags: EmrFlags = {}, runId = 'run-f', attemptId = 'a1'): Promise<{ config: ReturnType<typeof loadEmrConfig>['config']; plan: EmrPlan }> {
  const input = join(work, 'prices.csv');
  writeFileSync(input, 'date,price,volume,marketCap\n2024-01-01,1,2,3\n');
  const { config } = loadEmrConfig({ flags: { bucket: BUCKET, input, ...flags } });
  const files = {
    input: await localFileFacts(input),
    script: await localFileFacts(config.files.script),
    bootstrap: await localFileFacts(config.files.bootstrap),
    wheelhouse: await wheelhouseFiles(tinyWheelhouse()),
  };
  return { config, plan: planRun(config, { runId, attemptId, creatorArn: null }, files) };
}

/** The CLI pointed at `endpoint` (a hanging listener or a fault proxy in front of moto). */
function spawnCli(args: string[], endpoint: string) {
  return startCli(args, { env: { ...moto.env, AWS_ENDPOINT_URL: endpoint } });
}


describe('point 3: no call hangs against an endpoint that accepts and never answers', () => {
  it('emr list: the request timeout ends it with a clear error (exit 1)', async () => {
    const hung = await hangingListener();
    try {
      const run = spawnCli(['emr', 'list', '--request-timeout', '1'], hung.endpoint);
      const code = await run.exited;
      expect(code).toBe(1);
      expect(run.output().stderr).toMatch(/TimeoutError|timed out|--request-timeout/i);
      expect(hung.accepted).toBeGreaterThan(0);
    } finally {
      await hung.close();
    }
  });

  it('emr submit: Ctrl-C aborts the call in flight (exit 130)', async () => {
    const hung = await hangingListener();
    try {
      const run = spawnCli(['emr', 'submit', '--config', configFile(), '--request-timeout', '600'], hung.endpoint);
      await waitFor(() => hung.accepted > 0, 'the first AWS call to reach the listener');
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(130);
      expect(run.output().stderr).toContain('interrupted by SIGINT');
    } finally {
      await hung.close();
    }
  });

  it('emr submit --timeout-minutes: the deadline aborts the call in flight (exit 1), and --json says so on stdout', async () => {
    const hung = await hangingListener();
    try {
      const run = spawnCli(
        ['emr', 'submit', '--config', configFile(), '--request-timeout', '600', '--timeout-minutes', '0.05', '--json'],
        hung.endpoint,
      );
      expect(await run.exited).toBe(1);
      const { stdout, stderr } = run.output();
      expect(stderr).toContain('--timeout-minutes reached');
      const printed = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(printed).toMatchObject({ exitCode: 1, status: 'error', error: { kind: 'timeout' } });
    } finally {
      await hung.close();
    }
  });

  it('--json prints JSON for a usage error too (point 11)', async () => {
    const run = spawnCli(['emr', 'submit', '--bucket', BUCKET, '--seed', 'x', '--json'], moto.endpoint);
    expect(await run.exited).toBe(2);
    expect(JSON.parse(run.output().stdout)).toMatchObject({ exitCode: 2, status: 'error', error: { kind: 'usage', message: expect.stringContaining('--seed') } });
  });
});

describe('point 2: errors while waiting are classified; transient ones are retried with backoff', () => {
  const isDescribeCluster = (r: { operation: string }) => r.operation === 'DescribeCluster';
  /** submitRun whose waiter reads moto THROUGH the proxy (states scripted on top, moto never runs steps). */
  async function submitThroughProxy(script: Parameters<typeof scriptedStatusReader>[1], flags: EmrFlags = {}) {
    const { config, plan: p } = await plan({ maxConsecutiveErrors: 4, ...flags });
    const viaProxy = new EMRClient({ endpoint: proxy.endpoint, maxAttempts: 1 });
    const retries: string[] = [];
    const outcome = await submitRun(
      { config, plan: p, outputDir: join(work, 'out'), compare: false },
      {
        s3,
        emr,
        status: scriptedStatusReader(sdkStatusReader(viaProxy), script),
        clock: fakeClock(),
        backoff: (n) => 1000 * n,
        log: (line) => (line.startsWith('transient error') ? retries.push(line) : undefined),
      },
    );
    return { outcome, retries };
  }
  const running = { cluster: 'RUNNING' as const, steps: ['RUNNING', 'PENDING', 'PENDING', 'PENDING'] as Array<'RUNNING' | 'PENDING'> };
  const done = { cluster: 'TERMINATING' as const, steps: ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED'] as Array<'COMPLETED'> };

  it('throttling, then 503, then a dropped connection: retried, and the run goes on to succeed', async () => {
    const output = parseS3Uri((await plan()).plan.layout.outputUri).key;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${output}_SUCCESS`, Body: '' }));
    proxy.add({ match: isDescribeCluster, times: 1, respond: awsJsonError(400, 'ThrottlingException', 'Rate exceeded') });
    proxy.add({ match: isDescribeCluster, times: 1, respond: awsJsonError(503, 'ServiceUnavailable', 'try later') });
    proxy.add({ match: isDescribeCluster, times: 1, respond: 'drop' });
    const { outcome, retries } = await submitThroughProxy([running, running, running, running, done]);
    expect(proxy.faulted).toEqual(['DescribeCluster', 'DescribeCluster', 'DescribeCluster']);
    expect(outcome.wait?.status).toBe('success');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.terminated).toBe(false);
    expect(retries).toHaveLength(3);
    expect(retries[0]).toMatch(/transient error 1\/4 .*ThrottlingException.*retrying in 0m01s/);
    // Three failed polls in a row: the count goes up (and would reset after a good poll).
    expect(retries[1]).toMatch(/transient error 2\/4 .*ServiceUnavailable.*retrying in 0m02s/);
    expect(retries[2]).toMatch(/transient error 3\/4 .*(ECONNRESET|socket hang up)/i);
  });

  it('gives up after N transient errors in a row: api-error, cluster terminated', async () => {
    proxy.add({ match: isDescribeCluster, times: Infinity, respond: awsJsonError(500, 'InternalServerError', 'boom') });
    const { outcome, retries } = await submitThroughProxy([running]);
    expect(outcome.wait?.status).toBe('api-error');
    expect(outcome.wait?.message).toMatch(/gave up after 4 transient errors in a row.*InternalServerError/);
    expect(retries).toHaveLength(3);
    expect(outcome.terminated).toBe(true);
    const state = (await emr.send(new DescribeClusterCommand({ ClusterId: outcome.clusterId! }))).Cluster?.Status?.State;
    expect(state).toBe('TERMINATED');
  });

  it('expired credentials: not retried; the message names the cluster to clean up', async () => {
    proxy.add({ match: isDescribeCluster, times: Infinity, respond: awsJsonError(400, 'ExpiredTokenException', 'The security token included in the request is expired') });
    const { outcome, retries } = await submitThroughProxy([running]);
    expect(outcome.wait?.status).toBe('credentials-expired');
    expect(retries).toHaveLength(0);
    expect(outcome.wait?.message).toContain(outcome.clusterId!);
    expect(outcome.wait?.message).toMatch(/pricecast emr cleanup|terminate-clusters --cluster-ids/);
    expect(outcome.exitCode).toBe(1);
  });

  it('the classification table', () => {
    const err = (name: string, status?: number) => Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status } });
    expect(classifyAwsError(err('ThrottlingException', 400))).toBe('transient');
    expect(classifyAwsError(err('SomethingNew', 502))).toBe('transient');
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('transient');
    expect(classifyAwsError(err('TimeoutError'))).toBe('transient');
    expect(classifyAwsError(err('ExpiredToken', 400))).toBe('credentials');
    expect(classifyAwsError(err('AccessDeniedException', 400))).toBe('fatal');
    expect(classifyAwsError(err('ValidationException', 400))).toBe('fatal');
    const aborted = new AbortController();
    aborted.abort('SIGINT');
    expect(classifyAwsError(err('ThrottlingException', 400), aborted.signal)).toBe('aborted');
  });
});

describe('point 7: S3 encryption and the expected bucket owner', () => {
  it('every S3 call of `emr stage` carries x-amz-expected-bucket-owner (the caller\'s account by default)', async () => {
    const run = await runCli(['emr', 'stage', '--config', configFile(), '--run-id', 'owner-1'], { env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint } });
    expect(run.code, run.stderr).toBe(0);
    const s3Calls = proxy.requests.filter((r) => r.operation === 'S3');
    expect(s3Calls.length).toBeGreaterThan(5);
    expect(s3Calls.every((r) => r.headers['x-amz-expected-bucket-owner'] === MOTO_ACCOUNT)).toBe(true);
  });

  it('a bucket owned by another account is refused by S3 (simulated at the proxy): nothing staged, exit 2', async () => {
    // S3 answers 403 AccessDenied when x-amz-expected-bucket-owner is not the bucket's owner.
    proxy.add({
      match: (r) => r.operation === 'S3' && r.headers['x-amz-expected-bucket-owner'] !== '999999999999',
      times: Infinity,
      respond: s3XmlError(403, 'AccessDenied', 'Access Denied'),
    });
    const run = await runCli(['emr', 'stage', '--config', configFile(), '--run-id', 'owner-2'], { env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/access denied.*expected account/i);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'pricecast/runs/owner-2/' }));
    expect(listed.Contents ?? []).toEqual([]);
    // With the right owner given, it goes through.
    const ok = await runCli(['emr', 'stage', '--config', configFile({ expectedBucketOwner: '999999999999' }), '--run-id', 'owner-3'], {
      env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint },
    });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('SSE-KMS with a key: objects encrypted with it; switching back to AES256 re-uploads', async () => {
    const key = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/0b7c5f1e-1111-2222-3333-444455556666`;
    const { plan: p } = await plan({ sseAlgorithm: 'aws:kms', kmsKeyId: key });
    const first = await stageUploads(s3, p.uploads, { encryption: { algorithm: 'aws:kms', kmsKeyId: key } });
    expect(first.every((s) => s.action === 'uploaded')).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: p.uploads[0].key }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(key);
    const again = await stageUploads(s3, p.uploads, { encryption: { algorithm: 'aws:kms', kmsKeyId: key } });
    expect(again.every((s) => s.action === 'unchanged')).toBe(true);
    const aes = await stageUploads(s3, p.uploads, { encryption: { algorithm: 'AES256', kmsKeyId: null } });
    expect(aes.every((s) => s.action === 'uploaded')).toBe(true);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: p.uploads[0].key }))).ServerSideEncryption).toBe('AES256');
  });
});

describe('point 1: `timeout` around every step ends a hung step', () => {
  it('the planned spark-submit step, run as command-runner runs it, is killed at the step timeout (exit 124)', async () => {
    const { plan: p } = await plan({ stepTimeoutMinutes: 2 / 60 });
    const args = p.steps[1].HadoopJarStep!.Args!;
    expect(args.slice(0, 4)).toEqual(['timeout', '--signal=TERM', '--kill-after=60', '2s']);
    // A spark-submit that hangs (a job stuck on a lock, a dead executor): it never exits by itself.
    const bin = join(work, 'hung-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'spark-submit'), '#!/bin/sh\nexec sleep 3600\n');
    chmodSync(join(bin, 'spark-submit'), 0o755);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(args[0], args.slice(1), { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'ignore' });
      child.on('close', (c) => resolve(c));
    });
    // 124: timeout's "the command timed out"; command-runner reports it, the step FAILS, and with
    // ActionOnFailure TERMINATE_CLUSTER the cluster ends, whether or not a client is watching.
    expect(code).toBe(124);
    expect(p.steps.every((s) => s.ActionOnFailure === 'TERMINATE_CLUSTER')).toBe(true);
  });
});

describe('point 5: each attempt has its own output; fetch reads one attempt', () => {
  it('run.json points at the latest attempt; --attempt picks another; files never mix', async () => {
    const first = await plan({}, 'run-5', 'a1');
    await stageUploads(s3, first.plan.uploads);
    const second = await plan({}, 'run-5', 'a2');
    await stageUploads(s3, second.plan.uploads);
    const put = async (p: EmrPlan, name: string) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${parseS3Uri(p.layout.outputUri).key}${name}`, Body: name }));
    for (const name of ['_SUCCESS', 'part-00000-aaaa.snappy.parquet']) await put(first.plan, name);
    for (const name of ['_SUCCESS', 'part-00000-bbbb.snappy.parquet']) await put(second.plan, name);

    const latest = await runCli(['emr', 'fetch', '--bucket', BUCKET, '--run-id', 'run-5', '--output', join(work, 'latest'), '--json'], { env: moto.env });
    expect(latest.code, latest.stderr).toBe(0);
    expect(readdirSync(join(work, 'latest')).sort()).toEqual(['_SUCCESS', 'part-00000-bbbb.snappy.parquet']);
    const earlier = await runCli(['emr', 'fetch', '--bucket', BUCKET, '--run-id', 'run-5', '--attempt', 'a1', '--output', join(work, 'earlier')], { env: moto.env });
    expect(earlier.code, earlier.stderr).toBe(0);
    expect(readdirSync(join(work, 'earlier')).sort()).toEqual(['_SUCCESS', 'part-00000-aaaa.snappy.parquet']);
  });
});

describe('point 6: the failed step\'s log', () => {
  it('finds the last Python traceback among Spark noise, else the job\'s one-line error', () => {
    const noise = '25/01/02 10:11:12 INFO SparkContext: Running Spark version 3.5.5';
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/mnt/tmp/price_regression.py", line 12, in <module>',
      '    import ta.momentum',
      "ModuleNotFoundError: No module named 'ta'",
    ];
    expect(findJobError([noise, ...traceback, noise, noise].join('\n'))).toEqual({ kind: 'traceback', text: traceback.join('\n') });
    expect(findJobError([noise, 'data.csv:7: column volume: expected a number, got "x"', noise].join('\n'))).toEqual({
      kind: 'job-error',
      text: 'data.csv:7: column volume: expected a number, got "x"',
    });
    expect(findJobError([noise, noise].join('\n'))).toBeNull();
  });

  it('reads the log EMR names in DescribeStep\'s FailureDetails.LogFile and reports that pointer', async () => {
    const logFile = `s3://${BUCKET}/elsewhere/j-ABC/steps/s-XYZ/`;
    await s3.send(new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'elsewhere/j-ABC/steps/s-XYZ/stderr.gz',
      Body: gzipSync('25/01/02 10:11:12 INFO x\nTraceback (most recent call last):\n  File "a.py", line 1\nValueError: bad\n25/01/02 10:11:13 INFO y\n'),
    }));
    // DescribeStep as EMR answers it for a failed step (moto leaves FailureDetails empty).
    const emrWithFailure = { send: async () => ({ Step: { Status: { State: 'FAILED', FailureDetails: { LogFile: logFile, Reason: 'r' } } } }) } as unknown as EMRClient;
    const found = await readFailureLog({ s3, emr: emrWithFailure }, { logUri: `s3://${BUCKET}/logs/`, clusterId: 'j-ABC', stepId: 's-XYZ' }, { waitMs: 0 });
    expect(found.logFile).toBe(logFile);
    expect(found.uri).toBe(`s3://${BUCKET}/elsewhere/j-ABC/steps/s-XYZ/stderr.gz`);
    expect(found.error?.kind).toBe('traceback');
    expect(found.error?.text.split('\n').at(-1)).toBe('ValueError: bad');
  });
});
