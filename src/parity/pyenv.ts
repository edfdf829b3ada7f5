/**
 * The project's own Python environment (PySpark, pandas, ta, pyarrow, moto), created on first use by
 * `pyspark/provision.sh` in `<cache>/pyenv` from the pinned requirement files (the cache folder is
 * cacheDir's, docs/install.md#the-cache-folder). Nothing is installed by hand: the parity suite, the EMR
 * suite and `pricecast parity` all come through here.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, scriptEnv } from '../paths.js';

export { PROJECT_ROOT };

export interface PythonEnv {
  /** The virtual environment's folder (`<cache>/pyenv`; in a checkout `<project>/.cache/pyenv`). */
  root: string;
  /** Its Python interpreter. */
  python: string;
  /** Its spark-submit (pip's PySpark, Spark 3.5.5). */
  sparkSubmit: string;
  /**
   * The environment to run `python` and `spark-submit` with: the caller's, plus JAVA_HOME (the Java 17-21
   * that provision.sh checked), PYSPARK_PYTHON / PYSPARK_DRIVER_PYTHON (this env's Python, for the driver
   * and the executors), SPARK_LOCAL_IP=127.0.0.1 (bind to loopback only), the env's bin first on PATH, and
   * no SPARK_HOME (a system Spark of another version would otherwise be used instead of the pinned one).
   */
  env: NodeJS.ProcessEnv;
}

let provisioning: Promise<PythonEnv> | null = null;

/**
 * Creates or reuses the environment (fast when it is current) and says how to run it. Memoised: one
 * provision.sh run per process. Rejects with provision.sh's own message (what is missing and how to
 * get it) when Python 3.9-3.12 or Java 17-21 is absent or the install fails; a later call retries.
 */
export function ensurePythonEnv(): Promise<PythonEnv> {
  if (provisioning === null) {
    provisioning = provision().catch((error: unknown) => {
      provisioning = null;
      throw error;
    });
  }
  return provisioning;
}

async function provision(): Promise<PythonEnv> {
  const script = join(PROJECT_ROOT, 'pyspark', 'provision.sh');
  const { code, stdout, stderr } = await run('bash', [script], scriptEnv());
  if (code !== 0) {
    const message = stderr.trim() || `exit code ${code}`;
    throw new Error(`could not provision the Python environment (pyspark/provision.sh):\n${message}`);
  }
  const root = stdout.trim().split('\n').pop() ?? '';
  const python = join(root, 'bin', 'python');
  const sparkSubmit = join(root, 'bin', 'spark-submit');
  if (!existsSync(python) || !existsSync(sparkSubmit)) {
    throw new Error(`pyspark/provision.sh reported "${root}", which has no bin/python and bin/spark-submit`);
  }
  const javaHomeFile = join(root, 'pricecast-java-home');
  const javaHome = existsSync(javaHomeFile) ? readFileSync(javaHomeFile, 'utf8').trim() : '';

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SPARK_HOME;
  if (javaHome !== '') env.JAVA_HOME = javaHome;
  env.PYSPARK_PYTHON = python;
  env.PYSPARK_DRIVER_PYTHON = python;
  env.SPARK_LOCAL_IP = '127.0.0.1';
  env.PATH = [join(root, 'bin'), ...(javaHome !== '' ? [join(javaHome, 'bin')] : []), process.env.PATH ?? '']
    .filter((part) => part !== '')
    .join(':');
  // The environment's own packages only: a PYTHONPATH of the caller's could shadow the pinned ones.
  delete env.PYTHONPATH;
  return { root, python, sparkSubmit, env };
}

/** Runs a command, collecting its output; its stderr (provision's progress log) is also passed through. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
