/**
 * `pricecast parity`: the PySpark reference job (spark-submit, local mode) and the engine on the same
 * input and seed, then the comparison. The engine's output is compared in memory and, when `keep` is
 * given, also written beside Spark's for inspection.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../engine/errors.js';
import { ingestOptionsOf, inputReadableTwice } from '../engine/ingest/input.js';
import { runPipeline, type PipelineResult } from '../engine/pipeline.js';
import type { JobSettings } from '../settings.js';
import type { ParityReport } from './compare.js';
import { compareEngineWithFolder } from './compareFolder.js';
import { catchSignals, runSparkJob } from './spark.js';

/** The job settings (each defaulting as in the jobs themselves) and where to keep the outputs. */
export interface ParityOptions extends Partial<JobSettings> {
  input: string;
  /** Keep both outputs under this folder (DIR/spark, DIR/engine); otherwise a temporary folder is removed. */
  keep?: string;
  log?: (line: string) => void;
}

export interface ParityOutcome {
  report: ParityReport;
  engine: PipelineResult;
  sparkWallMs: number;
}

export async function runParity(options: ParityOptions): Promise<ParityOutcome> {
  const log = options.log ?? (() => {});
  // Ctrl-C / SIGTERM: stop spark-submit's whole process tree, then clean up in `finally`.
  const interrupt = catchSignals();
  const work = options.keep ? resolve(options.keep) : await mkdtemp(join(tmpdir(), 'pricecast-parity-'));
  const scratch = await mkdtemp(join(tmpdir(), 'pricecast-spark-')); // Spark's own temporary files
  try {
    // Both halves read the input: stdin or a pipe is copied once (input.ts), a file is read where it is.
    const input = await inputReadableTwice(options.input, scratch);
    // The engine first: bad input is then reported by the engine's own one-line error, fast.
    const engine = await runPipeline({
      input,
      seed: options.seed,
      split: options.split,
      trainRatio: options.trainRatio,
      features: options.features,
      regParam: options.regParam,
      elasticNet: options.elasticNet,
      ...ingestOptionsOf(options),
      output: options.keep ? join(work, 'engine') : undefined,
    });
    log(`engine: ${engine.report.rows.test} test rows`);
    const sparkOut = join(work, 'spark');
    log('spark: running pyspark/price_regression.py with spark-submit (local mode)…');
    const spark = await runSparkJob({
      input,
      output: sparkOut,
      seed: options.seed,
      split: options.split,
      trainRatio: options.trainRatio,
      features: options.features,
      regParam: options.regParam,
      elasticNet: options.elasticNet,
      ...ingestOptionsOf(options),
      scratchDir: scratch,
      signal: interrupt.signal,
    });
    if (spark.exitCode !== 0) {
      const tail = spark.stderr.trim().split('\n').slice(-15).join('\n');
      if (spark.exitCode === 2) {
        throw new InputError(options.input, 0, null, null, `input the PySpark job accepts; it exited 2:\n${tail}`);
      }
      throw new Error(`the PySpark job failed with exit code ${spark.exitCode}:\n${tail}`);
    }
    log(`spark: done in ${(spark.wallMs / 1000).toFixed(1)} s`);
    const { report } = await compareEngineWithFolder(sparkOut, { predictions: engine.predictions, report: engine.report });
    return { report, engine, sparkWallMs: spark.wallMs };
  } finally {
    // The temporary folder is ours (mkdtemp); a --keep folder is the user's and stays.
    if (!options.keep) await rm(work, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
    interrupt.dispose();
  }
}
