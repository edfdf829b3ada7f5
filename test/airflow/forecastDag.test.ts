/**
 * The daily forecast DAG (airflow/dags/pricecast_forecast.py) with real Airflow 3.1, from the env
 * airflow/provision.sh makes, offline:
 *   - it imports with no errors: @daily, one active run, catchup off unless configured;
 *   - runs for two logical dates against the moto SERVER with the real CLI executed on this machine: one
 *     partition per day on S3, each as of its own date;
 *   - a fault between the write and the delete (PRICECAST_TEST_CRASH_AT=s3-written) fails the run with
 *     the old and new part side by side; the day's next run leaves one, the other day untouched.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../src/emr/clients.js';
import { ROOT } from '../helpers/cli.js';
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
});
