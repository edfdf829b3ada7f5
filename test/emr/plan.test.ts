/**
 * The EMR mode's pure parts: configuration defaults and validation, the Spark-line check against
 * pyspark/requirements.txt, the plan (uploads and RunJobFlow request), the waiter's verdict table,
 * and the `emr plan` / `--help` commands, which need no AWS at all. Expected values are written from
 * the issue's requirements (the original job's cluster) and EMR's documentation, not from output.
 */
import type { Cluster, StepSummary } from '@aws-sdk/client-emr';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSparkLine, clusterPythonProblem, loadEmrConfig, newRunId, pinnedPysparkVersion } from '../../src/emr/config.js';
import { DEFAULT_RELEASE_LABEL, SPARK_VERSION_BY_RELEASE } from '../../src/settings.js';
import { planRun, type RunFiles } from '../../src/emr/plan.js';
import { experimentJobArgs } from '../../src/emr/experimentArgs.js';
import { walkForwardFlags } from '../../src/parity/experimentParity.js';
import { formatElapsed, judge } from '../../src/emr/wait.js';
import { createHash } from 'node:crypto';
import { runCli, ROOT } from '../helpers/cli.js';

const createHashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const work = mkdtempSync(join(tmpdir(), 'pricecast-emr-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = (input = '/data/prices.csv'): RunFiles => ({
  input: { path: input, sha256: 'a'.repeat(64), size: 100 },
  script: { path: '/repo/pyspark/price_regression.py', sha256: 'b'.repeat(64), size: 200 },
  bootstrap: { path: '/repo/pyspark/bootstrap.sh', sha256: 'c'.repeat(64), size: 300 },
  wheelhouse: [
    { path: '/cache/wheelhouse/requirements.txt', sha256: 'd'.repeat(64), size: 400 },
    { path: '/cache/wheelhouse/ta-0.11.0-py3-none-any.whl', sha256: 'e'.repeat(64), size: 500 },
    { path: '/cache/wheelhouse/numpy-1.26.4-cp39-cp39-manylinux2014_x86_64.whl', sha256: 'f'.repeat(64), size: 600 },
  ],
});
const id = (runId: string, creatorArn: string | null = null) => ({ runId, attemptId: 'a1', creatorArn });

describe('config', () => {
  it('defaults: a single m5.xlarge node (the job runs in one partition), Hadoop and Spark (no Livy), default roles, logs in the bucket, bounded steps, SSE-S3', () => {
    const { config } = loadEmrConfig({ flags: { bucket: 'my-bucket' } });
    expect(config).toMatchObject({
      bucket: 'my-bucket',
      prefix: 'pricecast',
      releaseLabel: 'emr-7.10.0',
      masterInstanceType: 'm5.xlarge',
      coreInstanceType: 'm5.xlarge',
      coreInstanceCount: 0,
      stepTimeoutMinutes: 120,
      maxConsecutiveErrors: 10,
      logWaitMinutes: 6,
      sseAlgorithm: 'AES256',
      kmsKeyId: null,
      expectedBucketOwner: null,
      applications: ['Hadoop', 'Spark'],
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

  it('refuses, in one line, a cluster release whose nodes have no python3.11 (EMR 6.x); 7.x and later pass', () => {
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', releaseLabel: 'emr-6.15.0' } })).toThrow(
      /^--release-label: emr-6\.15\.0 cannot run the job's Python 3\.11: its nodes run Amazon Linux 2, which has no python3\.11 package \(EMR 7\.x and later have it\); pick emr-7\.0\.0 or later, such as emr-7\.10\.0$/,
    );
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', releaseLabel: 'emr-5.36.2' } })).toThrow(/cannot run the job's Python 3\.11/);
    expect(clusterPythonProblem('emr-7.0.0')).toBeNull();
    expect(clusterPythonProblem('emr-7.10.0')).toBeNull();
    expect(clusterPythonProblem('emr-8.0.0')).toBeNull();
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
      JSON.stringify({ bucket: 'file-bucket', coreInstanceCount: 4, tags: ['team=quant'], job: { seed: 9, split: 'time' } }),
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
    writeFileSync(file, JSON.stringify({ bucket: 'b-1', tags: ['pricecast:managed=false'] }));
    expect(() => loadEmrConfig({ configFile: file })).toThrow(/pricecast:\* keys/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', sseAlgorithm: 'aws:kms' } })).toThrow(/kmsKeyId/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', sseAlgorithm: 'aws:kms', kmsKeyId: 'alias/k' } })).not.toThrow();
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', sseAlgorithm: 'DES' as never } })).toThrow(/sseAlgorithm/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', kmsKeyId: 'k' } })).toThrow(/no key with AES256/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', expectedBucketOwner: '12345' } })).toThrow(/12-digit/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', stepTimeoutMinutes: 0 } })).toThrow(/stepTimeoutMinutes/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', maxConsecutiveErrors: 0 } })).toThrow(/maxConsecutiveErrors/);
  });

  it('run ids are UTC time plus a random suffix', () => {
    expect(newRunId(new Date(Date.UTC(2025, 2, 1, 14, 25, 1)), '9f3a77')).toBe('20250301-142501-9f3a');
  });
});

