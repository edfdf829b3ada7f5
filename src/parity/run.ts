/**
 * `pricecast parity`: the PySpark reference job (spark-submit, local mode) and the engine on the same
 * input and seed, then the comparison. One series: the engine's output is compared in memory and, when
 * `keep` is given, also written beside Spark's for inspection. A panel (docs/parity.md#panels): both
 * write Spark's partitionBy("asset") layout, and the two folders are compared asset by asset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../engine/errors.js';
import { ingestOptionsOf, inputReadableTwice } from '../engine/ingest/input.js';
import type { PipelineResult } from '../engine/pipeline.js';
import { runPredict, type PanelPipelineResult } from '../engine/panel/panelPipeline.js';
import type { JobSettings } from '../settings.js';
import { comparePanels, type ParityReport } from './compare.js';
import { compareEngineWithFolder } from './compareFolder.js';
import { assetOutput, readPanelOutput, type PanelOutput } from './panelFolder.js';
import { catchSignals, runSparkJob } from './spark.js';

/** The job settings (each defaulting as in the jobs themselves) and where to keep the outputs. */
export interface ParityOptions extends Partial<JobSettings> {
  input: string;
  /** Keep both outputs under this folder (DIR/spark, DIR/engine); otherwise a temporary folder is removed. */
  keep?: string;
  log?: (line: string) => void;
}

/** One series: the engine's run in memory. */
export interface SeriesParityOutcome {
  kind: 'series';
  report: ParityReport;
  engine: PipelineResult;
  sparkWallMs: number;
}

/** A panel: the engine's run and both folders read back. */
export interface PanelParityOutcome {
  kind: 'panel';
  report: ParityReport;
  engine: PanelPipelineResult;
  sparkWallMs: number;
  outputs: { engine: PanelOutput; spark: PanelOutput };
}

export type ParityOutcome = SeriesParityOutcome | PanelParityOutcome;

/**
 * Either kind of input is compared; the input decides. `panels: true` says the caller handles both kinds
 * (its result is typed as either); without it the result is typed as one series', which is what every
 * caller but `pricecast parity` and the panel tests passes (a caller that only reads `report` may pass
 * either kind of input).
 */
export async function runParity(options: ParityOptions & { panels: true }): Promise<ParityOutcome>;
export async function runParity(options: ParityOptions): Promise<SeriesParityOutcome>;
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
    // Written to the work folder (kept with --keep): a panel is compared folder to folder.
    const engineOut = join(work, 'engine');
    const engine = await runPredict({
      input,
      seed: options.seed,
      split: options.split,
      trainRatio: options.trainRatio,
      features: options.features,
      regParam: options.regParam,
      elasticNet: options.elasticNet,
      assets: options.assets,
      ...ingestOptionsOf(options),
      output: engineOut,
    });
    log(
      engine.kind === 'series'
        ? `engine: ${engine.report.rows.test} test rows`
        : `engine: ${engine.report.assets.length} assets fitted, ${engine.report.skipped.length} skipped`,
    );
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
      assets: options.assets,
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
    if (engine.kind === 'panel') {
      const outputs = { engine: await readPanelOutput(engineOut), spark: await readPanelOutput(sparkOut) };
      return { kind: 'panel', report: comparePanelOutputs(outputs.engine, outputs.spark), engine, sparkWallMs: spark.wallMs, outputs };
    }
    const { report } = await compareEngineWithFolder(sparkOut, { predictions: engine.predictions, report: engine.report });
    return { kind: 'series', report, engine, sparkWallMs: spark.wallMs };
  } finally {
    // The temporary folder is ours (mkdtemp); a --keep folder is the user's and stays.
    if (!options.keep) await rm(work, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
    interrupt.dispose();
  }
}

/** Two panel folders compared asset by asset (compare.ts comparePanels). */
export function comparePanelOutputs(engine: PanelOutput, spark: PanelOutput): ParityReport {
  const side = (panel: PanelOutput) => ({
    assets: panel.report.assets.map((a) => a.asset),
    skipped: panel.report.skipped,
    sha256: panel.report.input.sha256,
    output: (asset: string) => assetOutput(panel, asset),
  });
  return comparePanels(side(engine), side(spark));
}
