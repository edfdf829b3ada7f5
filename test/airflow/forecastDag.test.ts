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
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../src/emr/clients.js';
import { ROOT } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { startMoto, useMotoEnv, type MotoServer } from '../helpers/moto.js';

const RUNNER = join(ROOT, 'airflow', 'tests', 'run_forecast_dag.py');
const BUCKET = 'pricecast-lake';
let envDir: string;
let work: string;
let moto: MotoServer;
let restoreEnv: (() => void) | undefined;

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-20_000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function airflowHome(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const home = mkdtempSync(join(work, 'home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(envDir, 'bin')}:${process.env.PATH}`,
    HOME: process.env.HOME,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: join(ROOT, 'airflow', 'dags'),
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
    ...moto.env,
    PRICECAST_CMD: `${process.execPath} --import tsx ${join(ROOT, 'src', 'cli.ts')}`,
    PRICECAST_FORECAST_INPUT: `s3://${BUCKET}/in/prices.csv`,
    PRICECAST_FORECAST_OUTPUT: `s3://${BUCKET}/daily/forecasts/`,
    PRICECAST_FORECAST_ARGS: '--horizon 2',
    PRICECAST_FORECAST_RETRIES: '0',
    PRICECAST_FORECAST_START: '2022-01-01',
    ...extra,
  };
  const migrated = await run(join(envDir, 'bin', 'airflow'), ['db', 'migrate'], env, home);
  if (migrated.code !== 0) throw new Error(`airflow db migrate failed:\n${migrated.stderr}`);
  return env;
}

async function runDag(args: string[], env: NodeJS.ProcessEnv) {
  const done = await run(join(envDir, 'bin', 'python'), [RUNNER, ...args], env);
  const last = done.stdout.trim().split('\n').pop() ?? '';
  if (done.code !== 0 || !last.startsWith('{')) throw new Error(`run_forecast_dag.py ${args[0]} failed (exit ${done.code}):\n${done.stderr.slice(-6000)}`);
  return JSON.parse(last);
}

async function keys(prefix = 'daily/forecasts/'): Promise<Record<string, string>> {
  const { s3 } = createClients();
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return Object.fromEntries((out.Contents ?? []).map((o) => [o.Key!.slice(prefix.length), o.ETag!]));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pricecast-forecast-dag-'));
  const provisioned = await run('bash', [join(ROOT, 'airflow', 'provision.sh')], process.env);
  if (provisioned.code !== 0) throw new Error(`airflow/provision.sh failed:\n${provisioned.stderr}`);
  envDir = provisioned.stdout.trim().split('\n').pop()!;
  moto = await startMoto();
  restoreEnv = useMotoEnv(moto);
  const { s3 } = createClients();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/prices.csv', Body: readFileSync(DEFAULT_CSV) }));
}, 600_000);

afterAll(async () => {
  restoreEnv?.();
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
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
