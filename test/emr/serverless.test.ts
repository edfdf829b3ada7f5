/**
 * EMR Serverless: the plan offline (requests as data, a snapshot), and the carry-out against moto in
 * server mode, which implements applications and job runs (CreateApplication, StartJobRun, GetJobRun,
 * CancelJobRun, StopApplication) but runs nothing: its job runs are SUCCESS at once. So, as for
 * clusters (test/helpers/emrScript.ts), the states the waiter sees are scripted on top of moto's real
 * GetJobRun answers, and the job's output is the engine's own, put where the job would write it.
 */
import { GetApplicationCommand, GetJobRunCommand, type JobRun, type JobRunState } from '@aws-sdk/client-emr-serverless';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEmrConfig } from '../../src/emr/config.js';
import { estimateServerlessCost } from '../../src/emr/cost.js';
import { parseS3Uri } from '../../src/emr/plan.js';
import { createServerlessClient } from '../../src/emr/serverlessClient.js';
import { planServerlessRun, type ServerlessPlan } from '../../src/emr/serverlessPlan.js';
import { sdkJobRunReader, submitServerlessRun } from '../../src/emr/serverlessSubmit.js';
import { JOB_RUN_STATE_OUTCOME, type JobRunReader } from '../../src/emr/serverlessWait.js';
import { localFileFacts } from '../../src/emr/stage.js';
import { runPipeline } from '../../src/engine/pipeline.js';
import { PROJECT_ROOT } from '../../src/parity/pyenv.js';
import { fakeClock } from '../helpers/emrScript.js';
import { openMotoSession, type MotoSession } from '../helpers/moto.js';
import { motoEpochProxy, type EpochProxy } from '../helpers/motoEpochProxy.js';

const BUCKET = 'pricecast-serverless';
const ROLE = 'arn:aws:iam::123456789012:role/pricecast-serverless-job';
const INPUT = join(PROJECT_ROOT, 'fixtures', 'default.csv');
const serverlessFlags = { bucket: BUCKET, serverless: true, executionRoleArn: ROLE, pythonArchive: '/tmp/pyenv.tar.gz', input: INPUT };

const facts = (path: string, hex: string, size: number) => ({ path, sha256: hex.repeat(64), size });
const offlineFiles = {
  input: facts('/data/prices.csv', 'a', 100),
  script: facts('/repo/pyspark/price_regression.py', 'b', 200),
  pythonArchive: facts('/build/pyenv.tar.gz', 'c', 300),
};

