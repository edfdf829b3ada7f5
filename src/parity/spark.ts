/**
 * Runs the reference job, `pyspark/price_regression.py`, with the project's spark-submit in local mode:
 * quiet logging (pyspark/log4j2.properties: errors only), no Spark UI, everything bound to 127.0.0.1.
 * The job's stdout is its short summary; on bad input its stderr is the one error line and it exits 2.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { IngestOptions } from '../engine/input.js';
import type { SplitMode } from '../engine/types.js';
import { ensurePythonEnv, PROJECT_ROOT } from './pyenv.js';

export const SPARK_JOB = join(PROJECT_ROOT, 'pyspark', 'price_regression.py');
export const SPARK_LOG_CONFIG = join(PROJECT_ROOT, 'pyspark', 'log4j2.properties');

export interface SparkJobOptions extends Omit<IngestOptions, 'required'> {
  input: string;
  output: string;
  /** Default: the job's own (42). */
  seed?: number;
  /** Default: the job's own (random). */
  split?: SplitMode;
  /** Default: the job's own (0.7). */
  trainRatio?: number;
  /** Feature spec (SPEC.md section 9); default: the job's own (price,volume,marketCap,rsi). */
  features?: string;
  /** Spark master; default local[2] (the machine's two cores). */
  master?: string;
  /** spark-submit --driver-memory; default 2g (in local mode the driver does all the work). */
  driverMemory?: string;
}

export interface SparkJobResult {
  /** The job's exit code: 0 done, 2 bad input or arguments (one line on stderr), else a failure. */
  exitCode: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** spark-submit's arguments for the job (also used by the benchmarks, which time the process themselves). */
export function sparkSubmitArgs(options: SparkJobOptions): string[] {
  const args = [
    '--master', options.master ?? 'local[2]',
    '--driver-memory', options.driverMemory ?? '2g',
    '--driver-java-options', `-Dlog4j2.configurationFile=file:${SPARK_LOG_CONFIG}`,
    '--conf', 'spark.ui.enabled=false',
    '--conf', 'spark.ui.showConsoleProgress=false',
    '--conf', 'spark.driver.host=127.0.0.1',
    '--conf', 'spark.driver.bindAddress=127.0.0.1',
    // Speed only: 2 shuffle partitions for 2 cores instead of 200 tiny tasks (about 2x faster on the
    // 960-row file). Results do not depend on it: the split runs on the single partition that the
    // job's unpartitioned window produces (SPEC.md section 5).
    '--conf', 'spark.sql.shuffle.partitions=2',
    SPARK_JOB,
    '--input', options.input,
    '--output', options.output,
  ];
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  if (options.split !== undefined) args.push('--split', options.split);
  if (options.trainRatio !== undefined) args.push('--train-ratio', String(options.trainRatio));
  if (options.features !== undefined) args.push('--features', options.features);
  // How the input is read (src/engine/input.ts): the job takes the same flags.
  if (options.format !== undefined && options.format !== 'auto') args.push('--format', options.format);
  if (typeof options.columns === 'string') args.push('--columns', options.columns);
  else if (options.columns != null) args.push('--columns', Object.entries(options.columns).map(([k, v]) => `${k}=${v}`).join(','));
  if (options.thousands != null) args.push('--thousands', options.thousands);
  if (options.missing !== undefined) args.push('--missing', options.missing);
  return args;
}

export async function runSparkJob(options: SparkJobOptions): Promise<SparkJobResult> {
  const pyenv = await ensurePythonEnv();
  const args = sparkSubmitArgs(options);

  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(pyenv.sparkSubmit, args, { env: pyenv.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        exitCode: code ?? (signal !== null ? 128 : 1),
        stdout,
        stderr,
        wallMs: performance.now() - start,
      });
    });
  });
}
