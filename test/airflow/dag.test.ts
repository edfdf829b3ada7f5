/**
 * The Airflow DAG (airflow/dags/pricecast_emr.py) with real Airflow 3.1 and the Amazon provider, from
 * the env airflow/provision.sh makes (.cache/airflow-env; built on first use, reused after), offline:
 *   - it imports with no errors (DagBag), with terminate_cluster a teardown of create_cluster;
 *   - a success run in-process under moto's mock_aws, the steps scripted to COMPLETED (moto never runs
 *     steps; airflow/tests/run_dag.py says how), the plan coming from the real `pricecast emr plan`;
 *   - a failure run against the moto SERVER, staging with the real `pricecast emr stage`: moto keeps the
 *     steps RUNNING, the sensor times out, the run is marked failed and the teardown still terminates
 *     the cluster.
 * Each run gets a fresh AIRFLOW_HOME (SQLite, `airflow db migrate`).
 */
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClients } from '../../src/emr/clients.js';
import { runCli, ROOT } from '../helpers/cli.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { TEST_AWS_ENV, useAirflow } from '../helpers/airflow.js';

const RUN_DAG = join(ROOT, 'airflow', 'tests', 'run_dag.py');

const airflow = useAirflow('airflow');
const airflowHome = (extra: NodeJS.ProcessEnv = {}) => airflow.home({ ...TEST_AWS_ENV, PRICECAST_POKE_SECONDS: '1', ...extra });
const runDag = (args: string[], env: NodeJS.ProcessEnv) => airflow.script(RUN_DAG, args, env);

/** A tiny stand-in wheelhouse (the DAG does not look inside it), as a config file for the CLI. */
function tinyWheelhouseConfig(extra: Record<string, unknown> = {}): string {
  const dir = join(airflow.dir, 'wheelhouse');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'demo-1.0-py3-none-any.whl'), 'demo');
  writeFileSync(join(dir, 'requirements.txt'), `demo==1.0 --hash=sha256:${createHash('sha256').update('demo').digest('hex')}\n`);
  const file = join(airflow.dir, 'emr.json');
  writeFileSync(file, JSON.stringify({ files: { wheelhouse: dir }, ...extra }));
  return file;
}

