/**
 * The EMR mode's pure parts: configuration defaults and validation, the Spark-line check against
 * pyspark/requirements.txt, the plan (uploads and RunJobFlow request), the waiter's verdict table,
 * and the `emr plan` / `--help` commands, which need no AWS at all. Expected values are written from
 * the requirements (the original job's cluster) and EMR's documentation, not from output.
 */
import type { Cluster, StepSummary } from '@aws-sdk/client-emr';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkSparkLine,
  DEFAULT_RELEASE_LABEL,
  loadEmrConfig,
  newRunId,
  pinnedPysparkVersion,
  SPARK_VERSION_BY_RELEASE,
} from '../src/emr/config.js';
import { planRun, type RunFiles } from '../src/emr/plan.js';
import { formatElapsed, judge } from '../src/emr/wait.js';
import { runCli, ROOT } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'pricecast-emr-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = (input = '/data/prices.csv'): RunFiles => ({
  input: { path: input, sha256: 'a'.repeat(64), size: 100 },
  script: { path: '/repo/pyspark/price_regression.py', sha256: 'b'.repeat(64), size: 200 },
  bootstrap: { path: '/repo/pyspark/bootstrap.sh', sha256: 'c'.repeat(64), size: 300 },
  requirements: { path: '/repo/pyspark/requirements.txt', sha256: 'd'.repeat(64), size: 400 },
});

describe('config', () => {
  it('defaults mirror the original job: m5.xlarge master + 2 core, Hadoop/Spark/Livy, default roles, logs in the bucket', () => {
    const { config } = loadEmrConfig({ flags: { bucket: 'my-bucket' } });
    expect(config).toMatchObject({
      bucket: 'my-bucket',
      prefix: 'pricecast',
      releaseLabel: 'emr-7.10.0',
      masterInstanceType: 'm5.xlarge',
      coreInstanceType: 'm5.xlarge',
      coreInstanceCount: 2,
      applications: ['Hadoop', 'Spark', 'Livy'],
      serviceRole: 'EMR_DefaultRole',
      jobFlowRole: 'EMR_EC2_DefaultRole',
      logUri: 's3://my-bucket/pricecast/logs/',
      idleTimeoutSeconds: 3600,
      clusterId: null,
      job: { seed: 42, split: 'random', trainRatio: 0.7 },
    });
  });

  it('the default release ships the Spark that pyspark/requirements.txt pins', () => {
    const pinned = pinnedPysparkVersion(readFileSync(join(ROOT, 'pyspark', 'requirements.txt'), 'utf8'));
    expect(pinned).toBe('3.5.5');
    // AWS's Spark release history: emr-7.10.0 ships 3.5.5-amzn-1.
    expect(SPARK_VERSION_BY_RELEASE[DEFAULT_RELEASE_LABEL]).toBe(pinned);
    expect(checkSparkLine(DEFAULT_RELEASE_LABEL, pinned).level).toBe('ok');
  });

  it('refuses a release on another Spark line, warns on another patch release or an unknown release', () => {
    expect(checkSparkLine('emr-7.10.0', '3.4.1').level).toBe('error');
    expect(checkSparkLine('emr-7.8.0', '3.5.5')).toMatchObject({ level: 'warning', clusterSpark: '3.5.4' });
    expect(checkSparkLine('emr-6.15.0', '3.5.5').level).toBe('warning');
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', releaseLabel: 'emr-7.10.0' }, configFile: undefined })).not.toThrow();
  });

  it('reads the pin whatever its spelling, and ignores comments', () => {
    expect(pinnedPysparkVersion('# pyspark==1.0.0\nPySpark == 3.5.1  # local only\n')).toBe('3.5.1');
    expect(pinnedPysparkVersion('pyspark[sql]==3.5.2\n')).toBe('3.5.2');
    expect(pinnedPysparkVersion('pandas==2.2.3\n')).toBeNull();
  });

  it('a config file sets values, flags override it, unknown keys and bad values are refused', () => {
    const file = join(work, 'emr.json');
    writeFileSync(
      file,
      JSON.stringify({ bucket: 'file-bucket', coreInstanceCount: 4, tags: { team: 'quant' }, job: { seed: 9, split: 'time' } }),
    );
    const { config } = loadEmrConfig({ configFile: file, flags: { coreInstanceCount: 1 } });
    expect(config.bucket).toBe('file-bucket');
    expect(config.coreInstanceCount).toBe(1);
    expect(config.tags).toEqual({ team: 'quant' });
    expect(config.job).toMatchObject({ seed: 9, split: 'time', trainRatio: 0.7 });

    writeFileSync(file, JSON.stringify({ bucket: 'b-1', coreInstanceCont: 3 }));
    expect(() => loadEmrConfig({ configFile: file })).toThrow(/unknown setting coreInstanceCont/);
    expect(() => loadEmrConfig({ flags: { bucket: 'Not_A_Bucket' } })).toThrow(/not a valid S3 bucket name/);
    expect(() => loadEmrConfig({ flags: {} })).toThrow(/bucket is required/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', idleTimeoutSeconds: 30 } })).toThrow(/idleTimeoutSeconds/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', clusterId: 'cluster-1' } })).toThrow(/clusterId/);
    writeFileSync(file, JSON.stringify({ bucket: 'b-1', tags: { 'pricecast:managed': 'false' } }));
    expect(() => loadEmrConfig({ configFile: file })).toThrow(/pricecast:\* keys/);
  });

  it('run ids are UTC time plus a random suffix', () => {
    expect(newRunId(new Date(Date.UTC(2025, 2, 1, 14, 25, 1)), '9f3a77')).toBe('20250301-142501-9f3a');
  });
});