describe('the serverless plan (pure)', () => {
  const { config } = loadEmrConfig({ flags: serverlessFlags });
  const plan = planServerlessRun(config, { runId: 'r1', attemptId: 'a1', creatorArn: 'arn:aws:iam::123456789012:user/alice' }, offlineFiles);

  it('snapshot: the uploads, CreateApplication and StartJobRun requests', () => {
    expect({ uploads: plan.uploads.map((u) => [u.role, u.uri]), createApplication: plan.createApplication, startJobRun: plan.startJobRun }).toMatchSnapshot();
  });

  it('StartJobRun: idempotent, the execution role, the packed environment as every worker\'s Python, the time limit, S3 logs, one attempt', () => {
    const run = plan.startJobRun;
    expect(run.clientToken).toBe('r1-a1');
    expect(run.executionRoleArn).toBe(ROLE);
    expect(run.jobDriver?.sparkSubmit?.entryPoint).toBe('s3://pricecast-serverless/pricecast/runs/r1/job/price_regression.py');
    const args = run.jobDriver!.sparkSubmit!.entryPointArguments!;
    expect(args.slice(0, 4)).toEqual(['--input', 's3://pricecast-serverless/pricecast/runs/r1/input/prices.csv', '--output', 's3://pricecast-serverless/pricecast/runs/r1/attempts/a1/output']);
    const params = run.jobDriver!.sparkSubmit!.sparkSubmitParameters!;
    expect(params).toContain(`--conf spark.archives=s3://pricecast-serverless/pricecast/pyenv/${'c'.repeat(16)}/pyenv.tar.gz#environment`);
    expect(params).toContain('--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python');
    expect(params).toContain('--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=./environment/bin/python');
    expect(params).toContain('--conf spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python');
    expect(run.executionTimeoutMinutes).toBe(120);
    expect(run.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri).toBe('s3://pricecast-serverless/pricecast/logs/');
    expect(run.retryPolicy).toEqual({ maxAttempts: 1 });
    // run.json is written after the run succeeded, never staged before it.
    expect(plan.uploads.map((u) => u.role)).not.toContain('manifest');
  });

  it('--command experiment: walk_forward.py is the entry point, price_regression.py on --py-files, the experiment\'s flags; run.json records them', () => {
    const { config: experiment } = loadEmrConfig({ flags: { ...serverlessFlags, command: 'experiment', experimentSets: ['base=price,rsi'], refitEvery: 2 } });
    const planned = planServerlessRun(experiment, { runId: 'r2', attemptId: 'a1', creatorArn: null }, { ...offlineFiles, experimentScript: facts('/repo/pyspark/walk_forward.py', 'd', 400) });
    expect(planned.uploads.map((u) => u.role)).toEqual(['input', 'script', 'experiment-script', 'python-archive']);
    const driver = planned.startJobRun.jobDriver!.sparkSubmit!;
    expect(driver.entryPoint).toBe('s3://pricecast-serverless/pricecast/runs/r2/job/walk_forward.py');
    expect(driver.entryPointArguments).toEqual([
      '--input', 's3://pricecast-serverless/pricecast/runs/r2/input/prices.csv', '--output', 's3://pricecast-serverless/pricecast/runs/r2/attempts/a1/output',
      '--set', 'base=price,rsi', '--train-ratio', '0.7', '--refit-every', '2', '--target', 'price', '--missing', 'error',
    ]);
    expect(driver.sparkSubmitParameters!.endsWith(' --py-files s3://pricecast-serverless/pricecast/runs/r2/job/price_regression.py')).toBe(true);
    expect(planned.manifest).toMatchObject({ command: 'experiment', experiment: { sets: ['base=price,rsi'], refitEvery: 2, trainRatio: 0.7, target: 'price' } });
  });

  it('--application-id reuses an application: no CreateApplication', () => {
    const { config: reuse } = loadEmrConfig({ flags: { ...serverlessFlags, applicationId: '00fabcdef1234567' } });
    const reused = planServerlessRun(reuse, { runId: 'r1', attemptId: 'a1', creatorArn: null }, offlineFiles);
    expect(reused.createApplication).toBeNull();
    expect(reused.startJobRun.applicationId).toBe('00fabcdef1234567');
  });

  it('cost per vCPU- and GB-hour: driver + 1 executor = 8 vCPU, 32 GB', () => {
    expect(plan.cost.vcpu).toBe(8);
    expect(plan.cost.memoryGb).toBe(32);
    expect(plan.cost.usdPerHour).toBeCloseTo(8 * 0.052624 + 32 * 0.0057785, 9);
    expect(estimateServerlessCost([{ role: 'driver', count: 1, vcpu: 4, memoryGb: 16 }]).usdPerHour).toBeCloseTo(4 * 0.052624 + 16 * 0.0057785, 9);
  });

  it('the settings a serverless run needs, and no --cluster-id with it', () => {
    expect(() => loadEmrConfig({ flags: { ...serverlessFlags, executionRoleArn: undefined } })).toThrow(/--execution-role-arn/);
    expect(() => loadEmrConfig({ flags: { ...serverlessFlags, pythonArchive: undefined } })).toThrow(/--python-archive/);
    expect(() => loadEmrConfig({ flags: { ...serverlessFlags, clusterId: 'j-ABC' } })).toThrow(/not with --serverless/);
  });

  it('every job run state has an outcome; only SUCCESS succeeds', () => {
    expect(Object.entries(JOB_RUN_STATE_OUTCOME).filter(([, o]) => o === 'success').map(([s]) => s)).toEqual(['SUCCESS']);
    expect(JOB_RUN_STATE_OUTCOME.FAILED).toBe('failure');
    expect(JOB_RUN_STATE_OUTCOME.CANCELLED).toBe('failure');
    expect(JOB_RUN_STATE_OUTCOME.QUEUED).toBe('waiting');
  });
});