describe('the Airflow DAG', () => {
  it('imports with no errors; terminate_cluster is the teardown of create_cluster; one sensor per step', async () => {
    const result = await runDag(['import'], await airflowHome());
    expect(result.errors).toEqual({});
    // The daily forecast DAG and the serverless variant sit beside it (their own tests).
    expect(result.dagIds).toEqual(['pricecast_emr', 'pricecast_emr_serverless', 'pricecast_forecast']);
    // The command is a parameter of the run: predict unless the run's conf says experiment.
    expect(result.params).toEqual({ command: 'predict' });
    expect(result.tasks).toEqual(['add_steps', 'compare', 'create_cluster', 'stage', 'terminate_cluster', 'watch_step_1', 'watch_step_2', 'watch_step_3', 'watch_step_4']);
    expect(result.teardowns).toEqual({ terminate_cluster: ['create_cluster'] });
    expect(result.upstream.watch_step_1).toContain('add_steps');
    expect(result.upstream.watch_step_2).toContain('watch_step_1');
    expect(result.upstream.watch_step_3).toContain('watch_step_2');
    expect(result.upstream.watch_step_4).toContain('watch_step_3');
    expect(result.upstream.terminate_cluster).toContain('watch_step_4');
    expect(result.upstream.compare).toContain('watch_step_4');
  });

  it('explicit modes and limits even where the environment defers by default; retries on the teardown only', async () => {
    const result = await runDag(['import'], await airflowHome({
      AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE: 'True',
      PRICECAST_POKE_SECONDS: '60',
      PRICECAST_SENSOR_TIMEOUT_SECONDS: '10800',
      PRICECAST_STAGE_ARGS: '--input /data/prices.csv --seed 3',
    }));
    // The stage arguments are not fetch's (`emr fetch` has no --input or --seed): no default from them.
    expect(result.fetchArgs).toEqual([]);
    const settings = result.settings as Record<string, Record<string, unknown>>;
    for (const id of ['create_cluster', 'add_steps', 'watch_step_1', 'watch_step_2', 'watch_step_3', 'watch_step_4', 'terminate_cluster']) {
      expect(settings[id].deferrable, id).toBe(false);
    }
    for (const id of ['watch_step_1', 'watch_step_2', 'watch_step_3', 'watch_step_4']) {
      expect(settings[id]).toMatchObject({ mode: 'poke', poke_interval: 60, timeout: 10800, max_attempts: 180 });
    }
    expect(settings.add_steps.wait_for_completion).toBe(false);
    expect(Object.entries(settings).filter(([, s]) => (s.retries as number) > 0).map(([id]) => id)).toEqual(['terminate_cluster']);
  });

  it('a success run in-process under moto: the plan\'s request and steps, the steps COMPLETED, the cluster terminated', async () => {
    const planned = await runCli(['emr', 'plan', '--config', tinyWheelhouseConfig(), '--bucket', 'pricecast-airflow', '--run-id', 'af-ok', '--seed', '9']);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout);
    const planFile = join(airflow.dir, 'plan.json');
    writeFileSync(planFile, planned.stdout);

    const result = await runDag(['success', planFile], await airflowHome());
    expect(result.runState).toBe('success');
    expect(result.tasks).toEqual({
      stage: 'success',
      create_cluster: 'success',
      add_steps: 'success',
      watch_step_1: 'success',
      watch_step_2: 'success',
      watch_step_3: 'success',
      watch_step_4: 'success',
      terminate_cluster: 'success',
      compare: 'skipped', // switched off in this run's conf (no output in the in-process mock)
    });
    expect(result.clusters).toHaveLength(1);
    const [cluster] = result.clusters;
    expect(cluster.state).toBe('TERMINATED');
    expect(cluster.name).toBe(plan.runJobFlow.Name);
    expect(cluster.tags).toMatchObject({ 'pricecast:managed': 'true', 'pricecast:run': 'af-ok' });
    // Started without steps, so kept alive until add_steps (AutoTerminate is KeepJobFlowAliveWhenNoSteps=false).
    expect(cluster.autoTerminate).toBe(false);
    // The steps are the plan's, added once (the request's own Steps were left out of RunJobFlow).
    expect(cluster.steps.map((s: { args: string[] }) => s.args)).toEqual(plan.runJobFlow.Steps.map((s: { HadoopJarStep: { Args: string[] } }) => s.HadoopJarStep.Args));
    expect(cluster.steps.every((s: { state: string }) => s.state === 'COMPLETED')).toBe(true);
  });

  it('a failure run against the moto server: real `pricecast emr stage`, the sensor fails, the teardown terminates, the run is failed', async () => {
    let moto: MotoServer | null = null;
    const saved = { ...process.env };
    try {
      moto = await startMoto();
      const bucket = 'pricecast-airflow-server';
      Object.assign(process.env, moto.env);
      delete process.env.AWS_PROFILE;
      const { s3 } = createClients();
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const config = tinyWheelhouseConfig({ bucket });
      const env = await airflowHome({
        AWS_ENDPOINT_URL: moto.endpoint,
        PRICECAST_CMD: `${process.execPath} --import tsx ${join(ROOT, 'src', 'cli.ts')}`,
        PRICECAST_STAGE_ARGS: `--config ${config} --run-id af-fail`,
        PRICECAST_SENSOR_TIMEOUT_SECONDS: '4',
      });
      const result = await runDag(['against-server'], env);
      expect(result.runState).toBe('failed');
      expect(result.tasks).toMatchObject({
        stage: 'success',
        create_cluster: 'success',
        add_steps: 'success',
        watch_step_1: 'failed', // the step that did not finish, named by its own task
        watch_step_2: 'upstream_failed',
        watch_step_3: 'upstream_failed',
        watch_step_4: 'upstream_failed',
        terminate_cluster: 'success',
        compare: 'upstream_failed',
      });
      expect(result.clusters).toHaveLength(1);
      const [cluster] = result.clusters;
      expect(cluster.state).toBe('TERMINATED');
      // Staged by the real CLI: tagged with the caller (moto's STS identity), files in the bucket.
      expect(cluster.tags).toMatchObject({ 'pricecast:run': 'af-fail', 'pricecast:creator': 'arn:aws:sts::123456789012:user/moto' });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'pricecast/runs/af-fail/' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(
        expect.arrayContaining(['pricecast/runs/af-fail/job/price_regression.py', 'pricecast/runs/af-fail/run.json']),
      );

      // The command is the DAG's parameter (here from the run's conf): the experiment's plan, its walk-forward step.
      const experiment = await runDag(['against-server', JSON.stringify({ command: 'experiment' })], await airflowHome({
        AWS_ENDPOINT_URL: moto.endpoint,
        PRICECAST_CMD: `${process.execPath} --import tsx ${join(ROOT, 'src', 'cli.ts')}`,
        PRICECAST_STAGE_ARGS: `--config ${config} --run-id af-experiment --set base=price,rsi`,
        PRICECAST_SENSOR_TIMEOUT_SECONDS: '4',
      }));
      expect(experiment.tasks).toMatchObject({ stage: 'success', create_cluster: 'success', add_steps: 'success', terminate_cluster: 'success' });
      const ran = experiment.clusters.find((c: { tags: Record<string, string> }) => c.tags['pricecast:run'] === 'af-experiment');
      expect(ran.state).toBe('TERMINATED');
      const jobStep = ran.steps[1].args as string[];
      expect(jobStep.find((a) => a.endsWith('.py'))).toBe(`s3://${bucket}/pricecast/runs/af-experiment/job/price_regression.py`); // --py-files
      expect(jobStep).toEqual(expect.arrayContaining([`s3://${bucket}/pricecast/runs/af-experiment/job/walk_forward.py`, '--set', 'base=price,rsi']));
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await moto?.stop();
    }
  });
});
