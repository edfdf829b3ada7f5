/**
 * The EMR Serverless DAG (airflow/dags/pricecast_emr_serverless.py) with real Airflow and the Amazon
 * provider (.cache/airflow-env, airflow/provision.sh), offline under moto's mock_aws, whose job runs
 * are SUCCESS at once; the job's output is the engine's own, put where the job would write it
 * (airflow/tests/run_serverless_dag.py). The plan comes from the real `pricecast emr plan --serverless`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/engine/pipeline.js';
import { runCli, ROOT } from '../helpers/cli.js';
import { TEST_AWS_ENV, useAirflow } from '../helpers/airflow.js';

const airflow = useAirflow('airflow-sl');
const airflowEnv = (extra: NodeJS.ProcessEnv = {}) => airflow.home({ ...TEST_AWS_ENV, PRICECAST_POKE_SECONDS: '1', ...extra });
const python = ([script, ...args]: string[], env: NodeJS.ProcessEnv) => airflow.script(script, args, env);

async function serverlessPlan(runId: string): Promise<{ file: string; plan: Record<string, any> }> {
  const archive = join(airflow.dir, 'pyenv.tar.gz');
  writeFileSync(archive, 'a packed environment');
  const planned = await runCli(['emr', 'plan', '--serverless', '--bucket', 'pricecast-airflow-sl', '--run-id', runId,
    '--execution-role-arn', 'arn:aws:iam::123456789012:role/pricecast-job', '--python-archive', archive]);
  expect(planned.code, planned.stderr).toBe(0);
  const file = join(airflow.dir, `${runId}.json`);
  writeFileSync(file, planned.stdout);
  return { file, plan: JSON.parse(planned.stdout) };
}

describe('the EMR Serverless DAG', () => {
  it('imports; stop_application is the teardown of create_application; explicit waits under a deferring default; retries on the teardown only', async () => {
    const result = await python([join(ROOT, 'airflow', 'tests', 'run_dag.py'), 'import', 'pricecast_emr_serverless'], await airflowEnv({
      AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE: 'True', PRICECAST_POKE_SECONDS: '30', PRICECAST_SENSOR_TIMEOUT_SECONDS: '7200',
    }));
    expect(result.errors).toEqual({});
    expect(result.tasks).toEqual(['commit', 'compare', 'create_application', 'stage', 'start_job', 'stop_application']);
    expect(result.teardowns).toEqual({ stop_application: ['create_application'] });
    const settings = result.settings as Record<string, Record<string, unknown>>;
    for (const id of ['create_application', 'start_job', 'stop_application']) {
      expect(settings[id], id).toMatchObject({ deferrable: false, wait_for_completion: true, waiter_delay: 30, waiter_max_attempts: 240 });
    }
    expect(Object.entries(settings).filter(([, s]) => (s.retries as number) > 0).map(([id]) => id)).toEqual(['stop_application']);
  });

  it('a success run: the plan\'s application and job run, the output committed (run.json), the application stopped', async () => {
    const { file, plan } = await serverlessPlan('sl-ok');
    const output = join(airflow.dir, 'engine-output');
    await runPipeline({ input: join(ROOT, 'fixtures', 'default.csv'), output });
    const result = await python([join(ROOT, 'airflow', 'tests', 'run_serverless_dag.py'), 'success', file, output], await airflowEnv());
    expect(result.runState).toBe('success');
    expect(result.tasks).toMatchObject({ stage: 'success', create_application: 'success', start_job: 'success', commit: 'success', stop_application: 'success', compare: 'skipped' });
    expect(result.applications).toEqual([{ name: plan.createApplication.name, state: 'STOPPED' }]);
    expect(result.jobRun.executionRole).toBe(plan.startJobRun.executionRoleArn);
    expect(result.jobRun.jobDriver).toEqual(plan.startJobRun.jobDriver);
    expect(result.jobRun.executionTimeoutMinutes).toBe(plan.startJobRun.executionTimeoutMinutes);
    expect(result.manifestWritten).toBe(true);
  });

  it('a partial output folder: commit fails, no run.json, the application is still stopped', async () => {
    const { file } = await serverlessPlan('sl-partial');
    const result = await python([join(ROOT, 'airflow', 'tests', 'run_serverless_dag.py'), 'partial', file], await airflowEnv());
    expect(result.runState).toBe('failed');
    expect(result.tasks).toMatchObject({ start_job: 'success', commit: 'failed', stop_application: 'success' });
    expect(result.manifestWritten).toBe(false);
    expect(result.applications.map((a: { state: string }) => a.state)).toEqual(['STOPPED']);
  });
});