describe('submit --serverless against moto', () => {
  let session: MotoSession;
  let epochs: EpochProxy;
  let engineOutput: string;
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_EMR_SERVERLESS;
  beforeAll(async () => {
    session = await openMotoSession('emr-serverless');
    // The SDK's own per-service endpoint variable, as a user would set it.
    epochs = await motoEpochProxy(session.moto.endpoint);
    process.env.AWS_ENDPOINT_URL_EMR_SERVERLESS = epochs.endpoint;
    engineOutput = join(session.work, 'engine-output');
    await runPipeline({ input: INPUT, output: engineOutput });
  });
  afterAll(async () => {
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_EMR_SERVERLESS;
    else process.env.AWS_ENDPOINT_URL_EMR_SERVERLESS = savedEndpoint;
    await epochs?.close();
    await session?.close();
  });
  beforeEach(async () => {
    await session.moto.reset();
    await session.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  async function livePlan(runId: string, flags: Record<string, unknown> = {}): Promise<{ config: ReturnType<typeof loadEmrConfig>['config']; plan: ServerlessPlan }> {
    const archive = join(session.work, 'pyenv.tar.gz');
    await (await import('node:fs/promises')).writeFile(archive, 'a packed environment');
    const { config } = loadEmrConfig({ flags: { ...serverlessFlags, pythonArchive: archive, pollSeconds: 30, ...flags } });
    const files = { input: await localFileFacts(INPUT), script: await localFileFacts(config.files.script), pythonArchive: await localFileFacts(archive) };
    return { config, plan: planServerlessRun(config, { runId, attemptId: 'attempt-1', creatorArn: null }, files) };
  }

  /** moto's real job run with its state replaced by the script; `onPoll` runs before answering poll n. */
  function scripted(real: JobRunReader, states: JobRunState[], onPoll?: (n: number) => Promise<void>): JobRunReader {
    let n = 0;
    return {
      async getJobRun(applicationId, jobRunId) {
        const index = n++;
        await onPoll?.(index);
        const run: JobRun = await real.getJobRun(applicationId, jobRunId);
        return { ...run, state: states[Math.min(index, states.length - 1)] };
      },
    };
  }

  /** Plays the job: puts the engine's output files into the attempt's output folder. */
  async function writeJobOutput(plan: ServerlessPlan, only?: string[]): Promise<void> {
    const { bucket, key } = parseS3Uri(plan.layout.outputUri);
    for (const name of await readdir(engineOutput)) {
      if (only !== undefined && !only.some((o) => name.startsWith(o))) continue;
      await session.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}${name}`, Body: await readFile(join(engineOutput, name)) }));
    }
  }

  it('success: application created, job run with the planned request, output whole → run.json, fetched, parity; application stopped', async () => {
    const { config, plan } = await livePlan('ok');
    const client = createServerlessClient();
    const outcome = await submitServerlessRun(
      { config, plan, outputDir: join(session.work, 'fetched-ok') },
      {
        s3: session.s3,
        serverless: client,
        clock: fakeClock(),
        reader: scripted(sdkJobRunReader(client), ['SUBMITTED', 'RUNNING', 'SUCCESS'], async (n) => (n === 1 ? writeJobOutput(plan) : undefined)),
      },
    );
    expect(outcome.exitCode, outcome.wait?.message).toBe(0);
    expect(outcome.createdApplication).toBe(true);
    expect(outcome.stoppedApplication).toBe(true);
    expect(outcome.parity?.report.ok).toBe(true);

    const app = (await client.send(new GetApplicationCommand({ applicationId: outcome.applicationId! }))).application!;
    expect(app.state).toBe('STOPPED');
    // (moto keeps no architecture; the plan's X86_64 is in the snapshot above)
    expect(app.autoStopConfiguration).toEqual({ enabled: true, idleTimeoutMinutes: 15 });
    expect(app.releaseLabel).toBe('emr-7.10.0');
    const run = (await client.send(new GetJobRunCommand({ applicationId: outcome.applicationId!, jobRunId: outcome.jobRunId! }))).jobRun!;
    expect(run.executionRole).toBe(ROLE);
    expect(run.jobDriver?.sparkSubmit?.entryPoint).toBe(plan.startJobRun.jobDriver?.sparkSubmit?.entryPoint);
    expect(run.jobDriver?.sparkSubmit?.sparkSubmitParameters).toContain('spark.archives=');
    expect(run.executionTimeoutMinutes).toBe(120);

    const manifest = JSON.parse(await (await session.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: parseS3Uri(plan.layout.manifestUri).key }))).Body!.transformToString());
    expect(manifest.outputUri).toBe(plan.layout.outputUri);
  });

  it('a job run that SUCCEEDS with a partial folder: no run.json (fetch keeps seeing the previous attempt), exit non-zero, application stopped', async () => {
    const { config, plan } = await livePlan('partial');
    const client = createServerlessClient();
    const run = submitServerlessRun(
      { config, plan, outputDir: join(session.work, 'fetched-partial') },
      { s3: session.s3, serverless: client, clock: fakeClock(), reader: scripted(sdkJobRunReader(client), ['RUNNING', 'SUCCESS'], async (n) => (n === 0 ? writeJobOutput(plan, ['_SUCCESS']) : undefined)) },
    );
    await expect(run).rejects.toThrow(/lacks _model\.json, a part-\*\.parquet file; run\.json was not updated/);
    await expect(session.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: parseS3Uri(plan.layout.manifestUri).key }))).rejects.toThrow();
  });

  it('Ctrl-C while RUNNING: the job run is cancelled and the application stopped, exit 130', async () => {
    const { config, plan } = await livePlan('interrupted');
    const client = createServerlessClient();
    const controller = new AbortController();
    const outcome = await submitServerlessRun(
      { config, plan, outputDir: join(session.work, 'never') },
      {
        s3: session.s3, serverless: client, signal: controller.signal,
        clock: fakeClock({ onSleep: () => controller.abort('SIGINT') }),
        reader: scripted(sdkJobRunReader(client), ['RUNNING']),
      },
    );
    expect(outcome.exitCode).toBe(130);
    expect(outcome.cancelled).toBe(true);
    expect(outcome.stoppedApplication).toBe(true);
    const run = (await client.send(new GetJobRunCommand({ applicationId: outcome.applicationId!, jobRunId: outcome.jobRunId! }))).jobRun!;
    expect(run.state).toBe('CANCELLED');
  });

  it('a FAILED job run with --application-id: not cancelled (it ended), the reused application left as it was', async () => {
    const client = createServerlessClient();
    const { CreateApplicationCommand } = await import('@aws-sdk/client-emr-serverless');
    const applicationId = (await client.send(new CreateApplicationCommand({ name: 'team', releaseLabel: 'emr-7.10.0', type: 'SPARK' }))).applicationId!;
    const { config, plan } = await livePlan('failed', { applicationId });
    const outcome = await submitServerlessRun(
      { config, plan, outputDir: join(session.work, 'never') },
      { s3: session.s3, serverless: client, clock: fakeClock(), reader: scripted(sdkJobRunReader(client), ['RUNNING', 'FAILED']) },
    );
    expect(outcome.exitCode).toBe(1);
    expect(outcome.wait?.status).toBe('failed');
    expect(outcome.cancelled).toBe(false);
    expect(outcome.createdApplication).toBe(false);
    expect((await client.send(new GetApplicationCommand({ applicationId }))).application?.state).not.toBe('STOPPED');
  });
});