describe('plan', () => {
  const { config } = loadEmrConfig({ flags: { bucket: 'my-bucket', seed: 7, trainRatio: 0.8 } });
  const plan = planRun(config, 'r1', files());

  it('stages data, job, bootstrap, requirements and the manifest under the run prefix', () => {
    expect(plan.uploads.map((u) => [u.role, u.uri, u.sha256.slice(0, 1)])).toEqual([
      ['input', 's3://my-bucket/pricecast/runs/r1/input/prices.csv', 'a'],
      ['script', 's3://my-bucket/pricecast/runs/r1/job/price_regression.py', 'b'],
      ['bootstrap', 's3://my-bucket/pricecast/runs/r1/job/bootstrap.sh', 'c'],
      ['requirements', 's3://my-bucket/pricecast/runs/r1/job/requirements.txt', 'd'],
      ['manifest', 's3://my-bucket/pricecast/runs/r1/run.json', expect.any(String)],
    ]);
    const manifest = JSON.parse(plan.uploads[4].body!);
    expect(manifest.input).toEqual({ name: 'prices.csv', sha256: 'a'.repeat(64), size: 100, uri: 's3://my-bucket/pricecast/runs/r1/input/prices.csv' });
    expect(manifest.job).toEqual({ seed: 7, split: 'random', trainRatio: 0.8 });
  });

  it('the RunJobFlow request: cluster shape, spark-env, cost safety, bootstrap action, tags', () => {
    const request = plan.runJobFlow!;
    expect(request.ReleaseLabel).toBe('emr-7.10.0');
    expect(request.Applications).toEqual([{ Name: 'Hadoop' }, { Name: 'Spark' }, { Name: 'Livy' }]);
    expect(request.Configurations).toEqual([
      { Classification: 'spark-env', Configurations: [{ Classification: 'export', Properties: { PYSPARK_PYTHON: '/usr/bin/python3' } }] },
    ]);
    expect(request.Instances?.InstanceGroups?.map((g) => [g.InstanceRole, g.InstanceType, g.InstanceCount, g.Market])).toEqual([
      ['MASTER', 'm5.xlarge', 1, 'ON_DEMAND'],
      ['CORE', 'm5.xlarge', 2, 'ON_DEMAND'],
    ]);
    expect(request.Instances?.KeepJobFlowAliveWhenNoSteps).toBe(false);
    expect(request.AutoTerminationPolicy).toEqual({ IdleTimeout: 3600 });
    expect(request.ServiceRole).toBe('EMR_DefaultRole');
    expect(request.JobFlowRole).toBe('EMR_EC2_DefaultRole');
    expect(request.LogUri).toBe('s3://my-bucket/pricecast/logs/');
    expect(request.BootstrapActions).toEqual([
      {
        Name: expect.any(String),
        ScriptBootstrapAction: {
          Path: 's3://my-bucket/pricecast/runs/r1/job/bootstrap.sh',
          Args: ['s3://my-bucket/pricecast/runs/r1/job/requirements.txt'],
        },
      },
    ]);
    expect(request.Tags).toEqual([
      { Key: 'pricecast:managed', Value: 'true' },
      { Key: 'pricecast:run', Value: 'r1' },
    ]);
    expect(plan.addJobFlowSteps).toBeNull();
  });

  it('three steps: s3-dist-cp in, spark-submit with seed/split/ratio, s3-dist-cp out; each terminates on failure', () => {
    expect(plan.steps.map((s) => s.ActionOnFailure)).toEqual(['TERMINATE_CLUSTER', 'TERMINATE_CLUSTER', 'TERMINATE_CLUSTER']);
    expect(plan.steps[0].HadoopJarStep).toEqual({
      Jar: 'command-runner.jar',
      Args: ['s3-dist-cp', '--src=s3://my-bucket/pricecast/runs/r1/input/', '--dest=hdfs:///pricecast/r1/input/'],
    });
    const spark = plan.steps[1].HadoopJarStep!.Args!;
    expect(spark[0]).toBe('spark-submit');
    expect(spark.slice(spark.indexOf('s3://my-bucket/pricecast/runs/r1/job/price_regression.py') + 1)).toEqual([
      '--input', 'hdfs:///pricecast/r1/input/prices.csv',
      '--output', 'hdfs:///pricecast/r1/output',
      '--seed', '7', '--split', 'random', '--train-ratio', '0.8',
    ]);
    expect(plan.steps[2].HadoopJarStep?.Args).toEqual([
      's3-dist-cp', '--src=hdfs:///pricecast/r1/output', '--dest=s3://my-bucket/pricecast/runs/r1/output/',
    ]);
  });

  it('with clusterId: AddJobFlowSteps on that cluster, CANCEL_AND_WAIT, no cluster created', () => {
    const { config: existing } = loadEmrConfig({ flags: { bucket: 'my-bucket', clusterId: 'j-ABC123' } });
    const onExisting = planRun(existing, 'r2', files());
    expect(onExisting.runJobFlow).toBeNull();
    expect(onExisting.addJobFlowSteps?.JobFlowId).toBe('j-ABC123');
    expect(onExisting.addJobFlowSteps?.Steps?.map((s) => s.ActionOnFailure)).toEqual(['CANCEL_AND_WAIT', 'CANCEL_AND_WAIT', 'CANCEL_AND_WAIT']);
  });
});

