/**
 * Real Airflow for the DAG tests: the env airflow/provision.sh makes (.cache/airflow-env; built on first
 * use, reused after), a fresh AIRFLOW_HOME with its SQLite database per run, and the runners in
 * airflow/tests/ (each prints one JSON object as its last line).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { ROOT } from './cli.js';
import { useScratchFolder } from './scratch.js';

/** Static test credentials and region, with no developer profile or config leaking in. */
export const TEST_AWS_ENV: NodeJS.ProcessEnv = {
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};

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

/** For one test file: provisions the env before its tests; `dir` is the file's scratch folder. */
export function useAirflow(prefix: string) {
  const scratch = useScratchFolder(prefix);
  let envDir = '';
  beforeAll(async () => {
    const provisioned = await run('bash', [join(ROOT, 'airflow', 'provision.sh')], process.env);
    if (provisioned.code !== 0) throw new Error(`airflow/provision.sh failed:\n${provisioned.stderr}`);
    envDir = provisioned.stdout.trim().split('\n').pop()!;
  });
  return {
    get dir(): string {
      return scratch.dir;
    },
    /** A fresh AIRFLOW_HOME, migrated, and the environment to run Airflow in (plus `extra`). */
    async home(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
      const home = mkdtempSync(join(scratch.dir, 'home-'));
      const env: NodeJS.ProcessEnv = {
        PATH: `${join(envDir, 'bin')}:${process.env.PATH}`,
        HOME: process.env.HOME,
        AIRFLOW_HOME: home,
        AIRFLOW__CORE__DAGS_FOLDER: join(ROOT, 'airflow', 'dags'),
        AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
        AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
        ...extra,
      };
      const migrated = await run(join(envDir, 'bin', 'airflow'), ['db', 'migrate'], env, home);
      if (migrated.code !== 0) throw new Error(`airflow db migrate failed:\n${migrated.stderr}`);
      return env;
    },
    /** Runs `script` (a runner in airflow/tests/) with the env's Python; resolves to its last line, parsed. */
    async script(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<any> {
      const done = await run(join(envDir, 'bin', 'python'), [script, ...args], env);
      const last = done.stdout.trim().split('\n').pop() ?? '';
      if (done.code !== 0 || !last.startsWith('{')) {
        throw new Error(`${script.slice(script.lastIndexOf('/') + 1)} ${args[0] ?? ''} failed (exit ${done.code}):\n${done.stderr.slice(-6000)}`);
      }
      return JSON.parse(last);
    },
  };
}
