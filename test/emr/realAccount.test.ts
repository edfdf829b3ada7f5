/**
 * Defects a real account shows and a happy-path moto run does not: RunJobFlow retried after a lost
 * answer, `list --all` describing every cluster of the account, cleanup and assumed-role session
 * names, Graviton nodes getting x86_64 wheels. Each case fails without its fix. moto plays EMR; the
 * fault proxy (test/helpers/emrFaults.ts) loses answers the way a network does.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { EMRClient, ListClustersCommand, RunJobFlowCommand, DescribeClusterCommand } from '@aws-sdk/client-emr';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanupTargets, listManagedClusters, principalOf, type ManagedCluster } from '../../src/emr/clusters.js';
import { isGravitonType, loadEmrConfig } from '../../src/emr/config.js';
import { createClusterOnce } from '../../src/emr/createCluster.js';
import { existingClusterProblem } from '../../src/emr/existingCluster.js';
import { planRun } from '../../src/emr/plan.js';
import { localFileFacts } from '../../src/emr/stage.js';
import { wheelhouseFiles } from '../../src/emr/wheelhouse.js';
import { fakeClock } from '../helpers/emrScript.js';
import { faultProxy, type FaultProxy } from '../helpers/emrFaults.js';
import { openMotoSession, type MotoSession } from '../helpers/moto.js';

const BUCKET = 'pricecast-real-account';
let session: MotoSession;
let proxy: FaultProxy;

beforeAll(async () => {
  session = await openMotoSession('emr-real-account');
  proxy = await faultProxy(session.moto.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await session?.close();
});
beforeEach(async () => {
  await session.moto.reset();
  proxy.clear();
  proxy.requests.length = 0;
  await session.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

async function planFor(runId: string, attemptId: string) {
  const input = join(session.work, 'prices.csv');
  writeFileSync(input, 'date,price,volume,marketCap\n2024-01-01,1,2,3\n');
  const wheelhouse = join(session.work, 'wheelhouse');
  mkdirSync(wheelhouse, { recursive: true });
  writeFileSync(join(wheelhouse, 'demo-1.0-py3-none-any.whl'), 'x');
  writeFileSync(join(wheelhouse, 'requirements.txt'), `demo==1.0 --hash=sha256:${createHash('sha256').update('x').digest('hex')}\n`);
  const { config } = loadEmrConfig({ flags: { bucket: BUCKET, input } });
  const files = {
    input: await localFileFacts(input),
    script: await localFileFacts(config.files.script),
    bootstrap: await localFileFacts(config.files.bootstrap),
    wheelhouse: await wheelhouseFiles(wheelhouse),
  };
  return planRun(config, { runId, attemptId, creatorArn: null }, files);
}

const liveClusters = async () =>
  ((await session.emr.send(new ListClustersCommand({ ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] }))).Clusters ?? []);

describe('RunJobFlow is sent once per attempt', () => {
  it('a lost answer (EMR created the cluster, the client never heard): the cluster is found by its tags, no second one', async () => {
    const plan = await planFor('lost-answer', 'attempt-1');
    proxy.add({ match: (r) => r.operation === 'RunJobFlow', times: 1, respond: 'lose-answer' });
    const single = new EMRClient({ endpoint: proxy.endpoint, maxAttempts: 1 });
    const created = await createClusterOnce(plan.runJobFlow!, { runId: 'lost-answer', attemptId: 'attempt-1' }, {
      single,
      emr: session.emr,
      clock: fakeClock(),
    });
    expect(created.adopted).toBe(true);
    expect(created.requests).toBe(1);
    const live = await liveClusters();
    expect(live.map((c) => c.Id)).toEqual([created.clusterId]);
    expect(proxy.requests.filter((r) => r.operation === 'RunJobFlow')).toHaveLength(1);
  });

  it('the single-attempt client really makes one request: the SDK\'s own retry would send a second RunJobFlow', async () => {
    const plan = await planFor('sdk-retry', 'attempt-1');
    proxy.add({ match: (r) => r.operation === 'RunJobFlow', times: 1, respond: 'lose-answer' });
    // What the tool did before: the ordinary client (3 attempts) retries the lost answer by itself.
    const retrying = new EMRClient({ endpoint: proxy.endpoint, maxAttempts: 3 });
    await retrying.send(new RunJobFlowCommand(plan.runJobFlow!));
    expect(await liveClusters()).toHaveLength(2);
  });

  it('a cluster of another attempt of the same run is not adopted; a refused request (not transient) is not retried', async () => {
    const other = await planFor('same-run', 'attempt-0');
    await session.emr.send(new RunJobFlowCommand(other.runJobFlow!));
    const plan = await planFor('same-run', 'attempt-1');
    proxy.add({
      match: (r) => r.operation === 'RunJobFlow',
      times: 1,
      respond: { status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body: JSON.stringify({ __type: 'ValidationException', message: 'no' }) },
    });
    const single = new EMRClient({ endpoint: proxy.endpoint, maxAttempts: 1 });
    await expect(createClusterOnce(plan.runJobFlow!, { runId: 'same-run', attemptId: 'attempt-1' }, { single, emr: session.emr, clock: fakeClock() }))
      .rejects.toThrow(/no/);
    expect(await liveClusters()).toHaveLength(1);
  });
});

describe('list --all: only the tool\'s clusters are described', () => {
  it('DescribeCluster is called for clusters named like the tool\'s, not once per cluster of the account', async () => {
    const ours = await planFor('listed', 'attempt-1');
    await session.emr.send(new RunJobFlowCommand(ours.runJobFlow!));
    for (let i = 0; i < 5; i++) {
      await session.emr.send(
        new RunJobFlowCommand({
          Name: `team job ${i}`,
          ReleaseLabel: 'emr-7.10.0',
          Instances: { InstanceGroups: [{ InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1 }], KeepJobFlowAliveWhenNoSteps: true },
          JobFlowRole: 'EMR_EC2_DefaultRole',
          ServiceRole: 'EMR_DefaultRole',
        }),
      );
    }
    const viaProxy = new EMRClient({ endpoint: proxy.endpoint });
    const found = await listManagedClusters(viaProxy);
    expect(found.map((c) => c.runId)).toEqual(['listed']);
    expect(proxy.requests.filter((r) => r.operation === 'DescribeCluster')).toHaveLength(1);
  });
});

describe('cleanup: the caller is compared by role, not by session name', () => {
  const cluster = (creator: string | null): ManagedCluster => ({
    id: `j-${creator ?? 'none'}`, name: 'pricecast r', state: 'WAITING', runId: 'r', creator, created: null, normalizedInstanceHours: null,
  });

  it('an assumed role\'s ARN without its session; users and roots as they are', () => {
    expect(principalOf('arn:aws:sts::123456789012:assumed-role/Dev/alice-1700000000')).toBe('arn:aws:sts::123456789012:assumed-role/Dev');
    expect(principalOf('arn:aws-cn:sts::123456789012:assumed-role/Dev/botocore-session-1')).toBe('arn:aws-cn:sts::123456789012:assumed-role/Dev');
    expect(principalOf('arn:aws:iam::123456789012:user/alice')).toBe('arn:aws:iam::123456789012:user/alice');
  });

  it('yesterday\'s session of the same role is the caller\'s; another role is not', () => {
    const mine = cluster('arn:aws:sts::123456789012:assumed-role/Dev/alice-1700000000');
    const other = cluster('arn:aws:sts::123456789012:assumed-role/Analyst/alice-1700000000');
    const untagged = cluster(null);
    const targets = cleanupTargets([mine, other, untagged], 'arn:aws:sts::123456789012:assumed-role/Dev/alice-1800000000', false);
    expect(targets).toEqual([mine]);
    expect(cleanupTargets([mine, other, untagged], 'x', true)).toHaveLength(3);
  });
});

describe('instance types: Graviton is refused (the wheelhouse is x86_64)', () => {
  it('recognises Graviton families and not x86_64 or GPU ones', () => {
    for (const t of ['m6g.xlarge', 'm7gd.large', 'c6gn.2xlarge', 'r8g.xlarge', 't4g.medium', 'x2gd.xlarge', 'im4gn.large', 'is4gen.large', 'a1.large']) {
      expect(isGravitonType(t), t).toBe(true);
    }
    for (const t of ['m5.xlarge', 'm5d.large', 'm6i.xlarge', 'm7a.large', 'c5n.xlarge', 'g4dn.xlarge', 'g5.xlarge', 'r7iz.large']) {
      expect(isGravitonType(t), t).toBe(false);
    }
  });

  it('a Graviton master, or a Graviton core when there are core nodes, is a usage error naming the flag', () => {
    expect(() => loadEmrConfig({ flags: { bucket: BUCKET, masterInstanceType: 'm7g.xlarge' } })).toThrow(/--master-instance-type: m7g\.xlarge is a Graviton \(arm64\) type/);
    expect(() => loadEmrConfig({ flags: { bucket: BUCKET, coreInstanceType: 'r6g.xlarge', coreInstanceCount: 2 } })).toThrow(/--core-instance-type/);
    // No core nodes: the core type is never used.
    expect(() => loadEmrConfig({ flags: { bucket: BUCKET, coreInstanceType: 'r6g.xlarge' } })).not.toThrow();
  });
});

describe('an existing cluster is checked (pure part; the moto run is in moto.test.ts)', () => {
  const want = { releaseLabel: 'emr-7.10.0', wheelhouseUri: 's3://b/pricecast/wheelhouse/abc/' };
  const ready = { Id: 'j-1', ReleaseLabel: 'emr-7.9.0', Status: { State: 'WAITING' as const } };
  it('same Spark line and the run\'s wheelhouse bootstrap: fine', () => {
    expect(existingClusterProblem(ready, [{ ScriptPath: 's3://b/x/bootstrap.sh', Args: [want.wheelhouseUri] }], want)).toBeNull();
  });
  it('another wheelhouse, an unknown release, an ended cluster: each said in one line', () => {
    expect(existingClusterProblem(ready, [{ ScriptPath: 's3://b/x/bootstrap.sh', Args: ['s3://b/pricecast/wheelhouse/old/'] }], want)).toMatch(/no bootstrap action/);
    expect(existingClusterProblem({ ...ready, ReleaseLabel: 'emr-9.0.0' }, [], want)).toMatch(/runs emr-9\.0\.0/);
    expect(existingClusterProblem({ ...ready, Status: { State: 'TERMINATED' } }, [], want)).toMatch(/is TERMINATED/);
  });
});

describe('a bucket in another region', () => {
  it('S3\'s bare 301 becomes one line naming the bucket\'s region', async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const { checkBucket } = await import('../../src/emr/stage.js');
    proxy.add({
      match: (r) => r.method === 'HEAD' && r.path.startsWith(`/${BUCKET}`),
      times: 1,
      respond: { status: 301, headers: { 'x-amz-bucket-region': 'eu-west-1', 'content-type': 'application/xml' }, body: '' },
    });
    const s3 = new S3Client({ endpoint: proxy.endpoint, forcePathStyle: true, maxAttempts: 1 });
    await expect(checkBucket(s3, BUCKET)).rejects.toThrow(`bucket ${BUCKET} is in eu-west-1, not us-east-1: run with AWS_REGION=eu-west-1`);
  });
});