describe('the waiter\'s verdict (states as a table)', () => {
  const cluster = (State: string, Code?: string): Cluster => ({ Id: 'j-1', Status: { State: State as never, StateChangeReason: Code ? { Code: Code as never, Message: 'why' } : {} } });
  const steps = (...states: string[]): StepSummary[] =>
    states.map((State, i) => ({ Id: `s-${i}`, Name: `pricecast r: step ${i}`, Status: { State: State as never } }));

  it('keeps waiting while steps are pending or running, or not all listed yet', () => {
    expect(judge(cluster('STARTING'), steps('PENDING', 'PENDING', 'PENDING'), 3).status).toBe('waiting');
    expect(judge(cluster('RUNNING'), steps('COMPLETED', 'RUNNING', 'PENDING'), 3).status).toBe('waiting');
    expect(judge(cluster('RUNNING'), steps('COMPLETED', 'COMPLETED'), 3).status).toBe('waiting');
  });
  it('success when every step completed, whatever the cluster then does', () => {
    expect(judge(cluster('TERMINATED', 'ALL_STEPS_COMPLETED'), steps('COMPLETED', 'COMPLETED', 'COMPLETED'), 3).status).toBe('success');
  });
  it('a FAILED step once everything finished, or once the cluster ended', () => {
    expect(judge(cluster('TERMINATING'), steps('COMPLETED', 'FAILED', 'CANCELLED'), 3)).toMatchObject({ status: 'step-failed', failedStep: { Id: 's-1' } });
    expect(judge(cluster('TERMINATED_WITH_ERRORS'), steps('COMPLETED', 'FAILED', 'PENDING'), 3).status).toBe('step-failed');
  });
  it('a cluster that ended first is reported with its own reason', () => {
    const verdict = judge(cluster('TERMINATED_WITH_ERRORS', 'BOOTSTRAP_FAILURE'), steps('CANCELLED', 'CANCELLED', 'CANCELLED'), 3);
    expect(verdict.status).toBe('cluster-ended');
    expect(verdict.message).toContain('BOOTSTRAP_FAILURE');
  });
  it('CANCELLED or INTERRUPTED steps on a live cluster fail the run only once all steps finished', () => {
    expect(judge(cluster('WAITING'), steps('COMPLETED', 'CANCELLED', 'PENDING'), 3).status).toBe('waiting');
    expect(judge(cluster('WAITING'), steps('COMPLETED', 'CANCELLED', 'CANCELLED'), 3).status).toBe('step-cancelled');
    expect(judge(cluster('WAITING'), steps('INTERRUPTED', 'CANCELLED', 'CANCELLED'), 3).status).toBe('step-cancelled');
  });
  it('elapsed time reads as minutes and seconds', () => {
    expect(formatElapsed(0)).toBe('0m00s');
    expect(formatElapsed(61_500)).toBe('1m01s');
    expect(formatElapsed(3_723_000)).toBe('1h02m03s');
  });
});