describe('plan', () => {
  const { config } = loadEmrConfig({ flags: { bucket: 'my-bucket', seed: 7, trainRatio: 0.8, coreInstanceCount: 2 } });
  const plan = planRun(config, id('r1', 'arn:aws:iam::123456789012:user/alice'), files());
  // The wheelhouse folder is named by its requirements.txt's sha256 (first 16 hex digits).
  const wheelhouse = `s3://my-bucket/pricecast/wheelhouse/${'d'.repeat(16)}/`;

  it('stages data, job, bootstrap, every wheel of the wheelhouse and the manifest; output per attempt', () => {
    expect(plan.uploads.map((u) => [u.role, u.uri, u.localPath, u.sha256.slice(0, 1)])).toEqual([
      ['input', 's3://my-bucket/pricecast/runs/r1/input/prices.csv', '/data/prices.csv', 'a'],
      ['script', 's3://my-bucket/pricecast/runs/r1/job/price_regression.py', '/repo/pyspark/price_regression.py', 'b'],
      ['bootstrap', 's3://my-bucket/pricecast/runs/r1/job/bootstrap.sh', '/repo/pyspark/bootstrap.sh', 'c'],
      ['publish-guard', 's3://my-bucket/pricecast/runs/r1/job/publish_guard.py', null, expect.any(String)],
      ['wheel', `${wheelhouse}numpy-1.26.4-cp39-cp39-manylinux2014_x86_64.whl`, '/cache/wheelhouse/numpy-1.26.4-cp39-cp39-manylinux2014_x86_64.whl', 'f'],
      ['wheelhouse-requirements', `${wheelhouse}requirements.txt`, '/cache/wheelhouse/requirements.txt', 'd'],
      ['wheel', `${wheelhouse}ta-0.11.0-py3-none-any.whl`, '/cache/wheelhouse/ta-0.11.0-py3-none-any.whl', 'e'],
      ['manifest', 's3://my-bucket/pricecast/runs/r1/run.json', null, expect.any(String)],
    ]);
    const manifest = JSON.parse(plan.uploads[7].body!);
    expect(manifest.attemptId).toBe('a1');
    expect(manifest.outputUri).toBe('s3://my-bucket/pricecast/runs/r1/attempts/a1/output/');
    // Another attempt of the same run writes elsewhere (s3-dist-cp never deletes).
    const again = planRun(config, { runId: 'r1', attemptId: 'a2', creatorArn: null }, files());
    expect(again.layout.outputUri).toBe('s3://my-bucket/pricecast/runs/r1/attempts/a2/output/');
    expect(again.steps[3].HadoopJarStep?.Args?.at(-1)).toBe('--dest=s3://my-bucket/pricecast/runs/r1/attempts/a2/output/');
    expect(manifest.input).toEqual({ name: 'prices.csv', sha256: 'a'.repeat(64), size: 100, uri: 's3://my-bucket/pricecast/runs/r1/input/prices.csv' });
    // Every job setting but the input (described by its S3 copy above).
    expect(manifest.job).toMatchObject({ seed: 7, split: 'random', trainRatio: 0.8, features: 'price,volume,marketCap,rsi' });
    expect(manifest.job.input).toBeUndefined();
  });

  it('the RunJobFlow request: cluster shape, spark-env, cost safety, bootstrap action, tags', () => {
    const request = plan.runJobFlow!;
    expect(request.ReleaseLabel).toBe('emr-7.10.0');
    expect(request.Applications).toEqual([{ Name: 'Hadoop' }, { Name: 'Spark' }]);
    expect(request.Configurations).toEqual([
      // The venv bootstrap.sh creates from the wheelhouse with python3.11, for the driver and the executors.
      { Classification: 'spark-env', Configurations: [{ Classification: 'export', Properties: { PYSPARK_PYTHON: '/opt/pricecast/venv/bin/python3' } }] },
      { Classification: 'spark-defaults', Properties: { 'spark.pyspark.python': '/opt/pricecast/venv/bin/python3' } },
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
          Args: [wheelhouse],
        },
      },
    ]);
    expect(request.Tags).toEqual([
      { Key: 'pricecast:managed', Value: 'true' },
      { Key: 'pricecast:run', Value: 'r1' },
      { Key: 'pricecast:attempt', Value: 'a1' },
      { Key: 'pricecast:creator', Value: 'arn:aws:iam::123456789012:user/alice' },
      // The _V2 service role's managed policy acts only on clusters with this tag.
      { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' },
    ]);
    expect(plan.addJobFlowSteps).toBeNull();
  });

  it('an hourly cost estimate from the dated price table: 3 x m5.xlarge = 3 x (0.192 + 0.048)', () => {
    expect(plan.cost?.usdPerHour).toBeCloseTo(0.72, 10);
    expect(plan.cost?.note).toMatch(/ESTIMATE.*prices as of \d{4}-\d{2}/);
    const { config: single } = loadEmrConfig({ flags: { bucket: 'my-bucket' } });
    const singlePlan = planRun(single, id('r3'), files());
    expect(singlePlan.runJobFlow?.Instances?.InstanceGroups?.map((g) => g.InstanceRole)).toEqual(['MASTER']);
    expect(singlePlan.cost?.usdPerHour).toBeCloseTo(0.24, 10);
    expect(singlePlan.runJobFlow?.Tags?.map((t) => t.Key)).toEqual(['pricecast:managed', 'pricecast:run', 'pricecast:attempt', 'for-use-with-amazon-emr-managed-policies']);
    const { config: odd } = loadEmrConfig({ flags: { bucket: 'my-bucket', masterInstanceType: 'x9.mega' } });
    expect(planRun(odd, id('r4'), files()).cost).toMatchObject({ usdPerHour: null, note: expect.stringContaining('x9.mega') });
  });

  it('four steps, each bounded by `timeout` (2 h default): s3-dist-cp in, spark-submit, the publish guard, s3-dist-cp out; each terminates on failure', () => {
    const bounded = ['timeout', '--signal=TERM', '--kill-after=60', '7200s'];
    expect(plan.steps.map((s) => s.ActionOnFailure)).toEqual(['TERMINATE_CLUSTER', 'TERMINATE_CLUSTER', 'TERMINATE_CLUSTER', 'TERMINATE_CLUSTER']);
    expect(plan.steps[0].HadoopJarStep).toEqual({
      Jar: 'command-runner.jar',
      Args: [...bounded, 's3-dist-cp', '--src=s3://my-bucket/pricecast/runs/r1/input/', '--dest=hdfs:///pricecast/r1/a1/input/'],
    });
    const spark = plan.steps[1].HadoopJarStep!.Args!;
    expect(spark.slice(0, 5)).toEqual([...bounded, 'spark-submit']);
    expect(spark.slice(spark.indexOf('s3://my-bucket/pricecast/runs/r1/job/price_regression.py') + 1)).toEqual([
      '--input', 'hdfs:///pricecast/r1/a1/input/prices.csv',
      '--output', 'hdfs:///pricecast/r1/a1/output',
      '--seed', '7', '--split', 'random', '--train-ratio', '0.8',
      // The rest of the job's settings (the shared table), passed through as the job's own flags.
      '--features', 'price,volume,marketCap,rsi', '--format', 'auto', '--missing', 'error', '--ohlc-check', 'on',
    ]);
    const { config: withFeatures } = loadEmrConfig({ flags: { bucket: 'my-bucket', features: 'price,rsi(window=9)', columns: 'date=Day,price=Close' } });
    const args = planRun(withFeatures, id('r6'), files()).steps[1].HadoopJarStep!.Args!;
    expect(args[args.indexOf('--features') + 1]).toBe('price,rsi(window=9)');
    expect(args[args.indexOf('--columns') + 1]).toBe('date=Day,price=Close');
    // The publish guard right before the copy out: the staged script, the destination and the claim beside it.
    expect(plan.steps[2].HadoopJarStep?.Args).toEqual([
      ...bounded, 'spark-submit', '--deploy-mode', 'client', '--master', 'local[1]', 's3://my-bucket/pricecast/runs/r1/job/publish_guard.py',
      '--dest', 's3://my-bucket/pricecast/runs/r1/attempts/a1/output/', '--claim', 's3://my-bucket/pricecast/runs/r1/attempts/a1/publisher.json',
      '--sse', 'AES256',
    ]);
    expect(plan.steps[3].HadoopJarStep?.Args).toEqual([
      ...bounded, 's3-dist-cp', '--src=hdfs:///pricecast/r1/a1/output', '--dest=s3://my-bucket/pricecast/runs/r1/attempts/a1/output/',
    ]);
    const { config: short } = loadEmrConfig({ flags: { bucket: 'my-bucket', stepTimeoutMinutes: 1.5 } });
    expect(planRun(short, id('r5'), files()).steps[1].HadoopJarStep?.Args?.slice(0, 4)).toEqual(['timeout', '--signal=TERM', '--kill-after=60', '90s']);
  });

  it('with clusterId: AddJobFlowSteps on that cluster, CANCEL_AND_WAIT, no cluster created', () => {
    const { config: existing } = loadEmrConfig({ flags: { bucket: 'my-bucket', clusterId: 'j-ABC123' } });
    const onExisting = planRun(existing, id('r2'), files());
    expect(onExisting.cost).toBeNull();
    expect(onExisting.runJobFlow).toBeNull();
    expect(onExisting.addJobFlowSteps?.JobFlowId).toBe('j-ABC123');
    expect(onExisting.addJobFlowSteps?.Steps?.map((s) => s.ActionOnFailure)).toEqual(['CANCEL_AND_WAIT', 'CANCEL_AND_WAIT', 'CANCEL_AND_WAIT', 'CANCEL_AND_WAIT']);
  });

  it('--command experiment: walk_forward.py staged beside the job it imports (--py-files), the experiment\'s flags, run.json records them', () => {
    const { config: experiment } = loadEmrConfig({
      flags: { bucket: 'my-bucket', command: 'experiment', experimentSets: ['base=price,volume,marketCap,rsi', 'small=price,rsi;regParam=0.1'], refitEvery: 5, trainRatio: 0.6, missing: 'drop' },
    });
    const planned = planRun(experiment, id('r8'), { ...files(), experimentScript: { path: '/repo/pyspark/walk_forward.py', sha256: '9'.repeat(64), size: 700 } });
    expect(planned.uploads.map((u) => u.role).slice(0, 4)).toEqual(['input', 'script', 'experiment-script', 'bootstrap']);
    expect(planned.uploads[2].uri).toBe('s3://my-bucket/pricecast/runs/r8/job/walk_forward.py');
    const step = planned.steps[1];
    expect(step.Name).toBe('pricecast r8: spark-submit walk_forward.py');
    expect(step.HadoopJarStep?.Args?.slice(4)).toEqual([
      'spark-submit', '--deploy-mode', 'client', '--master', 'yarn',
      '--py-files', 's3://my-bucket/pricecast/runs/r8/job/price_regression.py',
      's3://my-bucket/pricecast/runs/r8/job/walk_forward.py',
      '--input', 'hdfs:///pricecast/r8/a1/input/prices.csv', '--output', 'hdfs:///pricecast/r8/a1/output',
      '--set', 'base=price,volume,marketCap,rsi', '--set', 'small=price,rsi;regParam=0.1',
      '--train-ratio', '0.6', '--refit-every', '5', '--target', 'price', '--missing', 'drop',
    ]);
    // The same guard and copy out as predict's.
    expect(planned.steps.map((s) => s.Name)).toEqual([
      'pricecast r8: s3-dist-cp input into HDFS', 'pricecast r8: spark-submit walk_forward.py',
      'pricecast r8: claim the S3 output folder', 'pricecast r8: s3-dist-cp output to S3',
    ]);
    const manifest = JSON.parse(planned.uploads.at(-1)!.body!);
    expect(manifest).toMatchObject({
      command: 'experiment',
      experiment: { sets: ['base=price,volume,marketCap,rsi', 'small=price,rsi;regParam=0.1'], trainRatio: 0.6, refitEvery: 5, target: 'price' },
    });
    // predict's run.json says so too.
    expect(JSON.parse(plan.uploads.at(-1)!.body!).command).toBe('predict');
    // The flags are the parity suite's for the same case (walk_forward.py is held to the engine with them).
    for (const job of [experiment.job, { ...experiment.job, format: 'coingecko', thousands: ',', ohlcCheck: 'off', assets: ['BTC', 'ETH'], columns: 'date=Day,price=Close' }] as const) {
      expect(experimentJobArgs(experiment.experiment, job as typeof experiment.job)).toEqual(walkForwardFlags({
        name: 'x', input: 'x', sets: experiment.experiment.sets, trainRatio: 0.6, refitEvery: 5, target: 'price',
        ingest: { format: job.format, columns: job.columns as never, thousands: job.thousands, missing: job.missing, ohlcCheck: job.ohlcCheck }, assets: job.assets as string[] | undefined,
      }));
    }
    // Without a set, or with a bad one: refused before anything is planned.
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', command: 'experiment' } })).toThrow(/--set: --command experiment needs at least one feature set/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', command: 'experiment', experimentSets: ['nameless'] } })).toThrow(/--set: expected NAME=SPEC/);
    expect(() => loadEmrConfig({ flags: { bucket: 'b-1', command: 'forecast' as never } })).toThrow(/command/);
  });

  it('the publish step refuses a non-empty destination: the guard before the copy, as planned (snapshot)', () => {
    const { config: kms } = loadEmrConfig({ flags: { bucket: 'my-bucket', sseAlgorithm: 'aws:kms', kmsKeyId: 'alias/runs' } });
    const planned = planRun(kms, id('r7'), files());
    const publish = planned.steps.slice(2).map((s) => ({ Name: s.Name, ActionOnFailure: s.ActionOnFailure, Args: s.HadoopJarStep?.Args }));
    expect(publish).toMatchSnapshot();
    // The guard's script is staged with the run, its bytes hashed like every other upload.
    const guard = planned.uploads.find((u) => u.role === 'publish-guard')!;
    expect(guard.body).toContain('IfNoneMatch="*"');
    expect(guard.body).toContain('pricecast publish: refusing');
    expect(guard.sha256).toBe(createHashOf(Buffer.from(guard.body!)));
    expect(guard.size).toBe(Buffer.byteLength(guard.body!));
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
    // input, job, bootstrap, the wheelhouse (each .whl and its requirements.txt, from .cache/wheelhouse), manifest
    const wheels = printed.uploads.filter((u: { role: string }) => u.role === 'wheel');
    expect(wheels.map((u: { uri: string }) => u.uri.split('/').pop()!.split('-')[0]).sort()).toEqual(
      ['boto3', 'botocore', 'jmespath', 'numpy', 'pandas', 'pip', 'pyarrow', 'python_dateutil', 'pytz', 's3transfer', 'six', 'ta', 'tzdata', 'urllib3'],
    );
    for (const wheel of wheels) {
      expect(wheel.from).toBe(join(ROOT, '.cache', 'wheelhouse', wheel.uri.split('/').pop()));
      expect(createHashOf(readFileSync(wheel.from))).toBe(wheel.sha256);
    }
    // input, job, bootstrap, the publish guard, the wheels, requirements.txt, run.json
    expect(printed.uploads).toHaveLength(4 + wheels.length + 1 + 1);
    expect(printed.hourlyCostEstimate.usdPerHour).toBeCloseTo(0.24, 10);
    expect(run.stderr).toMatch(/estimated cluster cost \$0\.240\/h/);
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
      [['emr', '--help'], /plan.*stage.*submit.*fetch.*list.*cleanup/s],
      [['emr', 'stage', '--help'], /--bucket.*--step-timeout.*--sse/s],
      [['emr', 'plan', '--help'], /--bucket.*--cluster-id.*--release-label/s],
      [['emr', 'submit', '--help'], /--poll-seconds.*--timeout-minutes.*Exit codes/s],
      [['emr', 'fetch', '--help'], /--run-id.*--compare.*--input/s],
      [['emr', 'list', '--help'], /--all/],
      [['emr', 'cleanup', '--help'], /--all.*--yes.*--dry-run/s],
    ];
    for (const [args, pattern] of expectations) {
      const run = await runCli(args, { env: noAws });
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toMatch(pattern);
    }
  });
});
