/**
 * The daily forecast DAG (airflow/dags/pricecast_forecast.py) with real Airflow 3.1, from the env
 * airflow/provision.sh makes, offline:
 *   - it imports with no errors: @daily, one active run, catchup off unless configured;
 *   - runs for two logical dates against the moto SERVER with the real CLI executed on this machine: one
 *     partition per day on S3, each as of its own date;
 *   - a fault between the write and the delete (PRICECAST_TEST_CRASH_AT=s3-written) fails the run with
 *     the old and new part side by side; the day's next run leaves one, the other day untouched;
 *   - PRICECAST_FORECAST_MODE=emr: it imports with explicit waits even where the environment defers by
 *     default, the cluster's teardown; a run in-process under moto's mock_aws (the step scripted to
 *     COMPLETED, as airflow/tests/run_dag.py does) creates the plan's cluster, adds the reference job's
 *     forecast step as of the logical date with dynamic partition overwrite, and terminates it.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../src/emr/clients.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { startMoto, useMotoEnv, type MotoServer } from '../helpers/moto.js';
import { useAirflow } from '../helpers/airflow.js';

const RUNNER = join(ROOT, 'airflow', 'tests', 'run_forecast_dag.py');
const BUCKET = 'pricecast-lake';
let moto: MotoServer;
let restoreEnv: (() => void) | undefined;

const airflow = useAirflow('forecast-dag');
const airflowHome = (extra: NodeJS.ProcessEnv = {}) =>
  airflow.home({
    ...moto.env,
    PRICECAST_CMD: `${process.execPath} --import tsx ${join(ROOT, 'src', 'cli.ts')}`,
    PRICECAST_FORECAST_INPUT: `s3://${BUCKET}/in/prices.csv`,
    PRICECAST_FORECAST_OUTPUT: `s3://${BUCKET}/daily/forecasts/`,
    PRICECAST_FORECAST_ARGS: '--horizon 2',
    PRICECAST_FORECAST_RETRIES: '0',
    PRICECAST_FORECAST_START: '2022-01-01',
    ...extra,
  });
const runDag = (args: string[], env: NodeJS.ProcessEnv) => airflow.script(RUNNER, args, env);

async function keys(prefix = 'daily/forecasts/'): Promise<Record<string, string>> {
  const { s3 } = createClients();
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return Object.fromEntries((out.Contents ?? []).map((o) => [o.Key!.slice(prefix.length), o.ETag!]));
}

beforeAll(async () => {
  moto = await startMoto();
  restoreEnv = useMotoEnv(moto);
  const { s3 } = createClients();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/prices.csv', Body: readFileSync(DEFAULT_CSV) }));
}, 600_000);

afterAll(async () => {
  restoreEnv?.();
  await moto?.stop();
});

describe('the daily forecast DAG', () => {
  it('imports with no errors: @daily, one active run, catchup off by default', async () => {
    const result = await runDag(['import'], await airflowHome());
    expect(result.errors).toEqual({});
    expect(result.schedule).toMatch(/@daily|1 day|0 0 \* \* \*/);
    expect(result.catchup).toBe(false);
    expect(result.maxActiveRuns).toBe(1);
    expect(result.tasks).toEqual(['forecast']);
    const catchingUp = await runDag(['import'], await airflowHome({ PRICECAST_FORECAST_CATCHUP: '1' }));
    expect(catchingUp.catchup).toBe(true);
  }, 300_000);

  it('a run per logical date writes that day\'s partition as of that day; a fault between write and delete is repaired by the next run', async () => {
    for (const day of ['2022-01-10', '2022-01-11']) {
      const result = await runDag(['run', day], await airflowHome());
      expect(result.runState, JSON.stringify(result)).toBe('success');
      expect(result.tasks).toEqual({ forecast: 'success' });
    }
    const written = await keys();
    const parts = (day: string) => Object.keys(written).filter((k) => k.startsWith(`origin_date=${day}/`) && k.endsWith('.parquet'));
    expect(parts('2022-01-10')).toHaveLength(1);
    expect(parts('2022-01-11')).toHaveLength(1);
    expect(written).toHaveProperty('_SUCCESS');

    const faulty = await runDag(['run', '2022-01-10'], await airflowHome({ PRICECAST_FORECAST_ARGS: '--horizon 3', PRICECAST_TEST_CRASH_AT: 's3-written' }));
    expect(faulty.runState).toBe('failed');
    const between = await keys('daily/forecasts/origin_date=2022-01-10/');
    expect(Object.keys(between).filter((k) => k.endsWith('.parquet'))).toHaveLength(2);

    const again = await runDag(['run', '2022-01-10'], await airflowHome({ PRICECAST_FORECAST_ARGS: '--horizon 3' }));
    expect(again.runState).toBe('success');
    const after = await keys();
    expect(Object.keys(after).filter((k) => k.startsWith('origin_date=2022-01-10/') && k.endsWith('.parquet'))).toHaveLength(1);
    for (const key of Object.keys(written).filter((k) => k.startsWith('origin_date=2022-01-11/'))) expect(after[key], key).toBe(written[key]);
  }, 900_000);

  describe('PRICECAST_FORECAST_MODE=emr: the reference job\'s forecast on a cluster', () => {
    /** The plan `pricecast emr stage` would print (here `emr plan`: the same JSON, nothing uploaded), as a file. */
    async function planFile(): Promise<string> {
      const dir = join(airflow.dir, 'emr');
      mkdirSync(join(dir, 'wheelhouse'), { recursive: true });
      writeFileSync(join(dir, 'wheelhouse', 'demo-1.0-py3-none-any.whl'), 'demo');
      writeFileSync(join(dir, 'wheelhouse', 'requirements.txt'), `demo==1.0 --hash=sha256:${createHash('sha256').update('demo').digest('hex')}\n`);
      const config = join(dir, 'emr.json');
      writeFileSync(config, JSON.stringify({ bucket: BUCKET, files: { wheelhouse: join(dir, 'wheelhouse') } }));
      const planned = await runCli(['emr', 'plan', '--config', config, '--input', DEFAULT_CSV, '--run-id', 'fc-emr'], { env: moto.env });
      expect(planned.code, planned.stderr).toBe(0);
      const file = join(dir, 'plan.json');
      writeFileSync(file, planned.stdout);
      return file;
    }

    it('imports with explicit waits and limits even where the environment defers by default; the teardown ends the cluster', async () => {
      const result = await runDag(['import'], await airflowHome({
        PRICECAST_FORECAST_MODE: 'emr',
        AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE: 'True',
        PRICECAST_POKE_SECONDS: '30',
        PRICECAST_SENSOR_TIMEOUT_SECONDS: '5400',
      }));
      expect(result.errors).toEqual({});
      expect(result.tasks).toEqual(['add_steps', 'create_cluster', 'plan_forecast', 'terminate_cluster', 'watch_forecast']);
      expect(result.teardowns).toEqual({ terminate_cluster: ['create_cluster'] });
      expect(result.upstream.terminate_cluster).toContain('watch_forecast');
      for (const id of ['create_cluster', 'add_steps', 'watch_forecast', 'terminate_cluster']) expect(result.settings[id].deferrable, id).toBe(false);
      expect(result.settings.watch_forecast).toMatchObject({ mode: 'poke', poke_interval: 30, timeout: 5400, max_attempts: 180, retries: 0 });
      expect(result.settings.create_cluster).toMatchObject({ wait_for_completion: false, waiter_delay: 30, waiter_max_attempts: 180 });
      expect(result.settings.terminate_cluster.retries).toBe(3);
    }, 300_000);

    it('a run: the plan\'s cluster, one forecast step as of the logical date writing s3://BUCKET/PREFIX/forecasts/ with dynamic overwrite, the cluster terminated', async () => {
      const plan = JSON.parse(readFileSync(await planFile(), 'utf8'));
      const env = await airflowHome({ PRICECAST_FORECAST_MODE: 'emr', PRICECAST_FORECAST_EMR_PLAN: join(airflow.dir, 'emr', 'plan.json'), PRICECAST_POKE_SECONDS: '1' });
      const result = await runDag(['emr-run', '2022-01-10'], env);
      expect(result.runState, JSON.stringify(result)).toBe('success');
      expect(result.tasks).toEqual({ plan_forecast: 'success', create_cluster: 'success', add_steps: 'success', watch_forecast: 'success', terminate_cluster: 'success' });
      expect(result.clusters).toHaveLength(1);
      const [cluster] = result.clusters;
      expect(cluster.state).toBe('TERMINATED');
      expect(cluster.name).toBe(`${plan.runJobFlow.Name} forecast 2022-01-10`);
      expect(cluster.releaseLabel).toBe(plan.runJobFlow.ReleaseLabel);
      expect(cluster.tags).toMatchObject({ 'pricecast:managed': 'true', 'pricecast:run': 'fc-emr' });
      // The plan's bootstrap: the staged wheelhouse into the Python 3.11 venv.
      expect(cluster.bootstrap).toEqual([{ path: plan.runJobFlow.BootstrapActions[0].ScriptBootstrapAction.Path, args: plan.runJobFlow.BootstrapActions[0].ScriptBootstrapAction.Args }]);
      expect(cluster.steps).toHaveLength(1);
      expect(cluster.steps[0].args).toEqual([
        'timeout', '--signal=TERM', '--kill-after=60', '7200s',
        'spark-submit', '--deploy-mode', 'client', '--master', 'yarn',
        '--conf', 'spark.sql.sources.partitionOverwriteMode=dynamic',
        `s3://${BUCKET}/pricecast/runs/fc-emr/job/price_regression.py`, 'forecast',
        '--input', `s3://${BUCKET}/in/prices.csv`, '--output', `s3://${BUCKET}/daily/forecasts/`, '--as-of', '2022-01-10', '--horizon', '2',
      ]);
    }, 600_000);
  });
});