describe('the commands that need no AWS', () => {
  // No credentials, no region, no endpoint: plan must not touch AWS at all.
  const noAws = {
    AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '',
    AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  };

  it('emr plan prints the uploads and the RunJobFlow request as JSON', async () => {
    const run = await runCli(['emr', 'plan', '--bucket', 'my-bucket', '--run-id', 'dry-1', '--seed', '5'], { env: noAws });
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.runId).toBe('dry-1');
    expect(printed.uploads).toHaveLength(5);
    // The sha256 printed for the job is the sha256 of pyspark/price_regression.py's bytes.
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256').update(readFileSync(join(ROOT, 'pyspark', 'price_regression.py'))).digest('hex');
    expect(printed.uploads[1]).toMatchObject({ uri: 's3://my-bucket/pricecast/runs/dry-1/job/price_regression.py', sha256: expected });
    expect(printed.runJobFlow.Steps[1].HadoopJarStep.Args).toEqual(expect.arrayContaining(['--seed', '5']));
  });

  it('emr plan with --cluster-id prints AddJobFlowSteps instead', async () => {
    const run = await runCli(['emr', 'plan', '--bucket', 'my-bucket', '--cluster-id', 'j-ABC123'], { env: noAws });
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.runJobFlow).toBeUndefined();
    expect(printed.addJobFlowSteps.JobFlowId).toBe('j-ABC123');
  });

  it('bad usage exits 2 with one line naming the problem', async () => {
    const run = await runCli(['emr', 'plan'], { env: noAws });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bucket is required/);
    const bad = await runCli(['emr', 'plan', '--bucket', 'b-1', '--seed', 'x'], { env: noAws });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--seed: expected an integer/);
    const unknown = await runCli(['emr', 'frobnicate'], { env: noAws });
    expect(unknown.code).toBe(2);
  });

  it('every subcommand has a --help that names its options', async () => {
    const expectations: Array<[string[], RegExp]> = [
      [['emr', '--help'], /plan.*submit.*fetch.*list.*cleanup/s],
      [['emr', 'plan', '--help'], /--bucket.*--cluster-id.*--release-label/s],
      [['emr', 'submit', '--help'], /--poll-seconds.*--timeout-minutes.*Exit codes/s],
      [['emr', 'fetch', '--help'], /--run-id.*--compare.*--input/s],
      [['emr', 'list', '--help'], /--all/],
      [['emr', 'cleanup', '--help'], /--dry-run/],
    ];
    for (const [args, pattern] of expectations) {
      const run = await runCli(args, { env: noAws });
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toMatch(pattern);
    }
  });
});
